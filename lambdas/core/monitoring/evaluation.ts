// Condition evaluation with CloudWatch metric alarm semantics: periods, statistics, M of N, missing data, baselines.
//
// Pure domain code (no AWS SDK, no I/O). Semantics are documented in docs/metrics.md and follow CloudWatch metric
// alarms: "Alarm evaluation" and "Configuring how CloudWatch alarms treat missing data",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
import type { Comparison, MetricCondition } from '../template/template.ts';
import type { MetricSample, Timed } from './samples.ts';
import { pointsOf } from './samples.ts';

/** How the datapoints of a period are aggregated: CloudWatch statistics, and percentiles `p0`..`p100` (nearest rank). */
export type Statistic = 'Average' | 'Minimum' | 'Maximum' | 'Sum' | 'SampleCount' | `p${number}`;

/** How missing datapoints count, as CloudWatch's `TreatMissingData`. */
export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

/** An alarm state, as CloudWatch's. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** The CloudWatch-alarm-like parameters with which a condition is evaluated. */
export interface EvaluationRule {
  /** Length of one datapoint's period, in seconds. */
  period: number;
  /** N: the number of most recent periods evaluated. */
  evaluationPeriods: number;
  /** M: the number of breaching datapoints among the last N that puts the alarm in ALARM. */
  datapointsToAlarm: number;
  statistic: Statistic;
  treatMissingData: TreatMissingData;
  /**
   * Periods looked at for `missing`/`ignore` (>= N). CloudWatch looks further back than N (an unpublished number) and
   * evaluates the most recent N datapoints that exist; the default here is N.
   */
  evaluationRange: number;
}

/** One aggregated period. `value`/`breaching` are null when the period has no sample. */
export interface Datapoint {
  periodStart: string;
  value: number | null;
  breaching: boolean | null;
}

/** The result of evaluating one condition. */
export interface ConditionResult {
  state: AlarmState;
  /** Every period of the evaluation range, oldest first. */
  datapoints: Datapoint[];
  /** The most recent datapoint that has a value (what CloudWatch's state reason quotes). */
  observed?: number;
  /** The effective threshold in the condition's unit (threshold x baseline for a relative condition); null when the baseline is unknown. */
  threshold: number | null;
  rule: EvaluationRule;
}

/** Options of {@link evaluateCondition}. */
export interface EvaluateOptions {
  now: Date;
  rule?: Partial<EvaluationRule>;
  /** The baseline of the condition's metric, required by `relativeToBaseline` conditions. */
  baseline?: number | undefined;
  /** The alarm's current state, kept by `ignore` when the data do not decide; INSUFFICIENT_DATA when absent. */
  previousState?: AlarmState;
}

const DEFAULT_PERIOD_SECONDS = 60;

/**
 * The default statistic of a metric, read from its name's last segment: `.pNN` -> `pNN` over the samples of the period
 * (nearest rank), `.max` -> Maximum, `.min` -> Minimum, `.sum` -> Sum, `.count` -> SampleCount, anything else (`.avg`,
 * `api.error_rate`) -> Average.
 */
export function defaultStatistic(metric: string): Statistic {
  const last = metric.slice(metric.lastIndexOf('.') + 1);
  const percentile = /^p(\d{1,2}(?:_\d+)?|100)$/.exec(last);
  if (percentile?.[1] !== undefined) return `p${Number(percentile[1].replace('_', '.'))}`;
  if (last === 'max') return 'Maximum';
  if (last === 'min') return 'Minimum';
  if (last === 'sum') return 'Sum';
  if (last === 'count') return 'SampleCount';
  return 'Average';
}

/**
 * The rule a condition is evaluated with: period 60 s, 1 of 1, the statistic of {@link defaultStatistic}, missing data
 * `missing`; a `sustainedMinutes` D makes N = M = ceil(D*60/period). `overrides` win over every default.
 */
export function ruleFor(condition: MetricCondition, overrides: Partial<EvaluationRule> = {}): EvaluationRule {
  const period = overrides.period ?? condition.periodSeconds ?? DEFAULT_PERIOD_SECONDS;
  if (!(period > 0)) throw new RangeError(`period must be positive, got ${period}`);
  const sustained = condition.sustainedMinutes ? Math.max(1, Math.ceil((condition.sustainedMinutes * 60) / period)) : 1;
  const evaluationPeriods = overrides.evaluationPeriods ?? condition.evaluationPeriods ?? sustained;
  const datapointsToAlarm =
    overrides.datapointsToAlarm ?? condition.datapointsToAlarm ?? Math.min(sustained, evaluationPeriods);
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1)
    throw new RangeError('evaluationPeriods must be >= 1');
  if (!Number.isInteger(datapointsToAlarm) || datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods) {
    throw new RangeError('datapointsToAlarm must be between 1 and evaluationPeriods');
  }
  return {
    period,
    evaluationPeriods,
    datapointsToAlarm,
    statistic: overrides.statistic ?? defaultStatistic(condition.metric),
    treatMissingData: overrides.treatMissingData ?? condition.treatMissingData ?? 'missing',
    evaluationRange: Math.max(evaluationPeriods, overrides.evaluationRange ?? evaluationPeriods),
  };
}

