// The release header and aggregate: a template snapshot plus what people did with it (item states, sign-offs).
// These shapes depend on nothing of the workflow, so every rule (checklist, gates, workflow, escalation) can use them.

import type { ActorRef } from '../auth/actor.ts';
import type { Template } from '../template/template.ts';
import type { ItemStatus, ReleaseStatus } from './status.ts';

/** What a release waits for; `id` names this wait, so a late or repeated callback for an old wait is ignored. */
export type Wait =
  | { readonly id: string; readonly kind: 'gate'; readonly phase: string; readonly since: string }
  | {
      readonly id: string;
      readonly kind: 'step';
      readonly phase: string;
      readonly step: string;
      readonly since: string;
    }
  | {
      readonly id: string;
      readonly kind: 'window';
      readonly phase: string;
      readonly window: string;
      readonly since: string;
      readonly endsAt: string;
    }
  | { readonly id: string; readonly kind: 'rollback'; readonly since: string };

export interface RollbackInfo {
  readonly reason: string;
  readonly requestedBy: ActorRef;
  readonly requestedAt: string;
  /** The trigger that fired, when a metric or alarm asked for the rollback. */
  readonly trigger?: string | undefined;
  /** Triggers that fired after the rollback was requested: they agreed, and changed nothing else. */
  readonly agreed?: readonly string[] | undefined;
}

export interface Escalation {
  readonly id: string;
  /** What started it. */
  readonly reason: 'rollback' | 'gate-overdue';
  /** The rollback's reason, or the overdue gate. */
  readonly cause: string;
  /** The level paged last; 0 until level 1 is paged. */
  readonly level: number;
  readonly state: 'paging' | 'acknowledged' | 'exhausted';
  readonly startedAt: string;
  readonly pagedAt?: string | undefined;
  readonly acknowledgedBy?: ActorRef | undefined;
  readonly acknowledgedAt?: string | undefined;
  readonly note?: string | undefined;
}

/**
 * A task of the release's workflow (or of its escalation) that failed for good, after its retries. Only the error
 * name and a short message are kept: no stack trace, nothing of the task's input.
 */
export interface WorkflowFailure {
  readonly at: string;
  /** The error name Step Functions reported (`Error`, `States.Timeout`, `Lambda.Unknown`). */
  readonly error: string;
  /** A short message, on one line. */
  readonly cause: string;
  /** The state that failed (`Decide`, `Await`, `Page`). */
  readonly state?: string | undefined;
  /** Set when the escalation execution failed, not the release's own. */
  readonly escalationId?: string | undefined;
}

/** The header of a release: what lists show and what every change's revision guards. */
export interface Release {
  readonly id: string;
  readonly templateId: string;
  /** The version of the template the release was made from (releases made before versions: 1). */
  readonly templateVersion?: number | undefined;
  readonly templateName: string;
  readonly name: string;
  /** The version of the software being released, e.g. `1.1.0`. */
  readonly version: string;
  readonly description?: string | undefined;
  readonly plannedAt?: string | undefined;
  readonly status: ReleaseStatus;
  readonly currentPhase: string;
  /** Deployment phase: index of the current step among the phase's steps. */
  readonly stepIndex: number;
  /** Monitoring phase: index of the current window among the phase's windows. */
  readonly windowIndex: number;
  /** What the workflow waits for now; absent between two decisions and once the release has ended. */
  readonly wait?: Wait | undefined;
  /** The Step Functions execution driving the release. */
  readonly executionId?: string | undefined;
  readonly rollback?: RollbackInfo | undefined;
  /** A rollback a trigger proposed in an `approval` window, until the release manager rolls back or dismisses it. */
  readonly rollbackProposal?:
    | {
        readonly reason: string;
        readonly trigger: string;
        readonly at: string;
        /** Triggers that fired after the proposal: they agreed with it; the proposal stands as first made. */
        readonly agreed?: readonly string[] | undefined;
      }
    | undefined;
  /** CloudWatch alarms the team attached: one going into ALARM after production deployment starts rolls back. */
  readonly alarmNames?: readonly string[] | undefined;
  /** When production deployment started: metric samples before it are the baseline ("2x normal"). */
  readonly productionStartedAt?: string | undefined;
  /** The escalation chain paging for this release, or the last one. */
  readonly escalation?: Escalation | undefined;
  /** Why the workflow stopped, until `POST /releases/{id}/resume` continues it. */
  readonly workflowFailure?: WorkflowFailure | undefined;
  /** Optimistic-concurrency counter of the release header; bumped by every sign-off and status change. */
  readonly revision: number;
  readonly createdAt: string;
  readonly createdBy: ActorRef;
  readonly updatedAt: string;
}

