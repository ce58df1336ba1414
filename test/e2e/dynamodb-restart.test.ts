// DynamoDB Local dying under a running local runtime: the runtime says so, starts it again on the same port and data
// by itself, and everything works again, the stream consumers included (a change made after the restart is notified).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localRuntimeForSuite } from '../support/drive.ts';
import {
  api,
  dynamoDbEndpoint,
  dynamoDbLocalPid,
  isAlive,
  tokenFor,
  waitForOutput,
  waitUntilReady,
} from '../support/local-process.ts';

describe('DynamoDB Local killed under the local runtime', () => {
  const runtime = localRuntimeForSuite({});

  it('is restarted on the same port and data, and the API and the stream consumers work again', async () => {
    const local = runtime.d.local;
    const { dataDir } = local;
    const rm = await tokenFor(dataDir, 'rita', ['release-manager']);
    const created = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'toolboxai-v1', name: 'Across a restart', version: '1.0.0' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const endpoint = dynamoDbEndpoint(local);
    const killed = dynamoDbLocalPid(dataDir);
    assert.ok(killed && isAlive(killed), `the pid file names a live JVM: ${String(killed)}`);

    const from = local.output().length;
    process.kill(killed, 'SIGKILL');
    await waitForOutput(local, /DynamoDB Local exited \(signal SIGKILL\); restarting on the same data \(attempt 1\)/, {
      from,
    });
    const down = await api(local.url, 'GET', '/health/ready');
    // The JVM takes seconds to start: readiness says the database is down meanwhile.
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.ok(Number(down.headers.get('retry-after')) > 0);
    const back = await waitUntilReady(local.url, 60_000);
    const line = await waitForOutput(local, /DynamoDB Local is back at (\S+) \(pid (\d+)/, { from });
    assert.equal(line[1], endpoint, 'the same endpoint: the handlers know no other');
    const pid = Number(line[2]);
    assert.notEqual(pid, killed);
    assert.equal(dynamoDbLocalPid(dataDir), pid, 'the pid file names the new JVM');

    // What was stored before is there; a change after the restart is stored and reaches the notifier's stream.
    const read = await api(local.url, 'GET', `/releases/${created.body.id}`, { token: rm });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.name, 'Across a restart');
    const qa = await tokenFor(dataDir, 'quinn', ['qa-lead']);
    const signed = await api(local.url, 'POST', `/releases/${created.body.id}/signoffs`, {
      token: qa,
      body: { gate: 'pre-release', role: 'qa-lead', decision: 'approve', comment: 'after the restart' },
    });
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    const deadline = Date.now() + 30_000;
    let types: string[] = [];
    while (Date.now() < deadline) {
      const listed = await api(local.url, 'GET', `/releases/${created.body.id}/notifications?limit=100`, { token: rm });
      types = listed.status === 200 ? listed.body.items.map((item: { type: string }) => item.type) : [];
      if (types.includes('signoff.recorded')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(types.includes('signoff.recorded'), `the sign-off after the restart was notified: ${types.join(', ')}`);
    console.log(
      `restart: pid ${killed} killed, ${down.status} while down, pid ${pid} serving ${endpoint} again after ${back} ms`,
    );
  });
});