/** The p-th percentile by nearest rank: the value at rank ceil(p/100 * n) of the ascending values (rank >= 1). */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** `values` aggregated with `statistic`; undefined for no values. */
export function aggregate(values: readonly number[], statistic: Statistic): number | undefined {
  if (values.length === 0) return undefined;
  switch (statistic) {
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'SampleCount':
      return values.length;
    default:
      return percentile(values, Number(statistic.slice(1)));
  }
}

/** Whether `value` breaches `threshold` under `comparison` (the condition states the bad side: `> 500` breaches at 501, not at 500). */
export function compare(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

/**
 * Buckets of `count` periods of `periodMs` ending at `end`, oldest first. A period covers [start, start + period); the
 * last one also takes a sample taken exactly at `end` (a sample stamped on receipt is evaluated at once). Exported
 * for the window report, whose breaching datapoints must fall in the periods an alarm would see.
 */
export function bucket(points: readonly Timed[], end: number, periodMs: number, count: number): number[][] {
  const buckets: number[][] = Array.from({ length: count }, () => []);
  for (const { t, value } of points) {
    if (t > end) continue;
    const back = Math.max(0, Math.ceil((end - t) / periodMs) - 1);
    if (back < count) buckets[count - 1 - back]?.push(value);
  }
  return buckets;
}

/**
 * The state of the alarm given the datapoints of its evaluation range (oldest first), per CloudWatch's documented
 * missing-data rules (see the module header):
 * - `breaching` / `notBreaching`: a missing datapoint among the last N counts as breaching / not breaching.
 * - `missing` / `ignore`: no datapoint in the range -> INSUFFICIENT_DATA (`missing`) or the current state (`ignore`);
 *   at least N existing -> M of the most recent N existing; fewer than N existing -> ALARM when at least min(M, existing)
 *   of them breach (the doc's "- - X - -" row for 3 of 3 is ALARM), except that `ignore` keeps the current state
 *   while fewer than M exist.
 */
function decide(points: readonly Datapoint[], rule: EvaluationRule, previous: AlarmState): AlarmState {
  const { evaluationPeriods: n, datapointsToAlarm: m, treatMissingData } = rule;
  if (treatMissingData === 'breaching' || treatMissingData === 'notBreaching') {
    const breaching = points.slice(-n).filter((p) => p.breaching ?? treatMissingData === 'breaching').length;
    return breaching >= m ? 'ALARM' : 'OK';
  }
  const existing = points.filter((p) => p.breaching !== null);
  if (existing.length === 0) return treatMissingData === 'ignore' ? previous : 'INSUFFICIENT_DATA';
  if (existing.length >= n) return existing.slice(-n).filter((p) => p.breaching).length >= m ? 'ALARM' : 'OK';
  if (treatMissingData === 'ignore' && existing.length < m) return previous;
  return existing.filter((p) => p.breaching).length >= Math.min(m, existing.length) ? 'ALARM' : 'OK';
}

/**
 * Evaluates one condition like a CloudWatch metric alarm at `now`: the samples of the condition's metric fall into
 * periods ending at `now` (samples after `now` or before the evaluation range are ignored), each period is aggregated
 * with the rule's statistic, each datapoint is compared with the threshold (x baseline for `relativeToBaseline`), and
 * the alarm is in ALARM when M of the last N datapoints breach, missing datapoints counting per `treatMissingData`.
 * A relative condition without a positive baseline is INSUFFICIENT_DATA (threshold null).
 */
export function evaluateCondition(
  condition: MetricCondition,
  samples: readonly MetricSample[],
  options: EvaluateOptions,
): ConditionResult {
  const rule = ruleFor(condition, options.rule);
  const end = options.now.getTime();
  const periodMs = rule.period * 1000;
  const buckets = bucket(pointsOf(samples, condition.metric, condition.unit), end, periodMs, rule.evaluationRange);
  const threshold = effectiveThreshold(condition, options.baseline);
  const datapoints: Datapoint[] = buckets.map((values, i) => {
    const value = aggregate(values, rule.statistic) ?? null;
    return {
      periodStart: new Date(end - (rule.evaluationRange - i) * periodMs).toISOString(),
      value,
      breaching: value === null || threshold === null ? null : compare(value, condition.comparison, threshold),
    };
  });
  const observed = datapoints.findLast((p) => p.value !== null)?.value ?? undefined;
  const state =
    threshold === null ? 'INSUFFICIENT_DATA' : decide(datapoints, rule, options.previousState ?? 'INSUFFICIENT_DATA');
  return { state, datapoints, threshold, rule, ...(observed === undefined ? {} : { observed }) };
}

/** The threshold a condition's values are compared with; null when it is baseline-relative and no baseline is known. */
export function effectiveThreshold(condition: MetricCondition, baseline: number | undefined): number | null {
  if (!condition.relativeToBaseline) return condition.threshold;
  return baseline !== undefined && Number.isFinite(baseline) && baseline > 0 ? condition.threshold * baseline : null;
}
