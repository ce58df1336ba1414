// Idempotency-Key on every POST, PATCH and DELETE: a retry of a request that was answered gets the first answer and
// changes nothing; the same key with another request is refused. The design and its reasons: docs/idempotency.md.
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { outageRetryAfter } from '../adapters/outage.ts';
import type { Actor } from '../core/auth/actor.ts';
import { ChangeStored, DomainError, OutcomeUnknown, ServiceUnavailable, ValidationFailed } from '../core/errors.ts';
import type { KeyedRequest, RequestLedger, StoredResponse, WriteTrace } from '../core/requests.ts';
import { logger } from '../functions/logger.ts';

/** The request header, lowercased as the header normalizer leaves it. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Set on an answer that replays the first answer to the same key. */
export const REPLAYED_HEADER = 'idempotency-replayed';

const KEY_PATTERN = /^[\x21-\x7E](?:[\x20-\x7E]{0,253}[\x21-\x7E])?$/;
const WRITE_METHODS = new Set(['POST', 'PATCH', 'DELETE']);

/** The same key sent with another request (422). */
export class IdempotencyKeyReused extends DomainError {
  readonly code = 'idempotency-key-reused';
}

/** The first request with this key is still running (409, with Retry-After). */
export class RequestInProgress extends DomainError {
  readonly code = 'request-in-progress';
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('a request with this Idempotency-Key is still running; send it again after Retry-After to get its answer', {
      retryAfterSeconds,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The first request's change was stored but its answer lost (409): read the resource instead of retrying. */
export class RequestAlreadyApplied extends DomainError {
  readonly code = 'request-already-applied';
}

/** JSON with object keys sorted, so two bodies that differ only in key order are the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The key of a write request, or undefined when it carries none (or is no write). Throws on a malformed key. */
export function idempotencyKeyOf(event: APIGatewayProxyEventV2): string | undefined {
  const method = event.requestContext?.http?.method?.toUpperCase() ?? '';
  if (!WRITE_METHODS.has(method)) return undefined;
  const key = event.headers?.[IDEMPOTENCY_HEADER];
  if (key === undefined) return undefined;
  if (!KEY_PATTERN.test(key)) {
    throw ValidationFailed.field(
      'Idempotency-Key',
      'must be 1 to 255 visible ASCII characters (a UUID is a good key), without leading or trailing spaces',
    );
  }
  return key;
}

/** What identifies a request for its key: method, path, query and body (parsed JSON compared by value). */
export function requestOf(
  event: APIGatewayProxyEventV2,
  actor: Actor,
  key: string,
  body: unknown,
  leaseMs: number,
): KeyedRequest {
  const method = event.requestContext.http.method.toUpperCase();
  const query = Object.entries(event.queryStringParameters ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const fingerprint = createHash('sha256')
    .update(canonical([method, event.rawPath, query, typeof body === 'string' ? body : canonical(body ?? null)]))
    .digest('base64url');
  return { scope: `${actor.kind}:${actor.id}`, key, method, path: event.rawPath, fingerprint, leaseMs };
}

/** What the writes of each request being served did, by its event: read when the function runs out of time. */
export const traces = new WeakMap<object, WriteTrace>();

/** Whether an error says a service failed (the caller may come back), rather than a refusal or a bug. */
const dependencyFailed = (error: unknown): boolean =>
  error instanceof OutcomeUnknown ||
  error instanceof ServiceUnavailable ||
  (error instanceof DomainError && error.code === 'retry-later') ||
  outageRetryAfter(error) !== undefined;

/**
 * What a failed write request answers: never "nothing was changed" when something was. `released` says what
 * freeing its key found, when it sent one: the mark of a stored change, or none (then nothing of it is stored).
 */
export function afterFailure(error: unknown, trace: WriteTrace, released?: 'released' | 'applied'): unknown {
  if (!dependencyFailed(error)) return error;
  if (released === 'applied' || trace.stored) return changeStored();
  if (released === 'released') return error instanceof OutcomeUnknown ? new ServiceUnavailable(2) : error;
  if (trace.uncertain || error instanceof OutcomeUnknown) return new OutcomeUnknown();
  return error;
}

export const changeStored = () =>
  new ChangeStored(
    'the change was stored, but a service Shipgate depends on failed before the answer was ready: read the ' +
      'resource to see it, and do not send the request again',
  );

/**
 * Serves a write request: once per key when it sent one (see `once`), and in any case answering a failure as what it
 * is, with what its writes did (`afterFailure`).
 */
export async function guarded(
  ledger: RequestLedger,
  event: object,
  request: KeyedRequest | undefined,
  work: () => Promise<APIGatewayProxyResultV2>,
): Promise<APIGatewayProxyResultV2> {
  const trace: WriteTrace = { stored: false, uncertain: false };
  traces.set(event, trace);
  if (request) return once(ledger, request, trace, work);
  try {
    return await ledger.within(undefined, trace, work);
  } catch (error) {
    throw afterFailure(error, trace);
  }
}

/**
 * Runs `work` once per key: the first request with a key runs and its 2xx answer is kept; a retry gets that answer
 * (marked `idempotency-replayed`); an error answer frees the key, since an error changed nothing.
 */
export async function once(
  ledger: RequestLedger,
  request: KeyedRequest,
  trace: WriteTrace,
  work: () => Promise<APIGatewayProxyResultV2>,
): Promise<APIGatewayProxyResultV2> {
  const outcome = await ledger.claim(request);
  switch (outcome.kind) {
    case 'replay':
      return { ...outcome.response, headers: { ...outcome.response.headers, [REPLAYED_HEADER]: 'true' } };
    case 'reused':
      throw new IdempotencyKeyReused(
        `this Idempotency-Key was sent with another request (${outcome.method} ${outcome.path} or another body) ` +
          'in the last 24 hours; use a new key for a new request',
        { errors: [{ field: 'Idempotency-Key', message: 'was already used for another request' }] },
      );
    case 'in-progress':
      throw new RequestInProgress(outcome.retryAfterSeconds);
    case 'applied':
      throw appliedWithoutAnswer(outcome.appliedAt);
    case 'claimed':
      break;
  }
  const { claim } = outcome;
  let result: APIGatewayProxyResultV2;
  try {
    result = await ledger.within(claim, trace, work);
  } catch (error) {
    const released = await ledger.release(claim).catch(() => undefined);
    throw afterFailure(error, trace, released);
  }
  const response = storable(result);
  try {
    if (response && response.statusCode >= 200 && response.statusCode < 300) await ledger.complete(claim, response);
    else await ledger.release(claim);
  } catch (error) {
    // The answer is ready and the change (if any) stored and marked: a retry learns of it once the lease is over.
    logger.warn('the answer to an Idempotency-Key was not kept', { error: error as Error, key: request.key });
  }
  return result;
}

function appliedWithoutAnswer(appliedAt: string): RequestAlreadyApplied {
  return new RequestAlreadyApplied(
    `the request with this Idempotency-Key was applied at ${appliedAt}, but its answer was lost; ` +
      'read the resource to see the result instead of sending the request again',
    { appliedAt },
  );
}

/** The answer as kept: a structured result (a bare string result is a 200 JSON body to API Gateway). */
function storable(result: APIGatewayProxyResultV2): StoredResponse | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  return { statusCode: result.statusCode ?? 200, headers, body: result.body ?? '' };
}
