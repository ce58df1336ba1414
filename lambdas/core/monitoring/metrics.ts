// Metric evaluation during post-release monitoring: rollback triggers as CloudWatch-like alarms, metric items, window reports.
//
// Pure domain code (no AWS SDK, no I/O). Semantics are documented in docs/metrics.md and follow CloudWatch metric
// alarms: "Alarm evaluation" and "Configuring how CloudWatch alarms treat missing data",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
import type {
  Comparison,
  MetricCondition,
  MetricUnit,
  MonitoringWindow,
  RollbackTrigger,
  SuccessMetric,
  Template,
  TemplateItem,
} from '../template/template.ts';
import { walkItems } from '../template/template.ts';

/** One measurement received through the API. `unit` absent means "the unit of the condition it is compared with". */
export interface MetricSample {
  name: string;
  value: number;
  unit?: MetricUnit;
  /** ISO-8601 timestamp. */
  at: string;
}

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

/**
 * A sample's value in `target` unit, or undefined when it cannot be converted. Seconds <-> Milliseconds convert; a
 * sample without a unit is taken to be in `target`; Percent is 0-100 and is never rescaled (0.012 means 0.012 %).
 */
export function convertValue(value: number, from: MetricUnit | undefined, target: MetricUnit): number | undefined {
  if (from === undefined || from === target) return value;
  if (from === 'Seconds' && target === 'Milliseconds') return value * 1000;
  if (from === 'Milliseconds' && target === 'Seconds') return value / 1000;
  // A baseline-relative condition (unit None) compares raw values with a baseline of the same samples.
  if (target === 'None') return value;
  return undefined;
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

interface Timed {
  t: number;
  value: number;
}

/** The samples of `metric` with a usable time and a value convertible to `unit`, sorted by time then value. */
function pointsOf(samples: readonly MetricSample[], metric: string, unit: MetricUnit): Timed[] {
  const points: Timed[] = [];
  for (const sample of samples) {
    if (sample.name !== metric || !Number.isFinite(sample.value)) continue;
    const t = Date.parse(sample.at);
    const value = convertValue(sample.value, sample.unit, unit);
    if (Number.isNaN(t) || value === undefined) continue;
    points.push({ t, value });
  }
  return points.sort((a, b) => a.t - b.t || a.value - b.value);
}

/**
 * Buckets of `count` periods of `periodMs` ending at `end`, oldest first. A period covers [start, start + period); the
 * last one also takes a sample taken exactly at `end` (a sample stamped on receipt is evaluated at once).
 */
function bucket(points: readonly Timed[], end: number, periodMs: number, count: number): number[][] {
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

/**
 * The baseline of `metric`: the average of its samples (those before `before` when given; the caller passes the
 * samples received before the production deployment started). A "memory > 2x normal" trigger
 * (`threshold: 2, relativeToBaseline`) then breaches when memory exceeds 2 x this value. Undefined without samples.
 */
export function captureBaseline(
  samples: readonly MetricSample[],
  metric: string,
  options: { before?: Date } = {},
): number | undefined {
  const limit = options.before?.getTime() ?? Number.POSITIVE_INFINITY;
  const values = samples
    .filter((s) => s.name === metric && Number.isFinite(s.value) && Date.parse(s.at) < limit)
    .map((s) => s.value);
  return aggregate(values, 'Average');
}

/** Baselines by metric name (see {@link captureBaseline}). */
export type Baselines = Readonly<Record<string, number>>;

/**
 * The baselines of a release: for each baseline-relative rollback trigger, the average of its metric's samples
 * received before production deployment started (`productionStartedAt`; none before it starts).
 */
export function releaseBaselines(
  template: Template,
  productionStartedAt: string | undefined,
  samples: readonly MetricSample[],
): Baselines {
  const before = productionStartedAt ? new Date(productionStartedAt) : new Date(0);
  const baselines: Record<string, number> = {};
  for (const trigger of template.rollback.triggers) {
    const metric = trigger.condition?.relativeToBaseline ? trigger.condition.metric : undefined;
    if (!metric) continue;
    const value = captureBaseline(samples, metric, { before });
    if (value !== undefined) baselines[metric] = value;
  }
  return baselines;
}

/** Options of {@link evaluateTriggers}. */
export interface TriggerOptions {
  now: Date;
  baselines?: Baselines;
  /** The local runtime's time scale: periods are divided by it (a 60 s period lasts 60/timeScale s). Default 1. */
  timeScale?: number;
  /** Overrides applied to every trigger's rule. */
  rule?: Partial<EvaluationRule>;
}

/** A trigger and how it evaluated. */
export interface TriggerEvaluation {
  trigger: RollbackTrigger;
  result: ConditionResult;
}

/** Evaluates every rollback trigger of `template` that has a metric condition, in template order. */
export function evaluateTriggers(
  template: Template,
  samples: readonly MetricSample[],
  options: TriggerOptions,
): TriggerEvaluation[] {
  const scale = options.timeScale ?? 1;
  if (!(scale > 0)) throw new RangeError(`timeScale must be positive, got ${scale}`);
  const out: TriggerEvaluation[] = [];
  for (const trigger of template.rollback.triggers) {
    const condition = trigger.condition;
    if (!condition) continue;
    // Scaled time shortens periods, but never below a second: samples are stamped when they arrive, and a period
    // shorter than the path from arrival to evaluation would never hold the sample just sent. M and N are those of
    // the real period ("sustained for 5 minutes" stays 5 of 5), as the local CloudWatch evaluates its alarms.
    const real = ruleFor(condition, options.rule);
    const result = evaluateCondition(condition, samples, {
      now: options.now,
      rule: { ...real, period: Math.max(1, real.period / scale) },
      baseline: options.baselines?.[condition.metric],
    });
    out.push({ trigger, result });
  }
  return out;
}

/** The triggers of {@link evaluateTriggers} that are in ALARM: the breaches that call for a rollback. */
export function breaches(
  template: Template,
  samples: readonly MetricSample[],
  options: TriggerOptions,
): TriggerEvaluation[] {
  return evaluateTriggers(template, samples, options).filter((e) => e.result.state === 'ALARM');
}

/** How a metric-backed item stands, with the figures behind it. */
export interface MetricItemResult {
  itemId: string;
  status: 'done' | 'failed' | 'pending';
  evidence: string;
}

const UNIT_LABEL: Record<MetricUnit, string> = {
  Milliseconds: ' ms',
  Seconds: ' s',
  Percent: ' %',
  Count: '',
  None: '',
};

/** A figure for people: at most 3 decimals, trailing zeros dropped. */
export function formatNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

function formatValue(value: number, condition: MetricCondition): string {
  return `${formatNumber(value)}${UNIT_LABEL[condition.unit]}`;
}

function formatTarget(condition: MetricCondition): string {
  return condition.relativeToBaseline
    ? `${condition.comparison} ${formatNumber(condition.threshold)}x baseline`
    : `${condition.comparison} ${formatValue(condition.threshold, condition)}`;
}

function statLabel(statistic: Statistic): string {
  const labels: Record<string, string> = {
    Average: 'avg',
    Minimum: 'min',
    Maximum: 'max',
    Sum: 'sum',
    SampleCount: 'count',
  };
  return labels[statistic] ?? statistic;
}

/** A target (a condition stating the good side, "< 200 ms") judged on all `points`: met, not met, or no data. */
function judgeTarget(
  condition: MetricCondition,
  points: readonly Timed[],
  baseline: number | undefined,
): { met: boolean | null; value?: number; statistic: Statistic; evidence: string } {
  const statistic = defaultStatistic(condition.metric);
  const value = aggregate(
    points.map((p) => p.value),
    statistic,
  );
  const threshold = effectiveThreshold(condition, baseline);
  const target = `(target ${formatTarget(condition)})`;
  if (value === undefined) return { met: null, statistic, evidence: `no samples of ${condition.metric} ${target}` };
  const plural = points.length === 1 ? 'sample' : 'samples';
  const figures = `${statLabel(statistic)} ${formatValue(value, condition)} over ${points.length} ${plural}`;
  if (threshold === null) return { met: null, value, statistic, evidence: `${figures}, no baseline ${target}` };
  return { met: compare(value, condition.comparison, threshold), value, statistic, evidence: `${figures} ${target}` };
}

/**
 * Every metric-backed item of `items` (nested ones included, depth first) judged on the samples up to `now` (and from
 * `from` when given): the item's condition is a target, met -> `done`, not met -> `failed`, no samples (or no baseline
 * for a relative one) -> `pending`. The statistic is the metric's default one over all those samples.
 */
export function evaluateMetricItems(
  items: readonly TemplateItem[],
  samples: readonly MetricSample[],
  options: { now: Date; from?: Date; baselines?: Baselines },
): MetricItemResult[] {
  const out: MetricItemResult[] = [];
  const to = options.now.getTime();
  const from = options.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  for (const item of walkItems(items)) {
    const condition = item.metric;
    if (item.kind !== 'metric' || !condition) continue;
    const points = pointsOf(samples, condition.metric, condition.unit).filter((p) => p.t >= from && p.t <= to);
    const judged = judgeTarget(condition, points, options.baselines?.[condition.metric]);
    const status = judged.met === null ? 'pending' : judged.met ? 'done' : 'failed';
    out.push({ itemId: item.id, status, evidence: judged.evidence });
  }
  return out;
}

/** A target named for a metric in a window report. */
export interface ReportTarget {
  source: 'item' | 'success-metric';
  id: string;
  title: string;
  condition: MetricCondition;
  met: boolean | null;
  evidence: string;
}

/** A rollback trigger watched on a metric in a window report, with its breaching datapoints. */
export interface ReportTrigger {
  triggerId: string;
  title: string;
  condition: MetricCondition;
  threshold: number | null;
  /** Datapoints (period of the trigger's rule, aligned to the window's end) whose value breached the threshold. */
  breaches: { periodStart: string; value: number }[];
}

/** The figures of one metric over a window. */
export interface MetricReport {
  metric: string;
  /** The unit the figures are in (that of the first condition naming the metric; `None` for a metric only seen). */
  unit: MetricUnit;
  count: number;
  min: number | null;
  avg: number | null;
  max: number | null;
  /** Nearest-rank 95th percentile of the samples. */
  p95: number | null;
  targets: ReportTarget[];
  triggers: ReportTrigger[];
}

/** How a release did over a monitoring window. */
export interface WindowReport {
  windowId: string;
  from: string;
  to: string;
  /** Sorted by metric name. */
  metrics: MetricReport[];
  successMetrics: {
    id: string;
    title: string;
    status: 'met' | 'not-met' | 'no-data' | 'not-measured';
    evidence: string;
  }[];
  /** Ids of triggers with at least one breaching datapoint in the window. */
  breachedTriggers: string[];
}

/** The items of the section a window watches. */
function windowItems(template: Template, window: MonitoringWindow): TemplateItem[] {
  for (const phase of template.phases) {
    for (const section of phase.sections) if (section.id === window.sectionId) return section.items;
  }
  return [];
}

/**
 * The report of a window over the samples taken in [from, to]: for each metric seen in the window or named by the
 * window's metric items, the triggers or the success metrics, its count/min/avg/max/p95, its targets (window items and
 * success metrics, judged like {@link evaluateMetricItems}), its triggers with their breaching datapoints; then every
 * success metric met / not met / no data (qualitative ones: not measured). Output order is deterministic.
 */
export function windowReport(
  template: Template,
  window: MonitoringWindow,
  samples: readonly MetricSample[],
  options: { from: Date; to: Date; baselines?: Baselines; rule?: Partial<EvaluationRule> },
): WindowReport {
  const from = options.from.getTime();
  const to = options.to.getTime();
  const inWindow = samples.filter((s) => {
    const t = Date.parse(s.at);
    return t >= from && t <= to;
  });
  const items = [...walkItems(windowItems(template, window))].filter((i) => i.kind === 'metric' && i.metric);
  const triggers = template.rollback.triggers.filter((t) => t.condition);
  const successMetrics = template.successMetrics.filter((m) => m.condition);

  const units = new Map<string, MetricUnit>();
  for (const c of [
    ...items.map((i) => i.metric),
    ...triggers.map((t) => t.condition),
    ...successMetrics.map((m) => m.condition),
  ]) {
    if (c && !units.has(c.metric)) units.set(c.metric, c.unit);
  }
  for (const s of inWindow) if (!units.has(s.name)) units.set(s.name, s.unit ?? 'None');

  const metrics: MetricReport[] = [...units.keys()].sort().map((metric) => {
    const unit = units.get(metric) ?? 'None';
    const baseline = options.baselines?.[metric];
    const values = pointsOf(inWindow, metric, unit).map((p) => p.value);
    const targetOf = (
      source: ReportTarget['source'],
      owner: TemplateItem | SuccessMetric,
      condition: MetricCondition,
    ): ReportTarget => {
      const judged = judgeTarget(condition, pointsOf(inWindow, metric, condition.unit), baseline);
      return { source, id: owner.id, title: owner.title, condition, met: judged.met, evidence: judged.evidence };
    };
    const targets: ReportTarget[] = [];
    for (const item of items) if (item.metric?.metric === metric) targets.push(targetOf('item', item, item.metric));
    for (const m of successMetrics) {
      if (m.condition?.metric === metric) targets.push(targetOf('success-metric', m, m.condition));
    }
    const reportTriggers: ReportTrigger[] = [];
    for (const trigger of triggers) {
      const condition = trigger.condition;
      if (condition?.metric !== metric) continue;
      const rule = ruleFor(condition, options.rule);
      const periodMs = rule.period * 1000;
      const count = Math.max(1, Math.ceil((to - from) / periodMs));
      const threshold = effectiveThreshold(condition, baseline);
      const buckets = bucket(pointsOf(inWindow, metric, condition.unit), to, periodMs, count);
      const found: ReportTrigger['breaches'] = [];
      buckets.forEach((bucketValues, i) => {
        const value = aggregate(bucketValues, rule.statistic);
        if (value !== undefined && threshold !== null && compare(value, condition.comparison, threshold)) {
          found.push({ periodStart: new Date(to - (count - i) * periodMs).toISOString(), value });
        }
      });
      reportTriggers.push({ triggerId: trigger.id, title: trigger.title, condition, threshold, breaches: found });
    }
    return {
      metric,
      unit,
      count: values.length,
      min: aggregate(values, 'Minimum') ?? null,
      avg: aggregate(values, 'Average') ?? null,
      max: aggregate(values, 'Maximum') ?? null,
      p95: percentile(values, 95) ?? null,
      targets,
      triggers: reportTriggers,
    };
  });

  const success = template.successMetrics.map((m) => {
    if (!m.condition) return { id: m.id, title: m.title, status: 'not-measured' as const, evidence: 'qualitative' };
    const report = metrics.find((r) => r.metric === m.condition?.metric);
    const target = report?.targets.find((t) => t.source === 'success-metric' && t.id === m.id);
    const met = target?.met ?? null;
    const status = met === null ? ('no-data' as const) : met ? ('met' as const) : ('not-met' as const);
    return { id: m.id, title: m.title, status, evidence: target?.evidence ?? `no samples of ${m.condition.metric}` };
  });

  return {
    windowId: window.id,
    from: options.from.toISOString(),
    to: options.to.toISOString(),
    metrics,
    successMetrics: success,
    breachedTriggers: metrics.flatMap((r) => r.triggers.filter((t) => t.breaches.length > 0).map((t) => t.triggerId)),
  };
}
