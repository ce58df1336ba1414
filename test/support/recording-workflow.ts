// A WorkflowEngine that only records what it is told, for unit tests of the service without an engine.
import type { WorkflowEngine } from '../../lambdas/core/ports.ts';

export class RecordingWorkflow implements WorkflowEngine {
  readonly started: { releaseId: string; resume: boolean }[] = [];
  readonly succeeded: { token: string; output: Readonly<Record<string, unknown>> }[] = [];
  readonly failed: { token: string; error: string; cause: string }[] = [];
  readonly stopped: { executionId: string; cause: string }[] = [];
  readonly escalations: { releaseId: string; escalationId: string }[] = [];

  async start(releaseId: string, options: { readonly resume?: boolean } = {}): Promise<string> {
    this.started.push({ releaseId, resume: options.resume ?? false });
    return `execution:${releaseId}`;
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
  }

  async startEscalation(releaseId: string, escalationId: string): Promise<string> {
    this.escalations.push({ releaseId, escalationId });
    return `escalation:${releaseId}:${escalationId}`;
  }
}
