// What a reader sees of a release: the stored facts joined with the template and the rules' verdicts.
import type { ActorRef } from './actor.ts';
import type { Evidence, GateStatus, ItemStatus, Progress, Release, ReleaseAggregate } from './release.ts';
import {
  findPhase,
  gateStatus,
  itemStatus,
  leafState,
  phaseLeafCandidates,
  progressOf,
  signoffKey,
} from './release.ts';
import type {
  DeploymentStep,
  MetricCondition,
  MonitoringWindow,
  PhaseKind,
  RollbackTrigger,
  TemplateItem,
  TemplateSection,
} from './template.ts';
import { walkItems } from './template.ts';

export interface ItemView {
  readonly id: string;
  readonly title: string;
  readonly required: boolean;
  readonly kind: TemplateItem['kind'];
  readonly metric?: MetricCondition | undefined;
  readonly status: ItemStatus;
  /** Leaf items only: the version to send as `expectedVersion`. */
  readonly version?: number | undefined;
  readonly evidence?: Evidence | undefined;
  readonly reason?: string | undefined;
  readonly updatedAt?: string | undefined;
  readonly updatedBy?: ActorRef | undefined;
  readonly children?: readonly ItemView[] | undefined;
}

export interface SectionView {
  readonly id: string;
  readonly title: string;
  readonly items: readonly ItemView[];
}

export interface SignoffView {
  readonly role: string;
  readonly label: string;
  readonly required: boolean;
  readonly criteria: readonly string[];
  readonly decision: 'approve' | 'reject' | 'pending';
  readonly by?: ActorRef | undefined;
  readonly at?: string | undefined;
  readonly comment?: string | undefined;
}

export interface PhaseView {
  readonly id: string;
  readonly name: string;
  readonly kind: PhaseKind;
  readonly current: boolean;
  readonly progress: Progress;
  readonly gate: { readonly id: string; readonly name: string; readonly signoffs: readonly SignoffView[] } | null;
  readonly gateStatus: GateStatus | null;
  readonly steps?: readonly DeploymentStep[] | undefined;
  readonly windows?: readonly MonitoringWindow[] | undefined;
  readonly sections: readonly SectionView[];
}

export interface ReleaseView extends Release {
  readonly progress: Progress;
  /** What the release waits for now: the current gate and what it still needs. */
  readonly waitingFor: GateStatus | null;
  readonly phases: readonly PhaseView[];
  readonly rollback: {
    readonly triggers: readonly RollbackTrigger[];
    readonly procedure: readonly SectionView[];
    readonly validation: readonly SectionView[];
  };
}

export function itemView(agg: ReleaseAggregate, item: TemplateItem): ItemView {
  const base = { id: item.id, title: item.title, required: item.required, kind: item.kind, metric: item.metric };
  if (item.children.length > 0) {
    return {
      ...base,
      status: itemStatus(agg, item),
      children: item.children.map((child) => itemView(agg, child)),
    };
  }
  const state = leafState(agg, item.id);
  return {
    ...base,
    status: state.status,
    version: state.version,
    evidence: state.evidence,
    reason: state.reason,
    updatedAt: state.updatedAt,
    updatedBy: state.updatedBy,
  };
}

const sectionView = (agg: ReleaseAggregate, section: TemplateSection): SectionView => ({
  id: section.id,
  title: section.title,
  items: section.items.map((item) => itemView(agg, item)),
});

export function releaseView(agg: ReleaseAggregate): ReleaseView {
  const { release, template } = agg;
  const phases: PhaseView[] = template.phases.map((phase) => {
    const gate = phase.gate;
    return {
      id: phase.id,
      name: phase.name,
      kind: phase.kind,
      current: phase.id === release.currentPhase,
      progress: progressOf(agg, phaseLeafCandidates(phase)),
      gate: gate && {
        id: gate.id,
        name: gate.name,
        signoffs: gate.signoffs.map((requirement) => {
          const standing = agg.signoffs.get(signoffKey(gate.id, requirement.role));
          const active = standing && standing.decision !== 'withdrawn' ? standing : undefined;
          return {
            role: requirement.role,
            label: requirement.label,
            required: requirement.required,
            criteria: requirement.criteria.map((criterion) => criterion.text),
            decision: active ? (active.decision as 'approve' | 'reject') : 'pending',
            by: active?.by,
            at: active?.at,
            comment: active?.comment,
          };
        }),
      },
      gateStatus: gateStatus(agg, phase) ?? null,
      steps: phase.steps,
      windows: phase.windows,
      sections: phase.sections.map((section) => sectionView(agg, section)),
    };
  });
  const current = findPhase(template, release.currentPhase);
  const allItems = template.phases.flatMap((phase) => [...phaseLeafCandidates(phase)]);
  return {
    ...release,
    progress: progressOf(agg, allItems),
    waitingFor: (current && gateStatus(agg, current)) ?? null,
    phases,
    rollback: {
      triggers: template.rollback.triggers,
      procedure: template.rollback.procedure.map((section) => sectionView(agg, section)),
      validation: template.rollback.validation.map((section) => sectionView(agg, section)),
    },
  };
}

/** Every item of some sections, for progress counts. */
export function* sectionItems(sections: readonly TemplateSection[]): Generator<TemplateItem> {
  for (const section of sections) yield* walkItems(section.items);
}
