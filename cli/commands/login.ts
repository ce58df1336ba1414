// `shipgate login`, `logout` and `profiles`: sign in (a local dev token, client credentials, or the browser with
// PKCE), keep the profile and its tokens (cli/auth/config.ts), and show what is stored.
import type { Command } from 'commander';
import {
  configDir,
  listProfiles,
  type Profile,
  readProfile,
  readTokens,
  removeTokens,
  type StoredTokens,
  writeProfile,
  writeTokens,
} from '../auth/config.ts';
import {
  type LoginFlags,
  type LoginPlan,
  loginClientCredentials,
  loginLocal,
  loginWithBrowser,
  openBrowser,
  planLogin,
  positiveInteger,
  readSecret,
} from '../auth/flows.ts';
import { jwtClaims, revokeEndpointOf, revokeToken } from '../auth/oauth.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { paint, type Streams, table } from '../output.ts';
import { isFresh } from '../session.ts';

/** The port of `http://localhost:8976/callback`, the CLI's redirect the stack registers (lib/auth.ts cliCallbackPorts). */
export const DEFAULT_CALLBACK_PORT = 8976;

interface LoginOptions extends LoginFlags {
  readonly list?: boolean | undefined;
  readonly browser: boolean;
  readonly callbackPort?: string | undefined;
  readonly timeout?: string | undefined;
}

/** What the profile of this run is: --profile, $SHIPGATE_PROFILE, else `default`. */
const profileOf = (program: Command, env: Streams['env']): string =>
  program.opts<GlobalOptions>().profile ?? env.SHIPGATE_PROFILE ?? 'default';

/** stdin, when the caller's streams carry one (tests do), else the process's. */
function stdinOf(streams: Streams): AsyncIterable<string | Uint8Array> {
  return streams.stdin ?? process.stdin;
}

const when = (iso: string): string => iso.replace(/\.\d{3}Z$/, 'Z');

