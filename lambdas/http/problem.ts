// The one place errors become HTTP: RFC 9457 problem+json for every failure, and nothing internal in a 500.

import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { outageRetryAfter } from '../adapters/outage.ts';
import {
  ChangeStored,
  DomainError,
  Forbidden,
  NotFound,
  OutcomeUnknown,
  RuleViolation,
  ServiceUnavailable,
  StaleVersion,
  Unauthenticated,
  ValidationFailed,
} from '../core/errors.ts';
import { logger } from '../functions/logger.ts';
import { changeStored, IdempotencyKeyReused, RequestAlreadyApplied, RequestInProgress, traces } from './idempotency.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A request body over the API's limit (413). Raised by the size guard before anything parses the body. */
export class PayloadTooLarge extends DomainError {
  readonly code = 'payload-too-large';
}

/** A body that is not JSON, or not sent as JSON (415). */
export class UnsupportedMediaType extends DomainError {
  readonly code = 'unsupported-media-type';
}

interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string | undefined;
  readonly [extension: string]: unknown;
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * A domain error that asks the caller to come back (the use case ran out of time for another attempt): it carries
 * `retryAfterSeconds`, answered as 503 with Retry-After. Read structurally, so this module imports no use case.
 */
const retryAfterOf = (error: DomainError): number | undefined => {
  const seconds = (error as { readonly retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof seconds === 'number' && seconds > 0 ? seconds : undefined;
};

function statusOf(error: DomainError): number {
  if (error instanceof RequestInProgress || error instanceof RequestAlreadyApplied) return 409;
  if (error instanceof IdempotencyKeyReused) return 422;
  if (error instanceof ChangeStored) return 503;
  if (retryAfterOf(error) !== undefined) return 503;
  if (error instanceof ValidationFailed) return 400;
  if (error instanceof Unauthenticated) return 401;
  if (error instanceof Forbidden) return 403;
  if (error instanceof NotFound) return 404;
  if (error instanceof StaleVersion || error instanceof RuleViolation) return 409;
  if (error instanceof PayloadTooLarge) return 413;
  if (error instanceof UnsupportedMediaType) return 415;
  return 400;
}

/** middy's own HTTP errors (from the JSON body parser) carry a statusCode and a cause. */
interface MiddyHttpError {
  readonly statusCode: number;
  readonly message: string;
  readonly cause?: { readonly package?: string; readonly message?: string };
}

const isMiddyHttpError = (error: unknown): error is MiddyHttpError =>
  error instanceof Error && typeof (error as Partial<MiddyHttpError>).statusCode === 'number';

/** Turns anything thrown into a domain error, or undefined when it is a bug. */
function asDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  const retryAfter = outageRetryAfter(error);
  if (retryAfter !== undefined) {
    // Said in the log, since the caller only learns to come back: an operator must learn what is down.
    logger.warn('a service Shipgate depends on is unavailable', {
      error: error instanceof Error ? error : String(error),
    });
    return new ServiceUnavailable(retryAfter);
  }
  if (isMiddyHttpError(error)) {
    if (error.statusCode === 415) {
      return new UnsupportedMediaType('the request body must be JSON, sent with Content-Type: application/json', {
        errors: [{ field: 'content-type', message: 'must be application/json' }],
      });
    }
    if (error.statusCode === 422) {
      const cause = error.cause?.message ?? '';
      // The parser's own words help with a typo; a blown stack only means the document nests too deeply to read.
      if (/call stack/i.test(cause)) return ValidationFailed.field('body', 'nests too deeply to be read');
      return ValidationFailed.field('body', `is not valid JSON${cause ? `: ${cause}` : ''}`);
    }
  }
  return undefined;
}

export function problemResponse(
  status: number,
  problem: Omit<Problem, 'status' | 'title'>,
  headers: Record<string, string> = {},
): APIGatewayProxyResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers },
    // The RFC 9457 members come last: no extension member can overwrite them.
    body: JSON.stringify({ ...problem, title: TITLES[status] ?? 'Error', status }),
  };
}

/** The problem response of a domain error (or of middy's own HTTP errors); undefined for anything else, a bug. */
export function domainProblem(error: unknown, instance: string): APIGatewayProxyResultV2 | undefined {
  const domain = asDomainError(error);
  if (!domain) return undefined;
  const retryAfter = retryAfterOf(domain);
  return problemResponse(
    statusOf(domain),
    { type: `/problems/${domain.code}`, detail: domain.message, instance, ...domain.extensions },
    retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
  );
}

/** Maps an error to its problem response; unknown errors are logged with the request id and answered blandly. */
export function toProblem(error: unknown, event: APIGatewayProxyEventV2, context: Context): APIGatewayProxyResultV2 {
  const instance = event.rawPath;
  const known = domainProblem(error, instance);
  if (known) return known;
  const requestId = event.requestContext?.requestId ?? context.awsRequestId;
  logger.error('unhandled error', { error: error instanceof Error ? error : String(error), requestId });
  return problemResponse(500, {
    type: 'about:blank',
    detail: `Shipgate could not complete the request; quote request id ${requestId} when you report it`,
    instance,
    requestId,
  });
}

/**
 * The function ran out of time (middy answers before Lambda ends it): a read only took too long; a write may still
 * be storing its change, or has stored it.
 */
function timedOut(error: unknown, event: APIGatewayProxyEventV2): unknown {
  if (!(error instanceof OutcomeUnknown)) return error;
  if ((event.requestContext?.http?.method ?? 'GET').toUpperCase() === 'GET') return new ServiceUnavailable(2);
  return traces.get(event)?.stored ? changeStored() : error;
}

/** middy middleware: the last word on every failure of a handler. */
export const problemJson = (): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> => ({
  onError: (request) => {
    request.response = toProblem(timedOut(request.error, request.event), request.event, request.context);
  },
});
