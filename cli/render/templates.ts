// Templates as text: the list, one template's outline, and the report of an import.
import { paint, table } from '../output.ts';
import { count, isoDurationText } from './format.ts';
import type { ImportOutcome, TemplateDocument, TemplateList } from './types.ts';

export function renderTemplateList(list: TemplateList): string {
  if (list.items.length === 0) return 'No templates.';
  return table(
    ['ID', 'VERSION', 'NAME', 'PHASES', 'SOURCE'],
    list.items.map((template) => [
      template.id,
      String(template.version),
      template.name,
      template.phases.map((phase) => phase.kind).join(', '),
      template.builtIn ? 'built-in' : 'imported',
    ]),
  );
}

type TemplateItem = TemplateDocument['phases'][number]['sections'][number]['items'][number];

const countItems = (items: readonly TemplateItem[]): number =>
  items.reduce((sum, item) => {
    const children = item.children as TemplateItem[];
    return sum + (children.length > 0 ? countItems(children) : 1);
  }, 0);

/** A template's outline: its phases with sections, item counts, gates and their roles, steps and windows. */
export function renderTemplate(template: TemplateDocument & { version?: number; builtIn?: boolean }): string {
  const lines = [
    `${paint.bold(template.name)}  ${template.id} v${template.version ?? 1}${template.builtIn ? ' (built-in)' : ''}`,
  ];
  if (template.description) lines.push(`  ${template.description}`);
  for (const phase of template.phases) {
    lines.push('', `${paint.bold(phase.name)} ${paint.dim(`[${phase.id}] ${phase.kind}`)}`);
    for (const section of phase.sections) {
      lines.push(`  ${section.title}  ${paint.dim(count(countItems(section.items), 'item'))}`);
    }
    if (phase.steps?.length) lines.push(`  steps: ${phase.steps.map((step) => step.name).join(' → ')}`);
    if (phase.windows?.length) {
      const windows = phase.windows.map(
        (window) => `${window.name} ${isoDurationText(window.duration)} (${window.rollbackPolicy})`,
      );
      lines.push(`  windows: ${windows.join(', ')}`);
    }
    if (phase.gate) {
      const roles = phase.gate.signoffs.map((s) => `${s.role}${s.required ? '' : ' (optional)'}`);
      const deadline = phase.gate.deadline ? `, deadline ${isoDurationText(phase.gate.deadline)}` : '';
      lines.push(`  gate ${phase.gate.id}: ${roles.length ? roles.join(', ') : 'items only'}${deadline}`);
    }
  }
  const { rollback, escalation } = template;
  lines.push(
    '',
    `Rollback: ${count(rollback.triggers.length, 'trigger')}, ${count(rollback.procedure.length, 'procedure section')}`,
  );
  if (escalation.levels.length) {
    lines.push(
      `Escalation every ${escalation.intervalMinutes} min: ${escalation.levels.map((l) => `${l.level}. ${l.roles.join(', ')}`).join('; ')}`,
    );
  }
  return lines.join('\n');
}

/** What an import recognised: phases, items, gates, windows, triggers, and the warnings to act on. */
export function renderImport(outcome: ImportOutcome): string {
  const { report, template } = outcome;
  const verb = outcome.dryRun ? 'Would import' : 'Imported';
  const lines = [
    `${verb} ${paint.bold(template.id)} version ${outcome.version}: ${report.name}${outcome.dryRun ? paint.dim(' (dry run: nothing was saved)') : ''}`,
    '',
    table(
      ['PHASE', 'KIND', 'SECTIONS', 'ITEMS'],
      report.phases.map((phase) => [phase.id, phase.kind, String(phase.sections), String(phase.items)]),
    ),
    '',
    `items: ${report.items.total} (${report.items.manual} manual, ${report.items.automated} automated, ${report.items.metric} metric; ${report.items.optional} optional)`,
    `gates: ${report.gates.map((gate) => `${gate.gate} [${gate.roles.join(', ') || 'items only'}]`).join('; ') || 'none'}`,
    `windows: ${report.windows}  rollback triggers: ${report.triggers}  escalation levels: ${report.escalationLevels}  success metrics: ${report.successMetrics}`,
  ];
  if (report.warnings.length) {
    lines.push('', paint.yellow(`${count(report.warnings.length, 'warning')}:`));
    for (const warning of report.warnings) {
      lines.push(`  ${warning.line !== undefined ? `line ${warning.line}: ` : ''}${warning.message}`);
    }
  } else {
    lines.push('', 'no warnings');
  }
  return lines.join('\n');
}
