// The final template: phases in run order with ids and gates, roles, and the every-checkbox-once contract.

import { ValidationFailed } from '../errors.ts';
import { type Phase, type PhaseKind, type Template, walkItems } from '../template/template.ts';
import type { GroupRef } from './gates.ts';
import type { ListEntry } from './outline.ts';
import type { DraftPhase, ImportState } from './state.ts';
import { uniqueSlugs } from './text.ts';

/** Phases run in this order whatever order the checklist lists them in. */
const phaseOrder: readonly PhaseKind[] = [
  'pre-release',
  'staging',
  'deployment',
  'monitoring',
  'confirmation',
  'follow-up',
];

/** Builds the template from what the import read. `header` is what the caller knows about the template as a whole. */
export function assembleTemplate(
  state: ImportState,
  groupRefs: readonly GroupRef[],
  header: Pick<Template, 'id' | 'name' | 'sourceFile'>,
): Template {
  const phases = finalPhases(state.phases, groupRefs);
  return {
    id: header.id,
    name: header.name,
    description: state.description.join('\n\n'),
    sourceFile: header.sourceFile,
    metadata: state.metadata,
    roles: collectRoles(state, phases),
    phases,
    rollback: { triggers: state.triggers, procedure: state.procedure, validation: state.validation },
    successMetrics: state.successMetrics,
    escalation: { levels: state.levels, intervalMinutes: state.intervalMinutes },
    onCall: state.onCall,
    separationOfDuties: { distinctSignersPerGate: true, creatorNotSoleApprover: true },
    mappings: state.mappings.sort((a, b) => a.line - b.line),
  };
}

/** Orders the phases, gives each an id (its kind) and a gate, and points sign-off group lines at their gate. */
function finalPhases(drafts: readonly DraftPhase[], groupRefs: readonly GroupRef[]): Phase[] {
  const sorted = [...drafts].sort((a, b) => phaseOrder.indexOf(a.kind) - phaseOrder.indexOf(b.kind));
  const phaseId = uniqueSlugs();
  return sorted.map((draft) => {
    const id = phaseId(draft.kind);
    for (const group of groupRefs) if (group.phase === draft) group.mapping.ref = id;
    return {
      id,
      name: draft.name,
      kind: draft.kind,
      sections: draft.sections,
      gate: draft.kind === 'follow-up' ? null : { id, name: draft.name, signoffs: draft.signoffs },
      ...(draft.steps ? { steps: draft.steps } : {}),
      ...(draft.windows ? { windows: draft.windows } : {}),
      ...(draft.source ? { source: draft.source } : {}),
    };
  });
}

/** Every role, first mention first: gate signers in phase order, then escalation levels, then on-call contacts. */
function collectRoles(state: ImportState, phases: readonly Phase[]): { id: string; label: string }[] {
  const roles: { id: string; label: string }[] = [];
  const addRole = (id: string, label: string): void => {
    if (!roles.some((role) => role.id === id)) roles.push({ id, label });
  };
  for (const phase of phases) for (const signoff of phase.gate?.signoffs ?? []) addRole(signoff.role, signoff.label);
  for (const { role, label } of state.escalationLabels) addRole(role, label);
  for (const { role, label } of state.onCall) addRole(role, label);
  return roles;
}

/**
 * The import's contract: each task of the source is exactly one item or one mapping (plain list items read as steps
 * are items by construction). A breach is a document the readers could not place: the error names its line.
 */
export function checkEveryStepOnce(template: Template, entries: readonly ListEntry[]): void {
  const counts = new Map<number, number>();
  const count = (line: number): void => {
    counts.set(line, (counts.get(line) ?? 0) + 1);
  };
  const sections = [
    ...template.phases.flatMap((phase) => phase.sections),
    ...template.rollback.procedure,
    ...template.rollback.validation,
  ];
  for (const section of sections) for (const item of walkItems(section.items)) count(item.source.line);
  for (const mapping of template.mappings) count(mapping.line);
  for (const entry of entries) {
    if (entry.checkbox === null || !entry.step) continue;
    const seen = counts.get(entry.line) ?? 0;
    if (seen === 0) {
      const message = `line ${entry.line} ("${entry.text.trim()}") has no place in the template; put it in a list under a heading`;
      throw ValidationFailed.field('body', message);
    }
  }
}
