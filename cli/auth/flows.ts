// How `shipgate login` gets a token: which flow the flags and the stored profile ask for (planLogin, pure), and the
// three flows: a dev token from the local issuer, the client-credentials grant for machines, and the authorization
// code grant with PKCE through the browser for people.
import { spawn } from 'node:child_process';
import { CliError, EXIT } from '../errors.ts';
import { isLoopbackUrl, mintLocalTokens, toStored } from '../session.ts';
import type { LocalIdentity, Profile, StoredTokens } from './config.ts';
import { startLoopback } from './loopback.ts';
import {
  authBaseOf,
  authorizationCodeGrant,
  authorizeUrl,
  clientCredentialsGrant,
  createPkce,
  type HttpDeps,
  newState,
  requestTokens,
  tokenEndpointOf,
} from './oauth.ts';

/** The options of `shipgate login`, as commander parses them. */
export interface LoginFlags {
  readonly local?: boolean | undefined;
  readonly user?: string | undefined;
  readonly roles?: string | undefined;
  readonly name?: string | undefined;
  readonly machine?: boolean | undefined;
  readonly scopes?: string | undefined;
  readonly expires?: string | undefined;
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  readonly clientSecretStdin?: boolean | undefined;
  readonly authUrl?: string | undefined;
  readonly tokenUrl?: string | undefined;
}

/** Where the client secret of a client-credentials login comes from; it is read, used once, and never stored. */
export type SecretSource = 'flag' | 'stdin' | 'env';

export type LoginPlan =
  | { readonly grant: 'local'; readonly profile: Profile & { readonly local: LocalIdentity } }
  | { readonly grant: 'client_credentials'; readonly profile: Profile; readonly secret: SecretSource }
  | { readonly grant: 'authorization_code'; readonly profile: Profile };

const usage = (message: string): never => {
  throw new CliError(EXIT.usage, message);
};

/** A comma- or space-separated list; undefined when the flag was not given. */
export function listOf(value: string | undefined, flag: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(/[\s,]+/).filter((item) => item !== '');
  if (items.length === 0) usage(`${flag} needs at least one value`);
  return items;
}

export function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0) usage(`${flag} must be a positive whole number, not ${value}`);
  return Number(value);
}

/** An endpoint that carries a token or a secret must be HTTPS, unless it is on this machine. */
function checkUrl(url: string, flag: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return usage(`${flag} ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopbackUrl(url))) {
    usage(`${flag} must be an https:// URL (plain http only on this machine), not ${url}`);
  }
  return url.replace(/\/+$/, '');
}

const LOCAL_FLAGS = '--user, --roles, --name, --machine and --expires';
const AWS_HINT =
  'log in with --client-id and --auth-url (the Cognito domain) or --token-url (the stack output TokenEndpoint)';

/**
 * Decides the flow. Flags name it (--local or a local identity: a dev token; a client id or an OAuth endpoint:
 * OAuth); else the stored profile's grant; else the target: the local runtime gets a dev token, anything else needs
 * OAuth settings. A secret (flag, stdin, or $SHIPGATE_CLIENT_SECRET) selects client credentials, else PKCE.
 */
export function planLogin(
  flags: LoginFlags,
  explicitUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  stored: Profile | undefined,
): LoginPlan {
  const oauthFlags = [flags.clientId, flags.authUrl, flags.tokenUrl, flags.clientSecret].some((v) => v !== undefined);
  const anyOauth = oauthFlags || flags.clientSecretStdin === true;
  const localFlags =
    [flags.user, flags.roles, flags.name, flags.expires].some((v) => v !== undefined) || !!flags.machine;
  if (flags.local && anyOauth)
    usage('--local signs a dev token: drop --client-id, --auth-url, --token-url and secrets');
  if (localFlags && anyOauth) usage(`${LOCAL_FLAGS} are for local dev tokens; for AWS, ${AWS_HINT}`);

  const local = flags.local || localFlags || (!anyOauth && stored?.grant === 'local');
  if (!local && !anyOauth && stored === undefined && explicitUrl !== undefined && !isLoopbackUrl(explicitUrl)) {
    usage(`${explicitUrl} is not the local runtime: ${AWS_HINT}`);
  }
  if (local || (!anyOauth && stored === undefined)) return planLocal(flags, explicitUrl, stored);
  return planOAuth(flags, explicitUrl, env, stored?.grant === 'local' ? undefined : stored);
}

function planLocal(flags: LoginFlags, explicitUrl: string | undefined, stored: Profile | undefined): LoginPlan {
  if (explicitUrl !== undefined && !isLoopbackUrl(explicitUrl)) {
    usage(`a dev token is for the local runtime, and ${explicitUrl} is not it; for AWS, ${AWS_HINT}`);
  }
  const given = [flags.user, flags.roles, flags.name, flags.scopes, flags.expires].some((v) => v !== undefined);
  const fromFlags: LocalIdentity = {
    user: flags.user,
    name: flags.name,
    roles: listOf(flags.roles, '--roles'),
    scopes: listOf(flags.scopes, '--scopes'),
    machine: flags.machine ? true : undefined,
    expiresInSeconds: positiveInteger(flags.expires, '--expires'),
  };
  const identity = given || flags.machine ? fromFlags : stored?.grant === 'local' ? (stored.local ?? {}) : fromFlags;
  if (
    identity.machine &&
    (identity.user !== undefined || identity.roles !== undefined || identity.name !== undefined)
  ) {
    usage('--machine tokens have no user: drop --user, --roles and --name');
  }
  if (!identity.machine && !identity.user) {
    usage('a local login needs --user <id> (with --roles a,b) or --machine (with --scopes)');
  }
  const url = explicitUrl ?? (stored?.grant === 'local' ? stored.url : undefined);
  return { grant: 'local', profile: { grant: 'local', url, local: identity } };
}

