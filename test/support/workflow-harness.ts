// The real state machine definition on the local engine, driving the real releases service over an in-memory
// store: the whole workflow without DynamoDB or HTTP, for fast tests of the transitions. Faults can be injected
// into the task functions, and retry delays are shortened so a retried task takes milliseconds.

import type { WorkflowEngine } from '../../lambdas/core/ports.ts';
import { type ReleaseContext, releaseContext } from '../../lambdas/core/release/context.ts';
import type { Template } from '../../lambdas/core/template/template.ts';
import {
  escalationExecutionName,
  releaseExecutionName,
  startAttempts,
} from '../../lambdas/core/workflow/execution-names.ts';
import { workflowDefinition } from '../../lambdas/workflow/definition.ts';
import { escalationDefinition } from '../../lambdas/workflow/escalation-definition.ts';
import { runEscalationTask } from '../../lambdas/workflow/escalation-task.ts';
import { runWorkflowTask } from '../../lambdas/workflow/task.ts';
import { createLocalWorkflowEngine, type LocalWorkflowEngine } from '../../local/workflow-engine.ts';
import { sequentialIds } from './fixtures.ts';
import { MemoryReleaseStore } from './memory-store.ts';

const FUNCTION = 'local-workflow-function';
const ESCALATION_FUNCTION = 'local-escalation-function';

const gone = (error: unknown) =>
  error instanceof Error && ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'].includes(error.name);

/**
 * The WorkflowEngine port over the local engines, with the SDK's "gone token" semantics and the Step Functions
 * adapter's execution names. `started` gets the id of every execution it started (not those a start found running).
 */
export function engineWorkflow(
  engine: LocalWorkflowEngine,
  escalations?: LocalWorkflowEngine,
  started: Set<string> = new Set(),
): WorkflowEngine {
  const engines = escalations ? [engine, escalations] : [engine];
  /** A token belongs to one engine: try each, as the local Step Functions endpoint does. */
  const answer = (send: (target: LocalWorkflowEngine) => void): boolean => {
    let last: unknown;
    for (const target of engines) {
      try {
        send(target);
        return true;
      } catch (error) {
        last = error;
      }
    }
    if (gone(last)) return false;
    throw last;
  };
  /** Starts a named execution; undefined when the name is taken (by one that ended, or with another input). */
  const tryStart = (target: LocalWorkflowEngine, name: string, input: object): string | undefined => {
    try {
      const { executionArn } = target.startExecution({ name, input: JSON.stringify(input) });
      started.add(executionArn);
      return executionArn;
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return undefined;
      throw error;
    }
  };
  const named = (target: LocalWorkflowEngine, name: string, input: object): string =>
    tryStart(target, name, input) ?? `${target.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  return {
    async start(releaseId, options = {}) {
      const { resumeAs } = options;
      if (resumeAs === undefined) return named(engine, releaseExecutionName(releaseId), { releaseId });
      return startAttempts(resumeAs, async (name) => tryStart(engine, name, { releaseId, resume: true }));
    },
    async succeed(taskToken, output) {
      return answer((target) => target.sendTaskSuccess({ taskToken, output: JSON.stringify(output) }));
    },
    async fail(taskToken, error, cause) {
      return answer((target) => target.sendTaskFailure({ taskToken, error, cause }));
    },
    async startEscalation(releaseId, escalationId, options = {}) {
      if (!escalations) throw new Error('no escalation engine');
      const name = escalationExecutionName(releaseId, escalationId);
      const input = { releaseId, escalationId };
      if (options.restart) return startAttempts(name, async (attempt) => tryStart(escalations, attempt, input));
      return named(escalations, name, input);
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

/** Runs before a task function: throwing here fails that invocation as the function would. */
export type TaskFault = (payload: unknown) => void;

/**
 * The definition with every retrier's delays divided by `scale`: the same retriers, errors, attempts, backoff and
 * jitter, in milliseconds instead of seconds (the engine waits retry delays in real time).
 */
export function withScaledRetries<T>(definition: T, scale: number): T {
  const copy = structuredClone(definition);
  const states = (copy as { States?: Record<string, { Retry?: Record<string, unknown>[] }> }).States ?? {};
  for (const state of Object.values(states)) {
    for (const retrier of state.Retry ?? []) {
      for (const key of ['IntervalSeconds', 'MaxDelaySeconds']) {
        if (typeof retrier[key] === 'number') retrier[key] = retrier[key] / scale;
      }
    }
  }
  return copy;
}

export interface HarnessOptions {
  readonly timeScale?: number;
  /** How much shorter retry delays are than the definition's. @default 1000 */
  readonly retryScale?: number;
}

export function workflowHarness(templates: readonly Template[], options: HarnessOptions = {}) {
  const store = new MemoryReleaseStore();
  const useCases: { current?: ReleaseContext } = {};
  const faults: { workflow?: TaskFault | undefined; escalation?: TaskFault | undefined } = {};
  const retryScale = options.retryScale ?? 1000;
  const engine = createLocalWorkflowEngine({
    definition: withScaledRetries(workflowDefinition(FUNCTION), retryScale),
    resolveHandler: (name) => {
      const current = useCases.current;
      if (name !== FUNCTION || !current) return undefined;
      return (payload) => {
        faults.workflow?.(payload);
        return runWorkflowTask(current, payload);
      };
    },
    // Time is scaled once, by the core rules that compute every timeout.
    timeScale: 1,
  });
  const escalations = createLocalWorkflowEngine({
    definition: withScaledRetries(escalationDefinition(ESCALATION_FUNCTION), retryScale),
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:shipgate-local-escalation',
    resolveHandler: (name) => {
      const current = useCases.current;
      if (name !== ESCALATION_FUNCTION || !current) return undefined;
      return (payload) => {
        faults.escalation?.(payload);
        return runEscalationTask(current, payload);
      };
    },
    timeScale: 1,
  });
  const started = new Set<string>();
  const service = releaseContext({
    store,
    templates: { list: () => templates, get: (id) => templates.find((t) => t.id === id) },
    clock: { now: () => new Date() },
    ids: sequentialIds(),
    workflow: engineWorkflow(engine, escalations, started),
    timeScale: options.timeScale ?? 1,
    backoff: async () => undefined,
  });
  useCases.current = service;
  return {
    store,
    engine: {
      close: () => {
        engine.close();
        escalations.close();
      },
      whenSettled: engine.whenSettled.bind(engine),
      describe: engine.describeExecution.bind(engine),
    },
    escalations,
    /** Every execution started on either engine, in order: a start that found one running adds nothing. */
    started: () => [...started],
    service,
    /** Set a fault to make the next invocations of a task function throw; unset it to fix the cause. */
    faults,
  };
}
