// The release workflow's rules: what a release waits for next, what satisfies or ends a wait, and the transitions.
// The Step Functions execution only loops "decide, wait, decide"; every decision is made here.
import type { ActorRef } from '../auth/actor.ts';
import { RuleViolation } from '../errors.ts';
import type { AuditEventType, GateStatus, Release, ReleaseAggregate, ReleaseStatus } from '../release/release.ts';
import {
  findPhase,
  gateStatus,
  itemIndex,
  itemStatus,
  ROLLBACK_CONFIRMER,
  ROLLBACK_GATE,
  STATUS_OF_PHASE,
  signoffKey,
  TERMINAL_STATUSES,
} from '../release/release.ts';
import type { Phase, Template, TemplateItem } from '../template/template.ts';
import { walkItems } from '../template/template.ts';

/** The task failure that moves a waiting execution into the rollback states (the definition catches it). */
export const ROLLBACK_TRIGGERED = 'RollbackTriggered';
/** The task failure that ends a rollback whose procedure failed. */
export const ROLLBACK_STEP_FAILED = 'RollbackStepFailed';

/** What a release waits for; `id` names this wait, so a late or repeated callback for an old wait is ignored. */
export type Wait =
  | { readonly id: string; readonly kind: 'gate'; readonly phase: string; readonly since: string }
  | {
      readonly id: string;
      readonly kind: 'step';
      readonly phase: string;
      readonly step: string;
      readonly since: string;
    }
  | {
      readonly id: string;
      readonly kind: 'window';
      readonly phase: string;
      readonly window: string;
      readonly since: string;
      readonly endsAt: string;
    }
  | { readonly id: string; readonly kind: 'rollback'; readonly since: string };

export interface RollbackInfo {
  readonly reason: string;
  readonly requestedBy: ActorRef;
  readonly requestedAt: string;
  /** The trigger that fired, when a metric or alarm asked for the rollback. */
  readonly trigger?: string | undefined;
}

/** What ended or answered a wait, as the workflow reports it. */
export type Outcome =
  | { readonly kind: 'start' }
  | { readonly kind: 'resume' }
  | { readonly kind: 'satisfied'; readonly waitId: string }
  | { readonly kind: 'timeout'; readonly waitId: string }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'rollback-failed'; readonly cause: string };

/** What the execution does next. */
export type Next =
  | { readonly action: 'await'; readonly wait: Wait; readonly timeoutSeconds: number }
  | { readonly action: 'done'; readonly status: ReleaseStatus };

