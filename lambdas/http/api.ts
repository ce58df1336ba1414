// The middy stack every HTTP handler shares: size guard, JSON parsing, zod validation, identity, problem+json.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import type { Actor } from '../core/auth/actor.ts';
import type { FieldIssue } from '../core/errors.ts';
import { ValidationFailed } from '../core/errors.ts';
import { logger } from '../functions/logger.ts';
import { actorOf } from './identity.ts';
import { PayloadTooLarge, problemJson } from './problem.ts';

/** Largest request body accepted, in bytes (256 KiB). */
export const MAX_BODY_BYTES = 256 * 1024;

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyResultV2;

export interface RouteSchemas<B, Q, P> {
  readonly body?: z.ZodType<B>;
  readonly query?: z.ZodType<Q>;
  readonly params?: z.ZodType<P>;
  /** @default true: the route needs a verified identity. */
  readonly authenticated?: boolean;
  /**
   * The body is taken as text, not JSON (`rawBody`, with its `contentType`): decoded from base64 when API Gateway
   * encoded it, refused unless it is UTF-8, and at most `maxBytes`.
   */
  readonly raw?: { readonly maxBytes: number } | undefined;
}

export interface RouteInput<B, Q, P> {
  readonly actor: Actor;
  readonly body: B;
  readonly query: Q;
  readonly params: P;
  /** The body as text, for routes with `raw`; '' otherwise. */
  readonly rawBody: string;
  /** The media type of the body, lowercased, without parameters ('' when absent). */
  readonly contentType: string;
  readonly event: Event;
}

/** zod issues as field problems, named by their dotted path (an unknown key is named itself). */
export function fieldIssues(error: z.ZodError, root: string): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'is not a known field' }));
    }
    return [{ field: path.length > 0 ? path.join('.') : root, message: issue.message }];
  });
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, root: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationFailed(fieldIssues(result.error, root));
  return result.data;
}

/** Refuses bodies over `limit` bytes before anything reads them. */
const bodySizeGuard = (limit: number): MiddlewareObj<Event, Result> => ({
  before: ({ event }) => {
    if (!event.body) return;
    const bytes = event.isBase64Encoded ? Buffer.byteLength(event.body, 'base64') : Buffer.byteLength(event.body);
    if (bytes > limit) {
      throw new PayloadTooLarge(`the request body has ${bytes} bytes; the limit is ${limit}`, {
        errors: [{ field: 'body', message: `must be at most ${limit} bytes` }],
      });
    }
  },
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A text body as a string: base64 decoded when API Gateway encoded it, and refused unless it is UTF-8. */
function textBody(event: Event): string {
  if (!event.body) return '';
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  try {
    return utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw ValidationFailed.field('body', 'is not UTF-8 text: save the file as UTF-8 and send it again');
  }
}

const mediaType = (event: Event): string =>
  (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** A body-carrying request with no body at all is malformed JSON to the parser; say so plainly. */
const requireBody = (): MiddlewareObj<Event, Result> => ({
  before: ({ event }) => {
    if (event.body === undefined || event.body === '') throw ValidationFailed.field('body', 'is required');
  },
});

/**
 * Builds a Lambda handler for one route: the stack is assembled once per container, and the function receives
 * validated input and the calling actor.
 */
export function httpRoute<B = undefined, Q = undefined, P = undefined>(
  schemas: RouteSchemas<B, Q, P>,
  fn: (input: RouteInput<B, Q, P>) => Promise<Result> | Result,
) {
  const stack = middy<Event, Result, Error, Context>()
    .use(problemJson())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(bodySizeGuard(schemas.raw?.maxBytes ?? MAX_BODY_BYTES));
  if (schemas.raw) stack.use(requireBody());
  else if (schemas.body) stack.use(requireBody()).use(httpJsonBodyParser());
  return stack.handler(async (event) => {
    const actor = schemas.authenticated === false ? anonymous : actorOf(event);
    return fn({
      actor,
      body: parse(schemas.body, event.body, 'body'),
      query: parse(schemas.query, event.queryStringParameters ?? {}, 'query'),
      params: parse(schemas.params, event.pathParameters ?? {}, 'path'),
      rawBody: schemas.raw ? textBody(event) : '',
      contentType: mediaType(event),
      event,
    });
  });
}

const anonymous: Actor = { kind: 'user', id: 'anonymous', name: 'anonymous', roles: [], scopes: [] };

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/** A body that is a value, not a promise of one: an un-awaited use case fails compilation here. */
type Body<T> = T extends PromiseLike<unknown> ? never : T;

export const ok = <T>(body: Body<T>): Result => ({
  statusCode: 200,
  headers: JSON_HEADERS,
  body: JSON.stringify(body),
});

/** A text document (`text/markdown; charset=utf-8`, …), e.g. a checklist export. */
export const document = (contentType: string, body: string): Result => ({
  statusCode: 200,
  headers: { 'content-type': contentType, 'cache-control': 'no-store' },
  body,
});

export const created = <T>(location: string, body: Body<T>): Result => ({
  statusCode: 201,
  headers: { ...JSON_HEADERS, location },
  body: JSON.stringify(body),
});
