// OAuth 2.0 as Cognito's hosted domain speaks it: PKCE (RFC 7636, S256 only), the authorize URL, and the token
// endpoint's grants (client credentials, authorization code, refresh token) and revocation (RFC 7009).
import { createHash, randomBytes } from 'node:crypto';
import { CliError, EXIT, type ExitCode } from '../errors.ts';

/** A PKCE pair: the verifier stays with the CLI, the challenge goes in the authorize URL. */
export interface Pkce {
  readonly verifier: string;
  readonly challenge: string;
  readonly method: 'S256';
}

/** `BASE64URL(SHA256(ASCII(verifier)))`, RFC 7636 section 4.2. */
export const challengeOf = (verifier: string): string =>
  createHash('sha256').update(verifier, 'ascii').digest('base64url');

/** 32 random octets as base64url: a 43-character verifier of unreserved characters (RFC 7636 section 4.1). */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: challengeOf(verifier), method: 'S256' };
}

/** An unguessable `state`, which ties the redirect to this login (RFC 6749 section 10.12). */
export const newState = (): string => randomBytes(24).toString('base64url');

const stripEndpoint = (url: string): string => url.replace(/\/+$/, '').replace(/\/oauth2\/(authorize|token)$/, '');

/** The Cognito domain base of an auth URL or of a token endpoint URL. */
export const authBaseOf = (url: string): string => stripEndpoint(url);
export const authorizeEndpointOf = (authUrl: string): string => `${stripEndpoint(authUrl)}/oauth2/authorize`;
export const tokenEndpointOf = (authUrl: string): string => `${stripEndpoint(authUrl)}/oauth2/token`;
/** Cognito's revocation endpoint sits beside the token endpoint. */
export const revokeEndpointOf = (tokenUrl: string): string => tokenUrl.replace(/\/oauth2\/token\/?$/, '/oauth2/revoke');

export interface AuthorizeRequest {
  readonly authUrl: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state: string;
  readonly challenge: string;
  /** Omitted: Cognito grants every scope the app client allows. */
  readonly scopes?: readonly string[] | undefined;
}

export function authorizeUrl(request: AuthorizeRequest): string {
  const url = new URL(authorizeEndpointOf(request.authUrl));
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', request.clientId);
  url.searchParams.set('redirect_uri', request.redirectUri);
  url.searchParams.set('state', request.state);
  url.searchParams.set('code_challenge', request.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  if (request.scopes && request.scopes.length > 0) url.searchParams.set('scope', request.scopes.join(' '));
  return url.toString();
}

/** What a token endpoint answered. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken?: string | undefined;
  /** Epoch milliseconds, from `expires_in`, else from the token's own `exp`. */
  readonly expiresAt?: number | undefined;
  readonly scope?: string | undefined;
}

/** The client as the token endpoint authenticates it: by its secret (HTTP Basic), or by its id alone (public). */
export interface OAuthClient {
  readonly id: string;
  readonly secret?: string | undefined;
}

export interface HttpDeps {
  readonly fetch?: typeof fetch | undefined;
  readonly now?: (() => number) | undefined;
}

/** The claims of a JWT, unverified: only to show who signed in and when the token ends, never to trust. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (token.split('.').length !== 3 || !part) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 6749 section 2.3.1: id and secret are form-encoded, then joined and base64-encoded. */
const basic = (client: OAuthClient): string => {
  const encode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(client.id)}:${encode(client.secret ?? '')}`).toString('base64')}`;
};

/** Which exit code an OAuth error means: the caller's input for scopes, else authentication. */
const exitOf = (error: string): ExitCode => (error === 'invalid_scope' ? EXIT.usage : EXIT.auth);

async function post(url: string, form: URLSearchParams, client: OAuthClient, deps: HttpDeps): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client.secret !== undefined) headers.authorization = basic(client);
  else form.set('client_id', client.id);
  try {
    return await (deps.fetch ?? fetch)(url, { method: 'POST', headers, body: form.toString(), redirect: 'error' });
  } catch (error) {
    throw new CliError(
      EXIT.failed,
      `cannot reach the token endpoint ${new URL(url).origin}: ${(error as Error).message}`,
    );
  }
}

/** Sends one grant to the token endpoint; an OAuth error becomes a CliError (exit 3, or 2 for a bad scope). */
export async function requestTokens(
  tokenUrl: string,
  grant: Record<string, string>,
  client: OAuthClient,
  deps: HttpDeps = {},
): Promise<TokenSet> {
  const response = await post(tokenUrl, new URLSearchParams(grant), client, deps);
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = typeof body?.error === 'string' ? body.error : undefined;
    const description = typeof body?.error_description === 'string' ? `: ${body.error_description}` : '';
    throw new CliError(
      error ? exitOf(error) : response.status === 401 ? EXIT.auth : EXIT.failed,
      `the token endpoint refused the ${grant.grant_type} grant (${response.status}${error ? ` ${error}` : ''}${description})`,
    );
  }
  const accessToken = body?.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new CliError(EXIT.failed, `the token endpoint answered ${response.status} without an access_token`);
  }
  const tokenType = body?.token_type;
  if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer') {
    throw new CliError(EXIT.failed, `the token endpoint issued a ${tokenType} token; Shipgate takes Bearer tokens`);
  }
  const now = (deps.now ?? Date.now)();
  const expiresIn = body?.expires_in;
  const exp = jwtClaims(accessToken)?.exp;
  const expiresAt =
    typeof expiresIn === 'number' && Number.isFinite(expiresIn)
      ? now + expiresIn * 1000
      : typeof exp === 'number'
        ? exp * 1000
        : undefined;
  return {
    accessToken,
    refreshToken: typeof body?.refresh_token === 'string' ? body.refresh_token : undefined,
    expiresAt,
    scope: typeof body?.scope === 'string' ? body.scope : undefined,
  };
}

export const clientCredentialsGrant = (scopes: readonly string[] | undefined): Record<string, string> => ({
  grant_type: 'client_credentials',
  ...(scopes && scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
});

export const authorizationCodeGrant = (code: string, redirectUri: string, verifier: string) => ({
  grant_type: 'authorization_code',
  code,
  redirect_uri: redirectUri,
  code_verifier: verifier,
});

export const refreshTokenGrant = (refreshToken: string) => ({
  grant_type: 'refresh_token',
  refresh_token: refreshToken,
});

/** Revokes a refresh token (RFC 7009); true when the endpoint accepted it. Never throws: logout goes on anyway. */
export async function revokeToken(
  revokeUrl: string,
  token: string,
  client: OAuthClient,
  deps: HttpDeps = {},
): Promise<boolean> {
  try {
    const response = await post(revokeUrl, new URLSearchParams({ token }), client, deps);
    return response.ok;
  } catch {
    return false;
  }
}
