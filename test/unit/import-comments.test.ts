// HTML comments in a real checklist: whatever they hold (tasks, headings, whole sections) is never a step, a section
// or a title, and an inline comment is dropped from the title it sits in; code spans keep theirs as written.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importChecklist } from '../../lambdas/core/import/markdown-import.ts';
import { walkItems } from '../../lambdas/core/template/template.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'checklists', name), 'utf8');

const titles = (markdown: string) => {
  const template = importChecklist(markdown, { id: 'fixture', sourceFile: 'fixture.md' });
  const sections = template.phases.flatMap((phase) => phase.sections);
  return {
    phases: template.phases.map((phase) => phase.kind),
    sections: sections.map((section) => section.title),
    items: sections.flatMap((section) => [...walkItems(section.items)].map((item) => item.title)),
  };
};

describe('HTML comments', () => {
  it('imports every step outside comments, and nothing inside one', () => {
    const found = titles(fixture('html-comments.md'));
    assert.deepEqual(found.items, [
      'Run the full test suite',
      'Update CHANGELOG.md',
      'Check that every entry links its pull request',
      // A comment inside a code span is code: kept as written.
      'Search the code for <!-- TODO --> markers',
      'Tag the release as <VERSION>',
      'Publish the packages',
    ]);
    assert.deepEqual(found.sections, ['Before release', 'Release']);
    assert.ok(!found.phases.includes('staging'), 'a commented-out heading makes no phase');
  });

  it('treats an unclosed comment as running to the end, as CommonMark does', () => {
    const found = titles('## Steps\n- [ ] Build\n\n<!-- drafts\n- [ ] Not yet\n');
    assert.deepEqual(found.items, ['Build']);
  });

  it('drops an empty inline comment from a title', () => {
    const found = titles('## Steps\n- [ ] Build\n- [ ] Deploy <!---->\n');
    assert.deepEqual(found.items, ['Build', 'Deploy']);
  });
});
