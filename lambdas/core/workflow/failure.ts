// The rules of a workflow task that failed for good: what of the error is kept on the release (its name and a short
// message, never a stack trace or a task's input), and when a failure is recorded at all.
import type { Release, WorkflowFailure } from '../release/release.ts';
import { revised } from '../release/release.ts';
import { isTerminal } from '../release/status.ts';
import type { TransitionEvent } from './workflow.ts';

/** The longest message kept: enough to say what went wrong, short enough for an SMS detail and a list view. */
export const MAX_CAUSE_LENGTH = 200;
const MAX_ERROR_LENGTH = 100;

/** What Step Functions caught: `{ Error, Cause }` as a Catch puts it at its ResultPath. */
export interface CaughtError {
  readonly Error?: string | undefined;
  readonly Cause?: string | undefined;
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The message of a Lambda error's cause (`{"errorType","errorMessage","trace"}`), else the cause itself. */
function messageOf(cause: string): string {
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      return String(parsed.errorMessage);
    }
  } catch {
    // Not JSON: a States.* error or a cause sent with a task failure is plain text.
  }
  return cause;
}

/**
 * A short, one-line message of a caught error: the Lambda error's message without its trace, cut before any stack
 * frame, at most MAX_CAUSE_LENGTH characters. API callers see this and the error name, nothing else.
 */
export function shortCause(caught: CaughtError): string {
  const message = messageOf(caught.Cause ?? '');
  const beforeStack = message.split(/\n\s*at\s/)[0] ?? '';
  const line = beforeStack.replace(/\s+/g, ' ').trim();
  return clip(line || caught.Error || 'unknown error', MAX_CAUSE_LENGTH);
}

/** The failure as kept on the release. */
export function workflowFailure(
  caught: CaughtError,
  at: string,
  where: { readonly state?: string | undefined; readonly escalationId?: string | undefined },
): WorkflowFailure {
  const error = clip((caught.Error ?? '').trim() || 'States.TaskFailed', MAX_ERROR_LENGTH);
  return {
    at,
    error,
    cause: shortCause(caught),
    ...(where.state ? { state: where.state } : {}),
    ...(where.escalationId ? { escalationId: where.escalationId } : {}),
  };
}

export interface FailureStep {
  readonly release: Release;
  readonly events: readonly TransitionEvent[];
  /** False when nothing is recorded: the same failure again (a retried task), or one that no longer matters. */
  readonly changed: boolean;
}

const sameFailure = (a: WorkflowFailure | undefined, b: WorkflowFailure): boolean =>
  a !== undefined && a.error === b.error && a.state === b.state && a.escalationId === b.escalationId;

/**
 * Records a failure of the release's execution `executionId`. An execution another one has taken over (a resume)
 * records nothing: its failure is not the release's. A release that has ended keeps the audit event only, since
 * there is nothing left to resume.
 */
export function recordWorkflowFailure(release: Release, failure: WorkflowFailure, executionId?: string): FailureStep {
  const unchanged: FailureStep = { release, events: [], changed: false };
  if (executionId && release.executionId && release.executionId !== executionId) return unchanged;
  if (sameFailure(release.workflowFailure, failure)) return unchanged;
  const event: TransitionEvent = {
    type: 'workflow.failed',
    data: { ...failure, ...(executionId ? { executionId } : {}), status: release.status },
  };
  const patch = isTerminal(release) ? {} : { workflowFailure: failure };
  return { release: revised(release, failure.at, patch), events: [event], changed: true };
}

/**
 * Records a failure of an escalation execution: only while that escalation is still paging (one acknowledged or
 * replaced meanwhile has nothing left to page). The escalation stays as it is, so an acknowledgement still closes it.
 */
export function recordEscalationFailure(release: Release, failure: WorkflowFailure): FailureStep {
  const escalation = release.escalation;
  if (!escalation || escalation.id !== failure.escalationId || escalation.state !== 'paging') {
    return { release, events: [], changed: false };
  }
  const step = recordWorkflowFailure(release, failure);
  if (!step.changed) return step;
  const events = step.events.map((event) => ({ ...event, data: { ...event.data, level: escalation.level } }));
  return { ...step, events };
}

/** The release handed to a resumed execution: the failure is cleared, everything else stands. */
export const clearedFailure = (release: Release): Partial<Release> =>
  release.workflowFailure ? { workflowFailure: undefined } : {};