function inWords(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

/** A profile's token as `profiles` reports it. */
export interface TokenState {
  readonly state: 'valid' | 'expired' | 'none' | 'unreadable';
  readonly expiresAt?: string | undefined;
  /** Whether an expired token renews by itself (a refresh token, or a local dev token signed again). */
  readonly renewable?: boolean | undefined;
  readonly problem?: string | undefined;
}

export function tokenState(
  env: Streams['env'],
  name: string,
  profile: Profile | undefined,
  now = Date.now(),
): TokenState {
  let tokens: StoredTokens | undefined;
  try {
    tokens = readTokens(env, name);
  } catch (error) {
    return { state: 'unreadable', problem: (error as Error).message };
  }
  if (tokens === undefined) return { state: 'none' };
  const renewable = profile?.grant === 'local' || tokens.refreshToken !== undefined;
  return { state: isFresh(tokens, now) ? 'valid' : 'expired', expiresAt: tokens.expiresAt, renewable };
}

export function describeState(token: TokenState, now = Date.now()): string {
  switch (token.state) {
    case 'none':
      return 'none';
    case 'unreadable':
      return paint.red(`unreadable: ${token.problem ?? ''}`);
    case 'valid':
      return token.expiresAt === undefined
        ? paint.green('valid')
        : paint.green(`valid until ${when(token.expiresAt)} (${inWords(Date.parse(token.expiresAt) - now)} left)`);
    case 'expired':
      return paint.yellow(
        `expired${token.expiresAt ? ` ${when(token.expiresAt)}` : ''}${token.renewable ? ', renews when used' : ''}`,
      );
  }
}

const GRANT_LABEL: Record<Profile['grant'], string> = {
  local: 'local dev token',
  client_credentials: 'client credentials',
  authorization_code: 'browser (PKCE)',
};

function who(plan: LoginPlan, tokens: StoredTokens): string {
  if (plan.grant === 'local') {
    const identity = plan.profile.local;
    if (identity.machine)
      return `a machine client${identity.scopes ? ` with scopes ${identity.scopes.join(' ')}` : ''}`;
    return `${identity.user}${identity.roles ? ` (${identity.roles.join(', ')})` : ''}`;
  }
  if (plan.grant === 'client_credentials') {
    return `client ${plan.profile.clientId}${tokens.scope ? ` with scopes ${tokens.scope}` : ''}`;
  }
  const claims = jwtClaims(tokens.accessToken);
  const name = claims?.username ?? claims?.['cognito:username'] ?? claims?.sub;
  return typeof name === 'string' ? name : 'you';
}

async function login(program: Command, context: () => CliContext, options: LoginOptions): Promise<void> {
  const ctx = context();
  const { env } = ctx.streams;
  const name = profileOf(program, env);
  const globals = program.opts<GlobalOptions>();
  const explicitUrl = globals.url ?? (env.SHIPGATE_URL || undefined);
  const plan = planLogin(options, explicitUrl, env, readProfile(env, name));
  let tokens: StoredTokens;
  if (plan.grant === 'local') {
    tokens = await loginLocal(env, plan.profile.local);
  } else if (plan.grant === 'client_credentials') {
    const secret =
      plan.secret === 'flag'
        ? (options.clientSecret as string)
        : plan.secret === 'stdin'
          ? await readSecret(stdinOf(ctx.streams))
          : (env.SHIPGATE_CLIENT_SECRET as string);
    tokens = await loginClientCredentials(plan.profile, secret);
  } else {
    const timeout = positiveInteger(options.timeout, '--timeout') ?? 300;
    // Cognito accepts only the callback URLs registered on the app client: the stack registers this port's.
    const port =
      options.callbackPort === undefined
        ? DEFAULT_CALLBACK_PORT
        : options.callbackPort === '0'
          ? 0
          : positiveInteger(options.callbackPort, '--callback-port');
    if (port !== undefined && port > 65_535) throw new CliError(EXIT.usage, '--callback-port must be at most 65535');
    const interactive = ctx.streams.stdout.isTTY === true && options.browser;
    tokens = await loginWithBrowser(plan.profile, {
      port,
      timeoutMs: timeout * 1000,
      show: (url) =>
        ctx.out.note(
          `Open this address in a browser to sign in:\n\n  ${url}\n\nWaiting for the sign-in (Ctrl-C stops)...`,
        ),
      open: interactive ? openBrowser : undefined,
    });
  }
  writeProfile(env, name, plan.profile);
  writeTokens(env, name, tokens);

  const target = plan.profile.url ?? 'the local runtime';
  const until = tokens.expiresAt ? `valid until ${when(tokens.expiresAt)}` : 'valid';
  const renews =
    plan.grant === 'client_credentials'
      ? ' The secret was not stored: log in again when it expires (or keep SHIPGATE_CLIENT_SECRET set).'
      : ' It renews by itself when it expires.';
  const use = name === 'default' ? '' : ` Use it with --profile ${name} or SHIPGATE_PROFILE=${name}.`;
  ctx.out.result(
    {
      profile: name,
      grant: plan.grant,
      url: plan.profile.url ?? null,
      expiresAt: tokens.expiresAt ?? null,
      ...(plan.grant === 'local' ? { identity: plan.profile.local } : { clientId: plan.profile.clientId }),
      ...(tokens.scope ? { scope: tokens.scope } : {}),
    },
    () => `Logged in to ${target} as ${who(plan, tokens)}: profile ${paint.bold(name)}, token ${until}.${renews}${use}`,
  );
}

function profiles(program: Command, context: () => CliContext): void {
  const ctx = context();
  const { env } = ctx.streams;
  const current = profileOf(program, env);
  const now = Date.now();
  const rows = Object.entries(listProfiles(env))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, profile]) => ({
      name,
      current: name === current,
      grant: profile.grant,
      url: profile.url ?? null,
      clientId: profile.clientId ?? null,
      token: tokenState(env, name, profile, now),
    }));
  ctx.out.result({ configDir: configDir(env), profiles: rows }, () => {
    if (rows.length === 0) return `No profiles in ${configDir(env)}: run shipgate login.`;
    return table(
      ['PROFILE', 'URL', 'SIGN-IN', 'TOKEN'],
      rows.map((row) => [
        `${row.current ? '* ' : '  '}${row.name}`,
        row.url ?? 'the local runtime',
        GRANT_LABEL[row.grant],
        describeState(row.token, now),
      ]),
    );
  });
}

