// `shipgate login` end to end, in-process through run() with captured streams: a dev token for the local runtime,
// client credentials and the browser sign-in with PKCE against an OAuth stand-in whose tokens the runtime accepts,
// then a command that needs the token, refresh, `profiles` and `logout`, and the exit codes (0, 2 usage, 3 auth).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CommanderError } from 'commander';
import { tokensPath } from '../../cli/auth/config.ts';
import { unwrap } from '../../cli/client.ts';
import { type CommandGroup, commandGroups } from '../../cli/commands/index.ts';
import { CliError } from '../../cli/errors.ts';
import { program, run } from '../../cli/main.ts';
import type { Streams } from '../../cli/output.ts';
import {
  type LocalProcess,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
  waitUntilReady,
} from '../support/local-process.ts';
import { type OAuthStandIn, startOAuthStandIn } from '../support/oauth-standin.ts';

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

type Env = Record<string, string>;

/** Streams that record what the CLI prints; `stdin` feeds --client-secret-stdin. */
function capture(env: Env, stdin = '') {
  const out = { stdout: '', stderr: '' };
  const streams: Streams & { stdin: Readable } = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    env,
    stdin: Readable.from(stdin === '' ? [] : [stdin]),
  };
  return { streams, out };
}

async function cli(argv: string[], env: Env, stdin = ''): Promise<Ran> {
  const { streams, out } = capture(env, stdin);
  const code = await run(argv, streams);
  return { code, ...out };
}

// A command that needs the token, the way the other command groups call the API: through the context's client.
const probe: CommandGroup = (root, context) => {
  root.command('probe-templates').action(async () => {
    const ctx = context();
    const { data } = await unwrap(ctx.api.GET('/templates'));
    ctx.out.result(data, () => 'templates read');
  });
};

/** Runs the probe and maps its outcome to the exit code, as run() does. */
async function probeTemplates(env: Env, argv: string[] = []): Promise<Ran> {
  const { streams, out } = capture(env);
  try {
    await program(streams, [...commandGroups, probe]).parseAsync([...argv, 'probe-templates'], { from: 'user' });
    return { code: 0, ...out };
  } catch (error) {
    if (error instanceof CliError) return { code: error.code, ...out, stderr: out.stderr + error.message };
    if (error instanceof CommanderError) return { code: 2, ...out };
    throw error;
  }
}

