// The monitor: consumes the table's stream (MONITOR_RECORDS), puts new metric samples to CloudWatch and keeps the
// CloudWatch alarms of a release's rollback triggers while it is in post-release monitoring. A step that fails is
// reported as the batch item failure of its first record, so the stream retries from there and nothing is lost.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { MonitoringService } from '../core/monitoring/alarm-use-cases.ts';
import type { MetricSample } from '../core/monitoring/metrics.ts';
import { MetricUnit } from '../core/template/template.ts';
import { logger } from '../http/logger.ts';
import { monitoringService } from './monitor-composition.ts';
import { isMonitorRecord } from './stream-filter.ts';

/** One thing the monitor does for a batch, with the sequence number of the first record it covers. */
export type MonitorStep =
  | { readonly kind: 'samples'; readonly releaseId: string; readonly samples: MetricSample[]; readonly first?: string }
  | { readonly kind: 'alarms'; readonly releaseId: string; readonly first?: string };

/** A record that passed the filter but is not a row the monitor can read (it would not read better on a retry). */
export interface IgnoredRecord {
  readonly sequenceNumber?: string | undefined;
  readonly reason: string;
}

type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

const RELEASE_KEY = 'REL#';

/** The release id of a row's partition key `REL#<id>`, if it is one. */
const releaseOfKey = (pk: string | undefined): string | undefined =>
  pk?.startsWith(RELEASE_KEY) && pk.length > RELEASE_KEY.length ? pk.slice(RELEASE_KEY.length) : undefined;

/**
 * The sample a sample row holds (see the release store's saveSamples: `pk` REL#<id>, attributes name, value, unit?,
 * at), or why it holds none. The value is read from its number string rather than unmarshalled, so a large one stays
 * a number instead of becoming a BigInt or an error.
 */
export function sampleRow(image: Image): { releaseId: string; sample: MetricSample } | { reason: string } {
  const releaseId = releaseOfKey(image.pk?.S);
  if (!releaseId) return { reason: 'no release key' };
  const name = image.name?.S;
  const at = image.at?.S;
  const value = image.value?.N === undefined ? Number.NaN : Number(image.value.N);
  if (!name || !at || Number.isNaN(value)) return { reason: 'not a sample (name, value and at are required)' };
  const unit = image.unit?.S;
  if (unit === undefined) return { releaseId, sample: { name, value, at } };
  const parsed = MetricUnit.safeParse(unit);
  if (!parsed.success) return { reason: `unknown unit ${unit}` };
  return { releaseId, sample: { name, value, unit: parsed.data, at } };
}

/**
 * What a batch asks for, in stream order of each step's first record: for each release, its new samples in stream
 * order (one step, at the place of its first sample), and one alarm reconciliation however many of its alarm events
 * the batch holds (reconciling reads where the release stands, which already reflects every event of the batch).
 * Records the monitor's filter does not pass are not its business and are skipped.
 */
export function monitorSteps(records: readonly DynamoDBRecord[]): { steps: MonitorStep[]; ignored: IgnoredRecord[] } {
  const steps: MonitorStep[] = [];
  const ignored: IgnoredRecord[] = [];
  const samplesOf = new Map<string, MetricSample[]>();
  const reconciled = new Set<string>();
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    if (!image || !isMonitorRecord(record as Parameters<typeof isMonitorRecord>[0])) continue;
    const first = record.dynamodb?.SequenceNumber;
    if (image.kind?.S === 'sample') {
      const row = sampleRow(image);
      if ('reason' in row) {
        ignored.push({ sequenceNumber: first, reason: row.reason });
        continue;
      }
      const known = samplesOf.get(row.releaseId);
      if (known) known.push(row.sample);
      else {
        const samples = [row.sample];
        samplesOf.set(row.releaseId, samples);
        steps.push({ kind: 'samples', releaseId: row.releaseId, samples, ...(first ? { first } : {}) });
      }
      continue;
    }
    const releaseId = image.releaseId?.S || releaseOfKey(image.pk?.S);
    if (!releaseId) {
      ignored.push({ sequenceNumber: first, reason: 'audit event without a release id' });
      continue;
    }
    if (reconciled.has(releaseId)) continue;
    reconciled.add(releaseId);
    steps.push({ kind: 'alarms', releaseId, ...(first ? { first } : {}) });
  }
  return { steps, ignored };
}

/**
 * The monitor's handler over a monitoring service (the container's in Lambda; a test's over in-memory fakes). Steps
 * run one after another; the first that fails is reported by its first record and ends the batch, and Lambda
 * retries from the lowest reported record. The steps after it and the records they cover come back with the retry,
 * and steps before it that come back run again: reconciling is idempotent, and a datapoint may reach CloudWatch twice
 * (the stream delivers at least once).
 */
export function monitorHandler(monitoring: Pick<MonitoringService, 'forwardSamples' | 'reconcileAlarms'>) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const { steps, ignored } = monitorSteps(event.Records);
      for (const record of ignored) logger.warn('stream record ignored', { ...record });
      for (const step of steps) {
        try {
          if (step.kind === 'samples') {
            const forwarded = await monitoring.forwardSamples(step.releaseId, step.samples);
            logger.info('samples forwarded to the metric service', {
              releaseId: step.releaseId,
              received: step.samples.length,
              forwarded,
            });
          } else {
            const done = await monitoring.reconcileAlarms(step.releaseId);
            logger.info('alarms reconciled', {
              releaseId: step.releaseId,
              monitoring: done.monitoring,
              put: done.put.map((alarm) => alarm.name),
              deleted: done.deleted,
              skipped: done.skipped,
            });
          }
        } catch (error) {
          logger.warn('monitoring step not done yet; the stream retries it', {
            error: error instanceof Error ? error.message : String(error),
            step: step.kind,
            releaseId: step.releaseId,
          });
          // Without a sequence number to name, only failing the invocation gets the batch retried.
          if (!step.first) throw error;
          return { batchItemFailures: [{ itemIdentifier: step.first }] };
        }
      }
      return { batchItemFailures: [] };
    });
}

export const handler = monitorHandler(monitoringService());
