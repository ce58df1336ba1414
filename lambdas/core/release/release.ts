// The release: a template snapshot plus what people did with it (item states, sign-offs), and the rules over them.

import type { ActorRef } from '../auth/actor.ts';
import { RELEASE_MANAGER } from '../auth/roles.ts';
import { NotFound, RuleViolation, StaleVersion, ValidationFailed } from '../errors.ts';
import type { Gate, Phase, PhaseKind, SignoffRequirement, Template, TemplateItem } from '../template/template.ts';
import { walkItems } from '../template/template.ts';
import type { Escalation } from '../workflow/escalation.ts';
import type { RollbackInfo, Wait } from '../workflow/workflow.ts';

export const RELEASE_STATUSES = [
  'PRE_RELEASE',
  'STAGING',
  'DEPLOYING',
  'MONITORING',
  'CONFIRMING',
  'COMPLETED',
  'ROLLBACK_REQUESTED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'CANCELLED',
] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/** Statuses after which nothing on the release changes any more. */
export const TERMINAL_STATUSES: ReadonlySet<ReleaseStatus> = new Set([
  'COMPLETED',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'CANCELLED',
]);

/** The status a release has while the given kind of phase is current. */
export const STATUS_OF_PHASE: Readonly<Record<PhaseKind, ReleaseStatus>> = {
  'pre-release': 'PRE_RELEASE',
  staging: 'STAGING',
  deployment: 'DEPLOYING',
  monitoring: 'MONITORING',
  confirmation: 'CONFIRMING',
  'follow-up': 'COMPLETED',
};

export const ITEM_STATUSES = ['pending', 'done', 'skipped', 'blocked', 'failed'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** The header of a release: what lists show and what every change's revision guards. */
export interface Release {
  readonly id: string;
  readonly templateId: string;
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
  readonly rollbackProposal?: { readonly reason: string; readonly trigger: string; readonly at: string } | undefined;
  /** CloudWatch alarms the team attached: one going into ALARM after production deployment starts rolls back. */
  readonly alarmNames?: readonly string[] | undefined;
  /** When production deployment started: metric samples before it are the baseline ("2x normal"). */
  readonly productionStartedAt?: string | undefined;
  /** The escalation chain paging for this release, or the last one. */
  readonly escalation?: Escalation | undefined;
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

/** The pseudo-gate at which the release manager confirms a finished rollback. */
export const ROLLBACK_GATE = 'rollback';
/** The role that confirms a rollback. */
export const ROLLBACK_CONFIRMER = RELEASE_MANAGER;

export const isTerminal = (release: Release): boolean => TERMINAL_STATUSES.has(release.status);

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
      for (const section of phase.sections) {
        for (const item of walkItems(section.items)) built.set(item.id, { item, phaseId: phase.id });
      }
    }
    for (const section of [...template.rollback.procedure, ...template.rollback.validation]) {
      for (const item of walkItems(section.items)) built.set(item.id, { item, phaseId: 'rollback' });
    }
    itemIndexes.set(template, built);
    index = built;
  }
  return index;
}

export function findPhase(template: Template, phaseId: string): Phase | undefined {
  return template.phases.find((phase) => phase.id === phaseId);
}

/** The state of a leaf item; a never-written item is pending at version 0. */
export function leafState(agg: ReleaseAggregate, itemId: string): ItemState {
  return agg.items.get(itemId) ?? { itemId, status: 'pending', version: 0 };
}

/** A required item counts toward a gate when it is done, or skipped with a reason. */
const satisfies = (status: ItemStatus): boolean => status === 'done' || status === 'skipped';

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
  if (statuses.every(satisfies)) return 'done';
  return 'pending';
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
      if (satisfies(status)) requiredSatisfied += 1;
    }
  }
  return { total, required, requiredSatisfied, byStatus };
}

export function* phaseLeafCandidates(phase: Phase): Generator<TemplateItem> {
  for (const section of phase.sections) yield* walkItems(section.items);
}

/** An item is required for a gate only if it and every group above it are required. */
function* requiredLeaves(items: readonly TemplateItem[]): Generator<TemplateItem> {
  for (const item of items) {
    if (!item.required) continue;
    if (item.children.length === 0) yield item;
    else yield* requiredLeaves(item.children);
  }
}

export interface GateStatus {
  readonly gate: string;
  readonly phase: string;
  readonly satisfied: boolean;
  /** Required leaf items not yet done or skipped, with their status. */
  readonly missingItems: readonly { id: string; title: string; status: ItemStatus }[];
  /** Required sign-off roles without a standing approval. */
  readonly missingSignoffs: readonly string[];
  readonly rejections: readonly { role: string; by: ActorRef; comment?: string | undefined; at: string }[];
  /** Separation-of-duties rules that still hold the gate, in words. */
  readonly blockers: readonly string[];
}

