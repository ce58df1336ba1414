// The checklist fixtures of test/fixtures/checklists, imported, and a template read as an outline a test can assert.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importChecklistWithReport } from '../../lambdas/core/import/markdown-import.ts';
import type { Template, TemplateItem } from '../../lambdas/core/template/template.ts';

/** A fixture's Markdown. */
export const fixture = (name: string): string =>
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'checklists', name), 'utf8');

/** A checklist imported with its report, under a fixed id. */
export const load = (markdown: string) =>
  importChecklistWithReport(markdown, { id: 'fixture', sourceFile: 'fixture.md' });

/** The template as lines: `kind: phase`, `# section`, then items indented two spaces per level. */
export function outline(template: Template): string[] {
  const lines: string[] = [];
  const walk = (items: readonly TemplateItem[], depth: number): void => {
    for (const item of items) {
      lines.push(`${'  '.repeat(depth)}${item.title}`);
      walk(item.children, depth + 1);
    }
  };
  for (const phase of template.phases) {
    lines.push(`${phase.kind}: ${phase.name}`);
    for (const section of phase.sections) {
      lines.push(`# ${section.title}`);
      walk(section.items, 0);
    }
  }
  return lines;
}
