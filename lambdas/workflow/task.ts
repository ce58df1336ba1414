// The input of the state machine's task function, as the definition's Parameters send it.
import { z } from 'zod';
import type { Next } from '../core/workflow/workflow.ts';

const releaseId = z.string().min(1).max(128);

const Outcome = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('start') }),
  z.object({ kind: z.literal('resume') }),
  z.object({ kind: z.literal('satisfied'), waitId: z.string().min(1) }),
  z.object({ kind: z.literal('timeout'), waitId: z.string().min(1) }),
  z.object({ kind: z.literal('rollback') }),
  z.object({ kind: z.literal('rollback-failed'), cause: z.string().default('a rollback step failed') }),
]);

export const WorkflowTask = z.discriminatedUnion('action', [
  z.object({ action: z.literal('decide'), releaseId, outcome: Outcome, executionId: z.string().min(1) }),
  z.object({ action: z.literal('await'), releaseId, waitId: z.string().min(1), taskToken: z.string().min(1) }),
]);
export type WorkflowTask = z.infer<typeof WorkflowTask>;

export type WorkflowTaskResult = Next | { readonly stored: true };

/** What the task function does with a task: the decide and await use cases of the releases service. */
export interface WorkflowUseCases {
  decide(releaseId: string, outcome: z.infer<typeof Outcome>, executionId: string): Promise<Next>;
  awaitCallback(releaseId: string, waitId: string, taskToken: string): Promise<void>;
}

/** Runs one task; a malformed task input is a bug in the definition, so it fails the task loudly. */
export async function runWorkflowTask(useCases: WorkflowUseCases, payload: unknown): Promise<WorkflowTaskResult> {
  const task = WorkflowTask.parse(payload);
  if (task.action === 'decide') return useCases.decide(task.releaseId, task.outcome, task.executionId);
  await useCases.awaitCallback(task.releaseId, task.waitId, task.taskToken);
  return { stored: true };
}