const show = (ran: Ran) => `exit ${ran.code}\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}`;
const mode = (path: string) => statSync(path).mode & 0o777;
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('shipgate login', () => {
  let dataDir: string;
  let configRoot: string;
  let local: LocalProcess;
  let standIn: OAuthStandIn;
  let counter = 0;

  before(async () => {
    dataDir = tempDataDir();
    configRoot = mkdtempSync(join(tmpdir(), 'shipgate-cli-config-'));
    local = await startLocalProcess(dataDir);
    await waitUntilReady(local.url);
    standIn = await startOAuthStandIn({
      dataDir,
      clients: [
        { id: 'ci', secret: 's3cret', scopes: ['shipgate/read', 'shipgate/items.write', 'shipgate/metrics.write'] },
        { id: 'people', scopes: ['openid', 'shipgate/read'], signIn: { user: 'rita', roles: ['release-manager'] } },
      ],
    });
  });

  after(async () => {
    await standIn?.close();
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
    if (configRoot) rmSync(configRoot, { recursive: true, force: true });
  });

  /** A fresh config folder, the runtime's data folder; with `url`, SHIPGATE_URL at the runtime. */
  const freshEnv = (options: { url?: boolean } = {}): Env => {
    counter += 1;
    return {
      SHIPGATE_CONFIG_DIR: join(configRoot, `config-${counter}`),
      SHIPGATE_DATA_DIR: dataDir,
      ...(options.url ? { SHIPGATE_URL: local.url } : {}),
    };
  };

  describe('locally', () => {
    it('signs a dev token for a user and roles, caches it, and a command uses it', async () => {
      const env = freshEnv();
      const login = await cli(['login', '--user', 'rita', '--roles', 'release-manager,qa-lead'], env);
      assert.equal(login.code, 0, show(login));
      assert.match(
        login.stdout,
        /Logged in to the local runtime as rita \(release-manager, qa-lead\): profile default/,
      );
      assert.equal(mode(tokensPath(env, 'default')), 0o600);
      // No URL given: the target is the local runtime, found through its data folder's pid file.
      const used = await probeTemplates(env);
      assert.equal(used.code, 0, show(used));
      assert.match(used.stdout, /templates read/);
    });

    it('signs a machine token with scopes, and answers in JSON', async () => {
      const env = freshEnv();
      const login = await cli(
        ['login', '--machine', '--scopes', 'shipgate/metrics.write', '--profile', 'agent', '--json'],
        env,
      );
      assert.equal(login.code, 0, show(login));
      const body = JSON.parse(login.stdout) as Record<string, unknown>;
      assert.equal(body.profile, 'agent');
      assert.equal(body.grant, 'local');
      assert.deepEqual(body.identity, { machine: true, scopes: ['shipgate/metrics.write'] });
      assert.ok(!login.stdout.includes('eyJ'), 'the token itself is not printed');
      // A metrics-only machine may not read templates: the 403 is an auth failure.
      const denied = await probeTemplates(env, ['--profile', 'agent']);
      assert.equal(denied.code, 3, show(denied));
    });

    it('signs an expired dev token again, silently, with the same user and roles', async () => {
      const env = freshEnv();
      // 30 s is inside the minute of skew: the cached token counts as expired at once.
      const login = await cli(['login', '--user', 'rita', '--roles', 'qa-lead', '--expires', '30'], env);
      assert.equal(login.code, 0, show(login));
      const before = readJson(tokensPath(env, 'default')).accessToken;
      const used = await probeTemplates(env);
      assert.equal(used.code, 0, show(used));
      const after = readJson(tokensPath(env, 'default')).accessToken;
      assert.notEqual(after, before, 'a new token was signed and cached');
    });
  });

  describe('with client credentials', () => {
    const flags = () => ['--url', local.url, '--token-url', standIn.tokenUrl, '--client-id', 'ci'];

    it('logs a machine in with the secret from stdin, stores no secret, and a command uses the token', async () => {
      const env = freshEnv();
      const seen = standIn.requests.length;
      const login = await cli(
        ['login', '--profile', 'ci', ...flags(), '--client-secret-stdin', '--scopes', 'shipgate/read'],
        env,
        's3cret\n',
      );
      assert.equal(login.code, 0, show(login));
      assert.match(login.stdout, /as client ci with scopes shipgate\/read: profile ci/);
      const token = standIn.requests.slice(seen).find((request) => request.grant === 'client_credentials');
      assert.equal(token?.clientAuth, 'basic');
      for (const file of [join(env.SHIPGATE_CONFIG_DIR as string, 'profiles.json'), tokensPath(env, 'ci')]) {
        assert.ok(!readFileSync(file, 'utf8').includes('s3cret'), `${file} holds no secret`);
      }
      const profiles = await cli(['profiles', '--json'], env);
      assert.equal(profiles.code, 0, show(profiles));
      const listed = (JSON.parse(profiles.stdout) as { profiles: { name: string; url: string; token: unknown }[] })
        .profiles;
      assert.deepEqual(
        listed.map((p) => [p.name, p.url, (p.token as { state: string }).state]),
        [['ci', local.url, 'valid']],
      );
      const used = await probeTemplates(env, ['--profile', 'ci']);
      assert.equal(used.code, 0, show(used));
    });

    it('takes the secret from $SHIPGATE_CLIENT_SECRET', async () => {
      const env = { ...freshEnv(), SHIPGATE_CLIENT_SECRET: 's3cret' };
      const login = await cli(['login', ...flags()], env);
      assert.equal(login.code, 0, show(login));
      const used = await probeTemplates(env);
      assert.equal(used.code, 0, show(used));
    });

    it('exits 3 on a wrong secret and caches nothing', async () => {
      const env = freshEnv();
      const login = await cli(['login', '--profile', 'bad', ...flags(), '--client-secret', 'wrong'], env);
      assert.equal(login.code, 3, show(login));
      assert.match(login.stderr, /invalid_client/);
      const profiles = await cli(['profiles'], env);
      assert.match(profiles.stdout, /No profiles/);
    });

    it('says plainly to log in again once the token expires, unless the secret is in the environment', async () => {
      const env = freshEnv();
      standIn.accessTokenSeconds = 30; // inside the skew: expired as soon as it is cached
      try {
        const login = await cli(['login', '--profile', 'short', ...flags(), '--client-secret', 's3cret'], env);
        assert.equal(login.code, 0, show(login));
      } finally {
        standIn.accessTokenSeconds = 900;
      }
      const expired = await probeTemplates(env, ['--profile', 'short']);
      assert.equal(expired.code, 3, show(expired));
      assert.match(expired.stderr, /token expired: run shipgate login --profile short/);
      const renewed = await probeTemplates({ ...env, SHIPGATE_CLIENT_SECRET: 's3cret' }, ['--profile', 'short']);
      assert.equal(renewed.code, 0, show(renewed));
    });
  });

  describe('through the browser (authorization code with PKCE)', () => {
    /** Starts `login`, and returns the authorize URL it prints once it prints it, with the pending run. */
    async function startBrowserLogin(env: Env, profile: string, port: readonly string[] = ['--callback-port', '0']) {
      const { streams, out } = capture(env);
      const argv = ['login', '--profile', profile, '--url', local.url, '--auth-url', standIn.url];
      const pending = run([...argv, '--client-id', 'people', '--no-browser', '--timeout', '20', ...port], streams);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const url = /(http:\/\/127\.0\.0\.1:\d+\/oauth2\/authorize\?\S+)/.exec(out.stdout)?.[1];
        if (url) return { url, pending, out };
        assert.ok(Date.now() < deadline, `no authorize URL printed:\n${out.stdout}${out.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    it('signs a person in, caches access and refresh tokens, refreshes them, and logs out', async () => {
      const env = freshEnv();
      const { url, pending, out } = await startBrowserLogin(env, 'prod');
      const authorize = new URL(url);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      assert.match(authorize.searchParams.get('redirect_uri') ?? '', /^http:\/\/localhost:\d+\/callback$/);
      // The browser step: the stand-in signs rita in and redirects to the CLI's loopback address.
      const browser = await fetch(url);
      assert.equal(browser.status, 200);
      assert.match(await browser.text(), /signed in/i);
      const code = await pending;
      assert.equal(code, 0, `${out.stdout}${out.stderr}`);
      assert.match(out.stdout, /Logged in to http:\/\/127\.0\.0\.1:\d+ as rita: profile prod/);

      const cached = readJson(tokensPath(env, 'prod'));
      assert.equal(typeof cached.refreshToken, 'string');
      assert.equal(mode(tokensPath(env, 'prod')), 0o600);
      const used = await probeTemplates(env, ['--profile', 'prod']);
      assert.equal(used.code, 0, show(used));

      // Expired: the next command redeems the refresh token and caches the new access token.
      const path = tokensPath(env, 'prod');
      writeFileSync(path, JSON.stringify({ ...cached, expiresAt: new Date(Date.now() - 1000).toISOString() }));
      const refreshesBefore = standIn.requests.filter((request) => request.grant === 'refresh_token').length;
      const refreshed = await probeTemplates(env, ['--profile', 'prod']);
      assert.equal(refreshed.code, 0, show(refreshed));
      assert.equal(standIn.requests.filter((request) => request.grant === 'refresh_token').length, refreshesBefore + 1);
      const renewed = readJson(path);
      assert.notEqual(renewed.accessToken, cached.accessToken);
      assert.equal(renewed.refreshToken, cached.refreshToken);

      const text = await cli(['profiles'], env);
      assert.match(text.stdout, /prod\s+http:\/\/127\.0\.0\.1:\d+\s+browser \(PKCE\)\s+valid until/);

      const logout = await cli(['logout', '--profile', 'prod', '--json'], env);
      assert.equal(logout.code, 0, show(logout));
      assert.deepEqual(JSON.parse(logout.stdout), { profile: 'prod', removed: true, revoked: true });
      assert.equal(standIn.isRefreshTokenValid(cached.refreshToken as string), false, 'the refresh token is revoked');
      const none = await cli(['profiles', '--json'], env);
      assert.equal(
        (JSON.parse(none.stdout) as { profiles: { token: { state: string } }[] }).profiles[0]?.token.state,
        'none',
      );
      // No token left: the API turns the command away, and it exits 3.
      const signedOut = await probeTemplates(env, ['--profile', 'prod']);
      assert.equal(signedOut.code, 3, show(signedOut));
    });

    it('redirects by default to the loopback URL the stack registers, http://localhost:8976/callback', async () => {
      const env = freshEnv();
      const { url, pending, out } = await startBrowserLogin(env, 'registered', []);
      assert.equal(new URL(url).searchParams.get('redirect_uri'), 'http://localhost:8976/callback');
      const browser = await fetch(url);
      assert.equal(browser.status, 200);
      await browser.text();
      assert.equal(await pending, 0, `${out.stdout}${out.stderr}`);
    });

    it('refuses a redirect whose state was changed, exits 3, and caches nothing', async () => {
      const env = freshEnv();
      const { url, pending, out } = await startBrowserLogin(env, 'forged');
      const redirect = await fetch(url, { redirect: 'manual' });
      assert.equal(redirect.status, 302);
      const callback = new URL(redirect.headers.get('location') ?? '');
      callback.searchParams.set('state', 'forged-state');
      const answer = await fetch(callback);
      assert.equal(answer.status, 400);
      await answer.text();
      assert.equal(await pending, 3, `${out.stdout}${out.stderr}`);
      assert.match(out.stderr, /state this login did not send/);
      assert.throws(() => statSync(tokensPath(env, 'forged')), /ENOENT/);
    });
  });

  describe('usage', () => {
    it('exits 2 on mixed or missing settings', async () => {
      const mixed = await cli(['login', '--user', 'rita', '--client-id', 'ci'], freshEnv());
      assert.equal(mixed.code, 2, show(mixed));
      const remote = await cli(['login', '--url', 'https://api.example.com'], freshEnv());
      assert.equal(remote.code, 2, show(remote));
      assert.match(remote.stderr, /--client-id/);
      const noUser = await cli(['login'], freshEnv());
      assert.equal(noUser.code, 2, show(noUser));
      const unknown = await cli(['login', '--bogus'], freshEnv());
      assert.equal(unknown.code, 2, show(unknown));
    });

    it('a token given as --token wins over the cache', async () => {
      const env = freshEnv();
      assert.equal((await cli(['login', '--user', 'rita'], env)).code, 0);
      const given = await probeTemplates(env, ['--token', 'not-a-token']);
      assert.equal(given.code, 3, show(given));
    });
  });
});
