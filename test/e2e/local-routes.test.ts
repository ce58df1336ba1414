// The routes only the local runtime serves (POST and GET /local/alarms, GET /notifications) against every kind of
// caller of the permission matrix (test/e2e/permissions.test.ts), and their input validation: they answer as the
// functions do, from the same permission table, with problem+json for every refusal.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateIssuer } from '../../local/issuer.ts';
import { CALLERS, type Caller, callerToken } from '../support/callers.ts';
import {
  type ApiResponse,
  api,
  assertGatewayAnswer,
  assertProblem,
  assertUnauthorized,
  type LocalProcess,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
} from '../support/local-process.ts';

type Cell = '200' | '401' | '403';
type Cells = readonly [Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell];

interface Row {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  /** The permission a 403 names, and who it says may. */
  readonly permission: string;
  readonly allowed: { readonly roles: readonly string[] | '*'; readonly scopes: readonly string[] };
  readonly cells: Cells;
}

// biome-ignore format: the permission matrix reads as a table
const MATRIX: readonly Row[] = [
  // An OK for an alarm no release owns: played into the alarm handler, it changes nothing.
  { method: 'POST', path: '/local/alarms', body: { alarmName: 'shipgate-local-nobody', state: 'OK' }, permission: 'alarms:play',
    allowed: { roles: ['release-manager'], scopes: [] },
    cells: ['401', '200', '403', '403', '403', '403', '403', '403', '403', '403', '403', '403', '403'] },
  { method: 'GET', path: '/local/alarms', permission: 'release:read',
    allowed: { roles: '*', scopes: ['shipgate/read'] },
    cells: ['401', '200', '200', '200', '200', '200', '200', '200', '200', '200', '403', '403', '403'] },
  // The outbox shows contacts' email addresses and phone numbers.
  { method: 'GET', path: '/notifications', permission: 'contacts:manage',
    allowed: { roles: ['release-manager'], scopes: [] },
    cells: ['401', '200', '403', '403', '403', '403', '403', '403', '403', '403', '403', '403', '403'] },
];

describe('the local-only routes', () => {
  let dataDir: string;
  let local: LocalProcess;
  const tokens = new Map<Caller, string>();
  const call = (caller: Caller, method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const token = tokens.get(caller);
    return api(local.url, method, path, { ...(token ? { token } : {}), ...(body === undefined ? {} : { body }) });
  };

  before(async () => {
    dataDir = tempDataDir();
    local = await startLocalProcess(dataDir);
    const issuer = await loadOrCreateIssuer(dataDir);
    for (const caller of CALLERS) {
      const token = await callerToken(issuer, caller);
      if (token) tokens.set(caller, token);
    }
  });

  after(async () => {
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  for (const row of MATRIX) {
    it(`${row.method} ${row.path}: each caller gets the answer the matrix says`, async () => {
      assert.equal(row.cells.length, CALLERS.length);
      const failures: string[] = [];
      await Promise.all(
        CALLERS.map(async (caller, column) => {
          const cell = row.cells[column];
          const label = `${row.method} ${row.path} as ${caller}: expected ${cell}`;
          const response = await call(caller, row.method, row.path, row.body);
          try {
            if (cell === '401') assertUnauthorized(response, label, 'missing');
            else if (cell === '200') {
              assert.equal(response.status, 200, `${label}, got ${response.status} ${JSON.stringify(response.body)}`);
              assert.equal(response.headers.get('content-type'), 'application/json', label);
            } else {
              const problem = assertProblem(response, 403, label);
              assert.equal(problem.type, '/problems/forbidden', label);
              assert.equal(problem.permission, row.permission, label);
              assert.deepEqual(problem.allowed, row.allowed, label);
              assert.equal(problem.instance, row.path, label);
            }
          } catch (error) {
            failures.push(error instanceof Error ? error.message : String(error));
          }
        }),
      );
      assert.deepEqual(failures, [], `${failures.length} of ${CALLERS.length} cells differ`);
    });
  }

  it('turns away a bad token on a local route with the reason in the challenge', async () => {
    const issuer = await loadOrCreateIssuer(dataDir);
    const expired = await issuer.sign({ user: 'rita', roles: ['release-manager'], expiresInSeconds: -600 });
    const response = await api(local.url, 'GET', '/notifications', { token: expired });
    assertUnauthorized(response, 'expired token', 'expired');
  });

  /** A 400 problem naming `field`; returns the field's message. */
  function assertInvalid(response: ApiResponse, field: string, context: string): string {
    const problem = assertProblem(response, 400, context);
    assert.equal(problem.type, '/problems/validation-failed', context);
    const issue = problem.errors?.find((entry: { field: string }) => entry.field === field);
    assert.ok(issue, `${context}: names ${field}: ${JSON.stringify(problem)}`);
    return issue.message;
  }

  it('refuses a query out of range, naming the field, as a 400 and never a 500', async () => {
    for (const limit of ['-1', '0', '1001', '1.5', 'ten', '']) {
      const response = await call('release-manager', 'GET', `/notifications?limit=${limit}`);
      assertInvalid(response, 'limit', `limit=${limit}`);
    }
    for (const path of ['/notifications', '/local/alarms']) {
      assertInvalid(await call('release-manager', 'GET', `${path}?releaseId=..%2Fx`), 'releaseId', path);
      assertInvalid(await call('release-manager', 'GET', `${path}?releaseId=`), 'releaseId', path);
      assertInvalid(await call('release-manager', 'GET', `${path}?colour=red`), 'colour', path);
    }
    const within = await call('release-manager', 'GET', '/notifications?limit=1&releaseId=01ABC');
    assert.equal(within.status, 200, JSON.stringify(within.body));
    assert.deepEqual(within.body.items, []);
  });

  it('refuses an alarm that is not one, naming the field', async () => {
    assertInvalid(await call('release-manager', 'POST', '/local/alarms', {}), 'alarmName', 'no alarm name');
    assertInvalid(
      await call('release-manager', 'POST', '/local/alarms', { alarmName: 'a', state: 'RED' }),
      'state',
      'unknown state',
    );
    const typo = assertInvalid(
      await call('release-manager', 'POST', '/local/alarms', { alarmName: 'a', releaseID: 'x' }),
      'releaseID',
      'a misspelt field',
    );
    assert.equal(typo, 'is not a known field; did you mean releaseId?');
    const broken = await api(local.url, 'POST', '/local/alarms', {
      token: tokens.get('release-manager'),
      rawBody: '{"alarmName":',
      headers: { 'content-type': 'application/json' },
    });
    assertInvalid(broken, 'body', 'broken JSON');
  });

  it('answers an unknown route as API Gateway does, before any function runs', async () => {
    assertGatewayAnswer(await call('release-manager', 'GET', '/local/nothing-here'), 404);
    assertGatewayAnswer(await call('release-manager', 'DELETE', '/notifications'), 404);
  });

  it('logged no crash', () => {
    assert.doesNotMatch(local.output(), /handler crashed|unhandled error/);
  });
});