function planOAuth(
  flags: LoginFlags,
  explicitUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  base: Profile | undefined,
): LoginPlan {
  const url = explicitUrl ?? base?.url;
  if (url === undefined) usage('an AWS login needs --url: the API (the stack output ApiUrl)');
  const clientId = flags.clientId ?? base?.clientId;
  if (clientId === undefined) usage('an AWS login needs --client-id (UserPoolClientId or MachineClientId)');
  const tokenUrl =
    flags.tokenUrl ?? (flags.authUrl !== undefined ? tokenEndpointOf(flags.authUrl) : undefined) ?? base?.tokenUrl;
  const authUrl =
    flags.authUrl ?? (flags.tokenUrl !== undefined ? authBaseOf(flags.tokenUrl) : undefined) ?? base?.authUrl;
  const scopes = listOf(flags.scopes, '--scopes') ?? base?.scopes;

  if (flags.clientSecret !== undefined && flags.clientSecretStdin) {
    usage('give the client secret one way: --client-secret or --client-secret-stdin');
  }
  if (flags.clientSecret === '') usage('--client-secret is empty');
  // A person's stored code-grant profile ignores a secret that happens to be in the environment.
  const envSecret = (base === undefined || base.grant === 'client_credentials') && !!env.SHIPGATE_CLIENT_SECRET;
  const secret: SecretSource | undefined =
    flags.clientSecret !== undefined ? 'flag' : flags.clientSecretStdin ? 'stdin' : envSecret ? 'env' : undefined;

  const common = {
    url: checkUrl(url as string, '--url'),
    clientId,
    ...(scopes ? { scopes } : {}),
  };
  if (secret !== undefined) {
    if (tokenUrl === undefined) usage(`a client-credentials login needs the token endpoint: ${AWS_HINT}`);
    const profile: Profile = {
      grant: 'client_credentials',
      ...common,
      tokenUrl: checkUrl(tokenUrl as string, '--token-url'),
      ...(authUrl !== undefined ? { authUrl: checkUrl(authUrl, '--auth-url') } : {}),
    };
    return { grant: 'client_credentials', profile, secret };
  }
  if (base?.grant === 'client_credentials') {
    usage(
      'this profile uses client credentials, and no secret was given: pass --client-secret-stdin, or set ' +
        'SHIPGATE_CLIENT_SECRET (the secret is never stored)',
    );
  }
  if (authUrl === undefined || tokenUrl === undefined) {
    usage(
      'a browser sign-in needs --auth-url: the Cognito domain, e.g. https://<prefix>.auth.<region>.amazoncognito.com',
    );
  }
  const profile: Profile = {
    grant: 'authorization_code',
    ...common,
    authUrl: checkUrl(authUrl as string, '--auth-url'),
    tokenUrl: checkUrl(tokenUrl as string, '--token-url'),
  };
  return { grant: 'authorization_code', profile };
}

/** Reads a secret piped on stdin (the whole input, trailing newline dropped). */
export async function readSecret(stdin: AsyncIterable<string | Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  const secret = text.replace(/\r?\n$/, '');
  if (secret.trim() === '') usage('--client-secret-stdin read no secret from stdin');
  return secret;
}

export const loginLocal = (env: Readonly<Record<string, string | undefined>>, identity: LocalIdentity) =>
  mintLocalTokens(env, identity);

export async function loginClientCredentials(
  profile: Profile,
  secret: string,
  deps: HttpDeps = {},
): Promise<StoredTokens> {
  const set = await requestTokens(
    profile.tokenUrl as string,
    clientCredentialsGrant(profile.scopes),
    { id: profile.clientId as string, secret },
    deps,
  );
  return toStored(set, (deps.now ?? Date.now)());
}

export interface BrowserLogin extends HttpDeps {
  /** Prints the authorize URL for the person (and for a test, which plays the browser). */
  readonly show: (authorizeUrl: string) => void;
  /** Opens a browser on the URL, when there is a person at a terminal. */
  readonly open?: ((authorizeUrl: string) => void) | undefined;
  readonly port?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

/** The authorization code grant with PKCE: the browser signs in, the loopback server takes the code back. */
export async function loginWithBrowser(profile: Profile, options: BrowserLogin): Promise<StoredTokens> {
  const pkce = createPkce();
  const state = newState();
  const loopback = await startLoopback({ state, port: options.port, timeoutMs: options.timeoutMs });
  try {
    const url = authorizeUrl({
      authUrl: profile.authUrl as string,
      clientId: profile.clientId as string,
      redirectUri: loopback.redirectUri,
      state,
      challenge: pkce.challenge,
      scopes: profile.scopes,
    });
    options.show(url);
    options.open?.(url);
    const code = await loopback.code;
    const set = await requestTokens(
      profile.tokenUrl as string,
      authorizationCodeGrant(code, loopback.redirectUri, pkce.verifier),
      { id: profile.clientId as string },
      options,
    );
    return toStored(set, (options.now ?? Date.now)());
  } finally {
    await loopback.close();
  }
}

/** Opens the system browser without a shell (the URL is one argument); failing to is fine, the URL is printed. */
export function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? undefined : 'xdg-open';
  if (command === undefined) return;
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No opener on this machine: the printed URL is the way.
  }
}
