// The release workflow's rules: what a release waits for next, what satisfies or ends a wait, and the transitions.
// The Step Functions execution only loops "decide, wait, decide"; every decision is made here.
import type { ActorRef } from '../auth/actor.ts';
import { RuleViolation } from '../errors.ts';
import type { GateStatus } from '../release/gates.ts';
import { gateStatus, rollbackGateStatus } from '../release/gates.ts';
import type { MissingItem } from '../release/items.ts';
import { findPhase, itemIndex, itemStatus, missingItems, rollbackItems } from '../release/items.ts';
import type { AuditEventType, Release, ReleaseAggregate, Wait } from '../release/release.ts';
import { revised } from '../release/release.ts';
import type { ReleaseStatus } from '../release/status.ts';
import { cancellable, inProduction, isTerminal, STATUS_OF_PHASE } from '../release/status.ts';
import type { DeploymentStep, Gate, MonitoringWindow, Phase, Template } from '../template/template.ts';
import { walkItems } from '../template/template.ts';

/** The task failure that moves a waiting execution into the rollback states (the definition catches it). */
export const ROLLBACK_TRIGGERED = 'RollbackTriggered';
/** The task failure that ends a rollback whose procedure failed. */
export const ROLLBACK_STEP_FAILED = 'RollbackStepFailed';

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

/** The phases a release moves through: every phase but follow-up work, which is tracked after completion. */
const movingPhases = (template: Template): Phase[] => template.phases.filter((phase) => phase.kind !== 'follow-up');

export interface WaitStatus {
  readonly satisfied: boolean;
  /** A rollback step failed: the rollback cannot finish. */
  readonly failed?: string | undefined;
  /** For gates (and the rollback's confirmation): what is still missing. */
  readonly gate?: GateStatus | undefined;
  /** For steps and rollbacks: required items not yet done. */
  readonly missingItems?: readonly MissingItem[] | undefined;
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
      return { satisfied: itemStatus(agg, item) === 'done', missingItems: missingItems(agg, walkItems([item])) };
    }
    case 'window':
      return { satisfied: false };
    case 'rollback': {
      const failed = [...rollbackItems(agg.template)].find(
        (item) => item.children.length === 0 && itemStatus(agg, item) === 'failed',
      );
      const missing = missingItems(agg, rollbackItems(agg.template));
      const gate = rollbackGateStatus(agg);
      return {
        satisfied: missing.length === 0 && gate.satisfied,
        failed: failed && `rollback step '${failed.id}' failed`,
        missingItems: missing,
        gate,
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
  const release = agg.release;
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
      if (!wait || wait.id !== outcome.waitId) return false;
      return applySatisfied(draft, agg, wait, at);
    case 'timeout':
      if (!wait || wait.id !== outcome.waitId) return false;
      return applyTimeout(draft, agg, wait);
  }
}

/** The current wait was satisfied: the gate passes, the step completes or the rollback is done. */
function applySatisfied(draft: Draft, agg: ReleaseAggregate, wait: Wait, at: string): boolean {
  switch (wait.kind) {
    case 'gate':
      emit(draft, 'gate.passed', { phase: wait.phase, gate: wait.phase });
      enterNextPhase(draft, agg.template, at);
      return true;
    case 'step':
      set(draft, { stepIndex: agg.release.stepIndex + 1, wait: undefined });
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

/** The current wait timed out: a window passes; anything else goes on waiting, an overdue gate reported. */
function applyTimeout(draft: Draft, agg: ReleaseAggregate, wait: Wait): boolean {
  if (wait.kind !== 'window') {
    // Nothing passes by time but windows: a gate, step or rollback that outlived its wait goes on waiting
    // (same wait). A gate past the deadline its template sets is reported overdue.
    const deadline = wait.kind === 'gate' ? findPhase(agg.template, wait.phase)?.gate?.deadline : undefined;
    if (wait.kind !== 'gate' || !deadline) return false;
    emit(draft, 'gate.overdue', { phase: wait.phase, gate: wait.phase, deadline, since: wait.since });
    return true;
  }
  set(draft, { windowIndex: agg.release.windowIndex + 1, wait: undefined });
  // The window's start travels with the event, so its report's range is known from the event alone.
  emit(draft, 'window.passed', { phase: wait.phase, window: wait.window, startedAt: wait.since });
  return true;
}

/** What to wait for next, given where the release stands; records the start of the wait. */
function decide(draft: Draft, agg: ReleaseAggregate, now: Date, timeScale: number): Next {
  const release = draft.release;
  const at = now.toISOString();
  if (isTerminal(release)) return { action: 'done', status: release.status };
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
  const phase = findPhase(agg.template, release.currentPhase);
  if (!phase) throw new Error(`release ${release.id} is in unknown phase ${release.currentPhase}`);
  const step = phase.steps?.[release.stepIndex];
  if (phase.kind === 'deployment' && step) return awaitStep(draft, phase, step, at);
  const window = phase.windows?.[release.windowIndex];
  if (phase.kind === 'monitoring' && window) return awaitWindow(draft, phase, window, now, timeScale);
  if (phase.gate) return awaitGate(draft, agg, phase, phase.gate, at, timeScale);
  enterNextPhase(draft, agg.template, at);
  return decide(draft, agg, now, timeScale);
}

function awaitStep(draft: Draft, phase: Phase, step: DeploymentStep, at: string): Next {
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

function awaitWindow(draft: Draft, phase: Phase, window: MonitoringWindow, now: Date, timeScale: number): Next {
  const at = now.toISOString();
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

function awaitGate(draft: Draft, agg: ReleaseAggregate, phase: Phase, gate: Gate, at: string, timeScale: number): Next {
  const wait: Wait = { id: `gate:${phase.id}@${at}`, kind: 'gate', phase: phase.id, since: at };
  set(draft, { wait });
  // Who still has to sign is part of the event: a sign-off request goes to them even if they sign before the
  // notification is processed.
  const needs = gateStatus({ ...agg, release: draft.release }, phase)?.missingSignoffs ?? [];
  emit(draft, 'gate.opened', { phase: phase.id, gate: gate.id, missingSignoffs: [...needs] });
  const deadline = gate.deadline;
  return {
    action: 'await',
    wait,
    timeoutSeconds: deadline ? clampSeconds(durationMs(deadline) / timeScale / 1000) : DEFAULT_WAIT_SECONDS,
  };
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
    if (!isTerminal(agg.release)) {
      set(draft, { executionId: options.executionId });
      emit(draft, 'workflow.started', { executionId: options.executionId, resumed: outcome.kind === 'resume' });
    }
  }
  const applied = apply(draft, agg, outcome, now.toISOString());
  const next = decide(draft, agg, now, timeScale);
  const changed = applied || draft.events.length > 0 || draft.release !== agg.release;
  // No outcome changes the revision itself, so the draft is still at the revision the change was decided on.
  const release = changed ? revised(draft.release, now.toISOString()) : agg.release;
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
  return revised(release, at, {
    rollbackProposal: undefined,
    status: 'ROLLBACK_REQUESTED',
    rollback: { reason, requestedBy: by, requestedAt: at, trigger },
  });
}

/** Checks a cancellation: only before production deployment starts; after that, a release is rolled back. */
export function decideCancel(release: Release, at: string): Release {
  if (!cancellable(release.status)) {
    throw new RuleViolation(
      'cancel-not-allowed',
      isTerminal(release)
        ? `release is already ${release.status}`
        : `release is ${release.status}: production deployment has started, so roll it back instead`,
      { releaseStatus: release.status },
    );
  }
  return revised(release, at, { status: 'CANCELLED', wait: undefined });
}
