// The checklist items of a release: where each sits in the template, its status, progress, and the rule for changing one.

import type { ActorRef } from '../auth/actor.ts';
import { NotFound, RuleViolation, StaleVersion, ValidationFailed } from '../errors.ts';
import type { Phase, Template, TemplateItem } from '../template/template.ts';
import { walkItems } from '../template/template.ts';
import type { Evidence, ItemState, ReleaseAggregate } from './release.ts';
import type { ItemStatus } from './status.ts';
import { assertOpen, isSatisfied } from './status.ts';

/** Index of every item of a template (phases, rollback procedure and validation) by id. */
export interface ItemIndexEntry {
  readonly item: TemplateItem;
  /** The phase the item belongs to, or `rollback` for procedure and validation items. */
  readonly phaseId: string;
}

const itemIndexes = new WeakMap<Template, ReadonlyMap<string, ItemIndexEntry>>();

export function itemIndex(template: Template): ReadonlyMap<string, ItemIndexEntry> {
  let index = itemIndexes.get(template);
  if (!index) {
    const built = new Map<string, ItemIndexEntry>();
    for (const phase of template.phases) {
      for (const item of phaseLeafCandidates(phase)) built.set(item.id, { item, phaseId: phase.id });
    }
    for (const item of rollbackItems(template)) built.set(item.id, { item, phaseId: 'rollback' });
    itemIndexes.set(template, built);
    index = built;
  }
  return index;
}

export function findPhase(template: Template, phaseId: string): Phase | undefined {
  return template.phases.find((phase) => phase.id === phaseId);
}

export function* phaseLeafCandidates(phase: Phase): Generator<TemplateItem> {
  for (const section of phase.sections) yield* walkItems(section.items);
}

/** The items of the rollback procedure and validation, which become the active checklist of a rollback. */
export function* rollbackItems(template: Template): Generator<TemplateItem> {
  for (const section of [...template.rollback.procedure, ...template.rollback.validation])
    yield* walkItems(section.items);
}

/** The state of a leaf item; a never-written item is pending at version 0. */
export function leafState(agg: ReleaseAggregate, itemId: string): ItemState {
  return agg.items.get(itemId) ?? { itemId, status: 'pending', version: 0 };
}

/**
 * The status of any item: a leaf's recorded status, or for a group the status its children imply: failed if a
 * child that counts failed, blocked if one is blocked, done when every child that counts is done or skipped,
 * pending otherwise. The children that count are the required ones, or all of them when none is required.
 */
export function itemStatus(agg: ReleaseAggregate, item: TemplateItem): ItemStatus {
  if (item.children.length === 0) return leafState(agg, item.id).status;
  const required = item.children.filter((child) => child.required);
  const counted = required.length > 0 ? required : item.children;
  const statuses = counted.map((child) => itemStatus(agg, child));
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('blocked')) return 'blocked';
  if (statuses.every(isSatisfied)) return 'done';
  return 'pending';
}

/** A required leaf item that is neither done nor skipped, with its status: what a gate, step or rollback waits for. */
export interface MissingItem {
  readonly id: string;
  readonly title: string;
  readonly status: ItemStatus;
}

/**
 * The required leaf items among `items` that are not yet done or skipped, in their order. Groups are passed over
 * (their leaves are expected among `items`); which items are candidates at all is the caller's scope: a gate's
 * phase, a deployment step's item, the rollback procedure.
 */
export function missingItems(agg: ReleaseAggregate, items: Iterable<TemplateItem>): MissingItem[] {
  const missing: MissingItem[] = [];
  for (const item of items) {
    if (item.children.length > 0 || !item.required) continue;
    const status = leafState(agg, item.id).status;
    if (!isSatisfied(status)) missing.push({ id: item.id, title: item.title, status });
  }
  return missing;
}

export interface Progress {
  readonly total: number;
  readonly required: number;
  readonly requiredSatisfied: number;
  readonly byStatus: Readonly<Record<ItemStatus, number>>;
}

/** Progress over the leaf items of some sections. */
export function progressOf(agg: ReleaseAggregate, items: Iterable<TemplateItem>): Progress {
  const byStatus: Record<ItemStatus, number> = { pending: 0, done: 0, skipped: 0, blocked: 0, failed: 0 };
  let total = 0;
  let required = 0;
  let requiredSatisfied = 0;
  for (const item of items) {
    if (item.children.length > 0) continue;
    const status = leafState(agg, item.id).status;
    total += 1;
    byStatus[status] += 1;
    if (item.required) {
      required += 1;
      if (isSatisfied(status)) requiredSatisfied += 1;
    }
  }
  return { total, required, requiredSatisfied, byStatus };
}

export interface ItemUpdate {
  readonly status: ItemStatus;
  readonly evidence?: Evidence | undefined;
  readonly reason?: string | undefined;
  readonly expectedVersion?: number | undefined;
}

/**
 * Decides an item change: the next state of the item, given the release as it is now. Throws when the item does
 * not exist, is a group, the release is closed, the caller's expected version is old, or a required item is
 * skipped without a reason.
 */
export function decideItemUpdate(
  agg: ReleaseAggregate,
  itemId: string,
  update: ItemUpdate,
  by: ActorRef,
  at: string,
): { previous: ItemState; next: ItemState } {
  const entry = itemIndex(agg.template).get(itemId);
  if (!entry) throw new NotFound('item', itemId);
  // Follow-up work (lessons learned, next steps) is done after a release completes.
  const followUp = findPhase(agg.template, entry.phaseId)?.kind === 'follow-up' && agg.release.status === 'COMPLETED';
  if (!followUp) assertOpen(agg.release);
  if (entry.item.children.length > 0) {
    throw new RuleViolation(
      'item-is-group',
      `item '${itemId}' groups ${entry.item.children.length} items; its status follows theirs, so update those`,
      { children: entry.item.children.map((child) => child.id) },
    );
  }
  const previous = leafState(agg, itemId);
  if (update.expectedVersion !== undefined && update.expectedVersion !== previous.version) {
    throw new StaleVersion(
      `item '${itemId}' is at version ${previous.version}, not ${update.expectedVersion}: reload it and apply your change again`,
      { expectedVersion: update.expectedVersion, currentVersion: previous.version },
    );
  }
  if (update.status === 'skipped' && entry.item.required && !update.reason?.trim()) {
    throw ValidationFailed.field('reason', `item '${itemId}' is required: skipping it needs a reason`);
  }
  const next: ItemState = {
    itemId,
    status: update.status,
    evidence: update.evidence,
    reason: update.reason,
    version: previous.version + 1,
    updatedAt: at,
    updatedBy: by,
  };
  return { previous, next };
}
