// The local stand-in for Lambda's DynamoDB stream event source: polls DynamoDB Local's stream of a table, applies
// the same filter, hands batches to the same handler, retries a reported failure from that record on (with
// backoff) and keeps per-shard checkpoints in the data folder, so a restart neither loses nor repeats a batch. When
// DynamoDB Local cannot be read (it died and is being restarted), it says so once, backs off, and goes on from its
// checkpoints with fresh iterators once it answers again.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';

export interface StreamPollerOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly tableName: string;
  readonly dataDir: string;
  /**
   * The consumer's name (one per event source mapping): each keeps its own checkpoints, so consumers of one stream
   * neither skip nor repeat each other's records. The notifier's keeps the file it had before consumers were named
   * (`stream-checkpoints-<table>.json`), so existing data folders resume where they were; another consumer's is
   * `stream-checkpoints-<table>.<name>.json`. @default 'notifier'
   */
  readonly name?: string;
  /** Which records reach the handler (the event source mapping's filter). */
  readonly filter: (record: _Record) => boolean;
  readonly handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;
  readonly intervalMs?: number;
  readonly batchSize?: number;
  readonly log?: (line: string) => void;
}

export interface StreamPoller {
  /** Resolves once every record written so far has been handled (for tests and a clean stop). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const dynamodb = new DynamoDBClient({ endpoint: options.endpoint, region: options.region, credentials });
  const streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: options.region, credentials });
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
  dynamodb.destroy();
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
  const name = options.name ?? 'notifier';
  const checkpointFile = join(
    options.dataDir,
    name === 'notifier'
      ? `stream-checkpoints-${options.tableName}.json`
      : `stream-checkpoints-${options.tableName}.${name}.json`,
  );
  const checkpoints: Record<string, string> = await readFile(checkpointFile, 'utf8')
    .then((text) => JSON.parse(text) as Record<string, string>)
    .catch(() => ({}));
  const iterators = new Map<string, string | undefined>();
  const finished = new Set<string>();
  const interval = options.intervalMs ?? 200;
  const batchSize = options.batchSize ?? 10;
  let stopped = false;
  let idle = false;
  let failures = 0;
  /** Polls in a row that could not read the stream. */
  let unreadable = 0;
  let wake: (() => void) | undefined;
  // Every wait ends early on stop(), so a long backoff never holds up a shutdown.
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function iteratorFor(shardId: string): Promise<string | undefined> {
    if (iterators.has(shardId)) return iterators.get(shardId);
    const after = checkpoints[shardId];
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    iterators.set(shardId, ShardIterator);
    return ShardIterator;
  }

  /** One pass over every shard; returns whether any record was read. */
  async function poll(): Promise<boolean> {
    let read = false;
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (!shardId || finished.has(shardId)) continue;
      const iterator = await iteratorFor(shardId);
      if (!iterator) {
        finished.add(shardId);
        continue;
      }
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      const records = page.Records ?? [];
      let next = page.NextShardIterator;
      for (let start = 0; start < records.length; start += batchSize) {
        const batch = records.slice(start, start + batchSize);
        const passing = batch.filter(options.filter);
        read = true;
        if (passing.length > 0) {
          const response = await options.handler({ Records: passing as DynamoDBStreamEvent['Records'] });
          const failed = response?.batchItemFailures?.[0]?.itemIdentifier;
          if (failed) {
            // Lambda retries from the failed record on: do the same, after a backoff, from a fresh iterator.
            const before = batch.slice(
              0,
              batch.findIndex((record) => record.dynamodb?.SequenceNumber === failed),
            );
            const last = before.at(-1)?.dynamodb?.SequenceNumber ?? records[start - 1]?.dynamodb?.SequenceNumber;
            if (last) checkpoints[shardId] = last;
            await writeFile(checkpointFile, JSON.stringify(checkpoints));
            iterators.delete(shardId);
            failures += 1;
            options.log?.(`${name} stream: a record failed; retrying in ${Math.min(30, 2 ** failures)} s`);
            await pause(Math.min(30_000, 1000 * 2 ** failures));
            return true;
          }
        }
        failures = 0;
        const last = batch.at(-1)?.dynamodb?.SequenceNumber;
        if (last) checkpoints[shardId] = last;
      }
      if (records.length > 0) await writeFile(checkpointFile, JSON.stringify(checkpoints));
      if (!next) finished.add(shardId);
      iterators.set(shardId, next);
      next = undefined;
    }
    return read;
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        const read = await poll();
        if (unreadable > 0) {
          options.log?.(`${name} stream: reading again, from its checkpoints, after ${unreadable} failed polls`);
          unreadable = 0;
        }
        idle = !read;
        if (!read) await pause(interval);
      } catch (error) {
        if (stopped) break;
        unreadable += 1;
        // One line when it starts failing (and every 30th try after), not one a second while DynamoDB Local is down.
        if (unreadable === 1 || unreadable % 30 === 0) {
          const message = error instanceof Error ? error.message : String(error);
          options.log?.(`${name} stream: poll failed (${message}); retrying with fresh iterators (${unreadable})`);
        }
        // An iterator may not outlive the engine that issued it: the next poll starts from the checkpoints.
        iterators.clear();
        await pause(Math.min(interval * 5 * unreadable, 5_000));
      }
    }
  })();

  return {
    async drain(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      idle = false;
      while (!idle && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, interval));
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      streams.destroy();
    },
  };
}
