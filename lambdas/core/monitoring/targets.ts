// Targets (conditions stating the good side, "< 200 ms") judged on all samples of a span, for items and success metrics.
import type { MetricCondition, MetricUnit, TemplateItem } from '../template/template.ts';
import { walkItems } from '../template/template.ts';
import type { Statistic } from './evaluation.ts';
import { aggregate, compare, defaultStatistic, effectiveThreshold } from './evaluation.ts';
import type { MetricSample, Timed } from './samples.ts';
import { formatNumber, pointsOf } from './samples.ts';
import type { Baselines } from './triggers.ts';

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
export function judgeTarget(
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
