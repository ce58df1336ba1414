// Integration tests for the DynamoDB Local process manager: a real JVM, real tables, real shutdown.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDbLocal } from '../../local/dynamodb-local.ts';
import { DynamoDbLocalStartError, JavaMissingError, startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { uniqueTableSuffix } from '../support/dynamodb.ts';

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An orphan that has died stays a zombie until init reaps it, which some container inits never do.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isAlive(pid);
}

async function createTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

describe('startDynamoDbLocal in memory', () => {
  let db: DynamoDbLocal;
  let client: DynamoDBClient;

  before(async () => {
    db = await startDynamoDbLocal();
    client = clientFor(db.endpoint);
    console.log(`DynamoDB Local (in memory) started in ${db.startupMs} ms`);
  });

  after(async () => {
    client.destroy();
    await db.stop();
  });

  it('serves an endpoint on 127.0.0.1 that lists tables', async () => {
    assert.equal(db.endpoint, `http://127.0.0.1:${db.port}`);
    assert.ok(db.port > 0);
    const tables = await client.send(new ListTablesCommand({}));
    assert.ok(Array.isArray(tables.TableNames));
  });

  it('runs TransactWriteItems atomically, including a cancelled transaction', async () => {
    const table = `tx-${uniqueTableSuffix()}`;
    await createTable(client, table);
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { pk: { S: 'a' }, n: { N: '1' } } } },
          { Put: { TableName: table, Item: { pk: { S: 'b' }, n: { N: '2' } } } },
        ],
      }),
    );
    const a = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' } } }));
    assert.equal(a.Item?.n?.N, '1');

    await assert.rejects(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: { S: 'c' }, n: { N: '3' } } } },
            {
              Put: {
                TableName: table,
                Item: { pk: { S: 'a' }, n: { N: '99' } },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      ),
      TransactionCanceledException,
    );
    const c = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'c' } } }));
    assert.equal(c.Item, undefined, 'the cancelled transaction must not write its other item');
    const aAgain = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' } } }));
    assert.equal(aAgain.Item?.n?.N, '1');
  });

  it('is not reachable on a non-loopback address', async (t) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal);
    if (!external) {
      t.skip('this machine has no non-loopback IPv4 address');
      return;
    }
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: external.address, port: db.port });
      socket.setTimeout(2_000, () => {
        socket.destroy();
        resolve('timeout');
      });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    assert.notEqual(outcome, 'connected');
  });

  it('refuses a port that is already in use', async () => {
    await assert.rejects(startDynamoDbLocal({ port: db.port }), (error: unknown) => {
      assert.ok(error instanceof DynamoDbLocalStartError);
      assert.equal(error.portInUse, true);
      assert.match(error.message, new RegExp(`port ${db.port} is already in use`));
      return true;
    });
  });
});

describe('stopping DynamoDB Local', () => {
  it('ends the JVM, and a second stop() is harmless', async () => {
    const db = await startDynamoDbLocal();
    assert.ok(isAlive(db.pid));
    await db.stop();
    assert.equal(isAlive(db.pid), false);
    await db.stop();
    const client = clientFor(db.endpoint);
    try {
      await assert.rejects(client.send(new ListTablesCommand({})));
    } finally {
      client.destroy();
    }
  });

  it('does not let the JVM outlive a parent that is killed with SIGKILL', async () => {
    const moduleUrl = pathToFileURL(join(import.meta.dirname, '../../local/dynamodb-local.ts')).href;
    const script = `const m = await import(${JSON.stringify(moduleUrl)}); const db = await m.startDynamoDbLocal(); console.log(db.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const javaPid = await new Promise<number>((resolve, reject) => {
        let out = '';
        parent.stdout.setEncoding('utf8');
        parent.stdout.on('data', (chunk: string) => {
          out += chunk;
          const line = out.split('\n')[0];
          if (out.includes('\n') && line) resolve(Number(line));
        });
        parent.once('exit', (code) => reject(new Error(`parent exited early with ${String(code)}`)));
      });
      assert.ok(isAlive(javaPid));
      parent.kill('SIGKILL');
      assert.equal(await waitUntilGone(javaPid, 10_000), true, `JVM ${javaPid} survived its parent`);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('DynamoDB Local on disk', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipgate-ddb-test-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps items across a restart on the same dbPath', async () => {
    const dbPath = join(dir, 'nested', 'db');
    const table = `disk-${uniqueTableSuffix()}`;

    const first = await startDynamoDbLocal({ dbPath });
    const firstClient = clientFor(first.endpoint);
    try {
      await createTable(firstClient, table);
      await firstClient.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'kept' }, v: { S: 'yes' } } }));
    } finally {
      firstClient.destroy();
      await first.stop();
    }
    assert.ok(
      (await readdir(dbPath)).some((name) => name.endsWith('.db')),
      'the database file is on disk',
    );

    const second = await startDynamoDbLocal({ dbPath });
    const secondClient = clientFor(second.endpoint);
    try {
      console.log(`DynamoDB Local (on disk, existing data) started in ${second.startupMs} ms`);
      const item = await secondClient.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'kept' } } }));
      assert.equal(item.Item?.v?.S, 'yes');
    } finally {
      secondClient.destroy();
      await second.stop();
    }
  });
});

describe('missing Java', () => {
  const expectJavaMissing = (error: unknown): boolean => {
    assert.ok(error instanceof JavaMissingError);
    assert.match(error.message, /apt-get install -y openjdk-17-jre-headless/);
    assert.match(error.message, /brew install openjdk@17/);
    assert.match(error.message, /JAVA_HOME/);
    return true;
  };

  it('throws JavaMissingError when PATH has no java', async () => {
    await assert.rejects(
      startDynamoDbLocal({ env: { PATH: join(tmpdir(), 'shipgate-no-such-dir') } }),
      expectJavaMissing,
    );
  });

  it('throws JavaMissingError when JAVA_HOME points nowhere, naming it', async () => {
    const javaHome = join(tmpdir(), 'shipgate-no-such-jdk');
    await assert.rejects(startDynamoDbLocal({ env: { JAVA_HOME: javaHome, PATH: process.env.PATH } }), (error) => {
      expectJavaMissing(error);
      assert.match((error as Error).message, /shipgate-no-such-jdk/);
      return true;
    });
  });

  it('throws JavaMissingError when the javaCommand option points nowhere', async () => {
    await assert.rejects(startDynamoDbLocal({ javaCommand: join(tmpdir(), 'shipgate-no-java') }), expectJavaMissing);
  });
});
