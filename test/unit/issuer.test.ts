// Unit tests for the local issuer and the token CLI: Cognito-shaped claims, authorizer-style checks and flattening.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, UnsecuredJWT } from 'jose';
import type { LocalIssuer, TokenRejection } from '../../local/issuer.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_ISSUER,
  flattenClaim,
  loadOrCreateIssuer,
  TokenRejectedError,
} from '../../local/issuer.ts';
import type { CliOutput } from '../../local/token-cli.ts';
import { main } from '../../local/token-cli.ts';

let root: string;
let counter = 0;

async function freshDir(): Promise<string> {
  counter += 1;
  return join(root, `data-${counter}`);
}

function rejectsWith(reason: TokenRejection): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof TokenRejectedError, `expected TokenRejectedError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    return true;
  };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'shipgate-issuer-test-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('local issuer', () => {
  let issuer: LocalIssuer;
  let dataDir: string;

  before(async () => {
    dataDir = await freshDir();
    issuer = await loadOrCreateIssuer(dataDir);
  });

  it('defaults the issuer and the audience', () => {
    assert.equal(issuer.issuer, DEFAULT_ISSUER);
    assert.equal(issuer.audience, DEFAULT_CLIENT_ID);
  });

  it('signs a Cognito-style access token that verifies, with claims flattened as API Gateway does', async () => {
    const token = await issuer.sign({
      user: 'alice',
      name: 'Alice A.',
      roles: ['qa-lead', 'release-manager'],
      scopes: ['shipgate/read', 'shipgate/items.write'],
    });
    const { claims, scopes } = await issuer.verify(token);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.username, 'alice');
    assert.equal(claims.name, 'Alice A.');
    assert.equal(claims['cognito:groups'], '[qa-lead release-manager]');
    assert.equal(claims.scope, 'shipgate/read shipgate/items.write');
    assert.equal(claims.client_id, DEFAULT_CLIENT_ID);
    assert.equal(claims.token_use, 'access');
    assert.equal(claims.iss, DEFAULT_ISSUER);
    assert.match(claims.iat ?? '', /^\d+$/);
    assert.match(claims.exp ?? '', /^\d+$/);
    assert.equal(Number(claims.exp) - Number(claims.iat), 3600);
    assert.ok(Math.abs(Number(claims.iat) - Date.now() / 1000) < 10);
    assert.match(claims.jti ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(scopes, ['shipgate/read', 'shipgate/items.write']);
    for (const value of Object.values(claims)) assert.equal(typeof value, 'string');
  });

  it('gives every token its own jti and an RS256 header with the key id', async () => {
    const first = await issuer.sign({ user: 'bob' });
    const second = await issuer.sign({ user: 'bob' });
    const a = await issuer.verify(first);
    const b = await issuer.verify(second);
    assert.notEqual(a.claims.jti, b.claims.jti);
    const header = decodeProtectedHeader(first);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.kid, issuer.jwks.keys[0]?.kid);
    assert.equal(issuer.jwks.keys[0]?.d, undefined, 'the published JWKS must not contain the private key');
  });

  it('leaves out name, groups and scope when not given, as Cognito does', async () => {
    const { claims, scopes } = await issuer.verify(await issuer.sign({ user: 'carol' }));
    assert.equal(claims.name, undefined);
    assert.equal(claims['cognito:groups'], undefined);
    assert.equal(claims.scope, undefined);
    assert.deepEqual(scopes, []);
  });

  it('flattens a single role as a bracketed list', async () => {
    const { claims } = await issuer.verify(await issuer.sign({ user: 'dave', roles: ['qa-lead'] }));
    assert.equal(claims['cognito:groups'], '[qa-lead]');
  });

  it('makes machine tokens whose sub is the client id, without username or groups', async () => {
    const token = await issuer.sign({ user: 'ignored', machine: true, scopes: ['shipgate/read'] });
    const { claims, scopes } = await issuer.verify(token);
    assert.equal(claims.sub, DEFAULT_CLIENT_ID);
    assert.equal(claims.client_id, DEFAULT_CLIENT_ID);
    assert.equal(claims.username, undefined);
    assert.equal(claims['cognito:groups'], undefined);
    assert.deepEqual(scopes, ['shipgate/read']);
  });

  it('accepts the token with a Bearer prefix, as the Authorization header carries it', async () => {
    const token = await issuer.sign({ user: 'erin' });
    const { claims } = await issuer.verify(`Bearer ${token}`);
    assert.equal(claims.sub, 'erin');
  });

  it("rejects an expired token with reason 'expired'", async () => {
    const token = await issuer.sign({ user: 'alice', expiresInSeconds: -60 });
    await assert.rejects(issuer.verify(token), rejectsWith('expired'));
  });

  it('tolerates a few seconds of clock skew on expiry', async () => {
    const token = await issuer.sign({ user: 'alice', expiresInSeconds: -2 });
    const { claims } = await issuer.verify(token);
    assert.equal(claims.sub, 'alice');
  });

  it("rejects a token signed by another key with reason 'signature'", async () => {
    const other = await loadOrCreateIssuer(await freshDir());
    const token = await other.sign({ user: 'mallory', roles: ['release-manager'] });
    await assert.rejects(issuer.verify(token), rejectsWith('signature'));
  });

  it("rejects a tampered payload with reason 'signature'", async () => {
    const token = await issuer.sign({ user: 'alice', roles: ['qa-lead'] });
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({
        sub: 'alice',
        'cognito:groups': ['release-manager'],
        client_id: DEFAULT_CLIENT_ID,
        iss: DEFAULT_ISSUER,
        exp: Math.floor(Date.now() / 1000) + 600,
      }),
    ).toString('base64url');
    await assert.rejects(issuer.verify(`${header}.${forged}.${signature}`), rejectsWith('signature'));
  });

  it("rejects an unsigned (alg none) token with reason 'signature'", async () => {
    const token = new UnsecuredJWT({ sub: 'mallory', client_id: DEFAULT_CLIENT_ID })
      .setIssuer(DEFAULT_ISSUER)
      .setExpirationTime('1h')
      .encode();
    await assert.rejects(issuer.verify(token), rejectsWith('signature'));
  });

  it("rejects another client_id with reason 'audience'", async () => {
    const token = await issuer.sign({ user: 'alice', clientId: 'some-other-client' });
    await assert.rejects(issuer.verify(token), rejectsWith('audience'));
  });

  it('accepts a client id listed in additionalClientIds, like an extra authorizer audience', async () => {
    const withCi = await loadOrCreateIssuer(dataDir, { additionalClientIds: ['ci-pipeline'] });
    const token = await withCi.sign({ user: '', machine: true, clientId: 'ci-pipeline', scopes: ['shipgate/read'] });
    const { claims } = await withCi.verify(token);
    assert.equal(claims.sub, 'ci-pipeline');
    await assert.rejects(issuer.verify(token), rejectsWith('audience'));
  });

  it("rejects a token from another issuer with reason 'issuer', even with the same key", async () => {
    const elsewhere = await loadOrCreateIssuer(dataDir, { issuer: 'http://localhost:9999' });
    assert.equal(elsewhere.issuer, 'http://localhost:9999');
    const token = await elsewhere.sign({ user: 'alice' });
    await assert.rejects(issuer.verify(token), rejectsWith('issuer'));
    const { claims } = await elsewhere.verify(token);
    assert.equal(claims.iss, 'http://localhost:9999');
  });

  it("rejects garbage with reason 'malformed' and an empty token with reason 'missing'", async () => {
    await assert.rejects(issuer.verify('not-a-jwt'), rejectsWith('malformed'));
    await assert.rejects(issuer.verify('a.b.c'), rejectsWith('malformed'));
    await assert.rejects(issuer.verify(''), rejectsWith('missing'));
    await assert.rejects(issuer.verify('Bearer  '), rejectsWith('missing'));
  });

  it('refuses to sign a user token without a user', async () => {
    await assert.rejects(issuer.sign({ user: '' }), RangeError);
  });
});

describe('issuer key file', () => {
  it('is created with mode 0600 and reused by a second load, so old tokens still verify', async () => {
    const dataDir = await freshDir();
    const first = await loadOrCreateIssuer(dataDir);
    const token = await first.sign({ user: 'alice', roles: ['qa-lead'] });
    const info = await stat(join(dataDir, 'issuer-key.json'));
    assert.equal(info.mode & 0o777, 0o600);

    const second = await loadOrCreateIssuer(dataDir);
    assert.equal(second.jwks.keys[0]?.kid, first.jwks.keys[0]?.kid);
    const { claims } = await second.verify(token);
    assert.equal(claims.sub, 'alice');
  });

  it('ends up as one key when two loads race on an empty directory', async () => {
    const dataDir = await freshDir();
    const [a, b] = await Promise.all([loadOrCreateIssuer(dataDir), loadOrCreateIssuer(dataDir)]);
    const { claims } = await b.verify(await a.sign({ user: 'alice' }));
    assert.equal(claims.sub, 'alice');
  });

  it('refuses a corrupt key file with a message that says how to recover', async () => {
    const dataDir = await freshDir();
    await loadOrCreateIssuer(dataDir);
    await writeFile(join(dataDir, 'issuer-key.json'), '{"kty":"oct"}');
    await assert.rejects(loadOrCreateIssuer(dataDir), /issuer-key\.json is unusable .*delete it/);
  });
});

describe('flattenClaim', () => {
  it('turns every claim value into the string API Gateway would put in the event', () => {
    assert.equal(flattenClaim(['a', 'b', 'c']), '[a b c]');
    assert.equal(flattenClaim([]), '[]');
    assert.equal(flattenClaim(1700000000), '1700000000');
    assert.equal(flattenClaim(true), 'true');
    assert.equal(flattenClaim(false), 'false');
    assert.equal(flattenClaim('plain'), 'plain');
  });
});

describe('token CLI', () => {
  function capture(): CliOutput & { out: string; err: string } {
    const sink = {
      out: '',
      err: '',
      stdout(text: string) {
        sink.out += text;
      },
      stderr(text: string) {
        sink.err += text;
      },
    };
    return sink;
  }

  it('prints only a token that the issuer in the same data dir accepts', async () => {
    const dataDir = await freshDir();
    const io = capture();
    const code = await main(
      ['--user', 'alice', '--roles', 'qa-lead,release-manager', '--name', 'Alice A.', '--data-dir', dataDir],
      io,
      {},
      root,
    );
    assert.equal(code, 0);
    assert.equal(io.err, '');
    assert.match(io.out, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { claims } = await (await loadOrCreateIssuer(dataDir)).verify(io.out.trim());
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.name, 'Alice A.');
    assert.equal(claims['cognito:groups'], '[qa-lead release-manager]');
  });

  it('uses SHIPGATE_DATA_DIR, --expires, --scopes and --machine', async () => {
    const dataDir = await freshDir();
    const io = capture();
    const args = ['--machine', '--scopes', 'shipgate/read,shipgate/items.write', '--expires', '120'];
    const code = await main(args, io, { SHIPGATE_DATA_DIR: dataDir }, root);
    assert.equal(code, 0, io.err);
    const { claims, scopes } = await (await loadOrCreateIssuer(dataDir)).verify(io.out.trim());
    assert.equal(claims.sub, DEFAULT_CLIENT_ID);
    assert.deepEqual(scopes, ['shipgate/read', 'shipgate/items.write']);
    assert.equal(Number(claims.exp) - Number(claims.iat), 120);
  });

  it('defaults the data dir to .shipgate under the working directory', async () => {
    const cwd = await freshDir();
    const io = capture();
    assert.equal(await main(['--user', 'bob'], io, {}, cwd), 0, io.err);
    const { claims } = await (await loadOrCreateIssuer(join(cwd, '.shipgate'))).verify(io.out.trim());
    assert.equal(claims.sub, 'bob');
  });

  for (const [label, args, message] of [
    ['no user', ['--roles', 'qa-lead'], /--user is required/],
    ['an unknown option', ['--user', 'a', '--role', 'qa-lead'], /Unknown option '--role'/],
    ['a bad --expires', ['--user', 'a', '--expires', 'soon'], /--expires must be a positive number/],
    ['--machine with --user', ['--machine', '--user', 'a'], /--machine tokens have no user/],
    ['an empty --roles', ['--user', 'a', '--roles', ','], /--roles needs at least one value/],
    ['a stray argument', ['--user', 'a', 'extra'], /positional argument/],
  ] as const) {
    it(`exits 2 with a clear error for ${label}`, async () => {
      const io = capture();
      assert.equal(await main(args, io, { SHIPGATE_DATA_DIR: join(root, 'unused') }, root), 2);
      assert.equal(io.out, '');
      assert.match(io.err, message);
      assert.match(io.err, /Usage:/);
    });
  }

  it('runs as a script: the token alone on stdout, exit 2 on bad arguments', async () => {
    const dataDir = await freshDir();
    const script = join(import.meta.dirname, '../../local/token-cli.ts');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [script, ...args],
          { env: { ...process.env, SHIPGATE_DATA_DIR: dataDir } },
          (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
        );
      });
    const ok = await run(['--user', 'alice', '--roles', 'qa-lead']);
    assert.equal(ok.code, 0, ok.stderr);
    const { claims } = await (await loadOrCreateIssuer(dataDir)).verify(ok.stdout.trim());
    assert.equal(claims['cognito:groups'], '[qa-lead]');
    const bad = await run(['--bogus']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
  });
});
