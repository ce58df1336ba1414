// What `shipgate wait` and `shipgate watch` decide from one reading of a release, with no I/O: whether what is waited
// for (a status, a gate) is reached, still ahead, or can no longer happen; how a watched release ended; the one-line
// status a terminal redraws. The commands in cli/commands/follow.ts poll and print; the rules are here, unit-tested.
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../commands/input.ts';
import { paint } from '../output.ts';
import { quoted, span } from './format.ts';
import { currentWaitingFor, statusText } from './release.ts';
import { RELEASE_STATUSES, type ReleaseStatus, type ReleaseView } from './types.ts';

/** What `wait` blocks on. */
export type WaitTarget =
  | { readonly kind: 'status'; readonly status: ReleaseStatus }
  | { readonly kind: 'gate'; readonly gate: string };

export interface WaitVerdict {
  /** `reached`: exit 0; `waiting`: poll again; `impossible`: exit 1, it can no longer happen. */
  readonly state: 'reached' | 'waiting' | 'impossible';
  /** One line for people. */
  readonly reason: string;
}

/** The statuses of a release going well, in the order it moves (a template without staging skips STAGING). */
export const FORWARD_STATUSES: readonly ReleaseStatus[] = [
  'PRE_RELEASE',
  'STAGING',
  'DEPLOYING',
  'MONITORING',
  'CONFIRMING',
  'COMPLETED',
];

/** A rollback's statuses by how far it went; it ends in one of the last two, never both. */
const ROLLBACK_RANK: Readonly<Partial<Record<ReleaseStatus, number>>> = {
  ROLLBACK_REQUESTED: 0,
  ROLLING_BACK: 1,
  ROLLED_BACK: 2,
  ROLLBACK_FAILED: 2,
};

/** A cancellation is possible only before production deployment starts. */
const CANCELLABLE: ReadonlySet<ReleaseStatus> = new Set(['PRE_RELEASE', 'STAGING']);

/** Why a release left the forward path: its rollback's reason, or that it was cancelled. */
function offPath(view: ReleaseView): string {
  if (view.status === 'CANCELLED') return `release ${view.id} was cancelled`;
  const reason = view.rollback?.reason ? `: ${quoted(view.rollback.reason)}` : '';
  const what =
    view.status === 'ROLLBACK_FAILED'
      ? 'its rollback failed'
      : view.status === 'ROLLED_BACK'
        ? 'it was rolled back'
        : 'it is being rolled back';
  return `release ${view.id} is ${view.status} (${what}${reason})`;
}

/** Whether a release at `view.status` has reached `target`, may still reach it, or never will. */
export function statusVerdict(view: ReleaseView, target: ReleaseStatus): WaitVerdict {
  const current = view.status;
  if (current === target) return { state: 'reached', reason: `release ${view.id} is ${current}` };
  const forward = FORWARD_STATUSES.indexOf(target);
  const here = FORWARD_STATUSES.indexOf(current);
  if (forward >= 0) {
    if (here < 0) return { state: 'impossible', reason: `${offPath(view)}: it will not reach ${target}` };
    return here > forward
      ? { state: 'reached', reason: `release ${view.id} is ${current}, past ${target}` }
      : { state: 'waiting', reason: `release ${view.id} is ${current}` };
  }
  if (target === 'CANCELLED') {
    return CANCELLABLE.has(current)
      ? { state: 'waiting', reason: `release ${view.id} is ${current}` }
      : { state: 'impossible', reason: `release ${view.id} is ${current}: it can no longer be cancelled` };
  }
  // A rollback status.
  const wanted = ROLLBACK_RANK[target] ?? 0;
  const rank = ROLLBACK_RANK[current];
  if (rank === undefined) {
    return current === 'COMPLETED' || current === 'CANCELLED'
      ? { state: 'impossible', reason: `release ${view.id} ended ${current}: it will not reach ${target}` }
      : { state: 'waiting', reason: `release ${view.id} is ${current}` };
  }
  if (rank > wanted) return { state: 'reached', reason: `release ${view.id} is ${current}, past ${target}` };
  if (rank === wanted) {
    // The two ends of a rollback: one excludes the other.
    return { state: 'impossible', reason: `release ${view.id} ended ${current}: it will not reach ${target}` };
  }
  return { state: 'waiting', reason: `release ${view.id} is ${current}` };
}

/** The ids of the gates of a release, in phase order; `rollback` is the confirmation of a rollback. */
export const gateIds = (view: ReleaseView): string[] => [
  ...view.phases.flatMap((phase) => (phase.gate ? [phase.gate.id] : [])),
  'rollback',
];

