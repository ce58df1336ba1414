// The input of the escalation state machine's task function, as its definition's Parameters send it.
import { z } from 'zod';
import type { ReleaseContext } from '../core/release/context.ts';
import type { EscalationNext } from '../core/workflow/escalation.ts';
import { awaitAcknowledgement, pageEscalation } from '../core/workflow/escalation-use-cases.ts';

const ids = { releaseId: z.string().min(1).max(128), escalationId: z.string().min(1).max(128) };

export const EscalationTask = z.discriminatedUnion('action', [
  z.object({ action: z.literal('page'), ...ids, outcome: z.enum(['start', 'timeout', 'acknowledged']) }),
  z.object({ action: z.literal('await-acknowledgement'), ...ids, taskToken: z.string().min(1) }),
]);

export type EscalationTaskResult = EscalationNext | { readonly stored: true };

/** Runs one task; a malformed input is a bug in the definition, so it fails the task loudly. */
export async function runEscalationTask(releases: ReleaseContext, payload: unknown): Promise<EscalationTaskResult> {
  const task = EscalationTask.parse(payload);
  if (task.action === 'page') return pageEscalation(releases, task.releaseId, task.escalationId, task.outcome);
  await awaitAcknowledgement(releases, task.releaseId, task.escalationId, task.taskToken);
  return { stored: true };
}
