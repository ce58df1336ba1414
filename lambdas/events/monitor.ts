// The monitor: consumes the table's stream (MONITOR_RECORDS), puts new metric samples to CloudWatch and keeps the
// CloudWatch alarms of a release's rollback triggers while it is in post-release monitoring. A step that fails is
// reported as the batch item failure of its first record, so the stream retries from there and nothing is lost.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { monitorRecordOf } from '../adapters/dynamodb/stream-records.ts';
import type { AlarmReconciliation, MonitoringContext } from '../core/monitoring/alarm-use-cases.ts';
import { forwardSamples, reconcileAlarms } from '../core/monitoring/alarm-use-cases.ts';
import type { MetricSample } from '../core/monitoring/samples.ts';
import { MONITOR_FUNCTION } from '../functions/catalog.ts';
import { cloudWatchAlarms } from '../functions/cloudwatch.ts';
import { defineFunction } from '../functions/define.ts';
import { lambdaHandler } from '../functions/lambda.ts';
import { logger } from '../functions/logger.ts';

/** One thing the monitor does for a batch, with the sequence number of the first record it covers. */
export type MonitorStep =
  | { readonly kind: 'samples'; readonly releaseId: string; readonly samples: MetricSample[]; readonly first?: string }
  | { readonly kind: 'alarms'; readonly releaseId: string; readonly first?: string };

/** A record that passed the filter but is not a row the monitor can read (it would not read better on a retry). */
export interface IgnoredRecord {
  readonly sequenceNumber?: string | undefined;
  readonly reason: string;
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
    const read = monitorRecordOf(record);
    if (!read) continue;
    const first = read.sequenceNumber;
    if (read.kind === 'unreadable') {
      ignored.push({ sequenceNumber: first, reason: read.reason });
      continue;
    }
    if (read.kind === 'sample') {
      const known = samplesOf.get(read.releaseId);
      if (known) known.push(read.sample);
      else {
        const samples = [read.sample];
        samplesOf.set(read.releaseId, samples);
        steps.push({ kind: 'samples', releaseId: read.releaseId, samples, ...(first ? { first } : {}) });
      }
      continue;
    }
    if (reconciled.has(read.releaseId)) continue;
    reconciled.add(read.releaseId);
    steps.push({ kind: 'alarms', releaseId: read.releaseId, ...(first ? { first } : {}) });
  }
  return { steps, ignored };
}

/** What the monitor does for each step: the monitoring use cases (a test's fakes, or the function's own). */
export interface MonitorUseCases {
  forwardSamples(releaseId: string, samples: readonly MetricSample[]): Promise<number>;
  reconcileAlarms(releaseId: string): Promise<AlarmReconciliation>;
}

/** The monitoring use cases over a monitoring context. */
export const monitorUseCases = (ctx: MonitoringContext): MonitorUseCases => ({
  forwardSamples: (releaseId, samples) => forwardSamples(ctx, releaseId, samples),
  reconcileAlarms: (releaseId) => reconcileAlarms(ctx, releaseId),
});

/**
 * The monitor's handler over the monitoring use cases. Steps run one after another; the first that fails is reported
 * by its first record and ends the batch, and Lambda retries from the lowest reported record. The steps after it and
 * the records they cover come back with the retry, and steps before it that come back run again: reconciling is
 * idempotent, and a datapoint may reach CloudWatch twice (the stream delivers at least once).
 */
export function monitorHandler(monitoring: MonitorUseCases) {
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

export const fn = defineFunction(MONITOR_FUNCTION, ({ monitoring }) => monitorHandler(monitorUseCases(monitoring)));

// The monitor alone brings the CloudWatch client, so no other function loads it at a cold start.
export const handler = lambdaHandler(fn, (config) => ({ metricAlarms: cloudWatchAlarms(config) }));
