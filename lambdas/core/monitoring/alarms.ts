// CloudWatch alarms for a release's rollback triggers: the alarms Shipgate keeps while a release is in a post-release
// monitoring window, and the samples as CloudWatch datapoints. Pure: the same release, template and baselines give
// the same alarms under the same names, so putting them again is a no-op and deleting them needs no bookkeeping.

import type { Release } from '../release/release.ts';
import type { Comparison, MetricCondition, MetricUnit, Template } from '../template/template.ts';
import { walkItems } from '../template/template.ts';
import type { Statistic, TreatMissingData } from './evaluation.ts';
import { effectiveThreshold, ruleFor } from './evaluation.ts';
import type { MetricSample } from './samples.ts';
import { convertValue, formatNumber } from './samples.ts';
import type { Baselines } from './triggers.ts';

/** The CloudWatch namespace of the samples Shipgate receives. */
export const METRIC_NAMESPACE = 'Shipgate';
/** The dimension that names the release of a datapoint, and of the alarms Shipgate creates. */
export const RELEASE_DIMENSION = 'ReleaseId';
/** CloudWatch: an alarm name is at most 255 characters, a description at most 1024. */
const NAME_MAX = 255;
const DESCRIPTION_MAX = 1024;

/** One alarm for one rollback trigger of one release, in CloudWatch's terms (see docs/metrics.md). */
export interface AlarmSpec {
  /** `<prefix>-<releaseId>-<triggerId>` (see {@link alarmName}). */
  readonly name: string;
  readonly description: string;
  readonly releaseId: string;
  readonly triggerId: string;
  /** The metric name in {@link METRIC_NAMESPACE}, with the dimension {@link RELEASE_DIMENSION} = releaseId. */
  readonly metric: string;
  readonly statistic: Statistic;
  /** The datapoints' unit; absent for a baseline-relative trigger (its datapoints are compared as sent). */
  readonly unit?: MetricUnit | undefined;
  readonly comparison: Comparison;
  /** The effective threshold: the condition's, or its multiple of the baseline. */
  readonly threshold: number;
  /** Seconds. */
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
}

/** A trigger that gets no alarm, and why. */
export interface SkippedTrigger {
  readonly triggerId: string;
  readonly reason: string;
}

/** FNV-1a, 32 bits, as 8 hex digits: a short, stable stand-in for a part of a name that does not fit. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The name of the alarm of a release's trigger: `<prefix>-<releaseId>-<triggerId>`. `prefix` is the stack's (the
 * function's grant covers `<prefix>-*` alone). A name over 255 characters keeps its start and ends with a hash of
 * the whole, so it stays unique and stable.
 */
export function alarmName(prefix: string, releaseId: string, triggerId: string): string {
  const full = `${prefix}-${releaseId}-${triggerId}`;
  if (full.length <= NAME_MAX) return full;
  const hash = shortHash(full);
  return `${full.slice(0, NAME_MAX - hash.length - 1)}-${hash}`;
}

/** Every rollback trigger of the template that has a metric condition. */
function metricTriggers(template: Template) {
  return template.rollback.triggers.flatMap((trigger) =>
    trigger.condition ? [{ trigger, condition: trigger.condition }] : [],
  );
}

/** The names of every alarm Shipgate may have created for a release: what is deleted when monitoring ends. */
export function alarmNames(prefix: string, release: Pick<Release, 'id'>, template: Template): string[] {
  return metricTriggers(template).map(({ trigger }) => alarmName(prefix, release.id, trigger.id));
}

const unitLabel = (unit: MetricUnit | undefined): string =>
  unit === 'Milliseconds' ? ' ms' : unit === 'Seconds' ? ' s' : unit === 'Percent' ? ' %' : '';

/**
 * The alarms of a release in monitoring: one per rollback trigger with a metric condition, evaluated as Shipgate's
 * own evaluation does (period 60 s, M of N from "sustained", the statistic of the metric's name, missing data as
 * the condition's `treatMissingData`, default `missing`). A baseline-relative trigger whose metric has no baseline
 * gets no alarm (it never fires on a guess, as in core evaluation) and is listed in `skipped`.
 */
export function alarmSpecs(
  prefix: string,
  release: Pick<Release, 'id' | 'name' | 'version'>,
  template: Template,
  baselines: Baselines,
): { alarms: AlarmSpec[]; skipped: SkippedTrigger[] } {
  const alarms: AlarmSpec[] = [];
  const skipped: SkippedTrigger[] = [];
  for (const { trigger, condition } of metricTriggers(template)) {
    const baseline = baselines[condition.metric];
    const threshold = effectiveThreshold(condition, baseline);
    if (threshold === null) {
      skipped.push({
        triggerId: trigger.id,
        reason: `no baseline of ${condition.metric} was measured before production deployment`,
      });
      continue;
    }
    const rule = ruleFor(condition);
    const unit = condition.relativeToBaseline ? undefined : condition.unit;
    const relative = condition.relativeToBaseline
      ? ` (${formatNumber(condition.threshold)}x the baseline ${formatNumber(baseline ?? Number.NaN)})`
      : '';
    const description =
      `Shipgate rollback trigger "${trigger.title}" of release ${release.name} ${release.version} (${release.id}): ` +
      `${rule.statistic} of ${condition.metric} ${condition.comparison} ${formatNumber(threshold)}${unitLabel(unit)}` +
      `${relative}, ${rule.datapointsToAlarm} of ${rule.evaluationPeriods} periods of ${rule.period} s. ` +
      'Created when the release entered post-release monitoring; deleted when monitoring ends.';
    alarms.push({
      name: alarmName(prefix, release.id, trigger.id),
      description: description.slice(0, DESCRIPTION_MAX),
      releaseId: release.id,
      triggerId: trigger.id,
      metric: condition.metric,
      statistic: rule.statistic,
      unit,
      comparison: condition.comparison,
      threshold,
      period: rule.period,
      evaluationPeriods: rule.evaluationPeriods,
      datapointsToAlarm: rule.datapointsToAlarm,
      treatMissingData: rule.treatMissingData,
    });
  }
  return { alarms, skipped };
}

/** Every metric condition of a template: triggers, success metrics, metric items (in that order). */
function conditions(template: Template): MetricCondition[] {
  const out: MetricCondition[] = [];
  for (const trigger of template.rollback.triggers) if (trigger.condition) out.push(trigger.condition);
  for (const metric of template.successMetrics) if (metric.condition) out.push(metric.condition);
  for (const phase of template.phases) {
    for (const section of phase.sections) {
      for (const item of walkItems(section.items)) if (item.metric) out.push(item.metric);
    }
  }
  return out;
}

/**
 * The samples as CloudWatch datapoints: each in the unit of the first absolute condition of the template on its
 * metric (0.6 Seconds of `api.latency.p95` becomes 600 Milliseconds), so an alarm with that unit sees every one of
 * them. A sample of a metric no condition names, or whose unit does not convert, is kept as sent.
 */
export function cloudWatchSamples(template: Template, samples: readonly MetricSample[]): MetricSample[] {
  const unitOf = new Map<string, MetricUnit>();
  for (const condition of conditions(template)) {
    if (!condition.relativeToBaseline && !unitOf.has(condition.metric)) unitOf.set(condition.metric, condition.unit);
  }
  return samples.map((sample) => {
    const unit = unitOf.get(sample.name);
    if (!unit) return sample;
    const value = convertValue(sample.value, sample.unit, unit);
    return value === undefined ? sample : { ...sample, value, unit };
  });
}
