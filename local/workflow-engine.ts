// A local stand-in for the slice of AWS Step Functions Shipgate uses: the one workflow definition runs in
// aws-local-stepfunctions, with task tokens, Lambda integrations served by local handlers, and a time scale.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';

type LibraryOverrides = NonNullable<RunOptions['overrides']>;
type LibraryTaskHandlers = NonNullable<LibraryOverrides['taskResourceLocalHandlers']>;
type LibraryTaskHandler = NonNullable<LibraryTaskHandlers[string]>;
type LibraryJson = Parameters<LibraryTaskHandler>[0];
type JsonObject = Record<string, unknown>;

/** What a local handler learns about the task it serves, besides its payload. */
export interface LocalTaskContext {
  readonly executionArn: string;
  readonly stateName: string;
  /** The task token of a `.waitForTaskToken` task (also placed wherever the definition put `$$.Task.Token`). */
  readonly taskToken?: string;
}

/**
 * A local function standing in for a Lambda function. For `lambda:invoke` its result becomes `Payload`; for
 * `lambda:invoke.waitForTaskToken` its result is ignored, as in AWS, and the task waits for its token.
 */
export type LocalTaskHandler = (payload: unknown, context: LocalTaskContext) => unknown;

/**
 * Maps what a Task state names to a handler: the `FunctionName` of a Lambda integration (an ARN, a name, or
 * whatever placeholder the local rendering of the CDK definition put there), else the state's `Resource`.
 * `undefined` fails the task with `Lambda.ResourceNotFoundException`.
 */
export type LocalHandlerResolver = (functionName: string) => LocalTaskHandler | undefined;

export interface LocalWorkflowEngineOptions {
  /** The Amazon States Language definition, parsed. It is copied and never modified. */
  readonly definition: unknown;
  readonly resolveHandler: LocalHandlerResolver;
  /**
   * How many times faster than real time durations pass (3600: an hour in a second). Divides every Task
   * timeout, Wait `Seconds` and the execution `TimeoutSeconds`. Default 1.
   */
  readonly timeScale?: number;
  /** Default `arn:aws:states:us-east-1:000000000000:stateMachine:shipgate-local`. */
  readonly stateMachineArn?: string;
}

export type LocalExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** The fields of `DescribeExecution` Shipgate reads; `input` and `output` are JSON strings as in the SDK. */
export interface LocalExecutionDescription {
  readonly executionArn: string;
  readonly name: string;
  readonly status: LocalExecutionStatus;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** Not in the SDK: states entered so far, what Standard workflows bill as state transitions. */
  readonly stateTransitions: number;
}

/** The subset of the Step Functions API Shipgate calls, with the SDK's argument shapes and error names. */
export interface LocalWorkflowEngine {
  /** The ARN of the one state machine this engine runs; its executions are named under it. */
  readonly stateMachineArn: string;
  startExecution(request: { name?: string; input?: string }): { executionArn: string; startDate: Date };
  describeExecution(executionArn: string): LocalExecutionDescription;
  stopExecution(executionArn: string, request?: { error?: string; cause?: string }): { stopDate: Date };
  sendTaskSuccess(request: { taskToken: string; output: string }): void;
  sendTaskFailure(request: { taskToken: string; error?: string; cause?: string }): void;
  /** Heartbeats are not timed locally (HeartbeatSeconds is ignored); this only checks the token is live. */
  sendTaskHeartbeat(request: { taskToken: string }): void;
  /** Not in the SDK: resolves once the execution has left RUNNING. */
  whenSettled(executionArn: string): Promise<LocalExecutionDescription>;
  /** Not in the SDK: stops every running execution, so no timer keeps the process alive. */
  close(): void;
}

/**
 * Node's setTimeout fires after 1 ms for any delay above 2^31-1 ms (about 24.8 days), so every local delay is
 * clamped to this: a timeout longer than 24.8 days of real time fires at 24.8 days instead.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The timeout the library itself is given for every Task: a safety net below the overflow, never the real one. */
