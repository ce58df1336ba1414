// Where the CLI finds Shipgate and its token when the command line and the environment do not say: the local
// runtime's port (its data folder's pid file), and the profiles and token cache `shipgate login` keeps
// (cli/auth/config.ts). A cached token is used while it has a minute left; then a local dev token is signed again,
// a refresh token is redeemed, or the CLI says to log in again. Secrets are never stored.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidFilePath } from '../local/instance-lock.ts';
import { loadOrCreateIssuer } from '../local/issuer.ts';
import {
  type LocalIdentity,
  type Profile,
  readProfile,
  readTokens,
  type StoredTokens,
  tokensPath,
  writeTokens,
} from './auth/config.ts';
import {
  clientCredentialsGrant,
  type HttpDeps,
  jwtClaims,
  refreshTokenGrant,
  requestTokens,
  type TokenSet,
} from './auth/oauth.ts';
import type { Target } from './context.ts';
import { CliError, EXIT } from './errors.ts';
import type { Streams } from './output.ts';

type Env = Streams['env'];

/** A token this close to its expiry counts as expired: it could run out between the check and the request. */
export const EXPIRY_SKEW_MS = 60_000;

/** The local runtime's data folder: $SHIPGATE_DATA_DIR, else ./.shipgate (as `npm start` uses). */
export const localDataDir = (env: Env): string => env.SHIPGATE_DATA_DIR ?? join(process.cwd(), '.shipgate');

/** The local runtime's URL: the port its pid file records while it runs, else PORT or 3000. */
export function localUrl(env: Env): string {
  try {
    const info = JSON.parse(readFileSync(pidFilePath(localDataDir(env)), 'utf8')) as { port?: unknown };
    if (typeof info.port === 'number' && info.port > 0) return `http://localhost:${info.port}`;
  } catch {
    // Not running here, or not yet listening: the default port.
  }
  return `http://localhost:${env.PORT ?? env.SHIPGATE_PORT ?? 3000}`;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a URL is on this machine, where the local runtime listens. */
export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** Scheme, host and port, with the loopback names taken as one host. */
function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const host = LOOPBACK.has(parsed.hostname) ? 'loopback' : parsed.hostname;
    return `${parsed.protocol}//${host}:${parsed.port}`;
  } catch {
    return undefined;
  }
}

/** The URL a login profile names. */
export function profileUrl(env: Env, profile: string): string | undefined {
  return readProfile(env, profile)?.url;
}

/** Whether a cached access token still has more than the skew left. */
export function isFresh(tokens: StoredTokens, now: number): boolean {
  if (tokens.expiresAt === undefined) return true;
  return Date.parse(tokens.expiresAt) - EXPIRY_SKEW_MS > now;
}

/** What to store of a token endpoint's answer; a refresh answer without a refresh token keeps the old one. */
export function toStored(set: TokenSet, now: number, previous?: StoredTokens): StoredTokens {
  return {
    accessToken: set.accessToken,
    refreshToken: set.refreshToken ?? previous?.refreshToken,
    expiresAt: set.expiresAt === undefined ? undefined : new Date(set.expiresAt).toISOString(),
    scope: set.scope ?? previous?.scope,
    obtainedAt: new Date(now).toISOString(),
  };
}

/** Signs a dev token for a local identity with the local runtime's issuer. */
export async function mintLocalTokens(env: Env, identity: LocalIdentity, now = Date.now()): Promise<StoredTokens> {
  const issuer = await loadOrCreateIssuer(localDataDir(env));
  const accessToken = await issuer.sign({
    user: identity.user ?? '',
    ...(identity.name !== undefined ? { name: identity.name } : {}),
    ...(identity.roles ? { roles: [...identity.roles] } : {}),
    ...(identity.scopes ? { scopes: [...identity.scopes] } : {}),
    ...(identity.machine ? { machine: true } : {}),
    ...(identity.expiresInSeconds !== undefined ? { expiresInSeconds: identity.expiresInSeconds } : {}),
  });
  const exp = jwtClaims(accessToken)?.exp;
  return toStored({ accessToken, expiresAt: typeof exp === 'number' ? exp * 1000 : undefined }, now);
}

