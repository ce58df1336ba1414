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
import { OutcomeUnknown, ValidationFailed } from '../core/errors.ts';
import { withRemainingTime } from '../core/release/context.ts';
import type { RequestLedger } from '../core/requests.ts';
import { logger } from '../functions/logger.ts';
import { guarded, idempotencyKeyOf, requestOf } from './idempotency.ts';
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
  /**
   * The records of Idempotency-Key (every POST, PATCH and DELETE route passes its function's): a retry with the same
   * key gets the first answer, and the change is made once.
   */
  readonly requests?: RequestLedger | undefined;
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

/**
 * zod issues as field problems, named by their dotted path (an unknown key is named itself). Given the schema, an
 * unknown key close to a known one (a typo, another case) says which was meant.
 */
export function fieldIssues(error: z.ZodError, root: string, schema?: z.ZodType): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const known = schema ? knownKeysAt(schema, issue.path) : [];
      return issue.keys.map((key) => {
        const meant = closestKey(key, known);
        const message = meant ? `is not a known field; did you mean ${meant}?` : 'is not a known field';
        return { field: [...path, key].join('.'), message };
      });
    }
    return [{ field: path.length > 0 ? path.join('.') : root, message: issue.message }];
  });
}

/** The zod 4 internals this needs to walk a schema: its type, and what it wraps or holds. */
interface SchemaDef {
  readonly type?: string;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly in?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly left?: z.ZodType;
  readonly right?: z.ZodType;
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** The object schemas a value at `path` could have been checked against (wrappers, pipes, unions looked through). */
function objectsAt(schema: z.ZodType, path: readonly PropertyKey[], depth = 0): z.ZodType[] {
  if (depth > 32) return [];
  const def = defOf(schema);
  const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
  if (inner) return objectsAt(inner, path, depth + 1);
  if (def.type === 'union' && def.options) return def.options.flatMap((option) => objectsAt(option, path, depth + 1));
  if (def.type === 'intersection' && def.left && def.right) {
    return [...objectsAt(def.left, path, depth + 1), ...objectsAt(def.right, path, depth + 1)];
  }
  const [head, ...rest] = path;
  if (head === undefined) return def.type === 'object' ? [schema] : [];
  if (def.type === 'object' && def.shape && typeof head === 'string') {
    const child = def.shape[head];
    return child ? objectsAt(child, rest, depth + 1) : [];
  }
  if (def.type === 'array' && def.element && typeof head === 'number') return objectsAt(def.element, rest, depth + 1);
  return [];
}

function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((object) => Object.keys(defOf(object).shape ?? {})))];
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), or max + 1 beyond `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, index) => index)];
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((rows[i - 1]?.[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (rows[i - 1]?.[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return Math.min(rows[a.length]?.[b.length] ?? max + 1, max + 1);
}

/** The known key a mistyped one most likely meant: the same but for case, or at most two edits away. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const sameButCase = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  if (sameButCase) return sameButCase;
  // The shorter the key, the fewer edits make a guess worth making: two letters are two edits from any short key.
  const max = key.length >= 5 ? 2 : key.length >= 3 ? 1 : 0;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase(), max);
    if (distance <= max && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, root: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationFailed(fieldIssues(result.error, root, schema));
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
  // When the function's time is up, the answer must not claim that nothing changed: the work may still be writing.
  const stack = middy<Event, Result, Error, Context>({
    timeoutEarlyResponse: () => {
      throw new OutcomeUnknown();
    },
  })
    .use(problemJson())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(bodySizeGuard(schemas.raw?.maxBytes ?? MAX_BODY_BYTES));
  if (schemas.raw) stack.use(requireBody());
  else if (schemas.body) stack.use(requireBody()).use(httpJsonBodyParser());
  const handler = stack.handler(async (event, context) => {
    // A malformed key is refused before anything else; a missing one means the request runs as it comes.
    const key = schemas.requests ? idempotencyKeyOf(event) : undefined;
    const actor = schemas.authenticated === false ? anonymous : actorOf(event);
    const input: RouteInput<B, Q, P> = {
      actor,
      body: parse(schemas.body, event.body, 'body'),
      query: parse(schemas.query, event.queryStringParameters ?? {}, 'query'),
      params: parse(schemas.params, event.pathParameters ?? {}, 'path'),
      rawBody: schemas.raw ? textBody(event) : '',
      contentType: mediaType(event),
      event,
    };
    // The use cases' retry loop stops short of the function's timeout when it knows the time left.
    const run = () =>
      withRemainingTime(
        () => context.getRemainingTimeInMillis(),
        async () => fn(input),
      );
    if (!schemas.requests) return run();
    // The claim lasts as long as this invocation can: a retry never overtakes an attempt that may still write.
    const leaseMs = context.getRemainingTimeInMillis() + 2000;
    const request =
      key === undefined ? undefined : requestOf(event, actor, key, schemas.raw ? input.rawBody : event.body, leaseMs);
    return guarded(schemas.requests, event, request, run);
  });
  // What the route takes, read by the OpenAPI document's generator (scripts/openapi.ts): the schemas that validate.
  const { requests, ...contract } = schemas;
  return Object.assign(handler, { idempotent: requests !== undefined, contract });
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
