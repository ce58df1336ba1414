// The parts of an exported checklist besides its phases: rollback plan, success metrics, contacts, sign-offs, metadata.
// Each is written in the form docs/templates.md says the importer reads back as the same part.
import { headingRole, roleSlug, signoffTarget } from '../import/heuristics.ts';
import { box, type ChecklistAnnotations, itemLines, type ListContext, listBlock } from './export-list.ts';
import { inline, paragraph } from './markdown-text.ts';
import type { Phase, PhaseKind, SignoffRequirement, Template, TemplateSection } from './template.ts';

// The importer's rollback sub-heading rules (lambdas/core/import/rollback.ts), mirrored; the round-trip test guards them.
const TRIGGERS = /\btriggers?\b|\bcriteria\b|\bwhen to\b/i;
const VALIDATION = /\bvalidat|\bverif|\brestor|\bhealth\b|\bafter rollback\b/i;

type RollbackPart = 'procedure' | 'validation';

function rollbackPartOf(title: string): RollbackPart | 'triggers' {
  if (TRIGGERS.test(title)) return 'triggers';
  return VALIDATION.test(title) ? 'validation' : 'procedure';
}

/**
 * Trigger or success-metric lines: a line with nested lines is a category, so every condition whose category is not
 * the heading's sits under a line naming its category; consecutive ones share it.
 */
function conditionList(
  conditions: readonly { readonly id: string; readonly title: string; readonly category: string }[],
  heading: string,
  checked: (id: string) => boolean,
): string {
  const lines: string[] = [];
  let category: string | undefined;
  for (const condition of conditions) {
    const grouped = condition.category !== heading;
    if (grouped && condition.category !== category) lines.push(`- [ ] **${inline(condition.category)}**`);
    category = grouped ? condition.category : undefined;
    lines.push(`${grouped ? '  ' : ''}- ${box(checked(condition.id))} ${inline(condition.title)}`);
  }
  return lines.join('\n');
}

/**
 * Rollback sections of one part. A section of leaf items whose title the importer files under the same part is a
 * sub-heading of its own; any other is a numbered line under a generic sub-heading with its items nested (the
 * importer's "numbered blocks" form), consecutive ones sharing the sub-heading.
 */
function rollbackSections(sections: readonly TemplateSection[], part: RollbackPart, context: ListContext): string[] {
  const blocks: string[] = [];
  let numbered: string[] | undefined;
  for (const section of sections) {
    const leaves = section.items.every((item) => item.children.length === 0);
    if (leaves && rollbackPartOf(section.title) === part) {
      if (numbered) blocks.push(listBlock(numbered));
      numbered = undefined;
      blocks.push(`### ${inline(section.title)}`, listBlock(itemLines(section.items, '', context)));
      continue;
    }
    if (!numbered) {
      blocks.push(part === 'procedure' ? '### Rollback Procedure' : '### Rollback Validation');
      numbered = [];
    }
    const marker = `${numbered.filter((line) => /^\d+\./.test(line)).length + 1}.`;
    if (numbered.length > 0) numbered.push('');
    numbered.push(`${marker} **${inline(section.title)}**`);
    numbered.push(...itemLines(section.items, ' '.repeat(marker.length + 1), context));
  }
  if (numbered) blocks.push(listBlock(numbered));
  return blocks;
}

/** The rollback plan: triggers, procedure, validation. */
export function rollbackBlocks(template: Template, context: ListContext): string[] {
  const { triggers, procedure, validation } = template.rollback;
  if (triggers.length === 0 && procedure.length === 0 && validation.length === 0) return [];
  const annotations = context.annotations;
  const blocks = ['## Rollback Plan', ...(annotations.rollbackNotes ?? [])];
  if (triggers.length > 0) {
    const fired = (id: string) => id === annotations.firedTrigger;
    blocks.push('### Rollback Triggers', 'Roll back if any of these occur:');
    blocks.push(conditionList(triggers, 'Rollback Triggers', fired));
  }
  blocks.push(...rollbackSections(procedure, 'procedure', context));
  blocks.push(...rollbackSections(validation, 'validation', context));
  return blocks;
}

export function successMetricBlocks(template: Template): string[] {
  if (template.successMetrics.length === 0) return [];
  return ['## Success Metrics', conditionList(template.successMetrics, 'Success Metrics', () => false)];
}

/** On-call roles and the escalation chain, as the importer reads them: a heading without checkboxes. */
export function contactBlocks(template: Template): string[] {
  const { onCall, escalation } = template;
  if (onCall.length === 0 && escalation.levels.length === 0) return [];
  const blocks = ['## Emergency Contacts'];
  if (onCall.length > 0) {
    // The importer reads the bold label of each line (else the text before a colon) as the role.
    const line = (label: string) => (label.includes('*') ? `- ${paragraph(label)}` : `- **${inline(label)}**`);
    blocks.push('### On-Call Team', onCall.map((person) => line(person.label)).join('\n'));
  }
  if (escalation.levels.length > 0) {
    // The first "N minutes" of the region is the interval, so it is said before any level.
    blocks.push(
      '### Escalation Chain',
      `Page the next level after ${escalation.intervalMinutes} minutes without an acknowledgement.`,
    );
    blocks.push(escalation.levels.map((level, index) => `${index + 1}. ${paragraph(level.label)}`).join('\n'));
  }
  return blocks;
}

