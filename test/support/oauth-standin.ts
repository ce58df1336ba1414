// A stand-in for a Cognito hosted domain, for tests of `shipgate login`: /oauth2/token (client credentials with
// client_secret_basic or client_secret_post, authorization code with PKCE S256, refresh token), /oauth2/authorize
// (a GET signs in as the client's configured user at once and redirects back, so a test's fetch is the browser) and
// /oauth2/revoke. Tokens are signed by the local runtime's issuer, so the runtime's gateway accepts them.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LocalIssuer, loadOrCreateIssuer } from '../../local/issuer.ts';

/** An app client of the stand-in. */
export interface StandInClient {
  readonly id: string;
  /** A confidential client (client credentials); a public client (the code grant) has none. */
  readonly secret?: string;
  /** The scopes the client may be granted; asked for none, it gets them all. */
  readonly scopes?: readonly string[];
  /** Who signs in at /oauth2/authorize for this client. */
  readonly signIn?: { readonly user: string; readonly roles?: readonly string[]; readonly name?: string };
}

export interface OAuthStandInOptions {
  /** The local runtime's data folder: its issuer key signs the tokens. */
  readonly dataDir: string;
  readonly clients: readonly StandInClient[];
  /** Access token lifetime. @default 900 */
  readonly accessTokenSeconds?: number;
}

/** One request the stand-in answered, for assertions. */
export interface StandInRequest {
  readonly path: string;
  readonly grant?: string | undefined;
  /** How the client authenticated at the token endpoint. */
  readonly clientAuth?: 'basic' | 'post' | 'none' | undefined;
  readonly status: number;
  readonly error?: string | undefined;
}

export interface OAuthStandIn {
  /** The domain base, as `--auth-url` takes it. */
  readonly url: string;
  readonly tokenUrl: string;
  readonly requests: StandInRequest[];
  /** Lifetime of the access tokens issued from now on. */
  accessTokenSeconds: number;
  /** Whether a refresh token is still valid (issued, and not revoked). */
  isRefreshTokenValid(token: string): boolean;
  close(): Promise<void>;
}

interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}

interface Grantee {
  readonly clientId: string;
  readonly user: StandInClient['signIn'];
  readonly scopes: readonly string[];
}

const equal = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const random = () => randomBytes(24).toString('base64url');

/** RFC 8252 section 7.3: a loopback redirect matches with any port. */
const loopbackRedirect = (uri: string): boolean => {
  try {
    const url = new URL(uri);
    return (
      url.protocol === 'http:' &&
      (url.hostname === 'localhost' || url.hostname === '127.0.0.1') &&
      url.pathname === '/callback' &&
      !url.hash
    );
  } catch {
    return false;
  }
};

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += (chunk as Buffer).toString('utf8');
  return text;
}