/** What a gate still needs: the one rule that says whether a phase may be left. */
export function gateStatus(agg: ReleaseAggregate, phase: Phase): GateStatus | undefined {
  const gate = phase.gate;
  if (!gate) return undefined;
  const missingItems = [...phase.sections.flatMap((section) => [...requiredLeaves(section.items)])]
    .map((item) => ({ id: item.id, title: item.title, status: leafState(agg, item.id).status }))
    .filter((entry) => !satisfies(entry.status));
  const missingSignoffs: string[] = [];
  const rejections: GateStatus['rejections'][number][] = [];
  const approvers = new Set<string>();
  for (const requirement of gate.signoffs) {
    const signoff = agg.signoffs.get(signoffKey(gate.id, requirement.role));
    if (signoff?.decision === 'reject') {
      rejections.push({ role: requirement.role, by: signoff.by, comment: signoff.comment, at: signoff.at });
    }
    if (signoff?.decision === 'approve') approvers.add(signoff.by.id);
    else if (requirement.required) missingSignoffs.push(requirement.role);
  }
  const blockers: string[] = [];
  const creator = agg.release.createdBy.id;
  if (
    agg.template.separationOfDuties.creatorNotSoleApprover &&
    approvers.size === 1 &&
    approvers.has(creator) &&
    missingSignoffs.length === 0
  ) {
    blockers.push(`the release's creator (${agg.release.createdBy.name}) cannot be the only approver of this gate`);
  }
  return {
    gate: gate.id,
    phase: phase.id,
    satisfied: missingItems.length === 0 && missingSignoffs.length === 0 && rejections.length === 0 && !blockers.length,
    missingItems,
    missingSignoffs,
    rejections,
    blockers,
  };
}

function assertOpen(agg: ReleaseAggregate): void {
  if (isTerminal(agg.release)) {
    throw new RuleViolation(
      'release-closed',
      `release ${agg.release.id} is ${agg.release.status}: it can no longer change`,
      { releaseStatus: agg.release.status },
    );
  }
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
  if (!followUp) assertOpen(agg);
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

export interface SignoffInput {
  readonly gate: string;
  readonly role: string;
  readonly decision: SignoffDecision;
  readonly comment?: string | undefined;
}

/** The gate a sign-off names, with the phase it closes; a body naming no such gate is a validation error. */
export function findGate(template: Template, gateId: string): { phase: Phase | undefined; gate: Gate } {
  if (gateId === ROLLBACK_GATE) return { phase: undefined, gate: rollbackGate };
  for (const phase of template.phases) {
    if (phase.gate?.id === gateId) return { phase, gate: phase.gate };
  }
  const known = template.phases.flatMap((phase) => (phase.gate ? [phase.gate.id] : []));
  throw ValidationFailed.field('gate', `'${gateId}' is not a gate of this release; its gates are ${known.join(', ')}`);
}

/** Confirming a rollback is a sign-off by the release manager at this gate, open while the release rolls back. */
const rollbackGate: Gate = {
  id: ROLLBACK_GATE,
  name: 'Rollback confirmation',
  signoffs: [
    {
      role: ROLLBACK_CONFIRMER,
      label: 'Release Manager',
      required: true,
      criteria: [{ text: 'The rollback procedure is complete and service is restored', source: { line: 1, text: '' } }],
      source: { line: 1, text: '' },
    },
  ],
};

function findRequirement(gate: Gate, role: string): SignoffRequirement {
  const requirement = gate.signoffs.find((candidate) => candidate.role === role);
  if (!requirement) {
    const roles = gate.signoffs.map((candidate) => candidate.role);
    throw ValidationFailed.field(
      'role',
      roles.length > 0
        ? `gate '${gate.id}' is not signed by '${role}'; it is signed by ${roles.join(', ')}`
        : `gate '${gate.id}' takes no sign-offs`,
    );
  }
  return requirement;
}

/**
 * Decides a sign-off: the gate must exist and be the open one, the role must sign it, and (with the template's
 * separation of duties) the signer must not already stand for another role of the same gate. Whether the signer
 * holds the role is an authorization question, checked by the caller before this.
 */
export function decideSignoff(agg: ReleaseAggregate, input: SignoffInput, by: ActorRef, at: string): Signoff {
  const { phase, gate } = findGate(agg.template, input.gate);
  findRequirement(gate, input.role);
  assertOpen(agg);
  const open = phase
    ? phase.id === agg.release.currentPhase &&
      !agg.release.status.startsWith('ROLLBACK') &&
      agg.release.status !== 'ROLLING_BACK'
    : agg.release.status === 'ROLLING_BACK';
  if (!open) {
    throw new RuleViolation(
      'gate-not-open',
      phase
        ? `gate '${gate.id}' is not open: the release is ${agg.release.status} in phase '${agg.release.currentPhase}'`
        : `gate '${gate.id}' opens when a rollback is under way; the release is ${agg.release.status}`,
      { currentPhase: agg.release.currentPhase, releaseStatus: agg.release.status },
    );
  }
  if (agg.template.separationOfDuties.distinctSignersPerGate) {
    for (const other of gate.signoffs) {
      if (other.role === input.role) continue;
      const standing = agg.signoffs.get(signoffKey(gate.id, other.role));
      if (standing && standing.decision !== 'withdrawn' && standing.by.id === by.id) {
        throw new RuleViolation(
          'separation-of-duties',
          `${by.name} already signed gate '${gate.id}' as ${other.role}; one person cannot fill two roles of a gate`,
          { otherRole: other.role },
        );
      }
    }
  }
  return { gate: gate.id, role: input.role, decision: input.decision, comment: input.comment, by, at };
}

/** Decides a withdrawal: only a standing decision can be withdrawn, and only its signer may do it here. */
export function decideWithdrawal(
  agg: ReleaseAggregate,
  gateId: string,
  role: string,
  by: ActorRef,
  at: string,
): Signoff {
  const { gate } = findGate(agg.template, gateId);
  findRequirement(gate, role);
  assertOpen(agg);
  const standing = agg.signoffs.get(signoffKey(gate.id, role));
  if (!standing || standing.decision === 'withdrawn') throw new NotFound('sign-off', `${gate.id}/${role}`);
  if (standing.by.id !== by.id) {
    throw new RuleViolation('not-signer', `only ${standing.by.name}, who signed, can withdraw this sign-off`);
  }
  return { gate: gate.id, role, decision: 'withdrawn', by, at };
}
