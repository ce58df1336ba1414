// Gates and sign-offs: what a gate still needs before its phase may be left, and the rules for signing and withdrawing.

import type { ActorRef } from '../auth/actor.ts';
import { RELEASE_MANAGER } from '../auth/roles.ts';
import { NotFound, RuleViolation, ValidationFailed } from '../errors.ts';
import type { SignerClaim, SignoffChange } from '../ports.ts';
import type { Gate, Phase, SignoffRequirement, Template, TemplateItem } from '../template/template.ts';
import type { MissingItem } from './items.ts';
import { missingItems } from './items.ts';
import type { ReleaseAggregate, Signoff, SignoffDecision } from './release.ts';
import { signoffKey } from './release.ts';
import { assertOpen, rollbackRequested } from './status.ts';

/** The pseudo-gate at which the release manager confirms a finished rollback. */
export const ROLLBACK_GATE = 'rollback';
/**
 * The role that confirms a rollback. A name of its own rather than RELEASE_MANAGER at every use: it is the duty
 * (signing the rollback gate) that rules, messages and routing refer to; that the release manager holds it is
 * decided here, once.
 */
export const ROLLBACK_CONFIRMER = RELEASE_MANAGER;

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
  readonly missingItems: readonly MissingItem[];
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
  const required = phase.sections.flatMap((section) => [...requiredLeaves(section.items)]);
  const missing = missingItems(agg, required);
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
  const blockers = creatorSoleApprover(agg, approvers, missingSignoffs);
  return {
    gate: gate.id,
    phase: phase.id,
    satisfied: missing.length === 0 && missingSignoffs.length === 0 && rejections.length === 0 && !blockers.length,
    missingItems: missing,
    missingSignoffs,
    rejections,
    blockers,
  };
}

/** Separation of duties: with the template's rule, the release's creator cannot alone approve a gate. */
function creatorSoleApprover(
  agg: ReleaseAggregate,
  approvers: ReadonlySet<string>,
  missingSignoffs: readonly string[],
): string[] {
  const creator = agg.release.createdBy.id;
  if (
    agg.template.separationOfDuties.creatorNotSoleApprover &&
    approvers.size === 1 &&
    approvers.has(creator) &&
    missingSignoffs.length === 0
  ) {
    return [`the release's creator (${agg.release.createdBy.name}) cannot be the only approver of this gate`];
  }
  return [];
}

/** The rollback gate's status: it has no items, and passes once the rollback confirmer approves. */
export function rollbackGateStatus(agg: ReleaseAggregate): GateStatus {
  const confirmation = agg.signoffs.get(signoffKey(ROLLBACK_GATE, ROLLBACK_CONFIRMER));
  const confirmed = confirmation?.decision === 'approve';
  return {
    gate: ROLLBACK_GATE,
    phase: 'rollback',
    satisfied: confirmed,
    missingItems: [],
    missingSignoffs: confirmed ? [] : [ROLLBACK_CONFIRMER],
    rejections: [],
    blockers: [],
  };
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
  assertOpen(agg.release);
  // A phase's gate closes once a rollback is requested; the rollback gate is open only while the rollback runs.
  const open = phase
    ? phase.id === agg.release.currentPhase && !rollbackRequested(agg.release.status)
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
  if (agg.template.separationOfDuties.distinctSignersPerGate) assertDistinctSigner(agg, gate, input.role, by);
  return { gate: gate.id, role: input.role, decision: input.decision, comment: input.comment, by, at };
}

/** Separation of duties: one person cannot fill two roles of a gate (a withdrawn sign-off no longer stands). */
function assertDistinctSigner(agg: ReleaseAggregate, gate: Gate, role: string, by: ActorRef): void {
  for (const other of gate.signoffs) {
    if (other.role === role) continue;
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
  assertOpen(agg.release);
  const standing = agg.signoffs.get(signoffKey(gate.id, role));
  if (!standing || standing.decision === 'withdrawn') throw new NotFound('sign-off', `${gate.id}/${role}`);
  if (standing.by.id !== by.id) {
    throw new RuleViolation('not-signer', `only ${standing.by.name}, who signed, can withdraw this sign-off`);
  }
  return { gate: gate.id, role, decision: 'withdrawn', by, at };
}

/**
 * The version of a role's stored sign-off row; 0 when the role has no decision yet. Stores put `version` on the
 * sign-offs they load (see StoredSignoff); a sign-off built without one counts as never written.
 */
export function signoffVersion(signoff: Signoff | undefined): number {
  if (!signoff) return 0;
  return 'version' in signoff && typeof signoff.version === 'number' ? signoff.version : 0;
}

/**
 * The write of a decided sign-off: conditioned on the role's row as read, and, where one person may fill only one
 * role of the gate, moving the signer claims with it. The signer now stands for the role (or, withdrawing, no
 * longer does); a previous signer of the role whose decision is replaced no longer stands for it. The claims are
 * what keeps the rule true when two sign-offs by one person race: the rows of other roles are not read by the write.
 */
export function signoffChange(agg: ReleaseAggregate, signoff: Signoff): SignoffChange {
  const { gate } = findGate(agg.template, signoff.gate);
  const previous = agg.signoffs.get(signoffKey(signoff.gate, signoff.role));
  const expectedVersion = signoffVersion(previous);
  const stored = { ...signoff, version: expectedVersion + 1 };
  // A gate of one role cannot have one person in two of its roles: no claim to keep.
  if (!agg.template.separationOfDuties.distinctSignersPerGate || gate.signoffs.length < 2) {
    return { signoff: stored, expectedVersion, claims: [] };
  }
  const claims: SignerClaim[] = [
    { actorId: signoff.by.id, role: signoff.role, stands: signoff.decision !== 'withdrawn' },
  ];
  if (previous && previous.decision !== 'withdrawn' && previous.by.id !== signoff.by.id) {
    claims.push({ actorId: previous.by.id, role: signoff.role, stands: false });
  }
  return { signoff: stored, expectedVersion, claims };
}
