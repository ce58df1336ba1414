// Regenerates templates/<id>.json from templates/source/*.md. With `--check`, writes nothing and fails when a JSON
// file is missing or differs from a fresh import.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { importSources, renderTemplateJson } from '../templates/sources.ts';

const check = process.argv.includes('--check');
let stale = 0;
for (const { fileName, template, jsonPath } of importSources()) {
  const json = renderTemplateJson(template);
  const shown = relative(process.cwd(), jsonPath);
  const current = existsSync(jsonPath) ? readFileSync(jsonPath, 'utf8') : undefined;
  if (current === json) {
    console.log(`${shown}: up to date (${fileName})`);
  } else if (check) {
    stale += 1;
    console.error(`${shown}: out of date with ${fileName}; run node scripts/build-templates.ts`);
  } else {
    writeFileSync(jsonPath, json);
    console.log(`${shown}: written from ${fileName}`);
  }
}
if (stale > 0) process.exit(1);
