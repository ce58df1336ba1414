// What every release use case stands on, built once per function from its dependencies: loading, the stale-write
// retry loop, audit events, answering the waiting workflow task, and starting escalation paging.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActorRef } from '../auth/actor.ts';
import { DomainError, NotFound, StaleVersion } from '../errors.ts';
import type { Clock, IdGenerator, ReleaseStore, TemplateCatalog, TemplateStore, WorkflowEngine } from '../ports.ts';
import type { TransitionEvent } from '../workflow/workflow.ts';
import { ROLLBACK_STEP_FAILED, ROLLBACK_TRIGGERED, waitStatus } from '../workflow/workflow.ts';
import type { AuditEvent, AuditEventType, Release, ReleaseAggregate } from './release.ts';

/** The ports and settings of the release use cases. */
export interface ReleaseDeps {
  readonly store: ReleaseStore;
  /** The built-in templates. */
  readonly templates: TemplateCatalog;
  /** The templates teams import, in their versions. @default none: only the built-ins */
  readonly templateStore?: TemplateStore | undefined;
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

/** The dependencies with their defaults applied, and the helpers every release use case is written with. */
export interface ReleaseContext {
  readonly store: ReleaseStore;
  readonly templates: TemplateCatalog;
  readonly templateStore: TemplateStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly workflow: WorkflowEngine;
  readonly timeScale: number;
  readonly reportWorkflowError: (error: unknown, context: Record<string, unknown>) => void;
  /** The clock's time as an ISO string. */
  now(): string;
  /** A new audit event. */
  event(releaseId: string, type: AuditEventType, by: ActorRef, at: string, data: AuditEvent['data']): AuditEvent;
  /** The audit events of what a rule decided. */
  events(releaseId: string, list: readonly TransitionEvent[], by: ActorRef, at: string): AuditEvent[];
  /** The whole release, or NotFound. */
  load(releaseId: string): Promise<ReleaseAggregate>;
  /**
   * Runs load-decide-write until the write lands. A write that lost a race is decided again on fresh state, so a
   * concurrent change is never overwritten and every rule is checked against what is really stored.
   */
  retrying<T>(attempt: (n: number) => Promise<T>): Promise<T>;
  /**
   * Answers the workflow's callback when the release's wait is over: satisfied, or (for a rollback) failed, or a
   * rollback was requested. Returns whether a callback was answered.
   */
  respond(agg: ReleaseAggregate): Promise<boolean>;
  /** Starts the escalation execution of a release whose escalation has not paged yet; failures are reported. */
  startPaging(release: Release): Promise<void>;
}

/** No imported templates: every id is a built-in's or unknown. */
const noTemplateStore: TemplateStore = {
  getHead: async () => undefined,
  getVersion: async () => undefined,
  saveVersion: () => Promise.reject(new Error('no template store is wired')),
  saveHead: () => Promise.reject(new Error('no template store is wired')),
  listHeads: async () => [],
};

/** The actor of what Shipgate does by itself: workflow steps, metric-driven ticks and rollbacks. */
export const SYSTEM: ActorRef = { id: 'shipgate', name: 'Shipgate workflow', kind: 'machine' };

/**
 * The time the current invocation has left, when a function runs the use case (its Lambda context's
 * getRemainingTimeInMillis); outside one, no limit.
 */
const invocation = new AsyncLocalStorage<() => number>();

/** Runs `fn` with the invocation's remaining time known to the retry loop. */
export const withRemainingTime = <T>(remainingMs: () => number, fn: () => T): T => invocation.run(remainingMs, fn);

/** Below this much time left, another attempt could not finish and answer before the function is stopped. */
export const RETRY_RESERVE_MS = 1_000;

/**
 * A write kept losing races until the invocation's time ran short (503 with Retry-After): better said than cut
 * off by the function's timeout, and nothing was written.
 */
export class RetryLater extends DomainError {
  readonly code = 'retry-later';
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds = 1) {
    super(message, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const defaultBackoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));

export function releaseContext(deps: ReleaseDeps): ReleaseContext {
  const { store, templates, clock, ids, workflow } = deps;
  const backoff = deps.backoff ?? defaultBackoff;
  const maxAttempts = deps.maxAttempts ?? 30;
  const reportWorkflowError = deps.onWorkflowError ?? (() => undefined);

  const event: ReleaseContext['event'] = (releaseId, type, by, at, data) => ({
    id: ids.eventId(),
    releaseId,
    type,
    at,
    actor: by,
    data,
  });

  return {
    store,
    templates,
    templateStore: deps.templateStore ?? noTemplateStore,
    clock,
    ids,
    workflow,
    timeScale: deps.timeScale ?? 1,
    reportWorkflowError,
    now: () => clock.now().toISOString(),
    event,
    events: (releaseId, list, by, at) => list.map((entry) => event(releaseId, entry.type, by, at, entry.data)),

    async load(releaseId) {
      const agg = await store.load(releaseId);
      if (!agg) throw new NotFound('release', releaseId);
      return agg;
    },

    async retrying(attempt) {
      for (let n = 0; ; n += 1) {
        try {
          return await attempt(n);
        } catch (error) {
          const retryable =
            error instanceof StaleVersion && n + 1 < maxAttempts && error.extensions.expectedVersion === undefined;
          if (!retryable) throw error;
          const left = invocation.getStore()?.();
          if (left !== undefined && left < RETRY_RESERVE_MS) {
            throw new RetryLater(
              `the release changed under ${n + 1} attempts and no time is left for another; nothing was saved, send it again`,
            );
          }
          await backoff(n);
        }
      }
    },

    async respond(agg) {
      const { release, task } = agg;
      if (!task || release.wait?.id !== task.waitId) return false;
      if (release.status === 'ROLLBACK_REQUESTED') {
        return workflow.fail(task.token, ROLLBACK_TRIGGERED, release.rollback?.reason ?? 'rollback requested');
      }
      const status = waitStatus(agg);
      if (status?.failed) return workflow.fail(task.token, ROLLBACK_STEP_FAILED, status.failed);
      if (status?.satisfied) return workflow.succeed(task.token, { waitId: task.waitId });
      return false;
    },

    async startPaging(release) {
      const escalation = release.escalation;
      if (escalation?.state !== 'paging' || escalation.level > 0) return;
      try {
        await workflow.startEscalation(release.id, escalation.id);
      } catch (error) {
        reportWorkflowError(error, { releaseId: release.id, during: 'escalation' });
      }
    },
  };
}
