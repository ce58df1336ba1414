// Supervising DynamoDB Local: a JVM that dies is started again on the same port with its data, until it dies too
// often (then the supervisor gives up and says so); a JVM its dead parent left running on the data is stopped before
// another starts there, and one whose parent still runs is refused.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { releasesTable } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import { DynamoDbLocalStartError, readEngineRecord, startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { superviseDynamoDbLocal } from '../../local/dynamodb-supervisor.ts';
import { holderRuns } from '../../local/instance-lock.ts';
import { ensureTables } from '../../local/tables.ts';

/** True while the process runs (an exited one its new parent has not reaped yet runs nothing). */
const runs = (pid: number) => holderRuns({ pid, startedAt: '' });

const clientFor = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

async function until(what: string, test: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a supervised DynamoDB Local', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipgate-supervise-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('restarts a killed JVM on the same port with its data, then gives up when it dies again too soon', async () => {
    const lines: string[] = [];
    const dbPath = join(dir, 'restart');
    const db = await superviseDynamoDbLocal({ dbPath, report: (line) => lines.push(line), maxRestarts: 1 });
    const client = clientFor(db.endpoint);
    try {
      const [table] = Object.values(await ensureTables(client, [releasesTable], 'supervised'));
      await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'kept' }, sk: { S: 'yes' } } }));
      const first = db.pid;
      assert.equal(readEngineRecord(dbPath)?.pid, first);
      process.kill(first, 'SIGKILL');
      await until('the restart', () => db.state === 'running' && db.pid !== first);
      assert.match(
        lines.join('\n'),
        /DynamoDB Local exited \(signal SIGKILL\); restarting on the same data \(attempt 1\)/,
      );
      assert.equal(db.restarts, 1);
      assert.equal(readEngineRecord(dbPath)?.pid, db.pid, 'the pid file names the new JVM');
      const item = await client.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: 'kept' }, sk: { S: 'yes' } } }),
      );
      assert.ok(item.Item, 'the data is the same: it was on disk');

      const second = db.pid;
      process.kill(second, 'SIGKILL');
      await until('giving up', () => db.state === 'given-up');
      assert.match(
        lines.at(-1) ?? '',
        /not restarting it again\. Requests answer 503 until Shipgate is restarted by hand/,
      );
      assert.equal(db.restarts, 1);
      await assert.rejects(
        client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'kept' }, sk: { S: 'yes' } } })),
      );
    } finally {
      client.destroy();
      await db.stop();
    }
    assert.equal(db.state, 'stopped');
  });

  it('stops a JVM left running on the data by a parent killed with SIGKILL, and refuses one whose parent lives', async () => {
    const dbPath = join(dir, 'orphan');
    const moduleUrl = pathToFileURL(join(import.meta.dirname, '../../local/dynamodb-local.ts')).href;
    const script = `const m = await import(${JSON.stringify(moduleUrl)}); const db = await m.startDynamoDbLocal({ dbPath: ${JSON.stringify(dbPath)} }); console.log(db.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let orphan = 0;
    try {
      orphan = await new Promise<number>((resolve, reject) => {
        let out = '';
        parent.stdout.setEncoding('utf8');
        parent.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('\n')) resolve(Number(out.split('\n')[0]));
        });
        parent.once('exit', (code) => reject(new Error(`the parent exited early with ${String(code)}`)));
      });
      // A JVM that cannot run its stdin watchdog (stopped, or started without the launcher) outlives its parent.
      process.kill(orphan, 'SIGSTOP');
      await assert.rejects(startDynamoDbLocal({ dbPath }), (error: unknown) => {
        assert.ok(error instanceof DynamoDbLocalStartError);
        assert.match(error.message, new RegExp(`DynamoDB Local \\(pid ${orphan}, port \\d+\\) already serves`));
        return true;
      });
      const exited = new Promise((resolve) => parent.once('exit', resolve));
      parent.kill('SIGKILL');
      await exited;
      assert.ok(runs(orphan), 'the stopped JVM outlives its parent');

      const lines: string[] = [];
      const db = await startDynamoDbLocal({ dbPath, log: (line) => lines.push(line) });
      try {
        assert.equal(runs(orphan), false, `the orphan JVM ${orphan} was stopped`);
        assert.ok(lines.some((line) => line.includes(`DynamoDB Local (pid ${orphan}) was left running on ${dbPath}`)));
        assert.equal(readEngineRecord(dbPath)?.pid, db.pid);
      } finally {
        await db.stop();
      }
      assert.equal(readEngineRecord(dbPath), undefined, 'a clean stop removes the pid file');
    } finally {
      parent.kill('SIGKILL');
      if (orphan && runs(orphan)) process.kill(orphan, 'SIGKILL');
    }
  });
});
