// The local stand-in for CloudWatch metrics and alarms: keeps each release's datapoints and the alarms Shipgate puts
// in process, evaluates them with the core's CloudWatch semantics (evaluateCondition) and hands each state change to
// `publish` as the JSON CloudWatch sends to the alarm's SNS topic. Nothing is kept on disk: a restart starts empty
// (the runtime puts the alarms of releases in monitoring again; earlier datapoints are gone).
//
// As CloudWatch, it evaluates an alarm once per (scaled) period on the alarm's own timer, and once when the alarm is
// put; datapoints arriving change nothing until the next evaluation. That keeps the order of AWS: POST /metrics
// judges the samples it receives at once and decides a rollback first, and the alarm on the same samples follows up
// to a period later. Evaluating on arrival would make the two race.
//
// Memory is bounded: a release's datapoints older than the retention (the longest evaluation range of any alarm, or
// 15 minutes of scaled time, whichever is larger) are dropped whenever samples are put or an alarm is evaluated on
// its timer, and at most `maxDatapoints` per metric of a release are kept (the oldest go first).
import type { AlarmSpec } from '../lambdas/core/monitoring/alarms.ts';
import { METRIC_NAMESPACE, RELEASE_DIMENSION } from '../lambdas/core/monitoring/alarms.ts';
import type { AlarmState, ConditionResult, EvaluationRule, Statistic } from '../lambdas/core/monitoring/evaluation.ts';
import { evaluateCondition } from '../lambdas/core/monitoring/evaluation.ts';
import type { MetricSample } from '../lambdas/core/monitoring/samples.ts';
import type { MetricAlarms } from '../lambdas/core/ports.ts';
import type { Comparison, MetricCondition } from '../lambdas/core/template/template.ts';

export interface LocalMetricAlarmsOptions {
  /** Receives each published state change: the alarm's JSON, as the SNS message's `Message`. */
  readonly publish: (message: string) => void | Promise<void>;
  /**
   * How much faster than real time the runtime runs: an alarm's period is `max(1, period / timeScale)` seconds, as
   * monitoring windows are scaled. @default 1
   */
  readonly timeScale?: number;
  /**
   * The states whose entry is published, as an alarm's AlarmActions / OKActions / InsufficientDataActions. The
   * stack's alarms (CloudWatchMetricAlarms) have AlarmActions and OKActions on the alarms topic. @default ['ALARM', 'OK']
   */
  readonly actions?: readonly AlarmState[];
  /** Datapoints kept per metric of a release at most. @default 10000 */
  readonly maxDatapoints?: number;
  /** One line per state change and per failed publish; silent when absent. */
  readonly log?: (line: string) => void;
}

/** An alarm as `GET /local/alarms` shows it. */
export interface LocalAlarmView {
  readonly name: string;
  readonly releaseId: string;
  readonly triggerId: string;
  readonly metric: string;
  readonly statistic: Statistic;
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly unit: string | null;
  /** Seconds, as configured (the local evaluation divides it by the time scale). */
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly state: AlarmState;
  readonly reason: string;
  /** When the state last changed (ISO timestamp); the creation time until then. */
  readonly updatedAt: string;
}

interface AlarmEntry {
  spec: AlarmSpec;
  state: AlarmState;
  reason: string;
  updatedAt: number;
  /** The creation or last update of the configuration, as CloudWatch's AlarmConfigurationUpdatedTimestamp. */
  configuredAt: number;
  timer: NodeJS.Timeout | undefined;
}

interface Point {
  readonly t: number;
  readonly sample: MetricSample;
}

const COMPARISON_OPERATORS: Readonly<Record<Comparison, string>> = {
  '>': 'GreaterThanThreshold',
  '>=': 'GreaterThanOrEqualToThreshold',
  '<': 'LessThanThreshold',
  '<=': 'LessThanOrEqualToThreshold',
};

const COMPARISON_WORDS: Readonly<Record<Comparison, string>> = {
  '>': 'greater than',
  '>=': 'greater than or equal to',
  '<': 'less than',
  '<=': 'less than or equal to',
};

