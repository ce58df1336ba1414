// The local stand-in for API Gateway (HTTP API, payload 2.0): route matching, the JWT authorizer's checks, and the
// same event and context the handlers receive in Lambda. Gateway-level answers (no route, no token, body over the
// 10 MB quota) are worded as API Gateway words them.

import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { RouteDef } from '../lambdas/functions/catalog.ts';
import { routes } from '../lambdas/functions/catalog.ts';
import { actorFromClaims } from '../lambdas/http/identity.ts';
import type { LocalIssuer, TokenRejection, VerifiedToken } from './issuer.ts';
import { TokenRejectedError } from './issuer.ts';
import type { LocalRoute } from './local-routes.ts';
import { runLocalRoute } from './local-routes.ts';

export type { LocalRoute, LocalRouteInput } from './local-routes.ts';

export type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** API Gateway's payload quota. Shipgate's own, smaller limit is enforced by the handlers, as in AWS. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;
/** The functions' timeout in the stack; handlers see the same remaining time locally. */
const FUNCTION_TIMEOUT_MS = 10_000;

interface CompiledRoute {
  readonly route: RouteDef;
  readonly pattern: RegExp;
  readonly params: readonly string[];
  readonly handler: Handler;
}

export interface GatewayOptions {
  readonly port: number;
  readonly host?: string;
  readonly issuer: LocalIssuer;
  /** One line per request; silent when absent. */
  readonly log?: (line: string) => void;
  /** The handler of a route, as its function runs it: loaded once, as Lambda loads each function's bundle. */
  readonly handlerFor: (route: RouteDef) => Promise<Handler>;
  /**
   * Routes only the local runtime serves (e.g. `GET /notifications`, the outbox). They need a valid token like
   * every other route, are checked against the permission table, and answer JSON or problem+json.
   */
  readonly localRoutes?: readonly LocalRoute[];
  /** How long a function may run before it is stopped, as Lambda stops it. @default FUNCTION_TIMEOUT_MS */
  readonly functionTimeoutMs?: number;
}

export interface LocalGateway {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function compile(route: RouteDef, handler: Handler): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), params, handler };
}

/** Header values as API Gateway passes them: lowercase names, repeated headers joined by commas. */
function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return flat;
}

function queryParameters(search: URLSearchParams): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const key of new Set(search.keys())) params[key] = search.getAll(key).join(',');
  return Object.keys(params).length > 0 ? params : undefined;
}

/** API Gateway passes text bodies as they are and base64-encodes the rest. */
const isTextual = (contentType: string | undefined): boolean =>
  !contentType ||
  /^(text\/|application\/([\w.+-]*json|[\w.+-]*xml|x-www-form-urlencoded|javascript))/i.test(contentType);

async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > GATEWAY_MAX_BODY) return 'too-large';
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer) {
  response.writeHead(status, headers);
  response.end(body);
}

const gatewayMessage = (
  response: ServerResponse,
  status: number,
  message: string,
  extra: Record<string, string> = {},
) => send(response, status, { 'content-type': 'application/json', ...extra }, JSON.stringify({ message }));

/**
 * The JWT authorizer's words for why a token was turned away, as its `www-authenticate` header carries them
 * (e.g. `the token does not have a valid audience`).
 */
export const REJECTION_DESCRIPTIONS: Readonly<Record<TokenRejection, string>> = {
  missing: 'the request carries no bearer token',
  malformed: 'the token is not a valid JWT',
  signature: 'the token signature is invalid',
  expired: 'the token has expired',
  issuer: 'the token does not have a valid issuer',
  audience: 'the token does not have a valid audience',
};

/** The authorizer's 401: `{"message":"Unauthorized"}` and a Bearer challenge that says why. */
const unauthorized = (response: ServerResponse, error: TokenRejectedError) =>
  gatewayMessage(response, 401, 'Unauthorized', {
    'www-authenticate': `Bearer scope="" error="invalid_token" error_description="${REJECTION_DESCRIPTIONS[error.reason]}"`,
  });

/** Verifies the Authorization header like the JWT authorizer; throws TokenRejectedError. */
async function verifyBearer(issuer: LocalIssuer, authorization: string | undefined): Promise<VerifiedToken> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!bearer) throw new TokenRejectedError('missing', 'no bearer token');
  return issuer.verify(bearer);
}

/** Thrown when a function outlives its timeout; the gateway answers as API Gateway does for a failed invocation. */
class FunctionTimedOut extends Error {}

/**
 * Runs a handler as Lambda runs it: at the timeout the invocation is over, whatever the handler still does. (In
 * Lambda the sandbox is frozen; here the promise runs on, but its context's remaining time is zero, which the
 * release use cases' retry loop heeds.)
 */
