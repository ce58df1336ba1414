// The report of a monitoring window: each metric's figures, targets and trigger breaches; each success metric's status.
import type {
  MetricCondition,
  MetricUnit,
  MonitoringWindow,
  RollbackTrigger,
  SuccessMetric,
  Template,
  TemplateItem,
} from '../template/template.ts';
import { walkItems } from '../template/template.ts';
import type { EvaluationRule, TreatMissingData } from './evaluation.ts';
import { aggregate, bucket, compare, effectiveThreshold, percentile, ruleFor } from './evaluation.ts';
import type { Attention, MissingData } from './missing-data.ts';
import { attentionOf, gapEffect, isUnmonitored, missingDataOf } from './missing-data.ts';
import type { MetricSample } from './samples.ts';
import { pointsOf } from './samples.ts';
import { judgeTarget } from './targets.ts';
import type { Baselines } from './triggers.ts';

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
  /** How the trigger counts periods without a sample: the condition's `treatMissingData`, default `missing`. */
  treatMissingData: TreatMissingData;
  /** Datapoints (period of the trigger's rule, aligned to the window's end) whose value breached the threshold. */
  breaches: { periodStart: string; value: number }[];
  /** A datapoint breached, or the metric had no sample in the window and the trigger treats that as breaching. */
  breached: boolean;
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
  /** Ids of the triggers breached in the window (see {@link ReportTrigger.breached}). */
  breachedTriggers: string[];
  /** The window's rollback policy, which {@link attention} weighs. */
  rollbackPolicy: MonitoringWindow['rollbackPolicy'];
  /** Whether the window passed; false while it runs (the figures are those so far) or when it ended in a rollback. */
  passed: boolean;
  /** Every metric a trigger or target watches that received no sample in the window ("no data for X"), by name. */
  missingData: MissingData[];
  /** No metric a rollback trigger watches received a sample: no trigger could fire on a figure. */
  unmonitored: boolean;
  /** How much the window calls for a person (docs/metrics.md); its `window.passed` notification has this severity. */
  attention: Attention;
}

/** The items of the section a window watches. */
function windowItems(template: Template, window: MonitoringWindow): TemplateItem[] {
  for (const phase of template.phases) {
    for (const section of phase.sections) if (section.id === window.sectionId) return section.items;
  }
  return [];
}

/** The metric items, triggers and success metrics a window report looks at: those with a metric condition. */
interface Watched {
  items: TemplateItem[];
  triggers: RollbackTrigger[];
  successMetrics: SuccessMetric[];
}

function watchedBy(template: Template, window: MonitoringWindow): Watched {
  return {
    items: [...walkItems(windowItems(template, window))].filter((i) => i.kind === 'metric' && i.metric),
    triggers: template.rollback.triggers.filter((t) => t.condition),
    successMetrics: template.successMetrics.filter((m) => m.condition),
  };
}

/** The window's bounds (epoch ms) and the samples taken within them. */
interface Span {
  from: number;
  to: number;
  samples: readonly MetricSample[];
}

/**
 * The unit of each metric: that of the first condition naming it, so figures read like the targets they are held
 * against; a metric only seen in samples keeps the unit of its first sample.
 */
function metricUnits(watched: Watched, inWindow: readonly MetricSample[]): Map<string, MetricUnit> {
  const units = new Map<string, MetricUnit>();
  for (const c of [
    ...watched.items.map((i) => i.metric),
    ...watched.triggers.map((t) => t.condition),
    ...watched.successMetrics.map((m) => m.condition),
  ]) {
    if (c && !units.has(c.metric)) units.set(c.metric, c.unit);
  }
  for (const s of inWindow) if (!units.has(s.name)) units.set(s.name, s.unit ?? 'None');
  return units;
}

function reportTargets(
  metric: string,
  watched: Watched,
  inWindow: readonly MetricSample[],
  baseline: number | undefined,
): ReportTarget[] {
  const targetOf = (
    source: ReportTarget['source'],
    owner: TemplateItem | SuccessMetric,
    condition: MetricCondition,
  ): ReportTarget => {
    const judged = judgeTarget(condition, pointsOf(inWindow, metric, condition.unit), baseline);
    return { source, id: owner.id, title: owner.title, condition, met: judged.met, evidence: judged.evidence };
  };
  const targets: ReportTarget[] = [];
  for (const item of watched.items)
    if (item.metric?.metric === metric) targets.push(targetOf('item', item, item.metric));
  for (const m of watched.successMetrics) {
    if (m.condition?.metric === metric) targets.push(targetOf('success-metric', m, m.condition));
  }
  return targets;
}