const LIBRARY_TASK_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
/** What AWS uses when a Task has no TimeoutSeconds (the library would use 60). */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
const PARAMETERS_KEY = 'parameters';
const TIMEOUT_KEY = 'timeoutSeconds';

interface TaskPlan {
  readonly resource: string;
  readonly timeoutSeconds?: number;
  readonly hasTimeoutPath: boolean;
}

interface PendingTask {
  readonly executionArn: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
}

interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: LocalExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  stopDate?: Date;
  abort: () => void;
  settled: Promise<void>;
  readonly tokens: Set<string>;
  /** States entered so far: what Standard workflows bill as state transitions. */
  transitions: number;
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toLibraryJson(value: unknown): LibraryJson {
  // A real Lambda result crosses the wire as JSON; the round trip gives the same shape (undefined becomes null).
  return JSON.parse(JSON.stringify(value ?? null)) as LibraryJson;
}

function scaledMs(seconds: number, timeScale: number): number {
  return Math.min(Math.max((seconds * 1000) / timeScale, 1), MAX_TIMER_MS);
}

/** Replaces every string equal to `placeholder` with `token`, wherever the definition put `$$.Task.Token`. */
function injectToken(value: unknown, placeholder: string, token: string): unknown {
  if (value === placeholder) return token;
  if (Array.isArray(value)) return value.map((item) => injectToken(item, placeholder, token));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, injectToken(item, placeholder, token)]));
  }
  return value;
}

let timeoutErrorFactory: Promise<() => Error> | undefined;

/**
 * The library's own `States.Timeout` error class is not exported, and only an instance of it escapes
 * `States.TaskFailed` catchers (as in AWS, where States.TaskFailed does not match a timeout). One Task with a
 * 1 ms timeout yields an instance whose constructor is then reused.
 */
function statesTimeoutError(): Promise<Error> {
  timeoutErrorFactory ??= (async () => {
    const probe = new StateMachine(
      {
        StartAt: 'Probe',
        States: { Probe: { Type: 'Task', Resource: 'local:probe', TimeoutSeconds: 0.001, End: true } },
      },
      { validationOptions: { noValidate: true } },
    );
    const never = () => new Promise<never>(() => {});
    const run = probe.run({}, { overrides: { taskResourceLocalHandlers: { Probe: never } } });
    try {
      await run.result;
    } catch (error) {
      const cause = error instanceof Error ? error.cause : undefined;
      if (cause instanceof Error && cause.name === 'States.Timeout') {
        const timeoutClass = cause.constructor;
        return () => Reflect.construct(timeoutClass, []) as Error;
      }
    }
    return () => namedError('States.Timeout', 'States.Timeout');
  })();
  return timeoutErrorFactory.then((create) => create());
}

/** Turns what a local handler threw into the error the Lambda integration reports (error = errorType). */
function lambdaError(thrown: unknown): Error {
  const errorType = thrown instanceof Error ? thrown.name : 'Error';
  const errorMessage = thrown instanceof Error ? thrown.message : String(thrown);
  return namedError(errorType, JSON.stringify({ errorType, errorMessage }));
}

/**
 * Rewrites an in-memory copy of the definition so the library runs it with Shipgate's semantics: every Task
 * gets a Parameters wrapper that also resolves TimeoutSecondsPath against the state input (the library would
 * resolve it against the Parameters output), the library's own task timer becomes a safety net, and the real,
 * scaled timeout is enforced by the engine's override. Returns the Task plans and Wait overrides by state name.
 */
