// The use cases of rollback: requested by a person or by Shipgate (a trigger, a CloudWatch alarm), proposed to the
// release manager in an approval window, or dismissed by them.
import type { Actor, ActorRef } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { RuleViolation } from '../errors.ts';
import type { ReleaseContext } from '../release/context.ts';
import { SYSTEM } from '../release/context.ts';
import { findPhase } from '../release/items.ts';
import type { ReleaseAggregate } from '../release/release.ts';
import { revised } from '../release/release.ts';
import { inProduction, isTerminal, rollbackRequested } from '../release/status.ts';
import type { ReleaseView } from '../release/view.ts';
import { releaseView } from '../release/view.ts';
import { startEscalation } from '../workflow/escalation.ts';
import { decideRollbackRequest } from '../workflow/workflow.ts';
import { alarmFigures } from './alarm-reason.ts';
import { formatNumber } from './samples.ts';

/** A CloudWatch alarm's change of state, as the alarms topic delivers it. */
export interface AlarmChange {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
  readonly releaseId?: string | undefined;
}

/** What an alarm did to one release it concerns. */
export interface AlarmOutcome {
  readonly releaseId: string;
  readonly outcome: 'rolled-back' | 'proposed' | 'recorded' | 'ignored';
}

/**
 * Why an alarm rolls a release back, in words: the trigger (or the alarm, when it is one a team attached), what
 * CloudWatch observed and the threshold, and the window; CloudWatch's own text when it holds no figures.
 */
function alarmReason(alarm: AlarmChange, triggerTitle: string | undefined, windowName: string | undefined): string {
  const figures = alarmFigures(alarm.reason);
  const what = triggerTitle ?? `CloudWatch alarm ${alarm.name}`;
  const during = windowName ? ` during ${windowName}` : '';
  if (!figures) {
    const cause = alarm.reason ? ` (${alarm.reason})` : '';
    return triggerTitle
      ? `${triggerTitle}: CloudWatch alarm ${alarm.name} is in ALARM${during}${cause}`
      : `CloudWatch alarm ${alarm.name} is in ALARM${during}${cause}`;
  }
  const observed = figures.observed.map(formatNumber).join(', ');
  return `${what}: observed ${observed} (threshold ${formatNumber(figures.threshold)})${during}, seen by CloudWatch`;
}

/** The monitoring window a release is in now, if any. */
export function currentWindow(agg: ReleaseAggregate) {
  const wait = agg.release.wait;
  if (wait?.kind !== 'window') return undefined;
  return findPhase(agg.template, wait.phase)?.windows?.find((candidate) => candidate.id === wait.window);
}

/**
 * Requests a rollback on behalf of someone (a person, or Shipgate itself when a trigger or an alarm fires). With
 * `triggered`, a rollback already requested is no error: two triggers may fire at once (the samples of one request,
 * and the CloudWatch alarm on the same samples), and the second has nothing left to do. It is judged on the state
 * the write is decided on, so no race between them can turn it into an error. A person asking twice gets the 409.
 */
export async function rollBack(
  ctx: ReleaseContext,
  by: ActorRef,
  releaseId: string,
  reason: string,
  trigger?: string,
  options: { readonly triggered?: boolean } = {},
): Promise<{ view: ReleaseView; already: boolean }> {
  const { agg, already } = await ctx.retrying(async () => {
    const current = await ctx.load(releaseId);
    if (options.triggered && rollbackRequested(current.release.status)) {
      await agree(ctx, current, reason, trigger);
      return { agg: current, already: true };
    }
    const at = ctx.now();
    const requested = decideRollbackRequest(current.release, reason, by, at, trigger);
    // A rollback pages the escalation chain's first level, until someone acknowledges.
    const escalation = startEscalation(requested, current.template, 'rollback', reason, ctx.ids.eventId(), at);
    const next = escalation?.release ?? requested;
    await ctx.store.saveRelease(next, current.release.revision, [
      ctx.event(releaseId, 'rollback.requested', by, at, { reason, ...(trigger ? { trigger } : {}) }),
      ...(escalation ? ctx.events(releaseId, [escalation.event], by, at) : []),
    ]);
    return { agg: { ...current, release: next }, already: false };
  });
  if (!already) {
    await ctx.startPaging(agg.release);
    // The loaded token is the waiting task's; a task that stores its token after this sees the request itself.
    try {
      await ctx.respond(agg);
    } catch (error) {
      ctx.reportWorkflowError(error, { releaseId, during: 'rollback' });
    }
  }
  return { view: releaseView(agg), already };
}

/**
 * Records that a trigger agreed with a rollback already requested or proposed, once per trigger: the first decision
 * stands (its reason, its trigger), and nobody is told twice. The trigger that made it agrees with itself silently.
 */
async function agree(ctx: ReleaseContext, agg: ReleaseAggregate, reason: string, trigger?: string): Promise<void> {
  const { release } = agg;
  const decided = release.rollbackProposal ?? release.rollback;
  const id = trigger ?? 'unnamed';
  if (!decided || decided.trigger === id || decided.agreed?.includes(id)) return;
  const at = ctx.now();
  const agreed = [...(decided.agreed ?? []), id];
  const changes = release.rollbackProposal
    ? { rollbackProposal: { ...release.rollbackProposal, agreed } }
    : { rollback: release.rollback && { ...release.rollback, agreed } };
  await ctx.store.saveRelease(revised(release, at, changes), release.revision, [
    ctx.event(release.id, 'rollback.agreed', SYSTEM, at, {
      trigger: id,
      reason,
      with: release.rollbackProposal ? 'proposal' : 'rollback',
    }),
  ]);
}

