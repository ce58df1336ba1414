// Recognizes an error that says a service Shipgate depends on (DynamoDB, Step Functions, SNS) could not be reached or
// is overloaded, as the SDK and Node report it: the caller should come back, nothing was changed, and no internals
// are worth showing. Anything else stays unknown (a bug).

/** Node's socket and name-resolution errors: the endpoint is down, unreachable, or dropped the connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The SDK's names for a timeout, an unavailable service and throttling, after its own retries ran out. */
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);

const THROTTLING = /thrott|TooManyRequests|ProvisionedThroughput|RequestLimit/i;

interface Shaped {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
  readonly $fault?: unknown;
}

/** Errors that prove the request never reached the service: nothing it asked for can have happened. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** How long the caller should wait before coming back, or undefined when the error is no outage. */
export function outageRetryAfter(error: unknown, depth = 0): number | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const shaped = error as Shaped;
  // middy's own early timeout (the function's time is up) is no dependency's outage.
  if ((shaped.cause as { package?: unknown } | undefined)?.package === '@middy/core') return undefined;
  const name = typeof shaped.name === 'string' ? shaped.name : '';
  if (typeof shaped.code === 'string' && NETWORK_CODES.has(shaped.code)) return 2;
  if (TRANSIENT_NAMES.has(name) || shaped.$fault === 'server') return THROTTLING.test(name) ? 5 : 2;
  for (const inner of [shaped.cause, ...(Array.isArray(shaped.errors) ? shaped.errors : [])]) {
    const found = outageRetryAfter(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Whether a write that failed with this outage may have been carried out all the same: its request was sent (it
 * timed out, or the connection dropped, while waiting for the answer). False for a refused connection or a name
 * that did not resolve, and for a service's own refusal (throttling), which carry nothing out.
 */
export function maybeCarriedOut(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const shaped = error as Shaped;
  const name = typeof shaped.name === 'string' ? shaped.name : '';
  if (typeof shaped.code === 'string' && NOT_SENT_CODES.has(shaped.code)) return false;
  if (THROTTLING.test(name)) return false;
  if (typeof shaped.code === 'string' && NETWORK_CODES.has(shaped.code)) return true;
  if (TRANSIENT_NAMES.has(name) || shaped.$fault === 'server') return true;
  return [shaped.cause, ...(Array.isArray(shaped.errors) ? shaped.errors : [])].some((inner) =>
    maybeCarriedOut(inner, depth + 1),
  );
}