/** Sign-off sub-headings by the kind of phase whose gate they sign (the importer's `signoffTarget` reads them so). */
const GATE_HEADINGS: Readonly<Record<PhaseKind, string>> = {
  'pre-release': 'Pre-Release Approvals',
  staging: 'Staging Approvals',
  deployment: 'Deployment Approvals',
  monitoring: 'Monitoring Approvals',
  confirmation: 'Confirmation Approvals',
  'follow-up': 'Follow-up Approvals',
};

/** The label to write: the template's, unless the importer would read another role (or no bold label) from it. */
function labelOf(requirement: SignoffRequirement): string {
  const { label, role } = requirement;
  return !label.includes('*') && roleSlug(label) === role ? label : role;
}

function roleLines(phase: Phase, annotations: ChecklistAnnotations): string {
  const gate = phase.gate;
  if (!gate) return '';
  const lines: string[] = [];
  let airy = false;
  for (const requirement of gate.signoffs) {
    const mark = annotations.signoff?.(gate, requirement) ?? {
      checked: false,
      state: '_________________ Date: _________',
      notes: [],
    };
    const optional = requirement.required ? '' : ' (optional)';
    // Lines with something below them are set apart, so each reads as one record.
    const below = mark.notes.length > 0 || requirement.criteria.length > 0;
    if (lines.length > 0 && (airy || below)) lines.push('');
    airy = below;
    lines.push(`- ${box(mark.checked)} **${inline(labelOf(requirement))}**: ${mark.state}${optional}`);
    for (const note of mark.notes) lines.push('', `  ${note}`);
    if (mark.notes.length > 0 && requirement.criteria.length > 0) lines.push('');
    for (const criterion of requirement.criteria) lines.push(`  - ${box(mark.checked)} ${inline(criterion.text)}`);
  }
  return lines.join('\n');
}

/**
 * Every gate's sign-offs, one sub-heading per gate naming its kind of phase. A confirmation phase without sections
 * exists only through its sign-offs, so its sub-heading is its name; a name that targets no gate goes under a
 * "Final" heading, which the importer reads as confirmation.
 */
export function signoffBlocks(template: Template, annotations: ChecklistAnnotations): string[] {
  const main: string[] = [];
  const final: string[] = [];
  for (const phase of template.phases) {
    const gate = phase.gate;
    if (!gate || gate.signoffs.length === 0) continue;
    const composed = phase.sections.length === 0;
    const title = composed ? phase.name : GATE_HEADINGS[phase.kind];
    const into = composed && signoffTarget(title) === undefined ? final : main;
    const deadline = gate.deadline ? ` Deadline: ${inline(gate.deadline)} after the phase starts.` : '';
    into.push(
      `### ${inline(title)}`,
      `Gate of the phase “${inline(phase.name)}”.${deadline}`,
      roleLines(phase, annotations),
    );
  }
  return [
    ...(main.length > 0 ? ['## Sign-offs', ...main] : []),
    ...(final.length > 0 ? ['## Final Sign-off', ...final] : []),
  ];
}

/** A value the importer reads back from a `**Key**: value` line after the title: one line, a key without `*`. */
const isFact = (key: string, value: string): boolean => !key.includes('*') && !value.includes('\n');

/** One-line metadata as `**Key**: value` lines (values are the checklist's Markdown, kept as written). */
export function metadataFacts(metadata: Readonly<Record<string, string>>): string[] {
  const facts = Object.entries(metadata).filter(([key, value]) => isFact(key, value));
  return facts.length > 0 ? [facts.map(([key, value]) => `**${inline(key)}**: ${value}`).join('\n')] : [];
}

/** Headings the importer reads as something other than information, whatever is under them. */
const SPECIAL_ROLES: ReadonlySet<string> = new Set(['signoff', 'rollback', 'success-metrics']);

/** Longer metadata as headings with their Markdown body; a key the importer would read otherwise sits one level down. */
export function metadataSections(metadata: Readonly<Record<string, string>>): string[] {
  const blocks: string[] = [];
  const nested: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (isFact(key, value)) continue;
    const role = headingRole(key);
    if (role !== undefined && SPECIAL_ROLES.has(role)) nested.push(`### ${inline(key)}`, value);
    else blocks.push(`## ${inline(key)}`, value);
  }
  return nested.length > 0 ? [...blocks, '## Other Information', ...nested] : blocks;
}
