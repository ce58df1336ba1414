// The input of the escalation state machine's task function, as its definition's Parameters send it.
import { z } from 'zod';
import type { ReleaseContext } from '../core/release/context.ts';
import type { EscalationNext } from '../core/workflow/escalation.ts';
import { awaitAcknowledgement, failEscalation, pageEscalation } from '../core/workflow/escalation-use-cases.ts';
import { CaughtError } from './caught-error.ts';

const ids = { releaseId: z.string().min(1).max(128), escalationId: z.string().min(1).max(128) };

export const EscalationTask = z.discriminatedUnion('action', [
  z.object({ action: z.literal('page'), ...ids, outcome: z.enum(['start', 'timeout', 'acknowledged']) }),
  z.object({ action: z.literal('await-acknowledgement'), ...ids, taskToken: z.string().min(1) }),
  z.object({ action: z.literal('fail'), ...ids, error: CaughtError, state: z.string().max(80).optional() }),
]);

export type EscalationTaskResult = EscalationNext | { readonly stored: true } | { readonly recorded: boolean };

/** Runs one task; a malformed input is a bug in the definition, so it fails the task loudly. */
export async function runEscalationTask(releases: ReleaseContext, payload: unknown): Promise<EscalationTaskResult> {
  const task = EscalationTask.parse(payload);
  if (task.action === 'page') return pageEscalation(releases, task.releaseId, task.escalationId, task.outcome);
  if (task.action === 'fail') {
    return failEscalation(releases, task.releaseId, task.escalationId, task.error, task.state);
  }
  await awaitAcknowledgement(releases, task.releaseId, task.escalationId, task.taskToken);
  return { stored: true };
}