async function invokeWithTimeout(
  handler: Handler,
  event: APIGatewayProxyEventV2,
  context: Context,
  timeoutMs: number,
): Promise<APIGatewayProxyResultV2> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FunctionTimedOut(`Task timed out after ${timeoutMs / 1000} seconds`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([handler(event, context), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Lambda context a local function receives: its name, a request id, and the time it has left. */
export function lambdaContext(functionId: string, requestId: string, timeoutMs = FUNCTION_TIMEOUT_MS): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `shipgate-local-${functionId}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:shipgate-local-${functionId}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/shipgate-local-${functionId}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A handler's result as API Gateway renders it (a bare value is a 200 JSON body). */
function render(result: APIGatewayProxyResultV2): { status: number; headers: Record<string, string>; body: Buffer } {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(result)) };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  const body = result.body ?? '';
  return {
    status: result.statusCode ?? 200,
    headers,
    body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body),
  };
}

interface RequestState {
  readonly requestId: string;
  readonly method: string;
  readonly url: URL;
  /** Who the log line names, once a token is verified. */
  who: string;
}

type Authorizer = { jwt: { claims: Record<string, string>; scopes: string[] | null } };

/** A local route: the authorizer's checks, then the route as a function would run it (see local-routes.ts). */
async function serveLocal(
  options: GatewayOptions,
  route: LocalRoute,
  request: IncomingMessage,
  response: ServerResponse,
  state: RequestState,
): Promise<void> {
  let verified: VerifiedToken;
  try {
    verified = await verifyBearer(options.issuer, request.headers.authorization);
  } catch (error) {
    if (error instanceof TokenRejectedError) return unauthorized(response, error);
    throw error;
  }
  state.who = verified.claims.username ?? verified.claims.sub ?? '-';
  const raw = state.method === 'POST' ? await readBody(request) : Buffer.alloc(0);
  if (raw === 'too-large') return gatewayMessage(response, 413, 'Request Entity Too Large');
  const actor = actorFromClaims(verified.claims, verified.scopes);
  const result = render(await runLocalRoute(route, actor, state.url, raw));
  send(response, result.status, { ...result.headers, 'apigw-requestid': state.requestId }, result.body);
}

/** The payload 2.0 event of a request to a route of the table. */
function eventOf(
  candidate: CompiledRoute,
  found: RegExpExecArray,
  request: IncomingMessage,
  headers: Record<string, string>,
  body: Buffer,
  state: RequestState,
  authorizer: Authorizer | undefined,
): APIGatewayProxyEventV2 {
  const pathParameters: Record<string, string> = {};
  for (const [index, name] of candidate.params.entries()) {
    const raw = found[index + 1] ?? '';
    try {
      pathParameters[name] = decodeURIComponent(raw);
    } catch {
      pathParameters[name] = raw;
    }
  }
  // Bytes that are not UTF-8 cannot pass as text: they arrive base64-encoded, and the handler says so.
  const textual = isTextual(headers['content-type']) && isUtf8(body);
  const routeKey = `${candidate.route.method} ${candidate.route.path}`;
  const now = new Date();
  const { url } = state;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: queryParameters(url.searchParams),
    pathParameters: candidate.params.length > 0 ? pathParameters : undefined,
    body: body.length > 0 ? body.toString(textual ? 'utf8' : 'base64') : undefined,
    isBase64Encoded: body.length > 0 && !textual,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: state.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: state.requestId,
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(authorizer ? { authorizer } : {}),
    },
  };
}

/** A route of the table: the authorizer's checks, the quota, then the function with its timeout. */
async function serveRoute(
  options: GatewayOptions,
  candidate: CompiledRoute,
  found: RegExpExecArray,
  request: IncomingMessage,
  response: ServerResponse,
  state: RequestState,
): Promise<void> {
  const headers = flatHeaders(request.headers);
  let authorizer: Authorizer | undefined;
  if (candidate.route.authenticated) {
    try {
      const verified = await verifyBearer(options.issuer, headers.authorization);
      authorizer = { jwt: { claims: verified.claims, scopes: verified.scopes.length > 0 ? verified.scopes : null } };
      state.who = verified.claims.username ?? verified.claims.sub ?? '-';
    } catch (error) {
      if (error instanceof TokenRejectedError) return unauthorized(response, error);
      throw error;
    }
  }
  const body = await readBody(request);
  if (body === 'too-large') return gatewayMessage(response, 413, 'Request Entity Too Large');
  const event = eventOf(candidate, found, request, headers, body, state, authorizer);
  const timeoutMs = options.functionTimeoutMs ?? FUNCTION_TIMEOUT_MS;
  const context = lambdaContext(candidate.route.id, state.requestId, timeoutMs);
  const result = render(await invokeWithTimeout(candidate.handler, event, context, timeoutMs));
  send(response, result.status, { ...result.headers, 'apigw-requestid': state.requestId }, result.body);
}

export async function startGateway(options: GatewayOptions): Promise<LocalGateway> {
  const compiled = await Promise.all(routes.map(async (route) => compile(route, await options.handlerFor(route))));
  const log = options.log ?? (() => undefined);

  const server = createServer(async (request, response) => {
    const started = Date.now();
    const method = (request.method ?? 'GET').toUpperCase();
    const state: RequestState = {
      requestId: randomUUID(),
      method,
      url: new URL(request.url ?? '/', 'http://localhost'),
      who: '-',
    };
    const { url } = state;
    response.on('finish', () =>
      log(`${method} ${url.pathname}${url.search} ${response.statusCode} ${Date.now() - started}ms ${state.who}`),
    );
    try {
      const local = options.localRoutes?.find((route) => route.method === method && route.path === url.pathname);
      if (local) return await serveLocal(options, local, request, response, state);
      const match = compiled
        .filter((candidate) => candidate.route.method === method)
        .map((candidate) => ({ candidate, found: candidate.pattern.exec(url.pathname) }))
        .find((entry) => entry.found);
      // No route is API Gateway's own answer, before any function runs; in AWS no Shipgate code can word it.
      if (!match?.found) return gatewayMessage(response, 404, 'Not Found');
      await serveRoute(options, match.candidate, match.found, request, response, state);
    } catch (error) {
      // The handlers answer every failure themselves; reaching here is a crash or a timeout of the function,
      // which API Gateway (HTTP API) reports as a bare 500: Lambda ends a timed-out invocation with an error.
      const what = error instanceof FunctionTimedOut ? 'handler timed out' : 'handler crashed';
      log(`${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!response.headersSent) gatewayMessage(response, 500, 'Internal Server Error');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
