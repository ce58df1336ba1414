// A database outage through the local runtime: with DynamoDB Local killed, every request answers within a few seconds
// with a 503 problem+json and Retry-After, never a hang or a 500, and what was acknowledged before is not lost.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  api,
  assertProblem,
  type LocalProcess,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
  tokenFor,
} from '../support/local-process.ts';

/** The pid of the DynamoDB Local JVM listening on `port`, from the process table. */
function dynamoPid(port: string): number {
  const table = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  const line = table.split('\n').find((row) => row.includes('DynamoDBLocal') && row.includes(`-port ${port}`));
  assert.ok(line, `a DynamoDB Local process on port ${port}`);
  return Number(line.trim().split(/\s+/)[0]);
}

describe('a database outage', () => {
  let dataDir: string;
  let local: LocalProcess;
  let rm: string;

  before(async () => {
    dataDir = tempDataDir();
    // The log must say what is down: the handlers' warnings are shown (the test runner silences them by default).
    local = await startLocalProcess(dataDir, { POWERTOOLS_LOG_LEVEL: 'WARN' });
    rm = await tokenFor(dataDir, 'rita', ['release-manager']);
  });

  after(async () => {
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  it('answers every request within seconds with 503 and Retry-After while DynamoDB Local is down', async () => {
    const created = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'toolboxai-v1', name: 'Before the outage', version: '1.0.0' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const up = await api(local.url, 'GET', '/health/ready');
    assert.deepEqual(up.body, { status: 'ready', service: 'shipgate', database: 'ok' });
    const port = /DynamoDB\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(local.output())?.[1];
    assert.ok(port, `the banner names DynamoDB Local's port: ${local.output()}`);
    process.kill(dynamoPid(port), 'SIGKILL');
    const requests: [string, string, unknown][] = [
      ['GET', `/releases/${created.body.id}`, undefined],
      ['GET', '/releases', undefined],
      ['POST', '/releases', { templateId: 'toolboxai-v1', name: 'During the outage', version: '1.0.1' }],
      ['PATCH', `/releases/${created.body.id}/items/python-test-suite`, { status: 'done' }],
    ];
    for (const [method, path, body] of requests) {
      const started = Date.now();
      const response = await api(local.url, method, path, { token: rm, ...(body === undefined ? {} : { body }) });
      const took = Date.now() - started;
      const problem = assertProblem(response, 503, `${method} ${path}`);
      assert.equal(problem.type, '/problems/service-unavailable');
      assert.ok(Number(response.headers.get('retry-after')) > 0, 'Retry-After says when to come back');
      assert.ok(took < 8000, `${method} ${path} answered in ${took} ms`);
      assert.doesNotMatch(JSON.stringify(problem), /ECONNREFUSED|127\.0\.0\.1|stack/);
    }
    assert.match(local.output(), /a service Shipgate depends on is unavailable/, 'the log says what is down');
    // Liveness stays up (the process runs); readiness says the database is down, without a token.
    assert.equal((await api(local.url, 'GET', '/health')).status, 200);
    const ready = await api(local.url, 'GET', '/health/ready');
    assert.equal(assertProblem(ready, 503, 'readiness').type, '/problems/service-unavailable');
    assert.ok(Number(ready.headers.get('retry-after')) > 0);
  });
});
