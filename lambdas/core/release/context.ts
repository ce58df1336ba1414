// What every release use case stands on, built once from the service's dependencies: loading, the stale-write
// retry loop, audit events, answering the waiting workflow task, and starting escalation paging.
import type { ActorRef } from '../auth/actor.ts';
import { NotFound, RuleViolation, StaleVersion } from '../errors.ts';
import type { Clock, IdGenerator, ReleaseStore, TemplateCatalog, WorkflowEngine } from '../ports.ts';
import type { TransitionEvent } from '../workflow/workflow.ts';
import { ROLLBACK_STEP_FAILED, ROLLBACK_TRIGGERED, waitStatus } from '../workflow/workflow.ts';
import type { AuditEvent, AuditEventType, Release, ReleaseAggregate } from './release.ts';
import { isTerminal } from './release.ts';

export interface ReleasesServiceDeps {
  readonly store: ReleaseStore;
  readonly templates: TemplateCatalog;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly workflow: WorkflowEngine;
  /** How much faster than real time monitoring windows and waits pass (the local runtime's SHIPGATE_TIME_SCALE). */
  readonly timeScale?: number;
  /** Told when the workflow could not be told of a change that was saved; the change stands either way. */
  readonly onWorkflowError?: (error: unknown, context: Record<string, unknown>) => void;
  /** Waits before retrying a write that lost a race; the default backs off exponentially with full jitter. */
  readonly backoff?: (attempt: number) => Promise<void>;
  /** How often a write that lost a race is decided again on fresh state before giving up with 409. @default 30 */
  readonly maxAttempts?: number;
}

/** The actor of what Shipgate does by itself: workflow steps, metric-driven ticks and rollbacks. */
export const SYSTEM: ActorRef = { id: 'shipgate', name: 'Shipgate workflow', kind: 'machine' };

const defaultBackoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));

/** Refuses a change to a release that has ended (released, rolled back or cancelled). */
export function assertInFlight(release: Release): void {
  if (isTerminal(release)) {
    throw new RuleViolation('release-closed', `release ${release.id} is ${release.status}`, {
      releaseStatus: release.status,
    });
  }
}

export function makeReleaseKernel(deps: ReleasesServiceDeps) {
  const { store, templates, clock, ids, workflow } = deps;
  const backoff = deps.backoff ?? defaultBackoff;
  const maxAttempts = deps.maxAttempts ?? 30;
  const timeScale = deps.timeScale ?? 1;
  const reportWorkflowError = deps.onWorkflowError ?? (() => undefined);

  const now = (): string => clock.now().toISOString();

  const event = (releaseId: string, type: AuditEventType, by: ActorRef, at: string, data: AuditEvent['data']) => ({
    id: ids.eventId(),
    releaseId,
    type,
    at,
    actor: by,
    data,
  });

  const events = (releaseId: string, list: readonly TransitionEvent[], by: ActorRef, at: string): AuditEvent[] =>
    list.map((entry) => event(releaseId, entry.type, by, at, entry.data));

  async function load(releaseId: string): Promise<ReleaseAggregate> {
    const agg = await store.load(releaseId);
    if (!agg) throw new NotFound('release', releaseId);
    return agg;
  }

  /**
   * Runs load-decide-write until the write lands. A write that lost a race is decided again on fresh state, so a
   * concurrent change is never overwritten and every rule is checked against what is really stored.
   */
  async function retrying<T>(attempt: (n: number) => Promise<T>): Promise<T> {
    for (let n = 0; ; n += 1) {
      try {
        return await attempt(n);
      } catch (error) {
        if (
          !(error instanceof StaleVersion) ||
          n + 1 >= maxAttempts ||
          error.extensions.expectedVersion !== undefined
        ) {
          throw error;
        }
        await backoff(n);
      }
    }
  }

  /**
   * Answers the workflow's callback when the release's wait is over: satisfied, or (for a rollback) failed, or a
   * rollback was requested. Reads the release afresh after a change, so that of two concurrent changes that
   * together satisfy a gate, the later one sees both. Returns whether a callback was answered.
   */
  async function respond(agg: ReleaseAggregate): Promise<boolean> {
    const { release, task } = agg;
    if (!task || release.wait?.id !== task.waitId) return false;
    if (release.status === 'ROLLBACK_REQUESTED') {
      return workflow.fail(task.token, ROLLBACK_TRIGGERED, release.rollback?.reason ?? 'rollback requested');
    }
    const status = waitStatus(agg);
    if (status?.failed) return workflow.fail(task.token, ROLLBACK_STEP_FAILED, status.failed);
    if (status?.satisfied) return workflow.succeed(task.token, { waitId: task.waitId });
    return false;
  }

  /** Starts the escalation execution of a release whose escalation has not paged yet; failures are reported. */
  async function startPaging(release: Release): Promise<void> {
    const escalation = release.escalation;
    if (escalation?.state !== 'paging' || escalation.level > 0) return;
    try {
      await workflow.startEscalation(release.id, escalation.id);
    } catch (error) {
      reportWorkflowError(error, { releaseId: release.id, during: 'escalation' });
    }
  }

  // The ports and settings, defaults applied, then the helpers built on them.
  const given = { store, templates, clock, ids, workflow, timeScale, reportWorkflowError };
  return { ...given, now, event, events, load, retrying, respond, startPaging };
}

/** The shared internals the release use cases are built from (see makeReleaseKernel). */
export type ReleaseKernel = ReturnType<typeof makeReleaseKernel>;
