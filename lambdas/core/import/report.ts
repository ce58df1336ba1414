// What an import made of a checklist, for the person who wrote it: counts per phase and gate, and warnings to act on.
import { type PhaseKind, type Template, walkItems } from '../template/template.ts';

export interface ImportWarning {
  readonly line?: number | undefined;
  readonly message: string;
}

export interface ImportReport {
  readonly name: string;
  readonly phases: readonly {
    readonly id: string;
    readonly kind: PhaseKind;
    readonly name: string;
    readonly sections: number;
    readonly items: number;
  }[];
  readonly gates: readonly { readonly gate: string; readonly roles: readonly string[] }[];
  readonly items: {
    readonly total: number;
    readonly manual: number;
    readonly automated: number;
    readonly metric: number;
    readonly optional: number;
  };
  readonly windows: number;
  readonly triggers: number;
  readonly escalationLevels: number;
  readonly successMetrics: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly warnings: readonly ImportWarning[];
}

/**
 * The warning of a template that names no on-call role (no on-call section in the checklist: see `readOnCall` in
 * info.ts for how one is read), so nobody but the release manager is on call for its rollbacks.
 */
export const NO_ON_CALL_WARNING =
  'no on-call role: rollbacks will go to the release manager only (and to escalation level 1 and contacts holding ' +
  'the role on-call, if there are any). To name who is on call, add a section titled "On-Call" (or "Contacts") ' +
  'without checkboxes, one role per line as its bold label or the text before a colon, e.g. "- **DevOps Engineer**: ' +
  'name, phone" (in a JSON template, an onCall entry {"role": "devops-engineer", "label": "DevOps Engineer"})';

/** Warnings about what the template as a whole lacks, whatever it was imported from. */
function templateWarnings(template: Template): ImportWarning[] {
  return template.onCall.length === 0 ? [{ message: NO_ON_CALL_WARNING }] : [];
}

/**
 * Counts what the template holds; items are those of every phase and of the rollback procedure and validation.
 * The warnings are the import's, by line, then those about the template as a whole.
 */
export function templateReport(template: Template, warnings: readonly ImportWarning[]): ImportReport {
  const sections = [
    ...template.phases.flatMap((phase) => phase.sections),
    ...template.rollback.procedure,
    ...template.rollback.validation,
  ];
  const items = sections.flatMap((section) => [...walkItems(section.items)]);
  const ofKind = (kind: string): number => items.filter((item) => item.kind === kind).length;
  return {
    name: template.name,
    phases: template.phases.map((phase) => ({
      id: phase.id,
      kind: phase.kind,
      name: phase.name,
      sections: phase.sections.length,
      items: phase.sections.reduce((sum, section) => sum + [...walkItems(section.items)].length, 0),
    })),
    gates: template.phases.flatMap((phase) =>
      phase.gate ? [{ gate: phase.gate.id, roles: phase.gate.signoffs.map((signoff) => signoff.role) }] : [],
    ),
    items: {
      total: items.length,
      manual: ofKind('manual'),
      automated: ofKind('automated'),
      metric: ofKind('metric'),
      optional: items.filter((item) => !item.required).length,
    },
    windows: template.phases.reduce((sum, phase) => sum + (phase.windows?.length ?? 0), 0),
    triggers: template.rollback.triggers.length,
    escalationLevels: template.escalation.levels.length,
    successMetrics: template.successMetrics.length,
    metadata: template.metadata,
    warnings: [...[...warnings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)), ...templateWarnings(template)],
  };
}