function planDefinition(
  definition: unknown,
  timeScale: number,
): { copy: StateMachineDefinition; tasks: Map<string, TaskPlan>; waits: Record<string, number> } {
  if (!isObject(definition) || !isObject(definition.States) || typeof definition.StartAt !== 'string') {
    throw new TypeError('the workflow definition needs StartAt and States');
  }
  const copy = structuredClone(definition);
  const tasks = new Map<string, TaskPlan>();
  const waits: Record<string, number> = {};

  const visit = (machine: JsonObject): void => {
    if (!isObject(machine.States)) return;
    for (const [name, state] of Object.entries(machine.States)) {
      if (!isObject(state)) continue;
      if (state.Type === 'Task') {
        const timeoutPath = typeof state.TimeoutSecondsPath === 'string' ? state.TimeoutSecondsPath : undefined;
        const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
        const wrapper: JsonObject =
          'Parameters' in state ? { [PARAMETERS_KEY]: state.Parameters } : { [`${PARAMETERS_KEY}.$`]: '$' };
        if (timeoutPath !== undefined) wrapper[`${TIMEOUT_KEY}.$`] = timeoutPath;
        state.Parameters = wrapper;
        delete state.TimeoutSecondsPath;
        delete state.HeartbeatSeconds;
        delete state.HeartbeatSecondsPath;
        state.TimeoutSeconds = LIBRARY_TASK_TIMEOUT_SECONDS;
        tasks.set(name, {
          resource: String(state.Resource),
          timeoutSeconds,
          hasTimeoutPath: timeoutPath !== undefined,
        });
      } else if (state.Type === 'Wait') {
        if (typeof state.Seconds === 'number') waits[name] = scaledMs(state.Seconds, timeScale);
        else if (timeScale !== 1) {
          throw new TypeError(
            `Wait state ${name}: only Seconds can be time-scaled locally; use a callback task instead`,
          );
        }
      } else if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
        for (const branch of state.Branches) if (isObject(branch)) visit(branch);
      } else if (state.Type === 'Map') {
        for (const inner of [state.Iterator, state.ItemProcessor]) if (isObject(inner)) visit(inner);
      }
    }
  };
  visit(copy);
  if (typeof copy.TimeoutSeconds === 'number') copy.TimeoutSeconds = scaledMs(copy.TimeoutSeconds, timeScale) / 1000;
  // The copy carries fractional timeouts and the wrappers, which the library's validator would reject; the
  // definition itself is validated by whoever owns it (the CDK synthesis and the tests use asl-validator).
  return { copy: copy as unknown as StateMachineDefinition, tasks, waits };
}

/**
 * Creates a local Step Functions for one state machine definition. Executions run in the background in this
 * process; nothing survives a restart (resuming is the definition's Choice on the release's phase).
 */