export interface Evidence {
  readonly url?: string | undefined;
  readonly note?: string | undefined;
}

/** The recorded state of one leaf item. Items nobody touched have no record: they are `pending` at version 0. */
export interface ItemState {
  readonly itemId: string;
  readonly status: ItemStatus;
  readonly evidence?: Evidence | undefined;
  /** Why the item was skipped, blocked or failed. */
  readonly reason?: string | undefined;
  /** Optimistic-concurrency counter of this item; 0 means never written. */
  readonly version: number;
  readonly updatedAt?: string | undefined;
  readonly updatedBy?: ActorRef | undefined;
}

export type SignoffDecision = 'approve' | 'reject';

/** The standing decision of one role at one gate (the latest one; history is in the audit trail). */
export interface Signoff {
  readonly gate: string;
  readonly role: string;
  readonly decision: SignoffDecision | 'withdrawn';
  readonly comment?: string | undefined;
  readonly by: ActorRef;
  readonly at: string;
}

export type AuditEventType =
  | 'release.created'
  | 'item.updated'
  | 'signoff.recorded'
  | 'signoff.withdrawn'
  | 'workflow.started'
  | 'workflow.resume-requested'
  | 'workflow.failed'
  | 'phase.entered'
  | 'gate.opened'
  | 'gate.passed'
  | 'step.started'
  | 'step.completed'
  | 'window.started'
  | 'window.passed'
  | 'gate.overdue'
  | 'release.completed'
  | 'release.cancelled'
  | 'rollback.requested'
  | 'rollback.started'
  | 'rollback.completed'
  | 'rollback.failed'
  | 'rollback.proposed'
  | 'rollback.agreed'
  | 'rollback.dismissed'
  | 'alarm.received'
  | 'escalation.started'
  | 'escalation.paged'
  | 'escalation.acknowledged'
  | 'escalation.exhausted';

/** One entry of the append-only audit trail. */
export interface AuditEvent {
  readonly id: string;
  readonly releaseId: string;
  readonly type: AuditEventType;
  readonly at: string;
  readonly actor: ActorRef;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Everything about one release, as one Query of the store returns it. */
export interface ReleaseAggregate {
  readonly release: Release;
  /** The template as it was when the release was created; later template edits never reach it. */
  readonly template: Template;
  readonly items: ReadonlyMap<string, ItemState>;
  /** Keyed by `${gate}#${role}`. */
  readonly signoffs: ReadonlyMap<string, Signoff>;
  /** The callback the workflow waits on, for the wait it was stored for. Never shown to API callers. */
  readonly task?: { readonly waitId: string; readonly token: string } | undefined;
  /** The callback the escalation waits on for an acknowledgement. Never shown to API callers. */
  readonly escalationTask?: { readonly escalationId: string; readonly token: string } | undefined;
}

export const signoffKey = (gate: string, role: string): string => `${gate}#${role}`;

/** The release after one accepted change: its next revision, stamped with when. Every change of a release goes
 * through here, so a revision is never skipped, repeated or bumped twice. */
export const revised = (release: Release, at: string, changes: Partial<Release> = {}): Release => ({
  ...release,
  ...changes,
  revision: release.revision + 1,
  updatedAt: at,
});
