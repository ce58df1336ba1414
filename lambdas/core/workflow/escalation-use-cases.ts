// The release use cases of escalation paging: the escalation execution's Page, await and RecordFailure tasks, and a
// person acknowledging the page.
import type { Actor } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import type { ReleaseContext } from '../release/context.ts';
import { SYSTEM } from '../release/context.ts';
import type { ReleaseView } from '../release/view.ts';
import { releaseView } from '../release/view.ts';
import type { EscalationNext } from './escalation.ts';
import { acknowledgingRoles, acknowledge as decideAcknowledgement, escalationStep } from './escalation.ts';
import type { CaughtError } from './failure.ts';
import { recordEscalationFailure, workflowFailure } from './failure.ts';

/** What ended the escalation's last wait: its start, an interval without acknowledgement, or an acknowledgement. */
export type EscalationOutcome = 'start' | 'timeout' | 'acknowledged';

/** Acknowledges the escalation paging for a release: it stops, recorded with who acknowledged. */
export async function acknowledge(
  ctx: ReleaseContext,
  actor: Actor,
  releaseId: string,
  note?: string,
): Promise<ReleaseView> {
  const agg = await ctx.retrying(async () => {
    const current = await ctx.load(releaseId);
    authorize(actor, { kind: 'acknowledge', roles: acknowledgingRoles(current.template) });
    const at = ctx.now();
    const done = decideAcknowledgement(current.release, actorRef(actor), at, note);
    await ctx.store.saveRelease(
      done.release,
      current.release.revision,
      ctx.events(releaseId, [done.event], actorRef(actor), at),
    );
    return { ...current, release: done.release };
  });
  const task = agg.escalationTask;
  if (task && task.escalationId === agg.release.escalation?.id) {
    await ctx.workflow
      .succeed(task.token, { acknowledged: true })
      .catch((error: unknown) => ctx.reportWorkflowError(error, { releaseId, during: 'acknowledge' }));
  }
  return releaseView(agg);
}

/** The escalation's Page task: pages the next level, or ends the escalation. */
export async function pageEscalation(
  ctx: ReleaseContext,
  releaseId: string,
  escalationId: string,
  outcome: EscalationOutcome,
): Promise<EscalationNext> {
  return ctx.retrying(async () => {
    const agg = await ctx.load(releaseId);
    const step = escalationStep(agg.release, agg.template, escalationId, outcome, ctx.clock.now(), ctx.timeScale);
    if (step.changed) {
      const events = ctx.events(releaseId, step.events, SYSTEM, ctx.now());
      await ctx.store.saveRelease(step.release, agg.release.revision, events);
    }
    return step.next;
  });
}

/** The escalation's await task: keeps the token; answers at once if the escalation is no longer paging. */
export async function awaitAcknowledgement(
  ctx: ReleaseContext,
  releaseId: string,
  escalationId: string,
  taskToken: string,
): Promise<void> {
  const kept = await ctx.store.saveEscalationToken(releaseId, escalationId, taskToken);
  const current = kept ? await ctx.store.getHeader(releaseId) : undefined;
  if (!kept || current?.escalation?.state !== 'paging') {
    await ctx.workflow.succeed(taskToken, { acknowledged: true });
  }
}

/**
 * The escalation's RecordFailure task: a task failed for good, so this escalation pages no further. The failure is
 * kept on the release and the release manager is notified, who pages by hand; an acknowledgement still closes it.
 */
export async function failEscalation(
  ctx: ReleaseContext,
  releaseId: string,
  escalationId: string,
  caught: CaughtError,
  state?: string,
): Promise<{ readonly recorded: boolean }> {
  return ctx.retrying(async () => {
    const agg = await ctx.load(releaseId);
    const failure = workflowFailure(caught, ctx.now(), { state, escalationId });
    const step = recordEscalationFailure(agg.release, failure);
    if (step.changed) {
      const events = ctx.events(releaseId, step.events, SYSTEM, failure.at);
      await ctx.store.saveRelease(step.release, agg.release.revision, events);
    }
    return { recorded: step.changed };
  });
}
