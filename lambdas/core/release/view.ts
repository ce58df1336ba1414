// What a reader sees of a release: the stored facts joined with the template and the rules' verdicts.
import type { ActorRef } from '../auth/actor.ts';
import type {
  DeploymentStep,
  MetricCondition,
  MonitoringWindow,
  Phase,
  PhaseKind,
  RollbackTrigger,
  TemplateItem,
  TemplateSection,
} from '../template/template.ts';
import { waitStatus } from '../workflow/workflow.ts';
import type { GateStatus } from './gates.ts';
import { gateStatus } from './gates.ts';
import type { Progress } from './items.ts';
import { findPhase, itemStatus, leafState, phaseLeafCandidates, progressOf } from './items.ts';
import type { Evidence, Release, ReleaseAggregate, Wait, WorkflowFailure } from './release.ts';
import { signoffKey } from './release.ts';
import type { ItemStatus } from './status.ts';
import { isTerminal } from './status.ts';

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

/** What a release waits for, in one place: the kind of wait, where, since when, until when, and what is missing. */
export interface WaitingFor {
  readonly kind: Wait['kind'];
  readonly phase?: string | undefined;
  readonly gate?: string | undefined;
  readonly step?: string | undefined;
  readonly window?: string | undefined;
  readonly since?: string | undefined;
  /** Monitoring windows: when the window passes if nothing triggers a rollback. */
  readonly endsAt?: string | undefined;
  /** One sentence for people. */
  readonly summary: string;
  readonly satisfied: boolean;
  readonly missingItems?: GateStatus['missingItems'] | undefined;
  readonly missingSignoffs?: readonly string[] | undefined;
  readonly rejections?: GateStatus['rejections'] | undefined;
  readonly blockers?: readonly string[] | undefined;
}

/** A recorded workflow failure, with what it means for the release and what continues it. */
export interface WorkflowFailureView extends WorkflowFailure {
  /** One sentence for people. */
  readonly summary: string;
  /** The call that continues the release where it stands. */
  readonly resume: string;
}

export interface ReleaseView extends Release {
  /** Present while a workflow task has failed for good: nothing moves the release on until it is resumed. */
  readonly workflowFailure?: WorkflowFailureView | undefined;
  readonly progress: Progress;
  /** What the release waits for now, and what it still needs; null once it has ended. */
  readonly waitingFor: WaitingFor | null;
  readonly phases: readonly PhaseView[];
  /** The rollback plan: its triggers, and the procedure that becomes the active checklist of a rollback. */
  readonly rollbackPlan: {
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
    workflowFailure: release.workflowFailure && workflowFailureView(release.id, release.workflowFailure),
    progress: progressOf(agg, allItems),
    waitingFor: waitingFor(agg, current),
    phases,
    rollbackPlan: {
      triggers: template.rollback.triggers,
      procedure: template.rollback.procedure.map((section) => sectionView(agg, section)),
      validation: template.rollback.validation.map((section) => sectionView(agg, section)),
    },
  };
}

function workflowFailureView(releaseId: string, failure: WorkflowFailure): WorkflowFailureView {
  const where = failure.state ? ` at ${failure.state}` : '';
  const what = `${failure.error}: ${failure.cause}`;
  const summary = failure.escalationId
    ? `escalation paging stopped${where} (${what}); nobody more is paged automatically, page by hand and acknowledge`
    : `the workflow stopped${where} (${what}); the release does not move on until it is resumed`;
  return { ...failure, summary, resume: `POST /releases/${releaseId}/resume` };
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function gateSummary(gate: GateStatus): string {
  if (gate.satisfied) return `gate '${gate.gate}' is satisfied`;
  const parts = [
    gate.missingItems.length > 0 ? count(gate.missingItems.length, 'item') : '',
    gate.missingSignoffs.length > 0 ? `sign-off by ${gate.missingSignoffs.join(', ')}` : '',
    gate.rejections.length > 0 ? `rejection by ${gate.rejections.map((r) => r.role).join(', ')} to be lifted` : '',
    ...gate.blockers,
  ].filter(Boolean);
  return `gate '${gate.gate}' needs ${parts.join('; ')}`;
}

function waitingFor(agg: ReleaseAggregate, current: Phase | undefined): WaitingFor | null {
  const wait = agg.release.wait;
  if (!wait) {
    // Between two decisions of the workflow (or before it started) a release waits at its current gate.
    if (isTerminal(agg.release) || !current) return null;
    const gate = gateStatus(agg, current);
    if (!gate) return null;
    return { kind: 'gate', summary: gateSummary(gate), ...gate };
  }
  const status = waitStatus(agg);
  const base = { kind: wait.kind, since: wait.since, satisfied: status?.satisfied ?? false };
  switch (wait.kind) {
    case 'gate': {
      const gate = status?.gate;
      return gate ? { ...base, ...gate, phase: wait.phase, summary: gateSummary(gate) } : { ...base, summary: 'gate' };
    }
    case 'step':
      return {
        ...base,
        phase: wait.phase,
        step: wait.step,
        missingItems: status?.missingItems,
        summary: `deployment step '${wait.step}' needs ${count(status?.missingItems?.length ?? 0, 'item')} done`,
      };
    case 'window':
      return {
        ...base,
        phase: wait.phase,
        window: wait.window,
        endsAt: wait.endsAt,
        summary: `monitoring window '${wait.window}' runs until ${wait.endsAt} unless a rollback trigger fires`,
      };
    case 'rollback':
      return {
        ...base,
        missingItems: status?.missingItems,
        missingSignoffs: status?.gate?.missingSignoffs,
        summary: status?.failed
          ? `the rollback cannot finish: ${status.failed}`
          : `the rollback needs ${count(status?.missingItems?.length ?? 0, 'procedure item')} done and the release manager's confirmation`,
      };
  }
}
