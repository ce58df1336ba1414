// The local stream event source against DynamoDB Local's real stream: the filter, a failed record retried (and
// nothing after it skipped), and checkpoints, one file per consumer, that keep a restart from handing the same
// records over again.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { isAuditEventInsert } from '../../lambdas/adapters/dynamodb/stream-records.ts';
import { releasesTable } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import { type StreamPoller, startStreamPoller } from '../../local/stream-poller.ts';
import { ensureTables } from '../../local/tables.ts';
import { testDynamoDb, uniqueTableSuffix } from '../support/dynamodb.ts';

describe('local stream poller', () => {
  let dynamo: Awaited<ReturnType<typeof testDynamoDb>>;
  let client: DynamoDBClient;
  let tableName: string;
  let dataDir: string;

  before(async () => {
    dynamo = await testDynamoDb();
    client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    tableName = (await ensureTables(client, [releasesTable], `sp-${uniqueTableSuffix()}`))[releasesTable.envVar] ?? '';
    dataDir = mkdtempSync(join(tmpdir(), 'shipgate-stream-'));
  });

  after(async () => {
    client?.destroy();
    await dynamo?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const put = (sk: string, kind: string) =>
    DynamoDBDocumentClient.from(client).send(
      new PutCommand({ TableName: tableName, Item: { pk: 'REL#s', sk, kind, id: sk } }),
    );

  async function poller(seen: string[], failOnce: Set<string>, name?: string): Promise<StreamPoller> {
    return startStreamPoller({
      ...(name ? { name } : {}),
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      tableName,
      dataDir,
      intervalMs: 50,
      filter: (record) => isAuditEventInsert(record as Parameters<typeof isAuditEventInsert>[0]),
      handler: async (event: DynamoDBStreamEvent) => {
        for (const record of event.Records) {
          const id = record.dynamodb?.NewImage?.id?.S ?? '';
          if (failOnce.delete(id))
            return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
          seen.push(id);
        }
        return { batchItemFailures: [] };
      },
    });
  }

  it('hands over new audit event rows only, retries a failed one, and resumes after its checkpoint', async () => {
    const seen: string[] = [];
    const first = await poller(seen, new Set(['E#2']));
    await put('E#1', 'event');
    await put('R#ITEM#x', 'item');
    await put('E#2', 'event');
    await put('E#3', 'event');
    const deadline = Date.now() + 15_000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(seen, ['E#1', 'E#2', 'E#3'], 'in order, the failed one retried before the next');
    await first.stop();

    const again: string[] = [];
    const second = await poller(again, new Set());
    await put('E#4', 'event');
    const until = Date.now() + 15_000;
    while (again.length < 1 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    await second.drain(2000);
    await second.stop();
    assert.deepEqual(again, ['E#4'], 'a restart resumes after the checkpoint');
  });

  it('keeps a checkpoint file per consumer: a second consumer reads the stream from its start', async () => {
    const monitor: string[] = [];
    const second = await poller(monitor, new Set(), 'monitor');
    const deadline = Date.now() + 15_000;
    while (monitor.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await second.drain(2000);
    await second.stop();
    assert.deepEqual(monitor, ['E#1', 'E#2', 'E#3', 'E#4'], 'not after the notifier checkpoint');
    assert.deepEqual(readdirSync(dataDir).sort(), [
      `stream-checkpoints-${tableName}.json`,
      `stream-checkpoints-${tableName}.monitor.json`,
    ]);

    const notifier: string[] = [];
    const first = await poller(notifier, new Set());
    await put('E#5', 'event');
    const until = Date.now() + 15_000;
    while (notifier.length < 1 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    await first.drain(2000);
    await first.stop();
    assert.deepEqual(notifier, ['E#5'], "the notifier's checkpoint is unmoved by the other consumer");
  });
});
