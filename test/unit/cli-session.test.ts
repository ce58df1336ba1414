// Unit tests for the CLI's login state: the config and token store (0600 files, refusal of a file others can read),
// when a cached token is used, refreshed or refused, PKCE and the loopback redirect, which flow `login` picks, and
// the generated shell completion.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  configDir,
  type Profile,
  profilesPath,
  readTokens,
  type StoredTokens,
  tokensPath,
  writeProfile,
  writeTokens,
} from '../../cli/auth/config.ts';
import { planLogin } from '../../cli/auth/flows.ts';
import { startLoopback } from '../../cli/auth/loopback.ts';
import { authorizeUrl, challengeOf, createPkce, newState, requestTokens } from '../../cli/auth/oauth.ts';
import { completionTree } from '../../cli/commands/completion.ts';
import { commandGroups } from '../../cli/commands/index.ts';
import type { Target } from '../../cli/context.ts';
import { CliError, EXIT } from '../../cli/errors.ts';
import { program } from '../../cli/main.ts';
import { cachedToken, EXPIRY_SKEW_MS, profileUrl } from '../../cli/session.ts';
import { loadOrCreateIssuer } from '../../local/issuer.ts';

let root: string;
let counter = 0;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'shipgate-cli-session-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** An environment with a config folder of its own (and a local data folder for dev tokens). */
function freshEnv(extra: Record<string, string> = {}): Record<string, string> {
  counter += 1;
  return {
    SHIPGATE_CONFIG_DIR: join(root, `config-${counter}`),
    SHIPGATE_DATA_DIR: join(root, `data-${counter}`),
    ...extra,
  };
}

