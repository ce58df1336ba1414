// A WorkflowEngine that only records what it is told, for unit tests of the service without an engine. Executions
// are named as the Step Functions adapter names them and, as in Step Functions, a start under the name of one that
// runs returns it, while the name of one that ended is taken (the next attempt's name is used).
import type { WorkflowEngine } from '../../lambdas/core/ports.ts';
import {
  escalationExecutionName,
  releaseExecutionName,
  startAttempts,
} from '../../lambdas/core/workflow/execution-names.ts';

export class RecordingWorkflow implements WorkflowEngine {
  /** Every call to start, with the id it answered. */
  readonly started: { releaseId: string; resume: boolean; executionId: string }[] = [];
  readonly succeeded: { token: string; output: Readonly<Record<string, unknown>> }[] = [];
  readonly failed: { token: string; error: string; cause: string }[] = [];
  readonly stopped: { executionId: string; cause: string }[] = [];
  readonly escalations: { releaseId: string; escalationId: string; executionId: string }[] = [];
  /** The executions started, by id, and whether each still runs. */
  readonly executions = new Map<string, { running: boolean }>();

  /** Starts `name`, or finds it running; undefined when an execution of that name has ended. */
  #startNamed(prefix: string, name: string): string | undefined {
    const executionId = `${prefix}:${name}`;
    const existing = this.executions.get(executionId);
    if (existing) return existing.running ? executionId : undefined;
    this.executions.set(executionId, { running: true });
    return executionId;
  }

  /** Ends an execution, as its last state or a failure would. */
  end(executionId: string): void {
    const execution = this.executions.get(executionId);
    if (execution) execution.running = false;
  }

  async start(releaseId: string, options: { readonly resumeAs?: string } = {}): Promise<string> {
    const { resumeAs } = options;
    const executionId =
      resumeAs === undefined
        ? (this.#startNamed('execution', releaseExecutionName(releaseId)) ?? `execution:${releaseId}`)
        : await startAttempts(resumeAs, async (name) => this.#startNamed('execution', name));
    this.started.push({ releaseId, resume: resumeAs !== undefined, executionId });
    return executionId;
  }

  async succeed(token: string, output: Readonly<Record<string, unknown>>): Promise<boolean> {
    this.succeeded.push({ token, output });
    return true;
  }

  async fail(token: string, error: string, cause: string): Promise<boolean> {
    this.failed.push({ token, error, cause });
    return true;
  }

  async stop(executionId: string, cause: string): Promise<void> {
    this.stopped.push({ executionId, cause });
    this.end(executionId);
  }

  async startEscalation(
    releaseId: string,
    escalationId: string,
    options: { readonly restart?: boolean } = {},
  ): Promise<string> {
    const name = escalationExecutionName(releaseId, escalationId);
    const executionId = options.restart
      ? await startAttempts(name, async (attempt) => this.#startNamed('escalation', attempt))
      : (this.#startNamed('escalation', name) ?? `escalation:${name}`);
    this.escalations.push({ releaseId, escalationId, executionId });
    return executionId;
  }
}
