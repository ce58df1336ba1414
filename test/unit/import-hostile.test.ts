// Any input string, property-based: the importer returns a template that passes Template.parse or refuses with
// ValidationFailed on field `body`, never another error (the API answers 400 for the one and 500 for the other).
// Also: a large checklist imports quickly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ValidationFailed } from '../../lambdas/core/errors.ts';
import { importChecklistWithReport } from '../../lambdas/core/import/markdown-import.ts';
import { Template, walkItems } from '../../lambdas/core/template/template.ts';

/** Fixed, so a failure reproduces; SHIPGATE_FC_SEED and SHIPGATE_FC_RUNS explore further. */
const SEED = Number(process.env.SHIPGATE_FC_SEED ?? 20_261_204);
const RUNS = Number(process.env.SHIPGATE_FC_RUNS ?? 300);

function importOrRefuse(markdown: string): void {
  try {
    const { template, report } = importChecklistWithReport(markdown, { id: 'fuzz', sourceFile: 'fuzz.md' });
    Template.parse(template);
    assert.ok(report.items.total >= 0);
  } catch (error) {
    assert.ok(error instanceof ValidationFailed, `not ValidationFailed: ${String(error)}`);
    assert.equal(error.issues[0]?.field, 'body');
    // The catch-all refusal means a reader failed: the document deserved a template or a precise refusal.
    assert.doesNotMatch(error.message, /could not be imported/, error.message);
  }
}

/** Pieces real checklists are made of, so random documents reach the readers, not only the parser. */
const piece = fc.constantFrom(
  '---\n',
  'name: x\n',
  '---\n',
  '# Title\n',
  '## Pre-Release\n',
  '### Checks\n',
  '## Rollback Plan\n',
  '### Rollback Triggers\n',
  '## Sign-off\n',
  '### QA Lead\n',
  '## Success Metrics\n',
  '## Post-Release Monitoring\n',
  '### First 0 hours\n',
  '### First 99999999999999999999 days\n',
  '## Escalation\n',
  '1. **Level 0**: \n',
  '- [ ] Error rate >1%\n',
  '- [x] Done\n',
  '- [ ]\n',
  '  - [ ] child\n',
  '    1. sub\n',
  '1. step\n',
  '1) step\n',
  '\t- tabbed\n',
  '- **QA Team Lead**: ____\n',
  '**Before release**:\n',
  '```sh\n',
  '<details>\n',
  '</details>\n',
  '<!-- ',
  ' -->\n',
  '> quote\n',
  '| a | b |\n|---|---|\n',
  '[ref]: http://x\n',
  '- [ ] latency >1e999999ms p95\n',
  '- [ ] CPU >80% sustained for 0 minutes\n',
  '\n',
  '🚀',
  '\uFE0F',
  '\u0000',
  '\uD800',
);

const documents = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.array(fc.oneof(piece, fc.string({ maxLength: 12 })), { maxLength: 60 }).map((parts) => parts.join('')),
);

describe('importing hostile input', () => {
  it('returns a valid template or throws ValidationFailed on body, for any string', () => {
    fc.assert(fc.property(documents, importOrRefuse), { seed: SEED, numRuns: RUNS });
  });

  it('survives deep nesting and long lines', () => {
    importOrRefuse(`${'> '.repeat(5000)}- [ ] deep\n`);
    importOrRefuse(`${Array.from({ length: 300 }, (_, i) => `${'  '.repeat(i)}- [ ] level ${i}`).join('\n')}\n`);
    importOrRefuse(`${'- '.repeat(5000)}[ ] x\n`);
    importOrRefuse(`## ${'['.repeat(20_000)}\n- [ ] ${'*'.repeat(20_000)}\n`);
    importOrRefuse(`- [ ] ${'a'.repeat(200_000)}\n`);
  });

  it('refuses a document without a step, saying what to write', () => {
    for (const markdown of ['', '   \n\n', '# Title only\n\nSome text.\n', '---\nname: x\n---\n', '## Notes\n- a\n']) {
      assert.throws(
        () => importChecklistWithReport(markdown, { id: 't', sourceFile: 't.md' }),
        (error: unknown) =>
          error instanceof ValidationFailed &&
          error.issues[0]?.field === 'body' &&
          /holds no step: write at least one list item or numbered step/.test(error.message),
      );
    }
  });

  it('imports 2,000 items (about 1 MiB) in well under two seconds', () => {
    const sections = Array.from({ length: 40 }, (_, s) => {
      const items = Array.from(
        { length: 50 },
        (_, i) => `- [ ] Step ${s}.${i}: ${'verify the release artefact checksum and signature '.repeat(10)}`,
      );
      return `### Section ${s}\n\n${items.join('\n')}\n`;
    });
    const markdown = `# Big\n\n## Pre-Release\n\n${sections.join('\n')}`;
    assert.ok(markdown.length > 1_000_000, `${markdown.length} characters`);
    const started = performance.now();
    const { template } = importChecklistWithReport(markdown, { id: 'big', sourceFile: 'big.md' });
    const elapsed = performance.now() - started;
    const items = template.phases.flatMap((p) => p.sections).flatMap((s) => [...walkItems(s.items)]);
    assert.equal(items.length, 2000);
    console.log(`# 2,000 items, ${(markdown.length / 1_048_576).toFixed(2)} MiB: ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed < 2000, `${elapsed} ms`);
  });
});
