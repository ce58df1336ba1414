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

/** Counts what the template holds; items are those of every phase and of the rollback procedure and validation. */
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
    warnings: [...warnings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  };
}
