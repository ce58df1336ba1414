// The input of the escalation state machine's task function, as its definition's Parameters send it.
import { z } from 'zod';
import type { EscalationNext } from '../core/workflow/escalation.ts';

const ids = { releaseId: z.string().min(1).max(128), escalationId: z.string().min(1).max(128) };

export const EscalationTask = z.discriminatedUnion('action', [
  z.object({ action: z.literal('page'), ...ids, outcome: z.enum(['start', 'timeout', 'acknowledged']) }),
  z.object({ action: z.literal('await-acknowledgement'), ...ids, taskToken: z.string().min(1) }),
]);

export type EscalationTaskResult = EscalationNext | { readonly stored: true };

export interface EscalationUseCases {
  pageEscalation(
    releaseId: string,
    escalationId: string,
    outcome: 'start' | 'timeout' | 'acknowledged',
  ): Promise<EscalationNext>;
  awaitAcknowledgement(releaseId: string, escalationId: string, taskToken: string): Promise<void>;
}

/** Runs one task; a malformed input is a bug in the definition, so it fails the task loudly. */
export async function runEscalationTask(useCases: EscalationUseCases, payload: unknown): Promise<EscalationTaskResult> {
  const task = EscalationTask.parse(payload);
  if (task.action === 'page') return useCases.pageEscalation(task.releaseId, task.escalationId, task.outcome);
  await useCases.awaitAcknowledgement(task.releaseId, task.escalationId, task.taskToken);
  return { stored: true };
}