/** Whether gate `gate` of the release is satisfied or passed, may still be, or never will (rejected, rolled back). */
export function gateVerdict(view: ReleaseView, gate: string): WaitVerdict {
  if (gate === 'rollback') {
    const verdict = statusVerdict(view, 'ROLLED_BACK');
    return verdict.state === 'reached'
      ? { state: 'reached', reason: `the rollback of release ${view.id} is confirmed: it is ROLLED_BACK` }
      : verdict;
  }
  const index = view.phases.findIndex((phase) => phase.gate?.id === gate);
  if (index < 0) {
    return {
      state: 'impossible',
      reason: `release ${view.id} has no gate '${gate}' (its gates: ${gateIds(view).join(', ')})`,
    };
  }
  if (FORWARD_STATUSES.indexOf(view.status) < 0) {
    return { state: 'impossible', reason: `${offPath(view)}: gate ${gate} will not pass` };
  }
  if (view.status === 'COMPLETED')
    return { state: 'reached', reason: `gate ${gate} passed: release ${view.id} is COMPLETED` };
  const current = view.phases.findIndex((phase) => phase.id === view.currentPhase);
  if (current > index) return { state: 'reached', reason: `gate ${gate} passed: release ${view.id} is ${view.status}` };
  if (current < index) return { state: 'waiting', reason: `release ${view.id} has not reached gate ${gate} yet` };
  const status = view.phases[index]?.gateStatus;
  if (status?.satisfied) return { state: 'reached', reason: `gate ${gate} is satisfied` };
  const [rejection] = status?.rejections ?? [];
  if (rejection) {
    const comment = rejection.comment ? `: ${quoted(rejection.comment)}` : '';
    return {
      state: 'impossible',
      reason: `gate ${gate} was rejected as ${rejection.role} by ${rejection.by.name}${comment}`,
    };
  }
  return { state: 'waiting', reason: `gate ${gate} is not satisfied yet` };
}

export function waitVerdict(view: ReleaseView, target: WaitTarget): WaitVerdict {
  return target.kind === 'status' ? statusVerdict(view, target.status) : gateVerdict(view, target.gate);
}

/** `DEPLOYING`, `gate production`. */
export const targetText = (target: WaitTarget): string =>
  target.kind === 'status' ? target.status : `gate ${target.gate}`;

/** How a watched release ended: exit 0 when it completed, 1 otherwise; undefined while it runs. */
export function watchEnd(view: ReleaseView): { readonly code: 0 | 1; readonly reason: string } | undefined {
  if (view.status === 'COMPLETED') return { code: 0, reason: `release ${view.id} is COMPLETED` };
  if (view.status === 'CANCELLED' || view.status === 'ROLLED_BACK' || view.status === 'ROLLBACK_FAILED') {
    return { code: 1, reason: `${offPath(view)}` };
  }
  return undefined;
}

/** The line a terminal redraws while watching: status, phase, what it waits for, and a window's time left. */
export function statusLine(view: ReleaseView, now: Date = new Date()): string {
  const waiting = currentWaitingFor(view);
  const parts = [statusText(view.status), `phase ${view.currentPhase}`];
  if (view.workflowFailure) parts.push(paint.red(`workflow stopped: ${view.workflowFailure.summary}`));
  else if (waiting?.kind === 'window' && waiting.endsAt) {
    parts.push(`window ${waiting.window ?? '?'}: ${span(Date.parse(waiting.endsAt) - now.getTime())} left`);
  } else if (waiting) parts.push(waiting.satisfied ? paint.green('satisfied: moving on') : waiting.summary);
  return parts.join(' · ');
}

/** A status as `--until` takes it: any case, `-` for `_` (`deploying`, `rolled-back`). */
export function parseStatus(text: string): ReleaseStatus {
  const status = text.trim().toUpperCase().replaceAll('-', '_');
  const found = RELEASE_STATUSES.find((known) => known === status);
  if (!found) throw new InvalidArgumentError(`'${text}' is not a release status: ${RELEASE_STATUSES.join(', ')}`);
  return found;
}

/**
 * A commander parser of durations (`90s`, `15m`, `2h`, `1h30m`, `1d`, `200ms`) of at least `minMs`; commander names
 * the option in its error, which exits 2.
 */
export const durationOption =
  (minMs = 1) =>
  (text: string): number => {
    const ms = parseDuration(text);
    if (!Number.isFinite(ms) || ms < minMs) {
      throw new InvalidArgumentError(`'${text}' is shorter than ${minMs} ms`);
    }
    return ms;
  };
