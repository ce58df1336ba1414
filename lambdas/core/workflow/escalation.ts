// The escalation chain's rules: a rollback or an overdue gate pages level 1; each interval without an
// acknowledgement pages the next level; an acknowledgement stops it and is recorded with who acknowledged.
import type { ActorRef } from '../auth/actor.ts';
import { RELEASE_MANAGER } from '../auth/roles.ts';
import { RuleViolation } from '../errors.ts';
import type { Escalation, Release } from '../release/release.ts';
import { revised } from '../release/release.ts';
import type { EscalationLevel, Template } from '../template/template.ts';
import type { TransitionEvent } from './workflow.ts';
import { durationMs } from './workflow.ts';

/** What the escalation execution does next. */
export type EscalationNext =
  | { readonly action: 'await'; readonly level: number; readonly timeoutSeconds: number }
  | { readonly action: 'done'; readonly state: Escalation['state'] | 'superseded' };

export interface EscalationStep {
  readonly release: Release;
  readonly events: readonly TransitionEvent[];
  readonly next: EscalationNext;
  readonly changed: boolean;
}

const levelOf = (template: Template, level: number): EscalationLevel | undefined =>
  template.escalation.levels.find((candidate) => candidate.level === level);

/** The roles paged at a level, and every role that may acknowledge a page (any level's, and the release manager). */
export function acknowledgingRoles(template: Template): string[] {
  return [...new Set([RELEASE_MANAGER, ...template.escalation.levels.flatMap((level) => level.roles)])];
}

/**
 * Starts an escalation on the release, or returns undefined when the template has no escalation chain or one is
 * already paging (a second trigger does not restart the chain; the people paged already know).
 */
export function startEscalation(
  release: Release,
  template: Template,
  reason: Escalation['reason'],
  cause: string,
  id: string,
  at: string,
): { release: Release; event: TransitionEvent } | undefined {
  if (template.escalation.levels.length === 0 || release.escalation?.state === 'paging') return undefined;
  const escalation: Escalation = { id, reason, cause, level: 0, state: 'paging', startedAt: at };
  return {
    release: { ...release, escalation },
    event: { type: 'escalation.started', data: { escalationId: id, reason, cause } },
  };
}

/**
 * One step of the escalation execution: page the first level at the start, the next one after an unanswered
 * interval, or end. A step for an escalation the release no longer has, or one already answered, ends quietly.
 */
export function escalationStep(
  release: Release,
  template: Template,
  escalationId: string,
  outcome: 'start' | 'timeout' | 'acknowledged',
  now: Date,
  timeScale = 1,
): EscalationStep {
  const escalation = release.escalation;
  const unchanged = (next: EscalationNext): EscalationStep => ({ release, events: [], next, changed: false });
  if (!escalation || escalation.id !== escalationId) return unchanged({ action: 'done', state: 'superseded' });
  if (escalation.state !== 'paging' || outcome === 'acknowledged')
    return unchanged({ action: 'done', state: escalation.state });
  const interval = Math.max(1, Math.ceil(durationMs(`PT${template.escalation.intervalMinutes}M`) / timeScale / 1000));
  // Resumed after a restart with a level already paged: wait the interval again rather than page twice.
  if (outcome === 'start' && escalation.level > 0)
    return unchanged({ action: 'await', level: escalation.level, timeoutSeconds: interval });
  const at = now.toISOString();
  const next = levelOf(template, escalation.level + 1);
  if (!next) {
    const exhausted: Escalation = { ...escalation, state: 'exhausted' };
    return {
      release: revised(release, at, { escalation: exhausted }),
      events: [{ type: 'escalation.exhausted', data: { escalationId, level: escalation.level } }],
      next: { action: 'done', state: 'exhausted' },
      changed: true,
    };
  }
  const paged: Escalation = { ...escalation, level: next.level, pagedAt: at };
  return {
    release: revised(release, at, { escalation: paged }),
    events: [
      {
        type: 'escalation.paged',
        data: {
          escalationId,
          level: next.level,
          label: next.label,
          roles: next.roles,
          reason: escalation.reason,
          cause: escalation.cause,
        },
      },
    ],
    next: { action: 'await', level: next.level, timeoutSeconds: interval },
    changed: true,
  };
}

/** Records an acknowledgement: only a paging escalation can be acknowledged. */
export function acknowledge(
  release: Release,
  by: ActorRef,
  at: string,
  note?: string,
): { release: Release; event: TransitionEvent } {
  const escalation = release.escalation;
  if (escalation?.state !== 'paging') {
    throw new RuleViolation(
      'nothing-to-acknowledge',
      escalation ? `the escalation is already ${escalation.state}` : 'no escalation is paging for this release',
      { escalation: escalation ?? null },
    );
  }
  const acknowledged: Escalation = {
    ...escalation,
    state: 'acknowledged',
    acknowledgedBy: by,
    acknowledgedAt: at,
    note,
  };
  return {
    release: revised(release, at, { escalation: acknowledged }),
    event: {
      type: 'escalation.acknowledged',
      data: { escalationId: escalation.id, level: escalation.level, by: by.id, ...(note ? { note } : {}) },
    },
  };
}