export async function startOAuthStandIn(options: OAuthStandInOptions): Promise<OAuthStandIn> {
  const issuer: LocalIssuer = await loadOrCreateIssuer(options.dataDir);
  const clients = new Map(options.clients.map((client) => [client.id, client]));
  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, Grantee>();
  const requests: StandInRequest[] = [];
  const state = { accessTokenSeconds: options.accessTokenSeconds ?? 900 };

  const json = (response: ServerResponse, status: number, body: unknown, record: Omit<StandInRequest, 'status'>) => {
    requests.push({ ...record, status, error: (body as { error?: string }).error });
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body));
  };

  const issue = async (grantee: Grantee, machine: boolean) => {
    // The runtime's authorizer accepts its own client id only (as API Gateway accepts the stack's two clients),
    // so every token carries it whichever stand-in client asked.
    const accessToken = await issuer.sign(
      machine
        ? { user: '', machine: true, scopes: [...grantee.scopes], expiresInSeconds: state.accessTokenSeconds }
        : {
            user: grantee.user?.user ?? '',
            ...(grantee.user?.name ? { name: grantee.user.name } : {}),
            roles: [...(grantee.user?.roles ?? [])],
            scopes: [...grantee.scopes],
            expiresInSeconds: state.accessTokenSeconds,
          },
    );
    return { access_token: accessToken, token_type: 'Bearer', expires_in: state.accessTokenSeconds };
  };

  const authorize = (url: URL, response: ServerResponse) => {
    const record = { path: '/oauth2/authorize' };
    const client = clients.get(url.searchParams.get('client_id') ?? '');
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    // Never redirect to an address the client did not register: answer here instead.
    if (!client || client.secret !== undefined || !client.signIn) {
      json(response, 400, { error: 'invalid_client' }, record);
      return;
    }
    if (!loopbackRedirect(redirectUri)) {
      json(response, 400, { error: 'redirect_mismatch' }, record);
      return;
    }
    const back = new URL(redirectUri);
    const stateParam = url.searchParams.get('state');
    if (stateParam !== null) back.searchParams.set('state', stateParam);
    const challenge = url.searchParams.get('code_challenge') ?? '';
    const requested = (url.searchParams.get('scope') ?? '').split(' ').filter((s) => s !== '');
    const allowed = client.scopes ?? [];
    if (url.searchParams.get('response_type') !== 'code') {
      back.searchParams.set('error', 'unsupported_response_type');
    } else if (url.searchParams.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      back.searchParams.set('error', 'invalid_request');
      back.searchParams.set('error_description', 'PKCE with S256 is required');
    } else if (requested.some((scope) => !allowed.includes(scope))) {
      back.searchParams.set('error', 'invalid_scope');
    } else {
      const code = random();
      codes.set(code, {
        clientId: client.id,
        redirectUri,
        challenge,
        scopes: requested.length > 0 ? requested : allowed,
        expiresAt: Date.now() + 300_000,
      });
      back.searchParams.set('code', code);
    }
    requests.push({ ...record, status: 302 });
    response.writeHead(302, { location: back.toString() });
    response.end();
  };

  const token = async (request: IncomingMessage, response: ServerResponse) => {
    const form = new URLSearchParams(await readBody(request));
    const grant = form.get('grant_type') ?? undefined;
    const header = request.headers.authorization ?? '';
    let clientAuth: StandInRequest['clientAuth'] = 'none';
    let id = form.get('client_id') ?? '';
    let secret: string | undefined;
    if (header.startsWith('Basic ')) {
      const [user = '', pass = ''] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
      id = decode(user);
      secret = decode(pass);
      clientAuth = 'basic';
    } else if (form.has('client_secret')) {
      secret = form.get('client_secret') ?? '';
      clientAuth = 'post';
    }
    const record = { path: '/oauth2/token', grant, clientAuth };
    const client = clients.get(id);
    const authenticated =
      client !== undefined &&
      (client.secret === undefined ? secret === undefined : secret !== undefined && equal(secret, client.secret));
    if (!client || !authenticated) {
      json(response, clientAuth === 'basic' ? 401 : 400, { error: 'invalid_client' }, record);
      return;
    }

    if (grant === 'client_credentials') {
      if (client.secret === undefined) {
        json(response, 400, { error: 'unauthorized_client' }, record);
        return;
      }
      const requested = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
      const allowed = client.scopes ?? [];
      if (requested.some((scope) => !allowed.includes(scope))) {
        json(response, 400, { error: 'invalid_scope' }, record);
        return;
      }
      const scopes = requested.length > 0 ? requested : allowed;
      const body = await issue({ clientId: client.id, user: undefined, scopes }, true);
      json(response, 200, { ...body, scope: scopes.join(' ') }, record);
      return;
    }

    if (grant === 'authorization_code') {
      const code = form.get('code') ?? '';
      const pending = codes.get(code);
      codes.delete(code); // single use, whatever happens next
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');
      if (
        !pending ||
        pending.expiresAt < Date.now() ||
        pending.clientId !== client.id ||
        pending.redirectUri !== form.get('redirect_uri') ||
        !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) ||
        !equal(challenge, pending.challenge)
      ) {
        json(response, 400, { error: 'invalid_grant' }, record);
        return;
      }
      const grantee = { clientId: client.id, user: client.signIn, scopes: pending.scopes };
      const refreshToken = random();
      refreshTokens.set(refreshToken, grantee);
      json(response, 200, { ...(await issue(grantee, false)), refresh_token: refreshToken }, record);
      return;
    }

    if (grant === 'refresh_token') {
      const grantee = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!grantee || grantee.clientId !== client.id) {
        json(response, 400, { error: 'invalid_grant' }, record);
        return;
      }
      // As Cognito: a new access token, and the same refresh token (not sent again).
      json(response, 200, await issue(grantee, false), record);
      return;
    }
    json(response, 400, { error: 'unsupported_grant_type' }, record);
  };

  const revoke = async (request: IncomingMessage, response: ServerResponse) => {
    const form = new URLSearchParams(await readBody(request));
    const grantee = refreshTokens.get(form.get('token') ?? '');
    if (grantee && grantee.clientId === form.get('client_id')) refreshTokens.delete(form.get('token') ?? '');
    requests.push({ path: '/oauth2/revoke', status: 200 });
    response.writeHead(200);
    response.end();
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const route = `${request.method} ${url.pathname}`;
    const handled =
      route === 'GET /oauth2/authorize'
        ? Promise.resolve(authorize(url, response))
        : route === 'POST /oauth2/token'
          ? token(request, response)
          : route === 'POST /oauth2/revoke'
            ? revoke(request, response)
            : Promise.resolve(json(response, 404, { error: 'not_found' }, { path: url.pathname }));
    handled.catch((error: unknown) => {
      if (!response.headersSent) json(response, 500, { error: String(error) }, { path: url.pathname });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    tokenUrl: `${url}/oauth2/token`,
    requests,
    get accessTokenSeconds() {
      return state.accessTokenSeconds;
    },
    set accessTokenSeconds(seconds: number) {
      state.accessTokenSeconds = seconds;
    },
    isRefreshTokenValid: (value: string) => refreshTokens.has(value),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