async function logout(program: Command, context: () => CliContext): Promise<void> {
  const ctx = context();
  const { env } = ctx.streams;
  const name = profileOf(program, env);
  const profile = readProfile(env, name);
  let tokens: StoredTokens | undefined;
  try {
    tokens = readTokens(env, name);
  } catch {
    // An unreadable file is removed all the same: that is how it gets fixed.
    tokens = undefined;
  }
  // A refresh token outlives the file: revoke it where it was issued, so a copy of it is worthless too.
  let revoked = false;
  if (tokens?.refreshToken && profile?.tokenUrl && profile.clientId) {
    revoked = await revokeToken(revokeEndpointOf(profile.tokenUrl), tokens.refreshToken, { id: profile.clientId });
  }
  const removed = removeTokens(env, name);
  ctx.out.result({ profile: name, removed, revoked }, () =>
    removed
      ? `Logged out of profile ${name}: its tokens are removed${revoked ? ' and the refresh token revoked' : ''}.`
      : `Profile ${name} had no tokens.`,
  );
}

export function loginCommands(program: Command, context: () => CliContext): void {
  program
    .command('login')
    .description(
      'sign in and cache a token for the profile (a dev token locally; client credentials or the browser on AWS)',
    )
    .option('--local', 'a dev token for the local runtime, even if the profile names another API')
    .option('--user <id>', 'local: the user id of the dev token')
    .option('--roles <a,b>', 'local: the roles (Cognito groups) of the dev token')
    .option('--name <text>', 'local: a display name')
    .option('--machine', 'local: a machine token (no user), with --scopes')
    .option('--expires <seconds>', 'local: the token lifetime (default 3600)')
    .option('--scopes <a,b>', 'the scopes to ask for, e.g. shipgate/read,shipgate/items.write')
    .option('--client-id <id>', 'AWS: the app client (stack outputs UserPoolClientId, MachineClientId)')
    .option('--client-secret <secret>', 'AWS: the machine client secret (visible to ps; prefer the next two)')
    .option(
      '--client-secret-stdin',
      'AWS: read the machine client secret from stdin ($SHIPGATE_CLIENT_SECRET works too)',
    )
    .option('--auth-url <url>', 'AWS: the Cognito domain, https://<prefix>.auth.<region>.amazoncognito.com')
    .option(
      '--token-url <url>',
      'AWS: the token endpoint (stack output TokenEndpoint; default <auth-url>/oauth2/token)',
    )
    .option('--no-browser', 'browser sign-in: only print the address, do not open a browser')
    .option(
      '--callback-port <port>',
      `browser sign-in: the loopback port of the redirect, registered on the stack's web client (default ${DEFAULT_CALLBACK_PORT}; 0: any free port, for providers that allow it)`,
    )
    .option('--timeout <seconds>', 'browser sign-in: how long to wait for it (default 300)')
    .option('--list', 'list the profiles instead (as shipgate profiles)')
    .addHelpText(
      'after',
      `
Examples:
  shipgate login --user rita --roles release-manager,qa-lead      a dev token for the local runtime
  shipgate login --machine --scopes shipgate/metrics.write         a local machine token
  shipgate login --profile prod --url <ApiUrl> --auth-url <Cognito domain> --client-id <UserPoolClientId>
  echo "$SECRET" | shipgate login --profile ci --url <ApiUrl> --token-url <TokenEndpoint> \\
      --client-id <MachineClientId> --client-secret-stdin --scopes shipgate/items.write

Profiles live in $SHIPGATE_CONFIG_DIR, else $XDG_CONFIG_HOME/shipgate, else ~/.config/shipgate;
tokens apart from them, readable by you alone. Secrets are never stored.`,
    )
    .action(async (options: LoginOptions) => {
      if (options.list) profiles(program, context);
      else await login(program, context, options);
    });

  program
    .command('logout')
    .description("remove the profile's cached tokens (and revoke its refresh token)")
    .action(async () => logout(program, context));

  program
    .command('profiles')
    .description('list the login profiles with their URL and token state')
    .action(() => profiles(program, context));
}
