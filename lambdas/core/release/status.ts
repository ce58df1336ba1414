// The statuses of releases and checklist items, with every set and predicate over them, so no rule keeps its own list.
// It imports nothing of the release header (the header's types use these), hence the structural types below.
import { RuleViolation } from '../errors.ts';
import type { PhaseKind } from '../template/template.ts';

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

/** Statuses after which nothing on the release changes any more, and the workflow has nothing left to do. */
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

const IN_PRODUCTION: ReadonlySet<ReleaseStatus> = new Set(['DEPLOYING', 'MONITORING', 'CONFIRMING']);

/** Whether production deployment has started and the release has not ended: it can be rolled back. */
export const inProduction = (status: ReleaseStatus): boolean => IN_PRODUCTION.has(status);

const ROLLBACK_REQUESTED_STATUSES: ReadonlySet<ReleaseStatus> = new Set([
  'ROLLBACK_REQUESTED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
]);

/** Whether a rollback of the release has been requested (it may be under way or over): nothing can request another. */
export const rollbackRequested = (status: ReleaseStatus): boolean => ROLLBACK_REQUESTED_STATUSES.has(status);

const CANCEL_ALLOWED: ReadonlySet<ReleaseStatus> = new Set(['PRE_RELEASE', 'STAGING']);

/** Whether a release can be cancelled: only before production deployment starts; after that, it is rolled back. */
export const cancellable = (status: ReleaseStatus): boolean => CANCEL_ALLOWED.has(status);

export const isTerminal = (release: { readonly status: ReleaseStatus }): boolean =>
  TERMINAL_STATUSES.has(release.status);

/** Refuses a change to a release that has ended (completed, rolled back or cancelled). */
export function assertOpen(release: { readonly id: string; readonly status: ReleaseStatus }): void {
  if (isTerminal(release)) {
    throw new RuleViolation('release-closed', `release ${release.id} is ${release.status}: it can no longer change`, {
      releaseStatus: release.status,
    });
  }
}

export const ITEM_STATUSES = ['pending', 'done', 'skipped', 'blocked', 'failed'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** A required item counts toward a gate when it is done, or skipped with a reason. */
export const isSatisfied = (status: ItemStatus): boolean => status === 'done' || status === 'skipped';
