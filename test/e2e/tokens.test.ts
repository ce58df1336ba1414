// Bearer tokens at the local gateway, the way API Gateway's JWT authorizer treats them: anything but a live token
// of the runtime's own issuer and app client is a 401 before any function runs; a machine token without the scope
// a route needs is a 403 from the function. And `npm run token` prints a token the running API accepts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JWK, JWTPayload } from 'jose';
import { importJWK, SignJWT } from 'jose';
import type { RouteDef } from '../../lambdas/functions/catalog.ts';
import { routes } from '../../lambdas/functions/catalog.ts';
import type { LocalIssuer, TokenRejection } from '../../local/issuer.ts';
import { loadOrCreateIssuer } from '../../local/issuer.ts';
import {
  api,
  assertProblem,
  assertUnauthorized,
  type LocalProcess,
  ROOT,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
} from '../support/local-process.ts';

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The claims of a token, unverified. */
function payloadOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Runs a command to its end; resolves with its exit code and output. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bearer tokens at the local gateway', () => {
  let dataDir: string;
  let otherDir: string;
  let local: LocalProcess;
  let issuer: LocalIssuer;
  let rm: string;
  let qa: string;
  let releaseId: string;

  before(async () => {
    dataDir = tempDataDir();
    otherDir = tempDataDir();
    local = await startLocalProcess(dataDir);
    issuer = await loadOrCreateIssuer(dataDir);
    rm = await issuer.sign({ user: 'rita', roles: ['release-manager'] });
    qa = await issuer.sign({ user: 'quinn', roles: ['qa-lead'] });
    const created = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'toolboxai-v1', name: 'Tokens', version: '1.0.0' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    releaseId = created.body.id;
  });

  after(async () => {
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
    if (otherDir) removeDataDir(otherDir);
  });

  /** A request each authenticated route would serve to a release manager. */
  function requestOf(route: RouteDef): { path: string; body?: unknown } {
    const values: Record<string, string> = {
      releaseId,
      templateId: 'toolboxai-v1',
      itemId: 'python-test-suite',
      gate: 'pre-release',
      role: 'qa-lead',
    };
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? name);
    if (route.id === 'create-release') return { path, body: { templateId: 'toolboxai-v1', name: 'x', version: '1' } };
    if (route.id === 'update-item') return { path, body: { status: 'done' } };
    if (route.id === 'record-signoff')
      return { path, body: { gate: 'pre-release', role: 'qa-lead', decision: 'approve' } };
    return { path };
  }

  const authenticated = routes.filter((route) => route.authenticated);

  /** Sends the raw Authorization header to every authenticated route; each must be the authorizer's 401. */
  async function assertRejectedEverywhere(authorization: string | undefined, reason: TokenRejection, what: string) {
    const responses = await Promise.all(
      authenticated.map(async (route) => {
        const { path, body } = requestOf(route);
        const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
        return { route, response: await api(local.url, route.method, path, { headers, body }) };
      }),
    );
    for (const { route, response } of responses) {
      assertUnauthorized(response, `${what}: ${route.method} ${route.path}`, reason);
    }
  }

  it('accepts a live token of its own issuer (the control for every case below)', async () => {
    const response = await api(local.url, 'GET', '/releases', { token: qa });
    assert.equal(response.status, 200, JSON.stringify(response.body));
  });

  it('turns away an expired token', async () => {
    const expired = await issuer.sign({ user: 'quinn', roles: ['qa-lead'], expiresInSeconds: -60 });
    assert.ok(Number(payloadOf(expired).exp) < Date.now() / 1000);
    await assertRejectedEverywhere(`Bearer ${expired}`, 'expired', 'expired');
  });

  it('turns away a token signed by another key', async () => {
    const stranger = await loadOrCreateIssuer(otherDir);
    assert.notDeepEqual(stranger.jwks, issuer.jwks);
    const forged = await stranger.sign({ user: 'mallory', roles: ['release-manager'] });
    await assertRejectedEverywhere(`Bearer ${forged}`, 'signature', 'another key');
    const created = await api(local.url, 'POST', '/releases', {
      token: forged,
      body: { templateId: 'toolboxai-v1', name: 'forged', version: '1' },
    });
    assertUnauthorized(created, 'a forged release manager creates nothing');
  });

  it('turns away a token whose claims were changed after signing', async () => {
    const [header, , signature] = qa.split('.');
    const promoted = `${header}.${base64url({ ...payloadOf(qa), 'cognito:groups': ['release-manager'] })}.${signature}`;
    await assertRejectedEverywhere(`Bearer ${promoted}`, 'signature', 'tampered claims');
  });

  it('turns away a token of another issuer, even one signed with the right key', async () => {
    const impostor = await loadOrCreateIssuer(dataDir, {
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other',
    });
    const token = await impostor.sign({ user: 'quinn', roles: ['qa-lead'] });
    assert.equal(payloadOf(token).iss, 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other');
    await assertRejectedEverywhere(`Bearer ${token}`, 'issuer', 'wrong issuer');
  });

  it('turns away a token for another app client (audience), user or machine', async () => {
    const user = await issuer.sign({ user: 'quinn', roles: ['qa-lead'], clientId: 'another-app' });
    await assertRejectedEverywhere(`Bearer ${user}`, 'audience', 'user token of another client');
    const machine = await issuer.sign({
      user: 'ci',
      machine: true,
      scopes: ['shipgate/read'],
      clientId: 'another-app',
    });
    await assertRejectedEverywhere(`Bearer ${machine}`, 'audience', 'machine token of another client');
  });

  it('turns away an unsigned token (alg none) and one signed with a shared secret (HS256)', async () => {
    const claims = payloadOf(rm);
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
    await assertRejectedEverywhere(`Bearer ${unsigned}`, 'signature', 'alg none');
    const hmac = await new SignJWT(claims as JWTPayload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode('a secret anyone could guess'));
    await assertRejectedEverywhere(`Bearer ${hmac}`, 'signature', 'HS256');
  });

  it('turns away a token of the right key without an expiry, or not valid yet', async () => {
    // Signed with the runtime's own private key, so only the missing or future claims can be wrong.
    const jwk = JSON.parse(readFileSync(join(dataDir, 'issuer-key.json'), 'utf8')) as JWK;
    const key = await importJWK(jwk, 'RS256');
    const claims = { sub: 'quinn', username: 'quinn', 'cognito:groups': ['qa-lead'], client_id: issuer.audience };
    const sign = (builder: SignJWT) =>
      builder
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid ?? '', typ: 'JWT' })
        .setIssuer(issuer.issuer)
        .sign(key);
    const now = Math.floor(Date.now() / 1000);
    const noExpiry = await sign(new SignJWT(claims).setIssuedAt(now));
    await assertRejectedEverywhere(`Bearer ${noExpiry}`, 'malformed', 'no exp');
    const future = await sign(
      new SignJWT(claims)
        .setIssuedAt(now)
        .setNotBefore(now + 600)
        .setExpirationTime(now + 3600),
    );
    await assertRejectedEverywhere(`Bearer ${future}`, 'malformed', 'nbf in the future');
    const good = await sign(new SignJWT(claims).setIssuedAt(now).setExpirationTime(now + 3600));
    assert.equal((await api(local.url, 'GET', '/releases', { token: good })).status, 200, 'the same key and claims');
  });

  it('turns away garbage, and a token cut short', async () => {
    for (const garbage of ['garbage', 'a.b.c', 'e30.e30.', 'e30.e30.e30', '%00', '..', 'eyJ'.repeat(2000)]) {
      await assertRejectedEverywhere(`Bearer ${garbage}`, 'malformed', `garbage ${garbage.slice(0, 20)}`);
    }
    await assertRejectedEverywhere(`Bearer ${rm.slice(0, -10)}`, 'signature', 'signature cut short');
  });

  it('turns away a token sent without the Bearer scheme, or not in the Authorization header', async () => {
    await assertRejectedEverywhere(undefined, 'missing', 'no header');
    await assertRejectedEverywhere('', 'missing', 'empty header');
    await assertRejectedEverywhere(rm, 'missing', 'bare token');
    await assertRejectedEverywhere('Bearer', 'missing', 'scheme only');
    await assertRejectedEverywhere(`Basic ${Buffer.from('rita:secret').toString('base64')}`, 'missing', 'basic');
    await assertRejectedEverywhere(`Token ${rm}`, 'missing', 'other scheme');
    await assertRejectedEverywhere(`Bearer ${rm} ${rm}`, 'missing', 'two tokens');
    const inQuery = await api(local.url, 'GET', `/releases?access_token=${rm}`);
    assertUnauthorized(inQuery, 'token in the query string', 'missing');
  });

  it('answers a machine token without the scope a route needs with a 403 naming the permission', async () => {
    const machine = (scopes: string[]) => issuer.sign({ user: 'ci', machine: true, scopes });
    const none = await machine([]);
    const metrics = await machine(['shipgate/metrics.write']);
    const reader = await machine(['shipgate/read']);
    const ci = await machine(['shipgate/read', 'shipgate/items.write']);
    const cases: [string, string, string, string, unknown, string][] = [
      ['no scope', none, 'GET', '/templates', undefined, 'release:read'],
      ['no scope', none, 'GET', `/releases/${releaseId}`, undefined, 'release:read'],
      ['metrics.write', metrics, 'GET', '/releases', undefined, 'release:read'],
      ['metrics.write', metrics, 'GET', `/releases/${releaseId}/events`, undefined, 'release:read'],
      ['read', reader, 'POST', '/releases', { templateId: 'toolboxai-v1', name: 'x', version: '1' }, 'release:create'],
      [
        'read',
        reader,
        'PATCH',
        `/releases/${releaseId}/items/python-test-suite`,
        { status: 'done' },
        'item:update:python-test-suite',
      ],
      [
        'read + items.write, manual item',
        ci,
        'PATCH',
        `/releases/${releaseId}/items/mfa-functionality-validated-totp`,
        { status: 'done' },
        'item:update:mfa-functionality-validated-totp',
      ],
      [
        'read + items.write',
        ci,
        'POST',
        `/releases/${releaseId}/signoffs`,
        { gate: 'pre-release', role: 'qa-lead', decision: 'approve' },
        'signoff:qa-lead',
      ],
    ];
    for (const [scopes, token, method, path, body, permission] of cases) {
      const response = await api(local.url, method, path, { token, body });
      const problem = assertProblem(response, 403, `${scopes}: ${method} ${path}`);
      assert.equal(problem.type, '/problems/forbidden');
      assert.equal(problem.permission, permission, `${scopes}: ${method} ${path}`);
      assert.match(problem.detail, new RegExp(`missing permission ${permission}`));
    }
    // The scope is what was missing: with it, the same machine reads and ticks the automated item.
    assert.equal((await api(local.url, 'GET', '/templates', { token: reader })).status, 200);
    const ticked = await api(local.url, 'PATCH', `/releases/${releaseId}/items/python-test-suite`, {
      token: ci,
      body: { status: 'done', evidence: { url: 'https://ci.example.com/runs/7' } },
    });
    assert.equal(ticked.status, 200, JSON.stringify(ticked.body));
    assert.equal(ticked.body.updatedBy.kind, 'machine');
  });

  it('accepts the token `npm run -s token` prints for the running runtime', async () => {
    const result = await run('npm', ['run', '-s', 'token', '--', '--user', 'alice', '--roles', 'qa-lead'], {
      ...process.env,
      PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
      SHIPGATE_DATA_DIR: local.dataDir,
    });
    assert.equal(result.code, 0, result.stderr);
    const token = result.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, `stdout is the token and nothing else: ${result.stdout}`);
    assert.equal((await api(local.url, 'GET', '/templates', { token })).status, 200);
    // The API knows alice as a QA lead: she signs the QA part and nothing a release manager does.
    const signed = await api(local.url, 'POST', `/releases/${releaseId}/signoffs`, {
      token,
      body: { gate: 'pre-release', role: 'qa-lead', decision: 'approve', comment: 'from npm run token' },
    });
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    assert.equal(signed.body.signoff.by.id, 'alice');
    const create = await api(local.url, 'POST', '/releases', {
      token,
      body: { templateId: 'toolboxai-v1', name: 'x', version: '1' },
    });
    assert.equal(assertProblem(create, 403).permission, 'release:create');
  });

  it('logged no crash', () => {
    assert.doesNotMatch(local.output(), /handler crashed|unhandled error/);
  });
});
