// The MetricAlarms port on Amazon CloudWatch: a release's samples become datapoints of custom metrics (dimension
// ReleaseId), and the alarms of its rollback triggers are CloudWatch metric alarms whose actions publish to the
// stack's alarms topic. Limits quoted below are from the CloudWatch API reference (PutMetricData, DeleteAlarms).
import type {
  Statistic as CloudWatchStatistic,
  ComparisonOperator,
  MetricDatum,
  PutMetricAlarmCommandInput,
  StandardUnit,
} from '@aws-sdk/client-cloudwatch';
import { DeleteAlarmsCommand, PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmSpec } from '../../core/monitoring/alarms.ts';
import { METRIC_NAMESPACE, RELEASE_DIMENSION } from '../../core/monitoring/alarms.ts';
import type { MetricSample } from '../../core/monitoring/samples.ts';
import type { MetricAlarms } from '../../core/ports.ts';
import type { Comparison } from '../../core/template/template.ts';

/** The one call the adapter makes: a CloudWatchClient, or a test's fake that records the commands. */
export interface CloudWatchSender {
  send(command: PutMetricDataCommand | PutMetricAlarmCommand | DeleteAlarmsCommand): Promise<unknown>;
}

export interface CloudWatchMetricAlarmsOptions {
  readonly client: CloudWatchSender;
  /** The namespace of the datapoints and alarms; METRIC_NAMESPACE when unset or empty. */
  readonly namespace?: string | undefined;
  /** What an alarm does on entering ALARM and on returning to OK: the alarms topic's ARN. */
  readonly alarmActions: readonly string[];
  /** The clock that decides which timestamps CloudWatch still accepts; the system clock by default. */
  readonly now?: (() => Date) | undefined;
}

/**
 * Data per PutMetricData call. The API takes at most 1000 and at most 1 MB per request. A datum here is a metric
 * name (CloudWatch: at most 255 characters), one dimension (value at most 1024), a timestamp, a value and a unit: under
 * 2 KB even at those maximums and in the more verbose query encoding, so 500 of them stay under 1 MB whatever the
 * names; with real names (the API takes at most 200 characters) and release ids, a call is far below.
 */
export const SAMPLES_PER_CALL = 500;
/** DeleteAlarms takes at most 100 names per call. */
export const NAMES_PER_DELETE = 100;
/**
 * PutMetricAlarm calls in flight at once. Its default quota is a few transactions per second per account and region
 * (far below PutMetricData's), so a release's alarms go two at a time; the SDK retries a throttled call with backoff.
 */
export const ALARM_CONCURRENCY = 2;

const HOUR_MS = 3_600_000;
/**
 * CloudWatch takes timestamps up to two weeks in the past and up to two hours in the future, and rejects the whole
 * request otherwise. Five minutes of margin on each side keep a datum that is just inside when checked from being
 * just outside when the (possibly retried) request arrives.
 */
const MARGIN_MS = 5 * 60_000;
const OLDEST_MS = 14 * 24 * HOUR_MS - MARGIN_MS;
const NEWEST_MS = 2 * HOUR_MS - MARGIN_MS;
/** CloudWatch rejects values outside ±2^360 and, in magnitude, below 2^-360 (zero aside), as it does NaN and ±Infinity. */
const VALUE_MAX = 2 ** 360;
const VALUE_MIN = 2 ** -360;

const COMPARISON_OPERATORS: Readonly<Record<Comparison, ComparisonOperator>> = {
  '>': 'GreaterThanThreshold',
  '>=': 'GreaterThanOrEqualToThreshold',
  '<': 'LessThanThreshold',
  '<=': 'LessThanOrEqualToThreshold',
};

const STATISTICS: ReadonlySet<string> = new Set<CloudWatchStatistic>([
  'Average',
  'Minimum',
  'Maximum',
  'Sum',
  'SampleCount',
]);

