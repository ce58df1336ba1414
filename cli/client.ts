// The typed client of the Shipgate API: openapi-fetch over the types openapi-typescript generated from
// docs/openapi.json (client/schema.d.ts), so no path or body is written by hand. Every write carries an
// Idempotency-Key, and a write answered 503 (or 409 request-in-progress) with Retry-After is sent again with the same
// key, which is always safe.
import { randomUUID } from 'node:crypto';
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from '../client/schema.d.ts';
import { apiError, CliError, EXIT } from './errors.ts';

export type ShipgateClient = Client<paths>;

export interface ClientOptions {
  readonly baseUrl: string;
  /** A bearer token, or a function that gets one (from the cache, refreshed when needed). */
  readonly token?: string | (() => Promise<string | undefined>) | undefined;
  /** How often a write answered with Retry-After is sent again. @default 3 */
  readonly retries?: number;
  /** Longest wait for one Retry-After, in seconds. @default 10 */
  readonly maxRetryAfterSeconds?: number;
  readonly fetch?: typeof fetch;
}

const WRITES = new Set(['POST', 'PATCH', 'DELETE', 'PUT']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether an answer asks to come back, and after how many seconds. */
async function retryAfterOf(response: Response): Promise<number | undefined> {
  const header = Number(response.headers.get('retry-after'));
  if (!Number.isFinite(header) || header <= 0) return undefined;
  if (response.status === 503) return header;
  if (response.status === 409) {
    const type = await response
      .clone()
      .json()
      .then((body: unknown) => (body as { type?: string } | null)?.type)
      .catch(() => undefined);
    return type === '/problems/request-in-progress' ? header : undefined;
  }
  return undefined;
}

export function shipgateClient(options: ClientOptions): ShipgateClient {
  const baseFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  const longest = options.maxRetryAfterSeconds ?? 10;
  // Retries live in the fetch itself: openapi-fetch hands it one Request, sent again as a fresh copy each time.
  const retryingFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const body = WRITES.has(request.method) ? await request.clone().arrayBuffer() : undefined;
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      try {
        response = await baseFetch(new Request(request, body === undefined ? {} : { body }));
      } catch (error) {
        throw new CliError(
          EXIT.failed,
          `cannot reach Shipgate at ${new URL(request.url).origin}: ${(error as Error).message}` +
            ' (is `npm start` running, or is --url / SHIPGATE_URL right?)',
        );
      }
      const wait = attempt < retries ? await retryAfterOf(response) : undefined;
      if (wait === undefined || !WRITES.has(request.method)) return response;
      await sleep(Math.min(wait, longest) * 1000);
    }
  };
  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), fetch: retryingFetch });
  const auth: Middleware = {
    async onRequest({ request }) {
      const token = typeof options.token === 'function' ? await options.token() : options.token;
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      if (WRITES.has(request.method) && !request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', randomUUID());
      }
      return request;
    },
  };
  client.use(auth);
  return client;
}

/**
 * A 401 comes from the gateway (API Gateway's JWT authorizer, or the local one), whose body says only
 * "Unauthorized"; its `www-authenticate` header says why.
 */
function unauthorized(response: Response): CliError {
  const header = response.headers.get('www-authenticate') ?? '';
  const why = /error_description="([^"]*)"/.exec(header)?.[1];
  const reason = why ? `the API refused the token: ${why}` : 'the API asks for a token and got none it accepts';
  return new CliError(
    EXIT.auth,
    `401: ${reason}. Sign in with \`shipgate login\` (for this profile and API), or pass --token / SHIPGATE_TOKEN`,
  );
}

/** An openapi-fetch answer: its data, or the CliError of its problem. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<{ data: T; response: Response }> {
  const { data, error, response } = await call;
  if (response.status === 401) throw unauthorized(response);
  if (!response.ok) throw apiError(response.status, error);
  return { data: data as T, response };
}