/** The statistics as CloudWatch's alarm notifications name them (percentiles are extended statistics). */
const STATISTIC_NAMES: Readonly<Record<string, string>> = {
  Average: 'AVERAGE',
  Sum: 'SUM',
  Minimum: 'MINIMUM',
  Maximum: 'MAXIMUM',
  SampleCount: 'SAMPLE_COUNT',
};

const RETENTION_FLOOR_SECONDS = 15 * 60;
const DEFAULT_MAX_DATAPOINTS = 10_000;

/** A number as CloudWatch prints it in a state reason: Java's double (612.0, 0.012). */
const javaDouble = (value: number): string => (Number.isInteger(value) ? value.toFixed(1) : String(value));

const pad = (value: number): string => String(value).padStart(2, '0');

/** A datapoint's time as CloudWatch's state reasons print it: `dd/MM/yy HH:mm:ss`, UTC. */
function reasonTime(iso: string): string {
  const d = new Date(iso);
  const date = `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)}`;
  return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** A time as CloudWatch's notifications stamp it: `2026-11-21T10:00:00.000+0000`. */
const notificationTime = (at: number): string => new Date(at).toISOString().replace('Z', '+0000');

const plural = (count: number, one: string, many: string): string => (count === 1 ? one : many);

/** The state reason CloudWatch gives a transition, from the evaluation that caused it. */
function stateReason(spec: AlarmSpec, result: ConditionResult, from: AlarmState, to: AlarmState): string {
  const n = spec.evaluationPeriods;
  const recent = result.datapoints.slice(-n);
  if (to === 'INSUFFICIENT_DATA') {
    const unknown = recent.filter((point) => point.value === null).length;
    return `Insufficient Data: ${unknown} ${plural(unknown, 'datapoint was', 'datapoints were')} unknown.`;
  }
  const breaching = to === 'ALARM';
  // Most recent first, as CloudWatch lists them.
  const quoted = recent.filter((point) => point.value !== null && point.breaching === breaching).reverse();
  const values = quoted.map((point) => `${javaDouble(point.value ?? Number.NaN)} (${reasonTime(point.periodStart)})`);
  const minimum = breaching ? spec.datapointsToAlarm : n - spec.datapointsToAlarm + 1;
  return (
    `Threshold Crossed: ${quoted.length} out of the last ${n} datapoints ` +
    `[${values.join(', ')}] ${plural(quoted.length, 'was', 'were')} ${breaching ? '' : 'not '}` +
    `${COMPARISON_WORDS[spec.comparison]} the threshold (${javaDouble(spec.threshold)}) ` +
    `(minimum ${minimum} ${plural(minimum, 'datapoint', 'datapoints')} for ${from} -> ${to} transition).`
  );
}

/**
 * CloudWatch metric alarms in process, for the local runtime (see the module header). Call {@link close} to stop
 * the evaluation timers (they are unref'd, so they never keep the process alive by themselves).
 */
export class LocalMetricAlarms implements MetricAlarms {
  readonly #publish: LocalMetricAlarmsOptions['publish'];
  readonly #timeScale: number;
  readonly #actions: ReadonlySet<AlarmState>;
  readonly #maxDatapoints: number;
  readonly #log: (line: string) => void;
  readonly #alarms = new Map<string, AlarmEntry>();
  /** Datapoints by release, then by metric name. */
  readonly #datapoints = new Map<string, Map<string, Point[]>>();
  #closed = false;

  constructor(options: LocalMetricAlarmsOptions) {
    const timeScale = options.timeScale ?? 1;
    if (!(timeScale > 0)) throw new RangeError(`timeScale must be positive, got ${timeScale}`);
    this.#publish = options.publish;
    this.#timeScale = timeScale;
    this.#actions = new Set(options.actions ?? ['ALARM', 'OK']);
    this.#maxDatapoints = options.maxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
    this.#log = options.log ?? (() => undefined);
  }

  /**
   * Keeps the samples as datapoints of the release's metrics, as PutMetricData, and drops the expired ones. Nothing is
   * evaluated here: the alarms see the datapoints at their next timer tick.
   */
  async putSamples(releaseId: string, samples: readonly MetricSample[]): Promise<void> {
    const now = Date.now();
    let metrics = this.#datapoints.get(releaseId);
    for (const sample of samples) {
      const t = Date.parse(sample.at);
      if (Number.isNaN(t) || !Number.isFinite(sample.value)) continue;
      if (!metrics) {
        metrics = new Map();
        this.#datapoints.set(releaseId, metrics);
      }
      const points = metrics.get(sample.name) ?? [];
      points.push({ t, sample });
      metrics.set(sample.name, points);
    }
    this.#prune(now);
  }

  /**
   * Creates or updates alarms, as PutMetricAlarm: a new alarm starts INSUFFICIENT_DATA, an existing one keeps its
   * state and takes the new configuration; either is evaluated at once (CloudWatch does soon after the put), then on
   * its timer. A new alarm's timer starts now, an existing one's only restarts when its scaled period changed.
   */
  async putAlarms(alarms: readonly AlarmSpec[]): Promise<void> {
    const now = Date.now();
    for (const spec of alarms) {
      const existing = this.#alarms.get(spec.name);
      if (existing) {
        const period = this.#periodSeconds(existing.spec);
        existing.spec = spec;
        existing.configuredAt = now;
        if (this.#periodSeconds(spec) !== period) this.#startTimer(existing);
      } else {
        const entry: AlarmEntry = {
          spec,
          state: 'INSUFFICIENT_DATA',
          reason: 'Unchecked: Initial alarm creation',
          updatedAt: now,
          configuredAt: now,
          timer: undefined,
        };
        this.#alarms.set(spec.name, entry);
        this.#startTimer(entry);
      }
    }
    for (const spec of alarms) {
      const entry = this.#alarms.get(spec.name);
      if (entry) this.#evaluate(entry, now);
    }
  }

  /** Deletes alarms by name and stops evaluating them; a name that is not an alarm is skipped. */
  async deleteAlarms(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const entry = this.#alarms.get(name);
      if (!entry) continue;
      clearInterval(entry.timer);
      this.#alarms.delete(name);
    }
  }

  /** The alarms (of one release when given), by name. */
  list(filter: { readonly releaseId?: string | undefined } = {}): LocalAlarmView[] {
    return [...this.#alarms.values()]
      .filter((entry) => filter.releaseId === undefined || entry.spec.releaseId === filter.releaseId)
      .sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0))
      .map(({ spec, state, reason, updatedAt }) => ({
        name: spec.name,
        releaseId: spec.releaseId,
        triggerId: spec.triggerId,
        metric: spec.metric,
        statistic: spec.statistic,
        comparison: spec.comparison,
        threshold: spec.threshold,
        unit: spec.unit ?? null,
        period: spec.period,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        state,
        reason,
        updatedAt: new Date(updatedAt).toISOString(),
      }));
  }

  /** Stops every evaluation timer; the alarms stay listed, and only putting one evaluates it from then on. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#alarms.values()) {
      clearInterval(entry.timer);
      entry.timer = undefined;
    }
  }

  /**
   * The scaled period, in seconds. At least 1: a shorter one would evaluate faster than the stream poller delivers
   * samples (a datapoint would be out of its period before it arrives), and spin the timer.
   */
  #periodSeconds(spec: AlarmSpec): number {
    return Math.max(1, spec.period / this.#timeScale);
  }

  /** Evaluates the alarm once per scaled period: the only evaluation of new datapoints and of missing data. */
  #startTimer(entry: AlarmEntry): void {
    clearInterval(entry.timer);
    entry.timer = undefined;
    if (this.#closed) return;
    entry.timer = setInterval(() => {
      const now = Date.now();
      this.#prune(now, entry.spec.releaseId);
      this.#evaluate(entry, now);
    }, this.#periodSeconds(entry.spec) * 1000);
    entry.timer.unref();
  }

  /** How far back datapoints are kept (ms): the longest evaluation range of any alarm, or 15 scaled minutes. */
  #retentionMs(): number {
    let longest = RETENTION_FLOOR_SECONDS / this.#timeScale;
    for (const { spec } of this.#alarms.values()) {
      longest = Math.max(longest, this.#periodSeconds(spec) * spec.evaluationPeriods);
    }
    return longest * 1000;
  }

  /** Drops datapoints past the retention (and over the cap), of one release or all; forgets emptied releases. */
  #prune(now: number, releaseId?: string): void {
    const oldest = now - this.#retentionMs();
    const releases = releaseId === undefined ? [...this.#datapoints.keys()] : [releaseId];
    for (const id of releases) {
      const metrics = this.#datapoints.get(id);
      if (!metrics) continue;
      for (const [metric, points] of metrics) {
        let kept = points.filter((point) => point.t >= oldest);
        if (kept.length > this.#maxDatapoints) {
          kept = kept.sort((a, b) => a.t - b.t).slice(kept.length - this.#maxDatapoints);
        }
        if (kept.length === 0) metrics.delete(metric);
        else if (kept.length !== points.length) metrics.set(metric, kept);
      }
      if (metrics.size === 0) this.#datapoints.delete(id);
    }
  }

  /** Evaluates one alarm at `now`; a change of state is recorded and, if its state has an action, published. */
  #evaluate(entry: AlarmEntry, now: number): void {
    const { spec } = entry;
    // spec.threshold is already the effective one (a multiple of the baseline for a relative trigger), so the
    // condition is absolute here; a relative trigger's alarm has no unit, and compares its datapoints as sent.
    const condition: MetricCondition = {
      metric: spec.metric,
      comparison: spec.comparison,
      threshold: spec.threshold,
      unit: spec.unit ?? 'None',
    };
    const rule: Partial<EvaluationRule> = {
      period: this.#periodSeconds(spec),
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
      statistic: spec.statistic,
      treatMissingData: spec.treatMissingData,
    };
    const points = this.#datapoints.get(spec.releaseId)?.get(spec.metric) ?? [];
    const result = evaluateCondition(
      condition,
      points.map((point) => point.sample),
      { now: new Date(now), rule, previousState: entry.state },
    );
    if (result.state === entry.state) return;
    const from = entry.state;
    entry.state = result.state;
    entry.reason = stateReason(spec, result, from, result.state);
    entry.updatedAt = now;
    this.#log(`alarm ${spec.name}: ${from} -> ${result.state}`);
    if (this.#actions.has(result.state)) this.#send(this.#message(entry, from));
  }

  /** The notification CloudWatch publishes to an alarm's action topic on a state change. */
  #message(entry: AlarmEntry, from: AlarmState): string {
    const { spec } = entry;
    const percentile = spec.statistic.startsWith('p');
    return JSON.stringify({
      AlarmName: spec.name,
      AlarmDescription: spec.description,
      AWSAccountId: '000000000000',
      AlarmConfigurationUpdatedTimestamp: notificationTime(entry.configuredAt),
      NewStateValue: entry.state,
      NewStateReason: entry.reason,
      StateChangeTime: notificationTime(entry.updatedAt),
      Region: 'local',
      AlarmArn: `arn:aws:cloudwatch:local:000000000000:alarm:${spec.name}`,
      OldStateValue: from,
      Trigger: {
        MetricName: spec.metric,
        Namespace: METRIC_NAMESPACE,
        StatisticType: percentile ? 'ExtendedStatistic' : 'Statistic',
        ...(percentile
          ? { ExtendedStatistic: spec.statistic }
          : { Statistic: STATISTIC_NAMES[spec.statistic] ?? spec.statistic }),
        Unit: spec.unit ?? null,
        Dimensions: [{ value: spec.releaseId, name: RELEASE_DIMENSION }],
        Period: spec.period,
        EvaluationPeriods: spec.evaluationPeriods,
        DatapointsToAlarm: spec.datapointsToAlarm,
        ComparisonOperator: COMPARISON_OPERATORS[spec.comparison],
        Threshold: spec.threshold,
        TreatMissingData: spec.treatMissingData,
        // The adapter evaluates a percentile whatever a period's sample count ('evaluate'); '' for a statistic.
        EvaluateLowSampleCountPercentile: percentile ? 'evaluate' : '',
      },
    });
  }

  /** Hands a message to `publish`; a failure is logged (SNS would retry; locally the next change is published). */
  #send(message: string): void {
    const failed = (error: unknown) =>
      this.#log(`alarm notification not delivered: ${error instanceof Error ? error.message : String(error)}`);
    try {
      const delivery = this.#publish(message);
      if (delivery) delivery.catch(failed);
    } catch (error) {
      failed(error);
    }
  }
}