const loginAgain = (profile: string) => `run shipgate login --profile ${profile}`;

/** Refuses to send a profile's token to an API it was not issued for. */
function checkAudience(name: string, profile: Profile, target: Target): void {
  if (profile.url !== undefined) {
    if (originOf(profile.url) !== originOf(target.url)) {
      throw new CliError(
        EXIT.auth,
        `the token of profile ${name} is for ${profile.url}, not ${target.url}: log in for that API ` +
          `(shipgate login --profile <name> --url ${target.url} ...), or pass --token`,
      );
    }
  } else if (!isLoopbackUrl(target.url)) {
    throw new CliError(
      EXIT.auth,
      `profile ${name} holds a dev token of the local runtime, and ${target.url} is not the local runtime: ` +
        `log in for that API (shipgate login --profile <name> --url ${target.url} ...), or pass --token`,
    );
  }
}

async function renew(
  env: Env,
  name: string,
  profile: Profile,
  tokens: StoredTokens,
  deps: HttpDeps,
): Promise<StoredTokens> {
  const now = (deps.now ?? Date.now)();
  // A local token is ours to sign again: same user, roles and lifetime.
  if (profile.grant === 'local') return mintLocalTokens(env, profile.local ?? {}, now);
  if (tokens.refreshToken && profile.tokenUrl && profile.clientId) {
    try {
      const set = await requestTokens(
        profile.tokenUrl,
        refreshTokenGrant(tokens.refreshToken),
        { id: profile.clientId },
        deps,
      );
      return toStored(set, now, tokens);
    } catch (error) {
      if (error instanceof CliError && error.code === EXIT.auth) {
        throw new CliError(
          EXIT.auth,
          `token expired and could not be refreshed (${error.message}): ${loginAgain(name)}`,
        );
      }
      throw error;
    }
  }
  // A machine's secret is never stored; a pipeline that keeps it in the environment gets a new token silently.
  const secret = env.SHIPGATE_CLIENT_SECRET;
  if (profile.grant === 'client_credentials' && secret && profile.tokenUrl && profile.clientId) {
    const set = await requestTokens(
      profile.tokenUrl,
      clientCredentialsGrant(profile.scopes),
      { id: profile.clientId, secret },
      deps,
    );
    return toStored(set, now);
  }
  throw new CliError(EXIT.auth, `token expired: ${loginAgain(name)}`);
}

// One renewal per profile at a time: requests sent together share it rather than each redeeming the refresh token.
const renewals = new Map<string, Promise<string>>();

/** tokenFromCache with its clock and fetch replaceable, for tests. */
export async function cachedToken(env: Env, target: Target, deps: HttpDeps = {}): Promise<string | undefined> {
  const name = target.profile;
  const tokens = readTokens(env, name);
  if (tokens === undefined) return undefined;
  const profile = readProfile(env, name);
  if (profile === undefined) {
    throw new CliError(EXIT.auth, `profile ${name} has tokens but no settings: ${loginAgain(name)}`);
  }
  checkAudience(name, profile, target);
  if (isFresh(tokens, (deps.now ?? Date.now)())) return tokens.accessToken;

  const key = tokensPath(env, name);
  let pending = renewals.get(key);
  if (!pending) {
    pending = renew(env, name, profile, tokens, deps)
      .then((renewed) => {
        writeTokens(env, name, renewed);
        return renewed.accessToken;
      })
      .finally(() => renewals.delete(key));
    renewals.set(key, pending);
  }
  return pending;
}

/** The cached token of the target's profile, refreshed when it can be. */
export async function tokenFromCache(env: Env, target: Target): Promise<string | undefined> {
  return cachedToken(env, target);
}