function reportTrigger(
  trigger: RollbackTrigger,
  condition: MetricCondition,
  span: Span,
  baseline: number | undefined,
  overrides: Partial<EvaluationRule> | undefined,
  noData: boolean,
): ReportTrigger {
  const rule = ruleFor(condition, overrides);
  const periodMs = rule.period * 1000;
  const count = Math.max(1, Math.ceil((span.to - span.from) / periodMs));
  const threshold = effectiveThreshold(condition, baseline);
  const buckets = bucket(pointsOf(span.samples, condition.metric, condition.unit), span.to, periodMs, count);
  const found: ReportTrigger['breaches'] = [];
  buckets.forEach((bucketValues, i) => {
    const value = aggregate(bucketValues, rule.statistic);
    if (value !== undefined && threshold !== null && compare(value, condition.comparison, threshold)) {
      found.push({ periodStart: new Date(span.to - (count - i) * periodMs).toISOString(), value });
    }
  });
  const { treatMissingData } = rule;
  const breached = found.length > 0 || (noData && gapEffect(treatMissingData, threshold) === 'breach');
  return {
    triggerId: trigger.id,
    title: trigger.title,
    condition,
    threshold,
    treatMissingData,
    breaches: found,
    breached,
  };
}

function metricReport(
  metric: string,
  unit: MetricUnit,
  watched: Watched,
  span: Span,
  options: { baselines?: Baselines; rule?: Partial<EvaluationRule> },
): MetricReport {
  const baseline = options.baselines?.[metric];
  const values = pointsOf(span.samples, metric, unit).map((p) => p.value);
  const triggers: ReportTrigger[] = [];
  for (const trigger of watched.triggers) {
    const condition = trigger.condition;
    if (condition?.metric !== metric) continue;
    triggers.push(reportTrigger(trigger, condition, span, baseline, options.rule, values.length === 0));
  }
  return {
    metric,
    unit,
    count: values.length,
    min: aggregate(values, 'Minimum') ?? null,
    avg: aggregate(values, 'Average') ?? null,
    max: aggregate(values, 'Maximum') ?? null,
    p95: percentile(values, 95) ?? null,
    targets: reportTargets(metric, watched, span.samples, baseline),
    triggers,
  };
}

/** A success metric's status, read from its target in its metric's report so that the two never disagree. */
function successMetricStatus(
  m: SuccessMetric,
  metrics: readonly MetricReport[],
): WindowReport['successMetrics'][number] {
  if (!m.condition) return { id: m.id, title: m.title, status: 'not-measured' as const, evidence: 'qualitative' };
  const report = metrics.find((r) => r.metric === m.condition?.metric);
  const target = report?.targets.find((t) => t.source === 'success-metric' && t.id === m.id);
  const met = target?.met ?? null;
  const status = met === null ? ('no-data' as const) : met ? ('met' as const) : ('not-met' as const);
  return { id: m.id, title: m.title, status, evidence: target?.evidence ?? `no samples of ${m.condition.metric}` };
}

/**
 * The report of a window over the samples taken in [from, to]: for each metric seen in the window or named by the
 * window's metric items, the triggers or the success metrics, its count/min/avg/max/p95, its targets (window items and
 * success metrics, judged like {@link evaluateMetricItems}), its triggers with their breaching datapoints; then every
 * success metric met / not met / no data (qualitative ones: not measured); then what its missing data means and how
 * much it calls for a person. `passed`: the window passed at `to` (default false: the figures so far). Output order
 * is deterministic.
 */
export function windowReport(
  template: Template,
  window: MonitoringWindow,
  samples: readonly MetricSample[],
  options: { from: Date; to: Date; baselines?: Baselines; rule?: Partial<EvaluationRule>; passed?: boolean },
): WindowReport {
  const from = options.from.getTime();
  const to = options.to.getTime();
  const inWindow = samples.filter((s) => {
    const t = Date.parse(s.at);
    return t >= from && t <= to;
  });
  const span: Span = { from, to, samples: inWindow };
  const watched = watchedBy(template, window);
  const units = metricUnits(watched, inWindow);
  const metrics = [...units.keys()]
    .sort()
    .map((metric) => metricReport(metric, units.get(metric) ?? 'None', watched, span, options));
  const breachedTriggers = metrics.flatMap((r) => r.triggers.filter((t) => t.breached).map((t) => t.triggerId));
  const missingData = missingDataOf(metrics);
  const unmonitored = isUnmonitored(metrics);
  const passed = options.passed ?? false;
  const missed = metrics.flatMap((r) => r.targets).filter((t) => t.met === false).length;
  const { rollbackPolicy } = window;
  return {
    windowId: window.id,
    from: options.from.toISOString(),
    to: options.to.toISOString(),
    metrics,
    successMetrics: template.successMetrics.map((m) => successMetricStatus(m, metrics)),
    breachedTriggers,
    rollbackPolicy,
    passed,
    missingData,
    unmonitored,
    attention: attentionOf({
      passed,
      rollbackPolicy,
      unmonitored,
      missingData,
      breached: new Set(breachedTriggers).size,
      missed,
    }),
  };
}
