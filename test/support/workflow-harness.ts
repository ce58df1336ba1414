// The real state machine definition on the local engine, driving the real releases service over an in-memory
// store: the whole workflow without DynamoDB or HTTP, for fast tests of the transitions.

import type { WorkflowEngine } from '../../lambdas/core/ports.ts';
import { makeReleasesService } from '../../lambdas/core/releases-service.ts';
import type { Template } from '../../lambdas/core/template.ts';
import { workflowDefinition } from '../../lambdas/workflow/definition.ts';
import { runWorkflowTask } from '../../lambdas/workflow/task.ts';
import { createLocalWorkflowEngine, type LocalWorkflowEngine } from '../../local/workflow-engine.ts';
import { sequentialIds } from './fixtures.ts';
import { MemoryReleaseStore } from './memory-store.ts';

const FUNCTION = 'local-workflow-function';

/** The WorkflowEngine port over the local engine, with the SDK's "gone token" semantics. */
export function engineWorkflow(engine: LocalWorkflowEngine): WorkflowEngine {
  const gone = (error: unknown) =>
    error instanceof Error && ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'].includes(error.name);
  return {
    async start(releaseId, options = {}) {
      const name = options.resume ? `${releaseId}-resume-${Date.now()}` : releaseId;
      return engine.startExecution({
        name,
        input: JSON.stringify({ releaseId, ...(options.resume ? { resume: true } : {}) }),
      }).executionArn;
    },
    async succeed(taskToken, output) {
      try {
        engine.sendTaskSuccess({ taskToken, output: JSON.stringify(output) });
        return true;
      } catch (error) {
        if (gone(error)) return false;
        throw error;
      }
    },
    async fail(taskToken, error, cause) {
      try {
        engine.sendTaskFailure({ taskToken, error, cause });
        return true;
      } catch (caught) {
        if (gone(caught)) return false;
        throw caught;
      }
    },
    async stop(executionId, cause) {
      try {
        engine.stopExecution(executionId, { cause });
      } catch {
        // stopping an ended execution is not an error
      }
    },
  };
}

export function workflowHarness(templates: readonly Template[], options: { timeScale?: number } = {}) {
  const store = new MemoryReleaseStore();
  const useCases: { current?: ReturnType<typeof makeReleasesService> } = {};
  const engine = createLocalWorkflowEngine({
    definition: workflowDefinition(FUNCTION),
    resolveHandler: (name) => {
      const current = useCases.current;
      return name === FUNCTION && current ? (payload) => runWorkflowTask(current, payload) : undefined;
    },
    // Time is scaled once, by the core rules that compute every timeout.
    timeScale: 1,
  });
  const service = makeReleasesService({
    store,
    templates: { list: () => templates, get: (id) => templates.find((t) => t.id === id) },
    clock: { now: () => new Date() },
    ids: sequentialIds(),
    workflow: engineWorkflow(engine),
    timeScale: options.timeScale ?? 1,
    backoff: async () => undefined,
  });
  useCases.current = service;
  return { store, engine, service };
}