/**
 * Records that a trigger fired in a window whose policy asks the release manager (POST /rollback approves). A second
 * trigger (or the same breach seen by CloudWatch) finds the proposal and only agrees with it.
 */
export async function proposeRollback(
  ctx: ReleaseContext,
  releaseId: string,
  reason: string,
  trigger: string,
  figures: unknown,
): Promise<void> {
  await ctx.retrying(async () => {
    const current = await ctx.load(releaseId);
    if (current.release.rollbackProposal || rollbackRequested(current.release.status)) {
      await agree(ctx, current, reason, trigger);
      return;
    }
    const at = ctx.now();
    const next = revised(current.release, at, { rollbackProposal: { reason, trigger, at } });
    await ctx.store.saveRelease(next, current.release.revision, [
      ctx.event(releaseId, 'rollback.proposed', SYSTEM, at, { reason, trigger, breaches: figures }),
    ]);
  });
}

/** Asks for a rollback: allowed from DEPLOYING onward; the workflow moves into the rollback states. */
export async function requestRollback(
  ctx: ReleaseContext,
  actor: Actor,
  releaseId: string,
  reason: string,
  trigger?: string,
): Promise<ReleaseView> {
  authorize(actor, { kind: 'rollback-release' });
  return (await rollBack(ctx, actorRef(actor), releaseId, reason, trigger)).view;
}

/**
 * Dismisses a rollback a trigger proposed: the release manager decides to keep the release, with a reason
 * (recorded). To roll back instead, POST /rollback.
 */
export async function dismissRollback(
  ctx: ReleaseContext,
  actor: Actor,
  releaseId: string,
  reason: string,
): Promise<ReleaseView> {
  authorize(actor, { kind: 'rollback-release' });
  const agg = await ctx.retrying(async () => {
    const current = await ctx.load(releaseId);
    const proposal = current.release.rollbackProposal;
    if (!proposal) throw new RuleViolation('nothing-to-dismiss', 'no rollback is proposed for this release');
    const at = ctx.now();
    const next = revised(current.release, at, { rollbackProposal: undefined });
    await ctx.store.saveRelease(next, current.release.revision, [
      ctx.event(releaseId, 'rollback.dismissed', actorRef(actor), at, {
        reason,
        proposal: proposal.reason,
        trigger: proposal.trigger,
      }),
    ]);
    return { ...current, release: next };
  });
  return releaseView(agg);
}

/** Records an alarm that blocks nothing: before deployment (the fix must stay deployable), or during a rollback. */
async function recordAlarm(ctx: ReleaseContext, releaseId: string, alarm: AlarmChange, during: string): Promise<void> {
  await ctx.retrying(async () => {
    const current = await ctx.load(releaseId);
    const at = ctx.now();
    await ctx.store.saveRelease(revised(current.release, at), current.release.revision, [
      ctx.event(releaseId, 'alarm.received', SYSTEM, at, {
        alarm: alarm.name,
        reason: alarm.reason,
        blocking: false,
        during,
      }),
    ]);
  });
}

/** What one alarm in ALARM does to one release it concerns. */
async function alarmOne(ctx: ReleaseContext, releaseId: string, alarm: AlarmChange): Promise<AlarmOutcome['outcome']> {
  const agg = await ctx.store.load(releaseId);
  if (!agg || isTerminal(agg.release)) return 'ignored';
  // An alarm Shipgate created for a trigger of this release (`<prefix>-<releaseId>-<triggerId>`) is that trigger
  // firing in CloudWatch: the rollback names the trigger, as the API's own evaluation would.
  const own = agg.template.rollback.triggers.find(
    (trigger) =>
      trigger.condition && alarm.releaseId === releaseId && alarm.name.endsWith(`-${releaseId}-${trigger.id}`),
  );
  const reason = alarmReason(alarm, own?.title, currentWindow(agg)?.name).slice(0, 2000);
  if (!inProduction(agg.release.status)) {
    // Either way it is part of the record.
    await recordAlarm(ctx, releaseId, alarm, rollbackRequested(agg.release.status) ? 'rollback' : 'before-deployment');
    return 'recorded';
  }
  const trigger = own?.id ?? `alarm:${alarm.name}`;
  if (currentWindow(agg)?.rollbackPolicy === 'approval') {
    await proposeRollback(ctx, releaseId, reason, trigger, { alarm: alarm.name, reason: alarm.reason });
    return 'proposed';
  }
  const { already } = await rollBack(ctx, SYSTEM, releaseId, reason, trigger, { triggered: true });
  return already ? 'ignored' : 'rolled-back';
}

/**
 * A CloudWatch alarm changed state. Going into ALARM, it rolls back every release that named it (or that its
 * ReleaseId dimension points at) once production deployment has started, as the current window's policy says
 * (automatic outside monitoring windows). Before deployment it is recorded and blocks nothing: the fix must stay
 * deployable.
 */
export async function onAlarm(ctx: ReleaseContext, alarm: AlarmChange): Promise<AlarmOutcome[]> {
  if (alarm.state !== 'ALARM') return [];
  const named = await ctx.store.releasesForAlarm(alarm.name);
  const ids = [...new Set([...(alarm.releaseId ? [alarm.releaseId] : []), ...named])];
  const outcomes: AlarmOutcome[] = [];
  for (const releaseId of ids) outcomes.push({ releaseId, outcome: await alarmOne(ctx, releaseId, alarm) });
  return outcomes;
}