/** Whether CloudWatch takes this value: finite and within its range. */
function acceptedValue(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const magnitude = Math.abs(value);
  return magnitude === 0 || (magnitude >= VALUE_MIN && magnitude <= VALUE_MAX);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Runs `work` over `items` with at most `limit` in flight; rejects with the first failure once all have settled. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await work(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

/** The PutMetricAlarm request of an alarm spec (exported for tests and for reading: it is the whole mapping). */
export function putMetricAlarmInput(
  spec: AlarmSpec,
  namespace: string,
  alarmActions: readonly string[],
): PutMetricAlarmCommandInput {
  const percentile = !STATISTICS.has(spec.statistic);
  return {
    AlarmName: spec.name,
    AlarmDescription: spec.description,
    Namespace: namespace,
    MetricName: spec.metric,
    Dimensions: [{ Name: RELEASE_DIMENSION, Value: spec.releaseId }],
    ...(percentile
      ? {
          // `pNN` is CloudWatch's percentile statistic string already (p95, p99.9). Shipgate evaluates a period
          // whatever its number of samples, so the alarm does too (CloudWatch's default, said explicitly).
          ExtendedStatistic: spec.statistic,
          EvaluateLowSampleCountPercentile: 'evaluate',
        }
      : { Statistic: spec.statistic as CloudWatchStatistic }),
    // With a unit the alarm reads only the datapoints in that unit (the samples are put in it); without one, all.
    ...(spec.unit === undefined ? {} : { Unit: spec.unit }),
    Period: spec.period,
    EvaluationPeriods: spec.evaluationPeriods,
    DatapointsToAlarm: spec.datapointsToAlarm,
    Threshold: spec.threshold,
    ComparisonOperator: COMPARISON_OPERATORS[spec.comparison],
    TreatMissingData: spec.treatMissingData,
    ActionsEnabled: true,
    AlarmActions: [...alarmActions],
    // On-call subscribers of the alarms topic hear the recovery too; the rollback handler ignores non-ALARM states.
    OKActions: [...alarmActions],
  };
}

export class CloudWatchMetricAlarms implements MetricAlarms {
  readonly #client: CloudWatchSender;
  readonly #namespace: string;
  readonly #alarmActions: readonly string[];
  readonly #now: () => Date;

  constructor(options: CloudWatchMetricAlarmsOptions) {
    this.#client = options.client;
    this.#namespace = options.namespace || METRIC_NAMESPACE;
    this.#alarmActions = [...options.alarmActions];
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * One datum per sample, in calls of at most SAMPLES_PER_CALL. A sample CloudWatch would reject (a value that is not
   * finite or out of its range, a timestamp unparsable, over two weeks old or over two hours ahead) is left out
   * silently: one such sample would fail the whole request, and a stream retry would fail it again forever. Those
   * samples stay in Shipgate's table and evaluation; only their CloudWatch copy is missing.
   */
  async putSamples(releaseId: string, samples: readonly MetricSample[]): Promise<void> {
    const now = this.#now().getTime();
    const data: MetricDatum[] = [];
    for (const sample of samples) {
      const at = Date.parse(sample.at);
      if (Number.isNaN(at) || at < now - OLDEST_MS || at > now + NEWEST_MS || !acceptedValue(sample.value)) continue;
      data.push({
        MetricName: sample.name,
        Dimensions: [{ Name: RELEASE_DIMENSION, Value: releaseId }],
        Timestamp: new Date(at),
        Value: sample.value,
        Unit: (sample.unit ?? 'None') satisfies StandardUnit,
      });
    }
    for (const batch of chunks(data, SAMPLES_PER_CALL)) {
      await this.#client.send(new PutMetricDataCommand({ Namespace: this.#namespace, MetricData: batch }));
    }
  }

  /** One PutMetricAlarm per spec, ALARM_CONCURRENCY at a time; PutMetricAlarm replaces an alarm of the same name. */
  async putAlarms(alarms: readonly AlarmSpec[]): Promise<void> {
    await eachLimited(alarms, ALARM_CONCURRENCY, async (spec) => {
      await this.#client.send(
        new PutMetricAlarmCommand(putMetricAlarmInput(spec, this.#namespace, this.#alarmActions)),
      );
    });
  }

  /**
   * DeleteAlarms in calls of NAMES_PER_DELETE. CloudWatch deletes the named alarms that exist and ignores the names
   * that are none; its API still lists ResourceNotFound, and a name that is no alarm is what this port promises to
   * accept, so that error counts as done.
   */
  async deleteAlarms(names: readonly string[]): Promise<void> {
    for (const batch of chunks([...new Set(names)], NAMES_PER_DELETE)) {
      try {
        await this.#client.send(new DeleteAlarmsCommand({ AlarmNames: batch }));
      } catch (error) {
        if ((error as { name?: unknown } | undefined)?.name !== 'ResourceNotFound') throw error;
      }
    }
  }
}
