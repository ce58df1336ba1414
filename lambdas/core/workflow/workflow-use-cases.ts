// The release use cases that drive its workflow execution: the Decide, Await and RecordFailure tasks, advancing a
// release by hand, cancelling it, and handing releases to new executions.
import type { Actor } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { RuleViolation } from '../errors.ts';
import type { ReleaseContext } from '../release/context.ts';
import { SYSTEM } from '../release/context.ts';
import { revised } from '../release/release.ts';
import { assertOpen, RELEASE_STATUSES, TERMINAL_STATUSES } from '../release/status.ts';
import type { ReleaseView } from '../release/view.ts';
import { releaseView } from '../release/view.ts';
import { startEscalation } from './escalation.ts';
import { resumeExecutionName } from './execution-names.ts';
import type { CaughtError } from './failure.ts';
import { clearedFailure, recordWorkflowFailure, workflowFailure } from './failure.ts';
import type { Next, Outcome } from './workflow.ts';
import { decideCancel, transition } from './workflow.ts';

/**
 * Evaluates what the release waits for now: if it is satisfied, the workflow moves on; if not, a 409 lists exactly
 * what is missing. Also starts the workflow of a release whose start failed.
 */
export async function advance(ctx: ReleaseContext, actor: Actor, releaseId: string): Promise<ReleaseView> {
  authorize(actor, { kind: 'advance-release' });
  const agg = await ctx.load(releaseId);
  assertOpen(agg.release);
  // The execution is named after the release, so this starts one only if the start at creation failed; one that
  // is running and has not recorded itself yet is left alone.
  if (!agg.release.executionId) await ctx.workflow.start(releaseId);
  const view = releaseView(agg);
  const waiting = view.waitingFor;
  if (!waiting?.satisfied && agg.release.status !== 'ROLLBACK_REQUESTED') {
    throw new RuleViolation(
      waiting?.kind === 'window' ? 'window-running' : 'wait-not-satisfied',
      waiting?.summary ?? 'the release waits for its workflow',
      { waitingFor: waiting },
    );
  }
  await ctx.respond(agg);
  return view;
}

/** Cancels a release before production deployment starts, and stops its workflow. */
export async function cancel(
  ctx: ReleaseContext,
  actor: Actor,
  releaseId: string,
  reason: string,
): Promise<ReleaseView> {
  authorize(actor, { kind: 'cancel-release' });
  const agg = await ctx.retrying(async () => {
    const current = await ctx.load(releaseId);
    const at = ctx.now();
    const next = decideCancel(current.release, at);
    await ctx.store.saveRelease(next, current.release.revision, [
      ctx.event(releaseId, 'release.cancelled', actorRef(actor), at, { reason, from: current.release.status }),
    ]);
    return { ...current, release: next };
  });
  if (agg.release.executionId) await ctx.workflow.stop(agg.release.executionId, `cancelled: ${reason}`);
  return releaseView(agg);
}

/**
 * Hands a release to a new execution that continues where it stands, and stops the old one: after a new state
 * machine definition is deployed, when an execution was lost, or when one failed (its recorded failure is cleared).
 * An escalation still paging gets its execution back too, if that one ended (it failed).
 *
 * The execution is named after where the release stands (resumeExecutionName), so resuming it there again, twice at
 * once or as a retry, finds the execution already resuming it: one execution. Each request that resumes is recorded
 * (`workflow.resume-requested`, naming the execution); one that finds that execution already driving the release
 * when it comes changes nothing and records nothing. Only once that execution has ended (say it failed at the same
 * wait) does a resume start another. The execution is started before anything is recorded: if it cannot be
 * started, nothing changed.
 */
export async function resume(ctx: ReleaseContext, actor: Actor, releaseId: string): Promise<ReleaseView> {
  authorize(actor, { kind: 'advance-release' });
  const found = await ctx.load(releaseId);
  assertOpen(found.release);
  const superseded = found.release.executionId;
  const executionId = await ctx.workflow.start(releaseId, { resumeAs: resumeExecutionName(found.release) });
  // It had taken the release over before this request came (an earlier resume of the same point): a repeat.
  const repeated = superseded === executionId;
  const { agg, running } = await ctx.retrying(async () => {
    const current = await ctx.load(releaseId);
    assertOpen(current.release);
    const { executionId: running, workflowFailure: failure } = current.release;
    if (repeated && running === executionId && !failure) return { agg: current, running };
    const at = ctx.now();
    const next = revised(current.release, at, clearedFailure(current.release));
    await ctx.store.saveRelease(next, current.release.revision, [
      ctx.event(releaseId, 'workflow.resume-requested', actorRef(actor), at, {
        previousExecution: superseded ?? null,
        execution: executionId,
        ...(failure ? { clearedFailure: failure } : {}),
      }),
    ]);
    return { agg: { ...current, release: next }, running };
  });
  // The execution this request found, and one that recorded itself since: the resumed one has taken over from them
  // (one that has not recorded itself yet would end at its next decision; stopping it frees its wait now).
  for (const previous of new Set([superseded, running])) {
    if (previous && previous !== executionId) await ctx.workflow.stop(previous, 'superseded by a resumed execution');
  }
  const escalation = agg.release.escalation;
  if (escalation?.state === 'paging') {
    // A failed escalation execution left its escalation paging: this pages on from the level it had reached.
    await ctx.workflow
      .startEscalation(releaseId, escalation.id, { restart: true })
      .catch((error: unknown) => ctx.reportWorkflowError(error, { releaseId, during: 'escalation' }));
  }
  return releaseView(agg);
}