export interface TransitionEvent {
  readonly type: AuditEventType;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Transition {
  /** The release after the transition; unchanged (same revision) when the outcome was stale. */
  readonly release: Release;
  readonly events: readonly TransitionEvent[];
  readonly next: Next;
  /** False when nothing changed: a repeated or late outcome. */
  readonly changed: boolean;
}

/** The longest a callback task waits before the workflow looks again (AWS allows a year; Node timers 24.8 days). */
export const MAX_WAIT_SECONDS = 24 * 24 * 3600;
/**
 * How long a gate, step or rollback waits before the workflow looks again (real time: only windows and deadlines
 * are template time, scaled locally). The API answers the callback as soon as a wait is satisfied; this only
 * bounds how long a missed answer could go unnoticed.
 */
export const DEFAULT_WAIT_SECONDS = 6 * 3600;

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** Milliseconds of an ISO-8601 duration of days, hours, minutes and seconds (`PT2H`, `P7D`). */
export function durationMs(iso: string): number {
  const match = DURATION.exec(iso);
  if (!match) throw new Error(`'${iso}' is not an ISO-8601 duration of days, hours, minutes and seconds`);
  const [, d = '0', h = '0', m = '0', s = '0'] = match;
  return (((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}

const clampSeconds = (seconds: number): number => Math.min(MAX_WAIT_SECONDS, Math.max(1, Math.ceil(seconds)));

/** Statuses after which the workflow has nothing left to do. */
export const TERMINAL: ReadonlySet<ReleaseStatus> = TERMINAL_STATUSES;
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

/** The phases a release moves through: every phase but follow-up work, which is tracked after completion. */
const movingPhases = (template: Template): Phase[] => template.phases.filter((phase) => phase.kind !== 'follow-up');

/** The items of the rollback procedure and validation, which become the active checklist of a rollback. */
export function* rollbackItems(template: Template): Generator<TemplateItem> {
  for (const section of [...template.rollback.procedure, ...template.rollback.validation])
    yield* walkItems(section.items);
}

export interface WaitStatus {
  readonly satisfied: boolean;
  /** A rollback step failed: the rollback cannot finish. */
  readonly failed?: string | undefined;
  /** For gates (and the rollback's confirmation): what is still missing. */
  readonly gate?: GateStatus | undefined;
  /** For steps and rollbacks: required items not yet done. */
  readonly missingItems?: readonly { id: string; title: string; status: string }[] | undefined;
}

/** Whether the release's current wait is satisfied now; windows are never satisfied early, they pass by time. */
export function waitStatus(agg: ReleaseAggregate): WaitStatus | undefined {
  const wait = agg.release.wait;
  if (!wait) return undefined;
  switch (wait.kind) {
    case 'gate': {
      const phase = findPhase(agg.template, wait.phase);
      const gate = phase && gateStatus(agg, phase);
      return { satisfied: gate?.satisfied ?? false, gate };
    }
    case 'step': {
      const step = findPhase(agg.template, wait.phase)?.steps?.find((candidate) => candidate.id === wait.step);
      const item = step && itemIndex(agg.template).get(step.itemId)?.item;
      if (!item) return { satisfied: false };
      const missing = [...walkItems([item])]
        .filter((entry) => entry.children.length === 0 && entry.required)
        .map((entry) => ({ id: entry.id, title: entry.title, status: itemStatus(agg, entry) }))
        .filter((entry) => entry.status !== 'done' && entry.status !== 'skipped');
      return { satisfied: itemStatus(agg, item) === 'done', missingItems: missing };
    }
    case 'window':
      return { satisfied: false };
    case 'rollback': {
      const leaves = [...rollbackItems(agg.template)].filter((item) => item.children.length === 0);
      const failed = leaves.find((item) => itemStatus(agg, item) === 'failed');
      const missing = leaves
        .filter((item) => item.required)
        .map((item) => ({ id: item.id, title: item.title, status: itemStatus(agg, item) }))
        .filter((entry) => entry.status !== 'done' && entry.status !== 'skipped');
      const confirmation = agg.signoffs.get(signoffKey(ROLLBACK_GATE, ROLLBACK_CONFIRMER));
      const confirmed = confirmation?.decision === 'approve';
      return {
        satisfied: missing.length === 0 && confirmed,
        failed: failed && `rollback step '${failed.id}' failed`,
        missingItems: missing,
        gate: {
          gate: ROLLBACK_GATE,
          phase: 'rollback',
          satisfied: confirmed,
          missingItems: [],
          missingSignoffs: confirmed ? [] : [ROLLBACK_CONFIRMER],
          rejections: [],
          blockers: [],
        },
      };
    }
  }
}

interface Draft {
  release: Release;
  events: TransitionEvent[];
}

function emit(draft: Draft, type: AuditEventType, data: Record<string, unknown>): void {
  draft.events.push({ type, data });
}

function set(draft: Draft, patch: Partial<Release>): void {
  draft.release = { ...draft.release, ...patch };
}

function enterNextPhase(draft: Draft, template: Template, at: string): void {
  const phases = movingPhases(template);
  const index = phases.findIndex((phase) => phase.id === draft.release.currentPhase);
  const next = phases[index + 1];
  if (!next) {
    const followUp = template.phases.find((phase) => phase.kind === 'follow-up');
    set(draft, { status: 'COMPLETED', wait: undefined, currentPhase: followUp?.id ?? draft.release.currentPhase });
    emit(draft, 'release.completed', { at });
    return;
  }
  set(draft, {
    currentPhase: next.id,
    status: STATUS_OF_PHASE[next.kind],
    stepIndex: 0,
    windowIndex: 0,
    wait: undefined,
    // The samples received before this moment are the baseline of "2x normal" triggers.
    ...(next.kind === 'deployment' && !draft.release.productionStartedAt ? { productionStartedAt: at } : {}),
  });
  emit(draft, 'phase.entered', { phase: next.id, status: STATUS_OF_PHASE[next.kind] });
}

/** Applies an outcome to the release's current wait. Returns false when the outcome is not for the current wait. */
function apply(draft: Draft, agg: ReleaseAggregate, outcome: Outcome, at: string): boolean {
  const { release, template } = agg;
  const wait = release.wait;
  switch (outcome.kind) {
    case 'start':
    case 'resume':
      return false;
    case 'rollback':
      if (release.status !== 'ROLLBACK_REQUESTED') return false;
      set(draft, { status: 'ROLLING_BACK', wait: undefined });
      emit(draft, 'rollback.started', { reason: release.rollback?.reason ?? '' });
      return true;
    case 'rollback-failed':
      if (release.status !== 'ROLLING_BACK') return false;
      set(draft, { status: 'ROLLBACK_FAILED', wait: undefined });
      emit(draft, 'rollback.failed', { cause: outcome.cause });
      return true;
    case 'satisfied':
    case 'timeout': {
      if (!wait || wait.id !== outcome.waitId) return false;
      if (outcome.kind === 'timeout') {
        if (wait.kind !== 'window') {
          // Nothing passes by time but windows: a gate, step or rollback that outlived its wait goes on waiting
          // (same wait). A gate past the deadline its template sets is reported overdue.
          const deadline = wait.kind === 'gate' ? findPhase(template, wait.phase)?.gate?.deadline : undefined;
          if (wait.kind !== 'gate' || !deadline) return false;
          emit(draft, 'gate.overdue', { phase: wait.phase, gate: wait.phase, deadline, since: wait.since });
          return true;
        }
        set(draft, { windowIndex: release.windowIndex + 1, wait: undefined });
        // The window's start travels with the event, so its report's range is known from the event alone.
        emit(draft, 'window.passed', { phase: wait.phase, window: wait.window, startedAt: wait.since });
        return true;
      }
      switch (wait.kind) {
        case 'gate':
          emit(draft, 'gate.passed', { phase: wait.phase, gate: wait.phase });
          enterNextPhase(draft, template, at);
          return true;
        case 'step':
          set(draft, { stepIndex: release.stepIndex + 1, wait: undefined });
          emit(draft, 'step.completed', { phase: wait.phase, step: wait.step });
          return true;
        case 'rollback':
          set(draft, { status: 'ROLLED_BACK', wait: undefined });
          emit(draft, 'rollback.completed', {});
          return true;
        case 'window':
          return false;
      }
    }
  }
}

/** What to wait for next, given where the release stands; records the start of the wait. */
function decide(draft: Draft, agg: ReleaseAggregate, now: Date, timeScale: number): Next {
  const template = agg.template;
  const release = draft.release;
  const at = now.toISOString();
  const seconds = (ms: number) => clampSeconds(ms / timeScale / 1000);
  if (TERMINAL.has(release.status)) return { action: 'done', status: release.status };
  if (release.status === 'ROLLBACK_REQUESTED') {
    // The failure that announced the rollback may have found no task to interrupt; start the rollback now.
    set(draft, { status: 'ROLLING_BACK', wait: undefined });
    emit(draft, 'rollback.started', { reason: release.rollback?.reason ?? '' });
  }
  if (draft.release.status === 'ROLLING_BACK') {
    const wait = draft.release.wait ?? { id: `rollback@${at}`, kind: 'rollback', since: at };
    set(draft, { wait });
    return { action: 'await', wait, timeoutSeconds: DEFAULT_WAIT_SECONDS };
  }
  const existing = release.wait;
  if (existing) {
    // Resumed: the same wait goes on; a window keeps its end time.
    const remaining =
      existing.kind === 'window'
        ? Math.max(1, (Date.parse(existing.endsAt) - now.getTime()) / 1000)
        : DEFAULT_WAIT_SECONDS;
    return { action: 'await', wait: existing, timeoutSeconds: clampSeconds(remaining) };
  }
  const phase = findPhase(template, release.currentPhase);
  if (!phase) throw new Error(`release ${release.id} is in unknown phase ${release.currentPhase}`);
  const step = phase.steps?.[release.stepIndex];
  if (phase.kind === 'deployment' && step) {
    const wait: Wait = {
      id: `step:${phase.id}:${step.id}@${at}`,
      kind: 'step',
      phase: phase.id,
      step: step.id,
      since: at,
    };
    set(draft, { wait });
    emit(draft, 'step.started', { phase: phase.id, step: step.id, name: step.name });
    return { action: 'await', wait, timeoutSeconds: DEFAULT_WAIT_SECONDS };
  }
  const window = phase.windows?.[release.windowIndex];
  if (phase.kind === 'monitoring' && window) {
    const lengthMs = durationMs(window.duration) / timeScale;
    const endsAt = new Date(now.getTime() + lengthMs).toISOString();
    const wait: Wait = {
      id: `window:${phase.id}:${window.id}@${at}`,
      kind: 'window',
      phase: phase.id,
      window: window.id,
      since: at,
      endsAt,
    };
    set(draft, { wait });
    emit(draft, 'window.started', {
      phase: phase.id,
      window: window.id,
      name: window.name,
      duration: window.duration,
      endsAt,
    });
    return { action: 'await', wait, timeoutSeconds: clampSeconds(lengthMs / 1000) };
  }
  if (phase.gate) {
    const wait: Wait = { id: `gate:${phase.id}@${at}`, kind: 'gate', phase: phase.id, since: at };
    set(draft, { wait });
    // Who still has to sign is part of the event: a sign-off request goes to them even if they sign before the
    // notification is processed.
    const needs = gateStatus({ ...agg, release: draft.release }, phase)?.missingSignoffs ?? [];
    emit(draft, 'gate.opened', { phase: phase.id, gate: phase.gate.id, missingSignoffs: [...needs] });
    const deadline = phase.gate.deadline;
    return { action: 'await', wait, timeoutSeconds: deadline ? seconds(durationMs(deadline)) : DEFAULT_WAIT_SECONDS };
  }
  enterNextPhase(draft, template, at);
  return decide(draft, agg, now, timeScale);
}

/**
 * One step of the workflow: apply what ended the last wait, then decide the next one. Deterministic for a given
 * release and outcome, so a retried task decides the same; a stale outcome changes nothing.
 */
export function transition(
  agg: ReleaseAggregate,
  outcome: Outcome,
  now: Date,
  options: { readonly timeScale?: number; readonly executionId?: string } = {},
): Transition {
  const timeScale = options.timeScale ?? 1;
  const draft: Draft = { release: agg.release, events: [] };
  const starting = outcome.kind === 'start' || outcome.kind === 'resume';
  if (options.executionId && options.executionId !== agg.release.executionId) {
    if (!starting && agg.release.executionId) {
      // Another execution has taken the release over (a resume after a redeploy): this one ends quietly.
      return { release: agg.release, events: [], next: { action: 'done', status: agg.release.status }, changed: false };
    }
    if (!TERMINAL.has(agg.release.status)) {
      set(draft, { executionId: options.executionId });
      emit(draft, 'workflow.started', { executionId: options.executionId, resumed: outcome.kind === 'resume' });
    }
  }
  const applied = apply(draft, agg, outcome, now.toISOString());
  const next = decide(draft, agg, now, timeScale);
  const changed = applied || draft.events.length > 0 || draft.release !== agg.release;
  const release = changed
    ? { ...draft.release, revision: agg.release.revision + 1, updatedAt: now.toISOString() }
    : agg.release;
  return { release, events: draft.events, next, changed };
}

/** Checks a rollback request: allowed once production deployment has started, until the release ends. */
export function decideRollbackRequest(
  release: Release,
  reason: string,
  by: ActorRef,
  at: string,
  trigger?: string,
): Release {
  if (!inProduction(release.status)) {
    throw new RuleViolation(
      'rollback-not-allowed',
      `a release can be rolled back from DEPLOYING onward; this one is ${release.status}`,
      { releaseStatus: release.status },
    );
  }
  return {
    ...release,
    rollbackProposal: undefined,
    status: 'ROLLBACK_REQUESTED',
    rollback: { reason, requestedBy: by, requestedAt: at, trigger },
    revision: release.revision + 1,
    updatedAt: at,
  };
}

/** Checks a cancellation: only before production deployment starts; after that, a release is rolled back. */
export function decideCancel(release: Release, at: string): Release {
  if (!CANCEL_ALLOWED.has(release.status)) {
    throw new RuleViolation(
      'cancel-not-allowed',
      TERMINAL.has(release.status)
        ? `release is already ${release.status}`
        : `release is ${release.status}: production deployment has started, so roll it back instead`,
      { releaseStatus: release.status },
    );
  }
  return { ...release, status: 'CANCELLED', wait: undefined, revision: release.revision + 1, updatedAt: at };
}
