// The input of the state machine's task function, as the definition's Parameters send it.
import { z } from 'zod';
import type { ReleaseContext } from '../core/release/context.ts';
import type { Next } from '../core/workflow/workflow.ts';
import { awaitCallback, decide, failWorkflow } from '../core/workflow/workflow-use-cases.ts';
import { CaughtError } from './caught-error.ts';

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
  z.object({
    action: z.literal('fail'),
    releaseId,
    error: CaughtError,
    state: z.string().max(80).optional(),
    executionId: z.string().min(1),
  }),
]);
export type WorkflowTask = z.infer<typeof WorkflowTask>;

export type WorkflowTaskResult = Next | { readonly stored: true } | { readonly recorded: boolean };

/** Runs one task; a malformed task input is a bug in the definition, so it fails the task loudly. */
export async function runWorkflowTask(releases: ReleaseContext, payload: unknown): Promise<WorkflowTaskResult> {
  const task = WorkflowTask.parse(payload);
  if (task.action === 'decide') return decide(releases, task.releaseId, task.outcome, task.executionId);
  if (task.action === 'fail') {
    return failWorkflow(releases, task.releaseId, task.error, { state: task.state, executionId: task.executionId });
  }
  await awaitCallback(releases, task.releaseId, task.waitId, task.taskToken);
  return { stored: true };
}