/**
 * Starts a resuming execution for every release in flight: after a restart of the local runtime, or after a new
 * state machine definition is deployed. Each continues at its stored phase, step or window. Returns their ids.
 */
export async function resumeInFlight(ctx: ReleaseContext): Promise<string[]> {
  const resumed: string[] = [];
  for (const status of RELEASE_STATUSES.filter((candidate) => !TERMINAL_STATUSES.has(candidate))) {
    let cursor: string | undefined;
    do {
      const page = await ctx.store.list({ status, limit: 100, cursor });
      for (const release of page.items) {
        await ctx.workflow.start(release.id, { resumeAs: resumeExecutionName(release) });
        resumed.push(release.id);
      }
      for (const release of page.items) {
        const escalation = release.escalation;
        if (escalation?.state === 'paging') {
          // A restarted escalation waits its interval again at the level already paged.
          await ctx.workflow.startEscalation(release.id, escalation.id).catch(() => undefined);
        }
      }
      cursor = page.cursor;
    } while (cursor);
  }
  return resumed;
}

/**
 * The workflow's Decide task: applies what ended the last wait and decides the next one. A gate reported overdue
 * also pages the escalation chain.
 */
export async function decide(
  ctx: ReleaseContext,
  releaseId: string,
  outcome: Outcome,
  executionId: string,
): Promise<Next> {
  const { next, release } = await ctx.retrying(async () => {
    const agg = await ctx.load(releaseId);
    const step = transition(agg, outcome, ctx.clock.now(), { timeScale: ctx.timeScale, executionId });
    const overdue = step.events.find((entry) => entry.type === 'gate.overdue');
    const escalation = overdue
      ? startEscalation(
          step.release,
          agg.template,
          'gate-overdue',
          String(overdue.data.gate),
          ctx.ids.eventId(),
          ctx.now(),
        )
      : undefined;
    const nextRelease = escalation?.release ?? step.release;
    if (step.changed) {
      const all = escalation ? [...step.events, escalation.event] : step.events;
      await ctx.store.saveRelease(nextRelease, agg.release.revision, ctx.events(releaseId, all, SYSTEM, ctx.now()));
    }
    return { next: step.next, release: nextRelease };
  });
  await ctx.startPaging(release);
  return next;
}

/**
 * The workflow's Await task: keeps the token with the release, then answers at once if the wait is already over
 * (so no change that landed before the token was stored is missed).
 */
export async function awaitCallback(
  ctx: ReleaseContext,
  releaseId: string,
  waitId: string,
  taskToken: string,
): Promise<void> {
  const kept = await ctx.store.saveTaskToken(releaseId, waitId, taskToken);
  if (!kept) {
    // The release has moved past this wait: let the execution decide again.
    await ctx.workflow.succeed(taskToken, { waitId, stale: true });
    return;
  }
  await ctx.respond(await ctx.load(releaseId));
}

/**
 * The workflow's RecordFailure task: a task failed for good (after its retries), so the execution is about to end.
 * The failure is kept on the release, with its audit event (the release manager is notified), until a resume.
 */
export async function failWorkflow(
  ctx: ReleaseContext,
  releaseId: string,
  caught: CaughtError,
  where: { readonly state?: string | undefined; readonly executionId: string },
): Promise<{ readonly recorded: boolean }> {
  return ctx.retrying(async () => {
    const agg = await ctx.load(releaseId);
    const failure = workflowFailure(caught, ctx.now(), { state: where.state });
    const step = recordWorkflowFailure(agg.release, failure, where.executionId);
    if (step.changed) {
      const events = ctx.events(releaseId, step.events, SYSTEM, failure.at);
      await ctx.store.saveRelease(step.release, agg.release.revision, events);
    }
    return { recorded: step.changed };
  });
}
