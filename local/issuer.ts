// The local stand-in for Cognito and API Gateway's JWT authorizer: signs dev access tokens and verifies them.
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JWK, JWTPayload } from 'jose';
import { errors, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';

/** Signs and verifies local access tokens shaped like Cognito's. */
export interface LocalIssuer {
  /** The `iss` claim of every token. */
  readonly issuer: string;
  /** The app client id that `client_id` must equal, as the HTTP API authorizer's audience. */
  readonly audience: string;
  /** Public signing key, for a local `/.well-known/jwks.json`. */
  readonly jwks: { readonly keys: readonly JWK[] };
  sign(input: DevTokenInput): Promise<string>;
  /** Verifies like the HTTP API JWT authorizer (a `Bearer ` prefix is accepted); throws TokenRejectedError. */
  verify(token: string): Promise<VerifiedToken>;
}

/** What a dev token says about its bearer. */
export interface DevTokenInput {
  /** User id, the `sub` and `username`; ignored for machine tokens. */
  user: string;
  /** Display name, the `name` claim; omitted when not given, as in Cognito access tokens. */
  name?: string;
  /** Role slugs, the `cognito:groups` claim. */
  roles?: string[];
  /** OAuth scopes, the space-separated `scope` claim (omitted when empty). */
  scopes?: string[];
  /** The `client_id` claim; defaults to the issuer's audience. */
  clientId?: string;
  /** Lifetime; defaults to 3600. Zero or negative yields an already expired token. */
  expiresInSeconds?: number;
  /** Client-credentials style: `sub` is the client id, and there is no username or groups. */
  machine?: boolean;
}

/** A verified token as a Lambda behind the HTTP API sees it in `requestContext.authorizer.jwt`. */
export interface VerifiedToken {
  /** Every claim as a string, flattened the way API Gateway does it. */
  claims: Record<string, string>;
  /** The `scope` claim split on spaces. */
  scopes: string[];
}

/** Why a token was turned away. */
export type TokenRejection = 'missing' | 'malformed' | 'signature' | 'expired' | 'issuer' | 'audience';

/** Thrown by verify(); `reason` tells the failure apart. */
export class TokenRejectedError extends Error {
  readonly reason: TokenRejection;

  constructor(reason: TokenRejection, message: string) {
    super(message);
    this.name = 'TokenRejectedError';
    this.reason = reason;
  }
}

/** Options for loadOrCreateIssuer. */
export interface IssuerOptions {
  /** The `iss` claim; defaults to DEFAULT_ISSUER. */
  issuer?: string;
  /** The app client id tokens must carry; defaults to DEFAULT_CLIENT_ID. */
  clientId?: string;
  /** More client ids to accept, like extra entries in the authorizer's audience list (machine clients). */
  additionalClientIds?: readonly string[];
}

export const DEFAULT_ISSUER = 'http://localhost/shipgate-local';
export const DEFAULT_CLIENT_ID = 'shipgate-local';

const ALG = 'RS256';
const KEY_FILE = 'issuer-key.json';
const DEFAULT_EXPIRES_IN_SECONDS = 3600;
const CLOCK_TOLERANCE_SECONDS = 5;

interface StoredKey {
  readonly kid: string;
  readonly jwk: JWK;
}

function parseStoredKey(text: string, path: string): StoredKey {
  const fail = (why: string): never => {
    throw new Error(`the local issuer key ${path} is unusable (${why}); delete it to generate a new one`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('not JSON');
  }
  if (typeof value !== 'object' || value === null) return fail('not a JWK');
  const jwk = value as JWK;
  if (jwk.kty !== 'RSA' || typeof jwk.d !== 'string' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    return fail('not a private RSA JWK');
  }
  if (typeof jwk.kid !== 'string' || jwk.kid === '') return fail('no kid');
  return { kid: jwk.kid, jwk };
}

async function newStoredKey(): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const kid = randomUUID();
  return { kid, jwk: { ...(await exportJWK(privateKey)), kid, alg: ALG, use: 'sig' } };
}

/**
 * Reads the key file, or creates it. Two processes starting together (server and token CLI) must end up with the
 * same key, so a new key is written to a private temporary file and linked into place only if none exists yet.
 */
async function loadOrCreateKey(dataDir: string): Promise<StoredKey> {
  const path = join(dataDir, KEY_FILE);
  try {
    return parseStoredKey(await readFile(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const key = await newStoredKey();
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, `${JSON.stringify(key.jwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, path);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return parseStoredKey(await readFile(path, 'utf8'), path);
  } finally {
    await unlink(temp).catch(() => {});
  }
}

function publicJwk(jwk: JWK): JWK {
  return { kty: jwk.kty, n: jwk.n, e: jwk.e, kid: jwk.kid, alg: ALG, use: 'sig' };
}

/**
 * Flattens one claim the way the HTTP API JWT authorizer does: everything becomes a string, and an array becomes
 * its elements joined by spaces inside brackets (`["a","b"]` becomes `"[a b]"`).
 */
export function flattenClaim(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(flattenClaim).join(' ')}]`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return '';
  // Our tokens carry no nested objects; JSON keeps anything else readable rather than "[object Object]".
  return JSON.stringify(value);
}

/** Flattens a whole claim set; see flattenClaim. */
export function flattenClaims(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) claims[name] = flattenClaim(value);
  return claims;
}

function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope;
  return typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : [];
}

function rejection(error: unknown): TokenRejectedError {
  if (error instanceof TokenRejectedError) return error;
  if (error instanceof errors.JWTExpired) return new TokenRejectedError('expired', 'the token has expired');
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRejectedError('signature', 'the token signature does not verify with the local issuer key');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new TokenRejectedError('signature', `the token is not signed with ${ALG}`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new TokenRejectedError('issuer', `the token issuer is wrong: ${error.message}`);
    return new TokenRejectedError('malformed', `the token claims are invalid: ${error.message}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TokenRejectedError('malformed', `the token is not a valid JWT: ${message}`);
}

/**
 * Loads the RS256 key in `<dataDir>/issuer-key.json` (creating it, mode 0600, on first use) and returns an issuer
 * whose tokens mirror Cognito access tokens and whose verify() mirrors API Gateway's JWT authorizer.
 */
export async function loadOrCreateIssuer(dataDir: string, options: IssuerOptions = {}): Promise<LocalIssuer> {
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  const audience = options.clientId ?? DEFAULT_CLIENT_ID;
  const accepted = new Set([audience, ...(options.additionalClientIds ?? [])]);
  const stored = await loadOrCreateKey(resolve(dataDir));
  const privateKey = await importJWK(stored.jwk, ALG);
  const publicKey = await importJWK(publicJwk(stored.jwk), ALG);

  return {
    issuer,
    audience,
    jwks: { keys: [publicJwk(stored.jwk)] },

    async sign(input: DevTokenInput): Promise<string> {
      const clientId = input.clientId ?? audience;
      const expiresIn = input.expiresInSeconds ?? DEFAULT_EXPIRES_IN_SECONDS;
      if (!Number.isFinite(expiresIn)) throw new RangeError('expiresInSeconds must be a finite number');
      if (!input.machine && !input.user) throw new RangeError('a user token needs a user id');
      const now = Math.floor(Date.now() / 1000);
      const claims: JWTPayload = input.machine
        ? { sub: clientId }
        : {
            sub: input.user,
            username: input.user,
            ...(input.name ? { name: input.name } : {}),
            ...(input.roles && input.roles.length > 0 ? { 'cognito:groups': input.roles } : {}),
          };
      const scopes = input.scopes ?? [];
      return new SignJWT({
        ...claims,
        ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
        client_id: clientId,
        token_use: 'access',
      })
        .setProtectedHeader({ alg: ALG, kid: stored.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + Math.trunc(expiresIn))
        .setJti(randomUUID())
        .sign(privateKey);
    },

    async verify(token: string): Promise<VerifiedToken> {
      // The authorizer takes the Authorization header as is and strips the Bearer scheme itself.
      const trimmed = typeof token === 'string' ? token.trim().replace(/^bearer(?:\s+|$)/i, '') : '';
      if (trimmed === '') throw new TokenRejectedError('missing', 'no token was given');
      try {
        const { payload } = await jwtVerify(trimmed, publicKey, {
          algorithms: [ALG],
          issuer,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'iss'],
        });
        const clientId = payload.client_id;
        if (typeof clientId !== 'string' || !accepted.has(clientId)) {
          throw new TokenRejectedError(
            'audience',
            `the token's client_id ${JSON.stringify(clientId ?? null)} is not ${[...accepted].join(' or ')}`,
          );
        }
        return { claims: flattenClaims(payload), scopes: scopesOf(payload) };
      } catch (error) {
        throw rejection(error);
      }
    },
  };
}
