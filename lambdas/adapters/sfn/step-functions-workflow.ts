// The WorkflowEngine port on AWS Step Functions (and on the local runtime's Step Functions endpoint, same API).
import { createHash } from 'node:crypto';
import type { SFNClient } from '@aws-sdk/client-sfn';
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { WorkflowEngine } from '../../core/ports.ts';
import { escalationExecutionName, releaseExecutionName, startAttempts } from '../../core/workflow/execution-names.ts';
import { type WorkflowInput, workflowDefinition } from '../../workflow/definition.ts';
import type { EscalationInput } from '../../workflow/escalation-definition.ts';

export interface StepFunctionsWorkflowOptions {
  readonly client: SFNClient;
  /**
   * Needed to start executions. The state machine's own task function has none (the state machine refers to the
   * function, so the function cannot refer back): it only answers the task tokens it is handed.
   */
  readonly stateMachineArn?: string | undefined;
  /** Needed to start escalations (the release workflow's function and the API routes that respond). */
  readonly escalationStateMachineArn?: string | undefined;
}

/** A token the service no longer waits on: the wait ended another way, which is not an error for the caller. */
const isGone = (error: unknown): boolean =>
  error instanceof TaskTimedOut || error instanceof TaskDoesNotExist || error instanceof InvalidToken;

/**
 * The definition deployed with this code, in a resumed execution's input. Resumes under one definition send the same
 * input, so a second resume of a point finds the execution resuming it (StartExecution returns it). After a changed
 * definition is deployed, that execution runs with another input: the name is taken (ExecutionAlreadyExists), and
 * the resume starts the next attempt, on the new definition, as a resume after a deployment should.
 */
const DEFINITION = createHash('sha256').update(JSON.stringify(workflowDefinition())).digest('hex').slice(0, 16);

/** Step Functions limits: cause 32768 characters, error 256. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export class StepFunctionsWorkflow implements WorkflowEngine {
  readonly #client: SFNClient;
  readonly #stateMachineArn: string | undefined;
  readonly #escalationStateMachineArn: string | undefined;

  constructor(options: StepFunctionsWorkflowOptions) {
    this.#client = options.client;
    this.#stateMachineArn = options.stateMachineArn;
    this.#escalationStateMachineArn = options.escalationStateMachineArn;
  }

  async startEscalation(
    releaseId: string,
    escalationId: string,
    options: { readonly restart?: boolean } = {},
  ): Promise<string> {
    const stateMachineArn = this.#escalationStateMachineArn;
    if (!stateMachineArn) throw new Error('this function is not wired to the escalation state machine');
    const input: EscalationInput = { releaseId, escalationId };
    const name = escalationExecutionName(releaseId, escalationId);
    if (options.restart) return startAttempts(name, (attempt) => this.#tryStart(stateMachineArn, attempt, input));
    return this.#startNamed(stateMachineArn, name, input);
  }

  async start(releaseId: string, options: { readonly resumeAs?: string } = {}): Promise<string> {
    const stateMachineArn = this.#stateMachineArn;
    if (!stateMachineArn) throw new Error('this function only answers task tokens: it cannot start executions');
    const { resumeAs } = options;
    if (resumeAs === undefined) {
      const input: WorkflowInput = { releaseId };
      return this.#startNamed(stateMachineArn, releaseExecutionName(releaseId), input);
    }
    const input: WorkflowInput & { readonly definition: string } = { releaseId, resume: true, definition: DEFINITION };
    return startAttempts(resumeAs, (name) => this.#tryStart(stateMachineArn, name, input));
  }

  /** Starts a named execution; one of that name already started is the same execution (names are idempotent). */
  async #startNamed(stateMachineArn: string, name: string, input: object): Promise<string> {
    return (await this.#tryStart(stateMachineArn, name, input)) ?? executionArnOf(stateMachineArn, name);
  }

  /**
   * Starts a named execution, or finds the one of that name running with the same input (StartExecution answers it
   * as if started); undefined when the name is taken by an execution that ended (or runs with another input).
   */
  async #tryStart(stateMachineArn: string, name: string, input: object): Promise<string | undefined> {
    try {
      const { executionArn } = await this.#client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return executionArn ?? executionArnOf(stateMachineArn, name);
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return undefined;
      throw error;
    }
  }

  async succeed(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<boolean> {
    try {
      await this.#client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
      return true;
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }

  async fail(taskToken: string, error: string, cause: string): Promise<boolean> {
    try {
      await this.#client.send(
        new SendTaskFailureCommand({ taskToken, error: clip(error, 256), cause: clip(cause, 32768) }),
      );
      return true;
    } catch (caught) {
      if (isGone(caught)) return false;
      throw caught;
    }
  }

  async stop(executionId: string, cause: string): Promise<void> {
    try {
      await this.#client.send(new StopExecutionCommand({ executionArn: executionId, cause: clip(cause, 32768) }));
    } catch (error) {
      if (!(error instanceof ExecutionDoesNotExist)) throw error;
    }
  }
}

const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
