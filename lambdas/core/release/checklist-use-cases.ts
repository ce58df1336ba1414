// The use cases of a release's checklist: changing an item, and recording or withdrawing a sign-off. Each change
// is decided on fresh state, written with its audit event, and then tells the workflow if its wait is now over.
import type { Actor } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { NotFound } from '../errors.ts';
import type { StoredSignoff } from '../ports.ts';
import { waitStatus } from '../workflow/workflow.ts';
import type { ReleaseContext } from './context.ts';
import type { GateStatus, SignoffInput } from './gates.ts';
import { decideSignoff, decideWithdrawal, findGate, gateStatus, signoffChange } from './gates.ts';
import type { ItemUpdate } from './items.ts';
import { decideItemUpdate, itemIndex } from './items.ts';
import type { AuditEventType, ReleaseAggregate, Signoff } from './release.ts';
import { signoffKey } from './release.ts';
import type { ReleaseStatus } from './status.ts';
import type { ItemView } from './view.ts';
import { itemView } from './view.ts';

/**
 * What recording or withdrawing a sign-off answers: the sign-off (with its row's new `version`), the release, and
 * its gate. `release.revision` is the header's revision the sign-off was decided on: a sign-off is a row of its own
 * and leaves the header, and so the revision, as it was.
 */
export interface SignoffOutcome {
  readonly signoff: StoredSignoff;
  readonly release: { readonly id: string; readonly revision: number; readonly status: ReleaseStatus };
  readonly gate: GateStatus | undefined;
}

/** Answers the workflow if the change ended its wait; a failure is reported, since the change is saved. */
async function nudge(ctx: ReleaseContext, releaseId: string): Promise<void> {
  try {
    const agg = await ctx.load(releaseId);
    if (agg) await ctx.respond(agg);
  } catch (error) {
    // The change is saved; the workflow looks again when its wait is next re-checked or on POST /advance.
    ctx.reportWorkflowError(error, { releaseId });
  }
}

async function saveSignoff(
  ctx: ReleaseContext,
  agg: ReleaseAggregate,
  decided: Signoff,
  actor: Actor,
  type: AuditEventType,
): Promise<SignoffOutcome> {
  const change = signoffChange(agg, decided);
  const { signoff } = change;
  const { release } = agg;
  await ctx.store.saveSignoff(
    release.id,
    change,
    ctx.event(release.id, type, actorRef(actor), signoff.at, {
      gate: signoff.gate,
      role: signoff.role,
      decision: signoff.decision,
      ...(signoff.comment ? { comment: signoff.comment } : {}),
      version: signoff.version,
    }),
  );
  const signoffs = new Map(agg.signoffs).set(signoffKey(signoff.gate, signoff.role), signoff);
  const { phase } = findGate(agg.template, signoff.gate);
  const after = { ...agg, signoffs };
  return {
    signoff,
    release: { id: release.id, revision: release.revision, status: release.status },
    gate: phase ? gateStatus(after, phase) : waitStatus(after)?.gate,
  };
}

/** Changes one checklist item: status, evidence, reason; `expectedVersion` refuses to overwrite another change. */
export async function updateItem(
  ctx: ReleaseContext,
  actor: Actor,
  releaseId: string,
  itemId: string,
  update: ItemUpdate,
): Promise<ItemView> {
  // Refused before anything is read, a caller who may not write items learns nothing of which releases exist.
  authorize(actor, { kind: 'update-item', itemId });
  const view = await ctx.retrying(async () => {
    const agg = await ctx.load(releaseId);
    const entry = itemIndex(agg.template).get(itemId);
    if (!entry) throw new NotFound('item', itemId);
    authorize(actor, { kind: 'update-item', itemId, item: entry.item, teamRoles: agg.template.roles.map((r) => r.id) });
    const at = ctx.now();
    const { previous, next } = decideItemUpdate(agg, itemId, update, actorRef(actor), at);
    await ctx.store.saveItem(
      releaseId,
      next,
      previous.version,
      ctx.event(releaseId, 'item.updated', actorRef(actor), at, {
        itemId,
        from: previous.status,
        to: next.status,
        version: next.version,
        ...(next.evidence ? { evidence: next.evidence } : {}),
        ...(next.reason ? { reason: next.reason } : {}),
      }),
    );
    const items = new Map(agg.items).set(itemId, next);
    return itemView({ ...agg, items }, entry.item);
  });
  await nudge(ctx, releaseId);
  return view;
}

/** Approves or rejects a gate as a role the actor holds. */
export async function recordSignoff(
  ctx: ReleaseContext,
  actor: Actor,
  releaseId: string,
  input: SignoffInput,
): Promise<SignoffOutcome> {
  authorize(actor, { kind: 'sign', role: input.role });
  const result = await ctx.retrying(async () => {
    const agg = await ctx.load(releaseId);
    const signoff = decideSignoff(agg, input, actorRef(actor), ctx.now());
    return saveSignoff(ctx, agg, signoff, actor, 'signoff.recorded');
  });
  await nudge(ctx, releaseId);
  return result;
}

/** Withdraws the actor's standing decision on a gate for a role. */
export async function withdrawSignoff(
  ctx: ReleaseContext,
  actor: Actor,
  releaseId: string,
  gate: string,
  role: string,
): Promise<SignoffOutcome> {
  authorize(actor, { kind: 'withdraw-signoff', role });
  return ctx.retrying(async () => {
    const agg = await ctx.load(releaseId);
    const signoff = decideWithdrawal(agg, gate, role, actorRef(actor), ctx.now());
    return saveSignoff(ctx, agg, signoff, actor, 'signoff.withdrawn');
  });
}
