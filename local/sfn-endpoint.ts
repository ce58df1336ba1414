// A Step Functions-compatible HTTP endpoint on 127.0.0.1, backed by local workflow engines, so the handlers'
// unchanged @aws-sdk/client-sfn calls reach it through AWS_ENDPOINT_URL_SFN (AWS JSON 1.0, the SDK's protocol).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalExecutionDescription, LocalWorkflowEngine } from './workflow-engine.ts';

interface SfnEndpointCommonOptions {
  /** The port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Called with what an engine threw that is not a Step Functions error (answered 500 InternalFailure). */
  readonly onInternalError?: (error: unknown) => void;
}

/**
 * The engines the endpoint serves, one state machine each; the endpoint never closes them. Their state machine
 * ARNs must be `arn:...:states:...:stateMachine:<name>` and their names distinct (executions route by name).
 * The single-`engine` form is the original one, kept as is.
 */
export type SfnEndpointOptions = SfnEndpointCommonOptions &
  (
    | { readonly engines: readonly LocalWorkflowEngine[]; readonly engine?: never }
    | { readonly engine: LocalWorkflowEngine; readonly engines?: never }
  );

export interface SfnEndpoint {
  /** `http://127.0.0.1:PORT`: the value for `AWS_ENDPOINT_URL_SFN` or the SFNClient `endpoint` option. */
  readonly endpoint: string;
  /** Stops listening and drops open connections (the SDK keeps them alive). The engines keep running. */
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Far above the service's 256 KiB payload limit even with every character JSON-escaped. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** The service's length limits on a failure's error and cause. */
const MAX_ERROR_LENGTH = 256;
const MAX_CAUSE_LENGTH = 32_768;

/**
 * The error names of the Step Functions model the engine and this endpoint raise. The SDK maps `__type` to its
 * exception class by the name after any `#`, so the bare name is what is sent.
 */
const SERVICE_ERRORS = new Set([
  'ExecutionAlreadyExists',
  'ExecutionDoesNotExist',
  'InvalidArn',
  'InvalidExecutionInput',
  'InvalidName',
  'InvalidOutput',
  'InvalidToken',
  'StateMachineDoesNotExist',
  'TaskDoesNotExist',
  'TaskTimedOut',
  'ValidationException',
]);

type JsonObject = Record<string, unknown>;

/** A client error the endpoint raises itself, answered 400 with its name as `__type`. */
class ServiceError extends Error {
  constructor(type: string, message: string) {
    super(message);
    this.name = type;
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The service's constraint message for a null required member. */
function requiredString(body: JsonObject, key: string): string {
  const value = body[key];
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) {
    throw new ServiceError(
      'ValidationException',
      `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`,
    );
  }
  throw new ServiceError('SerializationException', `'${key}' must be a string`);
}

function optionalString(body: JsonObject, key: string, maxLength = Number.POSITIVE_INFINITY): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ServiceError('SerializationException', `'${key}' must be a string`);
  if (value.length > maxLength) {
    throw new ServiceError(
      'ValidationException',
      `1 validation error detected: Value at '${key}' failed to satisfy constraint: ` +
        `Member must have length less than or equal to ${maxLength}`,
    );
  }
  return value;
}

const ARN_PATTERN = /^arn:[\w-]+:states:[\w-]*:\d*:(stateMachine|execution):([^:\s]+)(?::[^:\s]+)?$/;

/** Checks the ARN's shape and kind; returns the state machine name it carries. */
function checkArn(arn: string, kind: 'stateMachine' | 'execution'): string {
  const match = ARN_PATTERN.exec(arn);
  if (!match || match[1] !== kind || match[2] === undefined) {
    throw new ServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
  }
  return match[2];
}

/** Timestamps cross the wire as epoch seconds (fractional), the protocol's default. */
const epochSeconds = (date: Date): number => date.getTime() / 1000;

function describeResponse(description: LocalExecutionDescription, stateMachineArn: string): JsonObject {
  return {
    executionArn: description.executionArn,
    stateMachineArn,
    name: description.name,
    status: description.status,
    startDate: epochSeconds(description.startDate),
    ...(description.stopDate ? { stopDate: epochSeconds(description.stopDate) } : {}),
    input: description.input,
    inputDetails: { included: true },
    ...(description.output !== undefined ? { output: description.output, outputDetails: { included: true } } : {}),
    ...(description.error !== undefined ? { error: description.error } : {}),
    ...(description.cause !== undefined ? { cause: description.cause } : {}),
  };
}

type Operation = (body: JsonObject) => JsonObject;

const UNQUALIFIED_STATE_MACHINE_ARN = /^arn:[\w-]+:states:[\w-]*:\d*:stateMachine:([^:\s]+)$/;

/** How the endpoint finds the engine a call is for. */
interface EngineRoutes {
  /** By the state machine ARN, exactly. */
  readonly byArn: ReadonlyMap<string, LocalWorkflowEngine>;
  /** By the state machine name, as an execution ARN carries it. */
  readonly byName: ReadonlyMap<string, LocalWorkflowEngine>;
  /** Every engine, in the order given: the order a task token is offered in. */
  readonly all: readonly LocalWorkflowEngine[];
}

function routesFor(engines: readonly LocalWorkflowEngine[]): EngineRoutes {
  if (engines.length === 0) throw new TypeError('startSfnEndpoint needs at least one engine');
  const byArn = new Map<string, LocalWorkflowEngine>();
  const byName = new Map<string, LocalWorkflowEngine>();
  for (const engine of engines) {
    const arn = engine.stateMachineArn;
    // Unqualified only: the engine names its executions `...:execution:<name>:<execution>`, which a version or
    // alias qualifier would break.
    const name = UNQUALIFIED_STATE_MACHINE_ARN.exec(arn)?.[1];
    if (name === undefined) throw new TypeError(`not a state machine ARN (arn:...:stateMachine:<name>): '${arn}'`);
    if (byName.has(name)) {
      throw new TypeError(`two engines share the state machine name '${name}'; execution ARNs could not be routed`);
    }
    byArn.set(arn, engine);
    byName.set(name, engine);
  }
  return { byArn, byName, all: [...engines] };
}

/** The engine that ran the execution, by the state machine name in its ARN. */
function engineOfExecution(routes: EngineRoutes, executionArn: string): LocalWorkflowEngine {
  const engine = routes.byName.get(checkArn(executionArn, 'execution'));
  if (!engine) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
  return engine;
}

const isInvalidToken = (error: unknown): boolean => error instanceof Error && error.name === 'InvalidToken';

/**
 * A task token is opaque, so it is offered to each engine in turn: the first that does not answer InvalidToken
 * (it issued the token: the call succeeds, or fails TaskTimedOut for a used token, InvalidOutput, ...) answers.
 * When no engine issued it, the answer is the engines' own InvalidToken.
 */
function withTokenOwner(routes: EngineRoutes, call: (engine: LocalWorkflowEngine) => void): void {
  let lastInvalid: unknown;
  for (const engine of routes.all) {
    try {
      call(engine);
      return;
    } catch (error) {
      if (!isInvalidToken(error)) throw error;
      lastInvalid = error;
    }
  }
  throw lastInvalid;
}

function operations(routes: EngineRoutes): Record<string, Operation> {
  return {
    StartExecution(body) {
      const stateMachineArn = requiredString(body, 'stateMachineArn');
      checkArn(stateMachineArn, 'stateMachine');
      const engine = routes.byArn.get(stateMachineArn);
      if (!engine) {
        throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
      }
      const name = optionalString(body, 'name');
      const input = optionalString(body, 'input');
      const started = engine.startExecution({
        ...(name !== undefined ? { name } : {}),
        ...(input !== undefined ? { input } : {}),
      });
      return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
    },

    DescribeExecution(body) {
      const executionArn = requiredString(body, 'executionArn');
      const engine = engineOfExecution(routes, executionArn);
      return describeResponse(engine.describeExecution(executionArn), engine.stateMachineArn);
    },

    StopExecution(body) {
      const executionArn = requiredString(body, 'executionArn');
      const engine = engineOfExecution(routes, executionArn);
      const error = optionalString(body, 'error', MAX_ERROR_LENGTH);
      const cause = optionalString(body, 'cause', MAX_CAUSE_LENGTH);
      const { stopDate } = engine.stopExecution(executionArn, {
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      });
      return { stopDate: epochSeconds(stopDate) };
    },

    SendTaskSuccess(body) {
      const taskToken = requiredString(body, 'taskToken');
      const output = requiredString(body, 'output');
      withTokenOwner(routes, (engine) => engine.sendTaskSuccess({ taskToken, output }));
      return {};
    },

    SendTaskFailure(body) {
      const taskToken = requiredString(body, 'taskToken');
      const error = optionalString(body, 'error', MAX_ERROR_LENGTH);
      const cause = optionalString(body, 'cause', MAX_CAUSE_LENGTH);
      withTokenOwner(routes, (engine) =>
        engine.sendTaskFailure({
          taskToken,
          ...(error !== undefined ? { error } : {}),
          ...(cause !== undefined ? { cause } : {}),
        }),
      );
      return {};
    },

    SendTaskHeartbeat(body) {
      const taskToken = requiredString(body, 'taskToken');
      withTokenOwner(routes, (engine) => engine.sendTaskHeartbeat({ taskToken }));
      return {};
    },
  };
}

function send(response: ServerResponse, status: number, body: JsonObject): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

/** Reads the whole body; `undefined` when it passes the limit (the rest is drained, not kept). */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Serves the Step Functions calls Shipgate makes (StartExecution, DescribeExecution, StopExecution,
 * SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat) for the engines' state machines, on 127.0.0.1: a start
 * goes to the engine with that state machine ARN, a describe or stop to the one whose state machine name the
 * execution ARN carries, a task token to whichever engine issued it. Throws a TypeError (before listening) for no
 * engine, an engine whose ARN is not a state machine ARN, or two engines sharing a state machine name.
 * Requests are SigV4-signed by the SDK with whatever credentials it has; the signature is not checked. Errors are
 * HTTP 400 `{"__type": "<ErrorName>", "message": "..."}`, which the SDK turns into its exception classes
 * (`TaskTimedOut`, `InvalidToken`, `ExecutionAlreadyExists`, ...). A request whose Host is not this loopback
 * address (a browser page reaching it by DNS rebinding) is refused.
 */
export async function startSfnEndpoint(options: SfnEndpointOptions): Promise<SfnEndpoint> {
  const routes = routesFor(options.engines ?? (options.engine !== undefined ? [options.engine] : []));
  const onInternalError =
    options.onInternalError ??
    ((error: unknown) => console.error('sfn endpoint: the local workflow engine failed a call:', error));
  const handlers = operations(routes);
  let allowedHosts = new Set<string>();

  const server = createServer((request, response) => {
    void (async () => {
      if (!allowedHosts.has((request.headers.host ?? '').toLowerCase())) {
        send(response, 403, { __type: 'AccessDeniedException', message: 'Host not served by this endpoint' });
        return;
      }
      const target = request.headers['x-amz-target'];
      const operationName =
        request.method === 'POST' && typeof target === 'string' && target.startsWith(TARGET_PREFIX)
          ? target.slice(TARGET_PREFIX.length)
          : undefined;
      const handler =
        operationName !== undefined && Object.hasOwn(handlers, operationName) ? handlers[operationName] : undefined;
      const text = await readBody(request);
      if (text === undefined) {
        send(response, 413, { __type: 'SerializationException', message: 'Request body too large' });
        return;
      }
      if (!handler) {
        send(response, 400, {
          __type: 'UnknownOperationException',
          message: `Unknown operation: ${typeof target === 'string' ? target : '(no X-Amz-Target)'}`,
        });
        return;
      }
      let body: unknown;
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        send(response, 400, { __type: 'SerializationException', message: 'The request body is not JSON' });
        return;
      }
      if (!isObject(body)) {
        send(response, 400, { __type: 'SerializationException', message: 'The request body is not a JSON object' });
        return;
      }
      try {
        send(response, 200, handler(body));
      } catch (error) {
        if (error instanceof ServiceError || (error instanceof Error && SERVICE_ERRORS.has(error.name))) {
          send(response, 400, { __type: error.name, message: error.message });
        } else {
          onInternalError(error);
          send(response, 500, { __type: 'InternalFailure', message: 'The local workflow engine failed the call' });
        }
      }
    })().catch(() => {
      // The request stream failed: the client went away, so there is no one left to answer.
      response.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