export function createLocalWorkflowEngine(options: LocalWorkflowEngineOptions): LocalWorkflowEngine {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError('timeScale must be a positive number');
  const stateMachineArn =
    options.stateMachineArn ?? 'arn:aws:states:us-east-1:000000000000:stateMachine:shipgate-local';
  const stateMachineName = stateMachineArn.split(':').at(-1) ?? 'shipgate-local';
  const executionPrefix = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
  const { copy, tasks, waits } = planDefinition(options.definition, timeScale);
  const machine = new StateMachine(copy, { validationOptions: { noValidate: true } });
  // `$$.Task.Token` resolves from the run's context, which is fixed for the whole run: it resolves to this
  // placeholder, and each task swaps in its own freshly minted token.
  const tokenPlaceholder = `local-task-token-placeholder:${randomUUID()}`;
  const executions = new Map<string, ExecutionRecord>();
  const pending = new Map<string, PendingTask>();
  const closedTokens = new Set<string>();

  const settleToken = (token: string): PendingTask | undefined => {
    const task = pending.get(token);
    pending.delete(token);
    closedTokens.add(token);
    executions.get(task?.executionArn ?? '')?.tokens.delete(token);
    return task;
  };

  const findToken = (taskToken: string): PendingTask => {
    const task = pending.get(taskToken);
    if (task) return task;
    if (closedTokens.has(taskToken)) {
      throw namedError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    throw namedError('InvalidToken', 'Invalid Token');
  };

  const runTask = async (
    record: ExecutionRecord,
    stateName: string,
    plan: TaskPlan,
    wrapped: unknown,
  ): Promise<LibraryJson> => {
    if (record.status !== 'RUNNING') throw namedError('States.Runtime', 'the execution is no longer running');
    const parameters = isObject(wrapped) ? wrapped[PARAMETERS_KEY] : undefined;
    const timeoutValue = isObject(wrapped) ? wrapped[TIMEOUT_KEY] : undefined;
    if (
      plan.hasTimeoutPath &&
      (typeof timeoutValue !== 'number' || !Number.isInteger(timeoutValue) || timeoutValue < 1)
    ) {
      throw namedError('States.Runtime', `TimeoutSecondsPath of ${stateName} must select a positive integer`);
    }
    const timeoutSeconds =
      typeof timeoutValue === 'number' ? timeoutValue : (plan.timeoutSeconds ?? AWS_DEFAULT_TASK_TIMEOUT_SECONDS);
    const isLambda = plan.resource.startsWith('arn:aws:states:::lambda:invoke');
    const isCallback = plan.resource.endsWith('.waitForTaskToken');
    const functionName =
      isLambda && isObject(parameters) && typeof parameters.FunctionName === 'string'
        ? parameters.FunctionName
        : plan.resource;
    const handler = options.resolveHandler(functionName);
    if (!handler) {
      throw namedError('Lambda.ResourceNotFoundException', `Function not found: ${functionName}`);
    }

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => statesTimeoutError().then(reject), scaledMs(timeoutSeconds, timeScale));
    });
    try {
      if (!isCallback) {
        const payload = isLambda && isObject(parameters) ? parameters.Payload : parameters;
        const invocation = Promise.resolve()
          .then(() => handler(toLibraryJson(payload), { executionArn: record.executionArn, stateName }))
          .catch((thrown: unknown) => {
            throw lambdaError(thrown);
          });
        const result = await Promise.race([invocation, timeout]);
        if (!isLambda) return toLibraryJson(result);
        // The shape of the optimized Lambda integration's result (ResultSelector/OutputPath read `$.Payload`).
        return toLibraryJson({
          ExecutedVersion: '$LATEST',
          Payload: result ?? null,
          SdkHttpMetadata: { HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: randomUUID() },
          StatusCode: 200,
        });
      }

      const taskToken = randomBytes(48).toString('base64url');
      const withToken = injectToken(parameters, tokenPlaceholder, taskToken);
      const payload = isLambda && isObject(withToken) ? withToken.Payload : withToken;
      // The token is live before the handler runs: a callback may come back before the invocation returns.
      const callback = new Promise<unknown>((resolve, reject) => {
        pending.set(taskToken, { executionArn: record.executionArn, resolve, reject });
      });
      // Stopping the execution rejects this before anyone awaits it; the awaiting below still sees the rejection.
      callback.catch(() => undefined);
      record.tokens.add(taskToken);
      try {
        const invocation = Promise.resolve()
          .then(() => handler(toLibraryJson(payload), { executionArn: record.executionArn, stateName, taskToken }))
          .catch((thrown: unknown) => {
            throw lambdaError(thrown);
          });
        await Promise.race([invocation, timeout]);
        return toLibraryJson(await Promise.race([callback, timeout]));
      } finally {
        settleToken(taskToken);
      }
    } finally {
      clearTimeout(timer);
    }
  };

  const describe = (record: ExecutionRecord): LocalExecutionDescription => ({
    executionArn: record.executionArn,
    name: record.name,
    status: record.status,
    input: record.input,
    startDate: record.startDate,
    stateTransitions: record.transitions,
    ...(record.output !== undefined ? { output: record.output } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
    ...(record.stopDate !== undefined ? { stopDate: record.stopDate } : {}),
  });

  const getRecord = (executionArn: string): ExecutionRecord => {
    const record = executions.get(executionArn);
    if (!record) throw namedError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  };

  const stop = (record: ExecutionRecord, error?: string, cause?: string): Date => {
    if (record.status !== 'RUNNING') return record.stopDate ?? new Date();
    record.status = 'ABORTED';
    record.stopDate = new Date();
    if (error !== undefined) record.error = error;
    if (cause !== undefined) record.cause = cause;
    record.abort();
    // Settle the waiting tasks so the library's task promises (and their timers) end with the execution.
    for (const token of [...record.tokens]) {
      settleToken(token)?.reject(namedError('States.Runtime', 'the execution was stopped'));
    }
    return record.stopDate;
  };

  return {
    stateMachineArn,

    startExecution({ name = randomUUID(), input = '{}' }) {
      if (!/^[\w-]{1,80}$/.test(name)) throw namedError('InvalidName', `Invalid Name: '${name}'`);
      const executionArn = `${executionPrefix}${name}`;
      const existing = executions.get(executionArn);
      if (existing) {
        // As in AWS, starting a running execution again with the same input is idempotent.
        if (existing.status === 'RUNNING' && existing.input === input) {
          return { executionArn, startDate: existing.startDate };
        }
        throw namedError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      let parsedInput: LibraryJson;
      try {
        parsedInput = JSON.parse(input) as LibraryJson;
      } catch {
        throw namedError('InvalidExecutionInput', 'Invalid execution input: not JSON');
      }

      const record: ExecutionRecord = {
        executionArn,
        name,
        input,
        startDate: new Date(),
        status: 'RUNNING',
        abort: () => undefined,
        settled: Promise.resolve(),
        tokens: new Set(),
        transitions: 0,
      };
      executions.set(executionArn, record);
      // The library runs the first state synchronously inside run() and falls back to invoking the real Lambda
      // for a Task without an override, so every override must exist before run() is called.
      const taskResourceLocalHandlers: LibraryTaskHandlers = {};
      for (const [stateName, plan] of tasks) {
        taskResourceLocalHandlers[stateName] = (wrapped) => runTask(record, stateName, plan, wrapped);
      }
      const run = machine.run(parsedInput, {
        overrides: { taskResourceLocalHandlers, waitTimeOverrides: waits },
        context: {
          Execution: { Id: executionArn, Name: name },
          StateMachine: { Id: stateMachineArn, Name: stateMachineName },
          Task: { Token: tokenPlaceholder },
        },
      });
      record.abort = run.abort;
      void (async () => {
        for await (const entry of run.eventLogs) if (entry.type === 'StateEntered') record.transitions += 1;
      })().catch(() => undefined);
      record.settled = run.result.then(
        (output) => {
          if (record.status !== 'RUNNING') return;
          record.status = 'SUCCEEDED';
          record.output = JSON.stringify(output);
          record.stopDate = new Date();
        },
        (error: unknown) => {
          if (record.status !== 'RUNNING' || error instanceof ExecutionAbortedError) return;
          record.stopDate = new Date();
          if (error instanceof ExecutionTimeoutError) {
            record.status = 'TIMED_OUT';
            return;
          }
          record.status = 'FAILED';
          const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
          record.error = failure instanceof Error ? failure.name : 'States.Runtime';
          record.cause = failure instanceof Error ? failure.message : String(failure);
        },
      );
      return { executionArn, startDate: record.startDate };
    },

    describeExecution(executionArn) {
      return describe(getRecord(executionArn));
    },

    stopExecution(executionArn, request = {}) {
      return { stopDate: stop(getRecord(executionArn), request.error, request.cause) };
    },

    sendTaskSuccess({ taskToken, output }) {
      const task = findToken(taskToken);
      let parsed: unknown;
      try {
        parsed = JSON.parse(output);
      } catch {
        throw namedError('InvalidOutput', 'Invalid output: not JSON');
      }
      settleToken(taskToken);
      task.resolve(parsed);
    },

    sendTaskFailure({ taskToken, error, cause }) {
      const task = findToken(taskToken);
      settleToken(taskToken);
      // AWS leaves the error empty when none is given; States.TaskFailed is what a Catch would match it as.
      task.reject(namedError(error ?? 'States.TaskFailed', cause ?? ''));
    },

    sendTaskHeartbeat({ taskToken }) {
      findToken(taskToken);
    },

    async whenSettled(executionArn) {
      const record = getRecord(executionArn);
      await record.settled;
      return describe(record);
    },

    close() {
      for (const record of executions.values()) stop(record, 'EngineClosed', 'the local workflow engine was closed');
    },
  };
}