const mode = (path: string) => statSync(path).mode & 0o777;
const NOW = Date.parse('2030-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** Asserts a CliError with this exit code whose message matches. */
async function rejectsWith(action: () => unknown, code: number, message: RegExp): Promise<void> {
  await assert.rejects(
    async () => action(),
    (error: unknown) => {
      assert.ok(error instanceof CliError, `a CliError, not ${String(error)}`);
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      return true;
    },
  );
}

interface FakeCall {
  readonly url: string;
  readonly headers: Headers;
  readonly form: URLSearchParams;
}

/** A token endpoint in memory: records each call and answers with `answer(form)`. */
function fakeTokenEndpoint(answer: (form: URLSearchParams) => { status: number; body: unknown }) {
  const calls: FakeCall[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const form = new URLSearchParams(await request.text());
    calls.push({ url: request.url, headers: request.headers, form });
    const { status, body } = answer(form);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return { calls, fetch };
}

describe('the config folder', () => {
  it('is $SHIPGATE_CONFIG_DIR, else $XDG_CONFIG_HOME/shipgate, else ~/.config/shipgate', () => {
    assert.equal(configDir({ SHIPGATE_CONFIG_DIR: '/a/b', XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/a/b');
    assert.equal(configDir({ XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/x/shipgate');
    assert.equal(configDir({ XDG_CONFIG_HOME: 'relative', HOME: '/h' }), '/h/.config/shipgate');
    assert.equal(configDir({ HOME: '/h' }), '/h/.config/shipgate');
  });

  it('keeps tokens in their own 0600 file in a 0700 folder, apart from the profile', () => {
    const env = freshEnv();
    writeProfile(env, 'prod', { grant: 'authorization_code', url: 'https://api.example.com', clientId: 'c' });
    writeTokens(env, 'prod', { accessToken: 'a', refreshToken: 'r', obtainedAt: iso(NOW) });
    assert.equal(mode(configDir(env)), 0o700);
    assert.equal(mode(join(configDir(env), 'tokens')), 0o700);
    assert.equal(mode(tokensPath(env, 'prod')), 0o600);
    assert.ok(!readFileSync(profilesPath(env), 'utf8').includes('"r"'), 'the profile file holds no token');
    assert.equal(profileUrl(env, 'prod'), 'https://api.example.com');
    assert.equal(readTokens(env, 'prod')?.refreshToken, 'r');
  });

  it('refuses a token file other users can read, and says how to fix it', async () => {
    const env = freshEnv();
    writeTokens(env, 'default', { accessToken: 'a', obtainedAt: iso(NOW) });
    const path = tokensPath(env, 'default');
    for (const loose of [0o644, 0o640, 0o604]) {
      chmodSync(path, loose);
      await rejectsWith(() => readTokens(env, 'default'), EXIT.auth, new RegExp(`chmod 600 ${path}`));
    }
    chmodSync(path, 0o600);
    assert.equal(readTokens(env, 'default')?.accessToken, 'a');
  });

  it('refuses a token file that is a symbolic link, and a damaged one', async () => {
    const env = freshEnv();
    writeTokens(env, 'real', { accessToken: 'a', obtainedAt: iso(NOW) });
    symlinkSync(tokensPath(env, 'real'), tokensPath(env, 'linked'));
    await rejectsWith(() => readTokens(env, 'linked'), EXIT.auth, /symbolic link/);
    writeFileSync(tokensPath(env, 'broken'), 'not json', { mode: 0o600 });
    await rejectsWith(() => readTokens(env, 'broken'), EXIT.auth, /damaged/);
  });

  it('refuses a profile name that could leave the folder', async () => {
    const env = freshEnv();
    await rejectsWith(() => tokensPath(env, '../escape'), EXIT.usage, /not a profile name/);
    await rejectsWith(() => profileUrl(env, 'a/b'), EXIT.usage, /not a profile name/);
  });

  it('says how to fix a profiles file that is not JSON', async () => {
    const env = freshEnv();
    writeProfile(env, 'x', { grant: 'local' });
    writeFileSync(profilesPath(env), '{', { mode: 0o600 });
    await rejectsWith(() => profileUrl(env, 'x'), EXIT.usage, /is not JSON/);
  });
});

describe('a cached token', () => {
  const api = 'https://api.example.com';
  const target = (profile: string, url = api): Target => ({ url, profile });
  const people: Profile = {
    grant: 'authorization_code',
    url: api,
    authUrl: 'https://auth.example.com',
    tokenUrl: 'https://auth.example.com/oauth2/token',
    clientId: 'people',
  };
  const machine: Profile = { ...people, grant: 'client_credentials', clientId: 'machine', scopes: ['shipgate/read'] };
  const stored = (env: Record<string, string>, name: string, profile: Profile, tokens: Partial<StoredTokens>) => {
    writeProfile(env, name, profile);
    writeTokens(env, name, { accessToken: 'old', obtainedAt: iso(NOW - 3_600_000), ...tokens });
  };
  const noFetch: typeof fetch = async () => assert.fail('no request is needed');

  it('is none when the profile never logged in', async () => {
    assert.equal(await cachedToken(freshEnv(), target('default'), { fetch: noFetch }), undefined);
  });

  it('is used as is while it has more than the skew left', async () => {
    const env = freshEnv();
    stored(env, 'prod', people, { expiresAt: iso(NOW + EXPIRY_SKEW_MS + 1000), refreshToken: 'r' });
    assert.equal(await cachedToken(env, target('prod'), { fetch: noFetch, now: () => NOW }), 'old');
  });

  it('is refreshed within the skew, re-cached, and keeps its refresh token', async () => {
    const env = freshEnv();
    stored(env, 'prod', people, { expiresAt: iso(NOW + 30_000), refreshToken: 'refresh-1' });
    const endpoint = fakeTokenEndpoint(() => ({
      status: 200,
      body: { access_token: 'new', token_type: 'Bearer', expires_in: 900 },
    }));
    const token = await cachedToken(env, target('prod'), { fetch: endpoint.fetch, now: () => NOW });
    assert.equal(token, 'new');
    assert.equal(endpoint.calls.length, 1);
    const call = endpoint.calls[0];
    assert.equal(call?.url, 'https://auth.example.com/oauth2/token');
    assert.equal(call?.form.get('grant_type'), 'refresh_token');
    assert.equal(call?.form.get('refresh_token'), 'refresh-1');
    assert.equal(call?.form.get('client_id'), 'people');
    assert.equal(call?.headers.get('authorization'), null, 'a public client sends no secret');
    const cached = readTokens(env, 'prod');
    assert.equal(cached?.accessToken, 'new');
    assert.equal(cached?.refreshToken, 'refresh-1');
    assert.equal(cached?.expiresAt, iso(NOW + 900_000));
    assert.equal(mode(tokensPath(env, 'prod')), 0o600);
  });

  it('is refreshed once for requests sent together', async () => {
    const env = freshEnv();
    stored(env, 'prod', people, { expiresAt: iso(NOW - 1000), refreshToken: 'r' });
    const endpoint = fakeTokenEndpoint(() => ({ status: 200, body: { access_token: 'new', expires_in: 900 } }));
    const deps = { fetch: endpoint.fetch, now: () => NOW };
    const tokens = await Promise.all([1, 2, 3].map(() => cachedToken(env, target('prod'), deps)));
    assert.deepEqual(tokens, ['new', 'new', 'new']);
    assert.equal(endpoint.calls.length, 1);
  });

  it('asks for a new login when the refresh token is refused', async () => {
    const env = freshEnv();
    stored(env, 'prod', people, { expiresAt: iso(NOW - 1000), refreshToken: 'revoked' });
    const endpoint = fakeTokenEndpoint(() => ({ status: 400, body: { error: 'invalid_grant' } }));
    await rejectsWith(
      () => cachedToken(env, target('prod'), { fetch: endpoint.fetch, now: () => NOW }),
      EXIT.auth,
      /invalid_grant.*run shipgate login --profile prod/,
    );
  });

  it('of a machine, expired, says plainly to log in again: its secret is not stored', async () => {
    const env = freshEnv();
    stored(env, 'ci', machine, { expiresAt: iso(NOW - 1000) });
    await rejectsWith(
      () => cachedToken(env, target('ci'), { fetch: noFetch, now: () => NOW }),
      EXIT.auth,
      /^token expired: run shipgate login --profile ci$/,
    );
    assert.ok(!readFileSync(profilesPath(env), 'utf8').toLowerCase().includes('secret'));
  });

  it('of a machine, expired, is fetched again when the pipeline has $SHIPGATE_CLIENT_SECRET', async () => {
    const env = freshEnv({ SHIPGATE_CLIENT_SECRET: 's3cret' });
    stored(env, 'ci', machine, { expiresAt: iso(NOW - 1000) });
    const endpoint = fakeTokenEndpoint(() => ({ status: 200, body: { access_token: 'fresh', expires_in: 900 } }));
    assert.equal(await cachedToken(env, target('ci'), { fetch: endpoint.fetch, now: () => NOW }), 'fresh');
    const call = endpoint.calls[0];
    assert.equal(call?.form.get('grant_type'), 'client_credentials');
    assert.equal(call?.form.get('scope'), 'shipgate/read');
    assert.equal(call?.headers.get('authorization'), `Basic ${Buffer.from('machine:s3cret').toString('base64')}`);
    assert.equal(call?.form.get('client_secret'), null, 'the secret travels only in the Authorization header');
  });

  it('of the local runtime, expired, is signed again with the same user and roles', async () => {
    const env = freshEnv();
    const local: Profile = { grant: 'local', local: { user: 'rita', roles: ['release-manager', 'qa-lead'] } };
    stored(env, 'default', local, { expiresAt: iso(Date.now() - 1000) });
    const token = await cachedToken(env, target('default', 'http://localhost:3000'), { fetch: noFetch });
    assert.ok(token && token !== 'old');
    const verified = await (await loadOrCreateIssuer(env.SHIPGATE_DATA_DIR as string)).verify(token);
    assert.equal(verified.claims.username, 'rita');
    assert.equal(verified.claims['cognito:groups'], '[release-manager qa-lead]');
    assert.equal(readTokens(env, 'default')?.accessToken, token);
  });

  it('is never sent to an API it was not issued for', async () => {
    const env = freshEnv();
    stored(env, 'prod', people, { expiresAt: iso(NOW + 3_600_000) });
    await rejectsWith(
      () => cachedToken(env, target('prod', 'https://elsewhere.example.com'), { now: () => NOW }),
      EXIT.auth,
      /is for https:\/\/api\.example\.com, not https:\/\/elsewhere/,
    );
    stored(env, 'default', { grant: 'local', local: { user: 'rita' } }, { expiresAt: iso(NOW + 3_600_000) });
    await rejectsWith(
      () => cachedToken(env, target('default', api), { now: () => NOW }),
      EXIT.auth,
      /is not the local runtime/,
    );
    // The loopback names are one host.
    stored(env, 'lo', { ...people, url: 'http://127.0.0.1:3000' }, { expiresAt: iso(NOW + 3_600_000) });
    assert.equal(await cachedToken(env, target('lo', 'http://localhost:3000'), { now: () => NOW }), 'old');
  });
});

describe('PKCE and the authorize request', () => {
  it('derives the challenge as RFC 7636 appendix B does', () => {
    assert.equal(
      challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes a fresh 43-character verifier of unreserved characters, and an S256 challenge of it', () => {
    const a = createPkce();
    const b = createPkce();
    assert.match(a.verifier, /^[A-Za-z0-9._~-]{43}$/);
    assert.notEqual(a.verifier, b.verifier);
    assert.equal(a.challenge, challengeOf(a.verifier));
    assert.equal(a.method, 'S256');
    assert.notEqual(newState(), newState());
  });

  it('sends the challenge, the state and the loopback redirect to /oauth2/authorize', () => {
    const url = new URL(
      authorizeUrl({
        authUrl: 'https://x.auth.us-east-1.amazoncognito.com/',
        clientId: 'people',
        redirectUri: 'http://127.0.0.1:5000/callback',
        state: 'st',
        challenge: 'ch',
      }),
    );
    assert.equal(url.origin + url.pathname, 'https://x.auth.us-east-1.amazoncognito.com/oauth2/authorize');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      response_type: 'code',
      client_id: 'people',
      redirect_uri: 'http://127.0.0.1:5000/callback',
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
  });
});

describe('the loopback redirect', () => {
  it('hands over the code of a redirect with the right state', async () => {
    const loopback = await startLoopback({ state: 'right', timeoutMs: 5000 });
    try {
      // localhost, the one plain-http redirect Cognito accepts; reachable on 127.0.0.1 whatever localhost resolves to.
      assert.match(loopback.redirectUri, /^http:\/\/localhost:\d+\/callback$/);
      const port = new URL(loopback.redirectUri).port;
      const stray = await fetch(`http://127.0.0.1:${port}/favicon.ico`);
      assert.equal(stray.status, 404, 'another path neither counts nor ends the login');
      const response = await fetch(`${loopback.redirectUri}?code=abc&state=right`);
      assert.equal(response.status, 200);
      assert.match(await response.text(), /signed in/i);
      assert.equal(await loopback.code, 'abc');
    } finally {
      await loopback.close();
    }
  });

  it('refuses a redirect whose state this login did not send', async () => {
    const loopback = await startLoopback({ state: 'right', timeoutMs: 5000 });
    try {
      const response = await fetch(`${loopback.redirectUri}?code=stolen&state=wrong`);
      assert.equal(response.status, 400);
      await response.text();
      await rejectsWith(() => loopback.code, EXIT.auth, /state this login did not send/);
    } finally {
      await loopback.close();
    }
  });

  it('reports an error the sign-in answered with, and a timeout', async () => {
    const loopback = await startLoopback({ state: 's', timeoutMs: 5000 });
    try {
      await (await fetch(`${loopback.redirectUri}?error=access_denied&state=s`)).text();
      await rejectsWith(() => loopback.code, EXIT.auth, /sign-in failed: access_denied/);
    } finally {
      await loopback.close();
    }
    const waiting = await startLoopback({ state: 's', timeoutMs: 50 });
    try {
      await rejectsWith(() => waiting.code, EXIT.timedOut, /no sign-in arrived/);
    } finally {
      await waiting.close();
    }
  });
});

describe('the token endpoint', () => {
  it('maps OAuth errors to exit codes: a bad client is auth (3), a bad scope is usage (2)', async () => {
    const refuse = (error: string) => fakeTokenEndpoint(() => ({ status: 400, body: { error } })).fetch;
    const grant = { grant_type: 'client_credentials' };
    await rejectsWith(
      () =>
        requestTokens('https://t/oauth2/token', grant, { id: 'c', secret: 's' }, { fetch: refuse('invalid_client') }),
      EXIT.auth,
      /invalid_client/,
    );
    await rejectsWith(
      () =>
        requestTokens('https://t/oauth2/token', grant, { id: 'c', secret: 's' }, { fetch: refuse('invalid_scope') }),
      EXIT.usage,
      /invalid_scope/,
    );
  });

  it('form-encodes the client id and secret before Basic encoding them (RFC 6749 2.3.1)', async () => {
    const endpoint = fakeTokenEndpoint(() => ({ status: 200, body: { access_token: 't', expires_in: 60 } }));
    await requestTokens('https://t/oauth2/token', {}, { id: 'a b', secret: 'p:w&' }, { fetch: endpoint.fetch });
    const header = endpoint.calls[0]?.headers.get('authorization') ?? '';
    assert.equal(Buffer.from(header.replace('Basic ', ''), 'base64').toString(), 'a+b:p%3Aw%26');
  });

  it('refuses a token that is not a Bearer token', async () => {
    const endpoint = fakeTokenEndpoint(() => ({ status: 200, body: { access_token: 't', token_type: 'mac' } }));
    await rejectsWith(
      () => requestTokens('https://t/x', {}, { id: 'c' }, { fetch: endpoint.fetch }),
      EXIT.failed,
      /mac/,
    );
  });
});

describe('which flow login picks', () => {
  const none = {};

  it('signs a dev token for the local runtime, and needs a user or --machine for it', async () => {
    const plan = planLogin({ user: 'rita', roles: 'release-manager,qa-lead' }, undefined, none, undefined);
    assert.equal(plan.grant, 'local');
    assert.deepEqual(plan.grant === 'local' && plan.profile.local.roles, ['release-manager', 'qa-lead']);
    assert.equal(
      planLogin({ machine: true, scopes: 'shipgate/metrics.write' }, undefined, none, undefined).grant,
      'local',
    );
    await rejectsWith(() => planLogin({}, undefined, none, undefined), EXIT.usage, /--user <id>/);
    await rejectsWith(() => planLogin({ machine: true, user: 'x' }, undefined, none, undefined), EXIT.usage, /no user/);
    await rejectsWith(
      () => planLogin({ user: 'rita' }, 'https://api.example.com', none, undefined),
      EXIT.usage,
      /not it/,
    );
  });

  it('uses client credentials when a secret is given, else the browser', () => {
    const flags = { clientId: 'c', tokenUrl: 'https://x.auth.example.com/oauth2/token' };
    const machine = planLogin({ ...flags, clientSecretStdin: true }, 'https://api.example.com', none, undefined);
    assert.equal(machine.grant, 'client_credentials');
    assert.equal(machine.grant === 'client_credentials' && machine.secret, 'stdin');
    const env = planLogin(flags, 'https://api.example.com', { SHIPGATE_CLIENT_SECRET: 's' }, undefined);
    assert.equal(env.grant === 'client_credentials' && env.secret, 'env');
    const person = planLogin(flags, 'https://api.example.com', none, undefined);
    assert.equal(person.grant, 'authorization_code');
    assert.equal(person.profile.authUrl, 'https://x.auth.example.com', 'the domain comes from the token endpoint');
  });

  it('follows the stored profile, and a person keeps the browser even with a secret in the environment', async () => {
    const stored: Profile = {
      grant: 'authorization_code',
      url: 'https://api.example.com',
      authUrl: 'https://a.example.com',
      tokenUrl: 'https://a.example.com/oauth2/token',
      clientId: 'people',
    };
    assert.equal(planLogin({}, undefined, { SHIPGATE_CLIENT_SECRET: 's' }, stored).grant, 'authorization_code');
    await rejectsWith(
      () => planLogin({}, undefined, none, { ...stored, grant: 'client_credentials' }),
      EXIT.usage,
      /no secret was given/,
    );
  });

  it('refuses mixed or unsafe settings', async () => {
    await rejectsWith(() => planLogin({ user: 'r', clientId: 'c' }, undefined, none, undefined), EXIT.usage, /local/);
    await rejectsWith(
      () =>
        planLogin({ clientId: 'c', authUrl: 'http://auth.example.com' }, 'https://api.example.com', none, undefined),
      EXIT.usage,
      /https:\/\//,
    );
    await rejectsWith(
      () => planLogin({ clientId: 'c', authUrl: 'https://a' }, undefined, none, undefined),
      EXIT.usage,
      /--url/,
    );
    await rejectsWith(() => planLogin({}, 'https://api.example.com', none, undefined), EXIT.usage, /--client-id/);
  });
});

describe('shell completion', () => {
  const streams = () => {
    let stdout = '';
    return {
      streams: {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: () => true },
        env: freshEnv(),
      },
      stdout: () => stdout,
    };
  };
  const generate = async (shell: 'bash' | 'zsh') => {
    const io = streams();
    await program(io.streams, commandGroups).parseAsync(['completion', shell], { from: 'user' });
    return io.stdout();
  };
  const hasBash = spawnSync('bash', ['--version']).status === 0;
  const hasZsh = spawnSync('zsh', ['--version']).status === 0;

  it('walks every command and subcommand of the program', () => {
    const root = program(streams().streams, commandGroups);
    const paths = completionTree(root).map((node) => node.path);
    for (const path of [
      '',
      'login',
      'logout',
      'profiles',
      'completion',
      'releases',
      'releases list',
      'releases create',
      'wait',
    ]) {
      assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
    }
    const login = completionTree(root).find((node) => node.path === 'login');
    assert.ok(login?.options.some((option) => option.flag === '--client-secret-stdin'));
    assert.ok(
      login?.options.some((option) => option.flag === '--profile'),
      'global options apply everywhere',
    );
  });

  it('prints a bash script that bash accepts and that names the commands', { skip: !hasBash }, async () => {
    const script = await generate('bash');
    const check = spawnSync('bash', ['-n'], { input: script });
    assert.equal(check.status, 0, check.stderr.toString());
    for (const name of ['login', 'logout', 'profiles', 'dev-token', 'completion', 'releases', "'releases create'"]) {
      assert.ok(script.includes(name), name);
    }
    // And it completes: `shipgate releases cr<TAB>`, `shipgate --profile prod login --client-s<TAB>`, a shell name.
    const complete = (words: string[]) => {
      const run = spawnSync('bash', [
        '-c',
        `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; ` +
          `_shipgate_complete; printf "%s\\n" "\${COMPREPLY[@]}"`,
      ]);
      assert.equal(run.status, 0, run.stderr.toString());
      return run.stdout.toString().trim().split('\n').filter(Boolean);
    };
    assert.deepEqual(complete(['shipgate', 'releases', 'cr']), ['create']);
    assert.deepEqual(complete(['shipgate', '--profile', 'login', 'releases', 'li']), ['list']);
    assert.deepEqual(complete(['shipgate', 'login', '--client-s']), ['--client-secret', '--client-secret-stdin']);
    assert.deepEqual(complete(['shipgate', 'completion', '']), ['bash', 'zsh']);
    assert.deepEqual(complete(['shipgate', 'releases', 'list', '--cur']), ['--cursor']);
    assert.deepEqual(complete(['shipgate', 'wait', 'REL', '--unt']), ['--until']);
  });

  it('prints a zsh script for compdef that names the commands', async (t) => {
    const script = await generate('zsh');
    assert.match(script, /^#compdef shipgate\n/);
    assert.ok(script.includes("'releases create'") && script.includes("'login:sign in"));
    if (!hasZsh) {
      t.diagnostic('zsh is not installed: its syntax check was skipped');
      return;
    }
    const check = spawnSync('zsh', ['-n'], { input: script });
    assert.equal(check.status, 0, check.stderr.toString());
  });
});
