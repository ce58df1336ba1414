// The names of the executions that drive a release and its escalation, deterministic from what each is for: Step
// Functions' StartExecution with the name of a running execution and the same input returns that execution, so
// starting the same thing twice (two concurrent requests, a retry) starts one. With the name of an execution that
// has ended it fails (ExecutionAlreadyExists, whatever the input): the next attempt then takes the next name.
import { createHash } from 'node:crypto';
import { RuleViolation } from '../errors.ts';
import type { Release } from '../release/release.ts';

/** Step Functions: an execution name is 1 to 80 characters (letters, digits, `-` and `_` here). */
export const MAX_EXECUTION_NAME_LENGTH = 80;
/** How many executions may take one purpose in turn, each after the previous one ended, before a start is refused. */
export const MAX_EXECUTION_ATTEMPTS = 20;
/** Room kept at the end of a name for the attempt (`-20`). */
const ATTEMPT_ROOM = 3;

const base = (name: string): string => name.slice(0, MAX_EXECUTION_NAME_LENGTH - ATTEMPT_ROOM);

/** The first execution of a release: named after it, so a retried start cannot start a second one. */
export const releaseExecutionName = (releaseId: string): string => base(releaseId);

/** The execution of an escalation: one per escalation, so the release's later decisions never page twice. */
export const escalationExecutionName = (releaseId: string, escalationId: string): string =>
  base(`${releaseId}-${escalationId}`);

/**
 * Where a release stands, as an execution resuming it picks it up: its status, phase, step, window and the wait it
 * is in. Neither the resume (which clears a recorded failure) nor the resumed execution (which records itself on
 * the release) changes it, so every resume of the release at this point, whoever sends it and however often, names
 * the same execution.
 */
export function resumePoint(release: Release): string {
  const { status, currentPhase, stepIndex, windowIndex, wait } = release;
  return JSON.stringify([status, currentPhase, stepIndex, windowIndex, wait?.id ?? null]);
}

/** The execution resuming a release where it stands: `<releaseId>-resume-<digest of resumePoint>`. */
export function resumeExecutionName(release: Release): string {
  const digest = createHash('sha256').update(resumePoint(release)).digest('hex').slice(0, 16);
  const suffix = `-resume-${digest}`;
  return `${release.id.slice(0, MAX_EXECUTION_NAME_LENGTH - ATTEMPT_ROOM - suffix.length)}${suffix}`;
}

/** The name of the nth execution for one purpose: the name itself, then `<name>-2`, `<name>-3`, … */
export const attemptName = (name: string, attempt: number): string => (attempt <= 1 ? name : `${name}-${attempt}`);

/**
 * Starts the execution for one purpose under `name`, or, once executions of that name have ended, under the first
 * attempt's name not yet taken. `start` starts one name and answers its execution id, also when one of that name
 * runs with the same input (Step Functions returns it), and undefined when the name is taken by one that ended.
 * Concurrent and repeated calls for one purpose thus end with one running execution.
 * @throws RuleViolation `resumed-too-often` (409) when MAX_EXECUTION_ATTEMPTS executions of the purpose have ended.
 */
export async function startAttempts(
  name: string,
  start: (name: string) => Promise<string | undefined>,
): Promise<string> {
  for (let attempt = 1; attempt <= MAX_EXECUTION_ATTEMPTS; attempt += 1) {
    const executionId = await start(attemptName(name, attempt));
    if (executionId !== undefined) return executionId;
  }
  throw new RuleViolation(
    'resumed-too-often',
    `${MAX_EXECUTION_ATTEMPTS} executions have resumed this at the point where the release stands, and each ended ` +
      'without moving it on: find out why they end (the release and its events) before resuming again',
    { execution: name },
  );
}
