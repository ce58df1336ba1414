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
import type { LocalIssuer } from './issuer.ts';
import { TokenRejectedError } from './issuer.ts';

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
   * every other route, and answer JSON.
   */
  readonly localRoutes?: readonly LocalRoute[];
}

export interface LocalRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Answers with a JSON value; throws a LocalRouteError for a 4xx. */
  readonly handle: (query: URLSearchParams, body: unknown) => Promise<unknown>;
}

/** A local route's refusal: answered as an RFC 9457 problem naming the field. */
export class LocalRouteError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
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

export async function startGateway(options: GatewayOptions): Promise<LocalGateway> {
  const compiled = await Promise.all(routes.map(async (route) => compile(route, await options.handlerFor(route))));
  const log = options.log ?? (() => undefined);

  const server = createServer(async (request, response) => {
    const started = Date.now();
    const requestId = randomUUID();
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://localhost');
    let who = '-';
    response.on('finish', () =>
      log(`${method} ${url.pathname}${url.search} ${response.statusCode} ${Date.now() - started}ms ${who}`),
    );
    try {
      const match = compiled
        .filter((candidate) => candidate.route.method === method)
        .map((candidate) => ({ candidate, found: candidate.pattern.exec(url.pathname) }))
        .find((entry) => entry.found);
      const local = options.localRoutes?.find((route) => route.method === method && route.path === url.pathname);
      if (local) {
        const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
        const verified = bearer ? await options.issuer.verify(bearer).catch(() => undefined) : undefined;
        if (!verified) return gatewayMessage(response, 401, 'Unauthorized');
        who = verified.claims.username ?? verified.claims.sub ?? '-';
        const raw = method === 'POST' ? await readBody(request) : Buffer.alloc(0);
        const problem = (field: string, detail: string) =>
          send(
            response,
            400,
            { 'content-type': 'application/problem+json' },
            JSON.stringify({
              type: '/problems/validation-failed',
              title: 'Bad Request',
              status: 400,
              detail,
              errors: [{ field, message: detail }],
            }),
          );
        if (raw === 'too-large') return gatewayMessage(response, 413, 'Request Entity Too Large');
        let parsed: unknown;
        try {
          parsed = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch {
          return problem('body', 'is not valid JSON');
        }
        try {
          const body = JSON.stringify(await local.handle(url.searchParams, parsed));
          return send(response, 200, { 'content-type': 'application/json' }, body);
        } catch (error) {
          if (error instanceof LocalRouteError) return problem(error.field, error.message);
          throw error;
        }
      }
      if (!match?.found) return gatewayMessage(response, 404, 'Not Found');
      const { candidate, found } = match;
      const pathParameters: Record<string, string> = {};
      for (const [index, name] of candidate.params.entries()) {
        const raw = found[index + 1] ?? '';
        try {
          pathParameters[name] = decodeURIComponent(raw);
        } catch {
          pathParameters[name] = raw;
        }
      }

      const headers = flatHeaders(request.headers);
      let authorizer: { jwt: { claims: Record<string, string>; scopes: string[] | null } } | undefined;
      if (candidate.route.authenticated) {
        const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
        try {
          if (!bearer) throw new TokenRejectedError('missing', 'no bearer token');
          const verified = await options.issuer.verify(bearer);
          authorizer = {
            jwt: { claims: verified.claims, scopes: verified.scopes.length > 0 ? verified.scopes : null },
          };
          who = verified.claims.username ?? verified.claims.sub ?? '-';
        } catch (error) {
          if (!(error instanceof TokenRejectedError)) throw error;
          return gatewayMessage(response, 401, 'Unauthorized', {
            'www-authenticate': `Bearer error="invalid_token", error_description="${error.reason}"`,
          });
        }
      }

      const body = await readBody(request);
      if (body === 'too-large') return gatewayMessage(response, 413, 'Request Entity Too Large');
      // Bytes that are not UTF-8 cannot pass as text: they arrive base64-encoded, and the handler says so.
      const textual = isTextual(headers['content-type']) && isUtf8(body);
      const routeKey = `${candidate.route.method} ${candidate.route.path}`;
      const now = new Date();
      const event: APIGatewayProxyEventV2 = {
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
            method,
            path: url.pathname,
            protocol: `HTTP/${request.httpVersion}`,
            sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId,
          routeKey,
          stage: '$default',
          time: now.toISOString(),
          timeEpoch: now.getTime(),
          ...(authorizer ? { authorizer } : {}),
        },
      };
      const result = render(await candidate.handler(event, lambdaContext(candidate.route.id, requestId)));
      send(response, result.status, { ...result.headers, 'apigw-requestid': requestId }, result.body);
    } catch (error) {
      // The handlers answer every failure themselves; reaching here is a crash of the function, which API
      // Gateway reports as a bare 500.
      log(`handler crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
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
