// The built-in templates' Markdown sources and how each becomes its committed JSON: shared by the build script and
// the test that proves the JSON is current.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importChecklist } from '../lambdas/core/import/markdown-import.ts';
import { slugify } from '../lambdas/core/import/text.ts';
import type { Template } from '../lambdas/core/template/template.ts';

/** Folder of the checklists the built-in templates are imported from (copied byte for byte). */
export const SOURCE_DIR = join(import.meta.dirname, 'source');

/** Folder the generated `<id>.json` files live in. */
export const TEMPLATES_DIR = import.meta.dirname;

/**
 * Template id of a checklist file: product name and major version, so every 1.x checklist of a product is the same
 * template. `toolboxai-v1.1.0-release-checklist.md` -> `toolboxai-v1`; a name without a version is slugged whole.
 */
export function templateIdFromFileName(fileName: string): string {
  const versioned = /^(.+?)-v(\d+)(?:\.\d+)*(?:[-_.].*)?\.md$/i.exec(fileName);
  if (versioned?.[1] && versioned[2]) return `${slugify(versioned[1], 'template')}-v${versioned[2]}`;
  return slugify(fileName.replace(/\.md$/i, ''), 'template');
}

/** The committed form of a template: two-space JSON with a trailing newline. */
export function renderTemplateJson(template: Template): string {
  return `${JSON.stringify(template, null, 2)}\n`;
}

export interface BuiltSource {
  readonly fileName: string;
  readonly markdown: string;
  readonly template: Template;
  /** Where the template's JSON belongs. */
  readonly jsonPath: string;
}

/** Imports every `source/*.md`, in file-name order. */
export function importSources(): BuiltSource[] {
  return readdirSync(SOURCE_DIR)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((fileName) => {
      const markdown = readFileSync(join(SOURCE_DIR, fileName), 'utf8');
      const id = templateIdFromFileName(fileName);
      const template = importChecklist(markdown, { id, sourceFile: fileName });
      return { fileName, markdown, template, jsonPath: join(TEMPLATES_DIR, `${id}.json`) };
    });
}
