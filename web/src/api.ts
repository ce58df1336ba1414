// The console's only way to Shipgate: the public API through the typed client generated from docs/openapi.json
// (openapi-fetch over client/schema.d.ts), so no path or body type is written by hand. Each request carries the
// signed-in person's token; each write an Idempotency-Key, so a retry after a lost answer changes nothing twice.
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from '../../client/schema.d.ts';
import type { Auth } from './auth.ts';

export type Api = Client<paths>;
export type Schemas = components['schemas'];

/** An RFC 9457 problem the API answered, or a failure to reach it. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string | undefined;
  readonly detail: string | undefined;
  /** The fields a 400 names, with what is wrong with each. */
  readonly fields: readonly { readonly name: string; readonly reason: string }[];
  readonly retryAfter: number | undefined;

  constructor(status: number, body: unknown, retryAfter?: number) {
    const problem = (body ?? {}) as {
      type?: string;
      title?: string;
      detail?: string;
      errors?: {
        field?: string;
        pointer?: string;
        name?: string;
        message?: string;
        detail?: string;
        reason?: string;
      }[];
    };
    const title = problem.title ?? (status === 0 ? 'Shipgate cannot be reached' : `The API answered ${status}`);
    super(problem.detail ? `${title}: ${problem.detail}` : title);
    this.status = status;
    this.type = problem.type;
    this.detail = problem.detail;
    this.fields = (problem.errors ?? []).map((error) => ({
      name: error.field ?? error.name ?? error.pointer ?? '',
      reason: error.message ?? error.detail ?? error.reason ?? '',
    }));
    this.retryAfter = retryAfter;
  }
}

const WRITES = new Set(['POST', 'PATCH', 'DELETE', 'PUT']);

export function createApi(baseUrl: string, auth: Auth, onSignedOut: () => void): Api {
  const client = createClient<paths>({ baseUrl });
  const middleware: Middleware = {
    async onRequest({ request }) {
      const person = await auth.fresh();
      if (person) request.headers.set('authorization', `Bearer ${person.accessToken}`);
      request.headers.set('accept', request.headers.get('accept') ?? 'application/json');
      if (WRITES.has(request.method) && !request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', crypto.randomUUID());
      }
      return request;
    },
    async onResponse({ response }) {
      if (response.status === 401) onSignedOut();
      return response;
    },
  };
  client.use(middleware);
  return client;
}

/** The data of an answer, or its problem thrown as an ApiError; for TanStack Query's queryFn and mutationFn. */
export async function data<T>(answer: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await answer;
  } catch (error) {
    throw new ApiError(0, { detail: error instanceof Error ? error.message : String(error) });
  }
  if (result.response.ok) return result.data as T;
  const retry = Number(result.response.headers.get('retry-after'));
  throw new ApiError(result.response.status, result.error, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}
