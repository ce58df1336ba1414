// A monitoring window's report in words: the counts its SMS and subject give, and the figures its email lists.

import type { MissingData } from '../monitoring/missing-data.ts';
import type { MetricReport, ReportTrigger, WindowReport } from '../monitoring/report.ts';
import { formatNumber } from '../monitoring/samples.ts';
import type { MetricUnit } from '../template/template.ts';
import type { Context } from './draft.ts';
import { bullets, count, oneLine } from './text.ts';

/** What a window's report adds up to: the counts its SMS, subject and opening give. */
export interface Tally {
  /** Metrics with at least one sample in the window, of all the report names. */
  readonly measured: number;
  readonly metrics: number;
  /** Targets (window items and success metrics) met, missed, and without data. */
  readonly met: number;
  readonly missed: number;
  readonly noData: number;
  /** Rollback triggers breached in the window (a breaching datapoint, or no data treated as breaching). */
  readonly breached: number;
  /** Metrics without a sample whose gap is not declared harmless: "no data for X" (docs/metrics.md). */
  readonly noDataFor: readonly string[];
  /** No metric a rollback trigger watches had a sample (`report.unmonitored`). */
  readonly unmonitored: boolean;
  /** Metrics a rollback trigger watches. */
  readonly triggerMetrics: number;
}

export function tally(report: WindowReport): Tally {
  const targets = report.metrics.flatMap((metric) => metric.targets);
  return {
    measured: report.metrics.filter((metric) => metric.count > 0).length,
    metrics: report.metrics.length,
    met: targets.filter((target) => target.met === true).length,
    missed: targets.filter((target) => target.met === false).length,
    noData: targets.filter((target) => target.met === null).length,
    breached: new Set(report.breachedTriggers).size,
    noDataFor: report.missingData.filter((gap) => gap.effect !== 'info').map((gap) => gap.metric),
    unmonitored: report.unmonitored,
    triggerMetrics: report.metrics.filter((metric) => metric.triggers.length > 0).length,
  };
}

/** Targets judged: those with data, so met or missed. */
const judged = (t: Tally): number => t.met + t.missed;

/** The tally in a sentence's words: "3 of 4 metrics had samples, 0 rollback triggers breached, 2 of 3 targets…". */
export function figures(t: Tally): string {
  const targets = judged(t) > 0 ? `${t.met} of ${count(judged(t), 'target')} with data met` : 'no target had data';
  return (
    `${t.measured} of ${count(t.metrics, 'metric')} had samples, ` +
    `${count(t.breached, 'rollback trigger')} breached, ${targets}`
  );
}

/**
 * "no data for any trigger" when the triggers were blind, else "no data for api.error_rate" or "no data for 3
 * metrics"; undefined when every gap is declared harmless.
 */
export function noDataPhrase(t: Tally): string | undefined {
  if (t.unmonitored) return 'no data for any trigger';
  const [only] = t.noDataFor;
  if (only === undefined) return undefined;
  return t.noDataFor.length === 1
    ? `no data for ${oneLine(only)}`
    : `no data for ${count(t.noDataFor.length, 'metric')}`;
}

/** What went wrong in a window that still passed ("1 target missed", "2 triggers breached"); empty when nothing. */
export function problems(t: Tally): string[] {
  return [
    ...(t.missed > 0 ? [`${count(t.missed, 'target')} missed`] : []),
    ...(t.breached > 0 ? [`${count(t.breached, 'trigger')} breached`] : []),
  ];
}

/** Phrases as a list in a sentence: "a", "a and b", "a, b and c". */
export function listed(phrases: readonly string[]): string {
  return phrases.length <= 1 ? (phrases[0] ?? '') : `${phrases.slice(0, -1).join(', ')} and ${phrases.at(-1)}`;
}

/**
 * The tally for an SMS: "2h window passed: 4 metrics, 0 breaches, targets 3/4 met", then "2 without data" when
 * metrics had no data that matters; a window whose triggers were blind says "NO DATA for any trigger" instead of
 * the targets. `what` names the window.
 */
export function smsFigures(t: Tally, what: string): string {
  // Counted, not named: a metric's name could push the release's name out of the SMS.
  const noData = t.noDataFor.length > 0 ? `${t.noDataFor.length} without data` : undefined;
  return [
    `${what} passed: ${count(t.measured, 'metric')}`,
    count(t.breached, 'breach', 'breaches'),
    // Blind triggers say so in capitals, in the place of the targets: the one thing the reader must take from it.
    ...(t.unmonitored
      ? ['NO DATA for any trigger']
      : [judged(t) > 0 ? `targets ${t.met}/${judged(t)} met` : 'no target measured', ...(noData ? [noData] : [])]),
  ].join(', ');
}

/** What a gap means for one trigger watching the metric. */
function gapVerdict(trigger: MissingData['triggers'][number]): string {
  const how = `treatMissingData ${trigger.treatMissingData}`;
  if (trigger.effect === 'breach') return `BREACHED, no data counts as breaching (${how})`;
  if (trigger.treatMissingData === 'notBreaching') return `not breaching, as the template says (${how})`;
  if (trigger.treatMissingData === 'ignore') return `ignored, as the template says (${how})`;
  if (trigger.treatMissingData === 'breaching') return `could not fire, no baseline to judge on (${how})`;
  return `could not fire, no sample to judge (${how})`;
}

/**
 * The metrics without data, one line each: what each gap means for every trigger watching the metric and how many
 * targets it leaves unjudged. Nothing when every watched metric had a sample.
 */
export function missingDataLines(report: WindowReport): string[] {
  if (report.missingData.length === 0) return [];
  const lines = report.missingData.map((gap) => {
    const triggers = gap.triggers.map((trigger) => `trigger ${oneLine(trigger.title)}: ${gapVerdict(trigger)}`);
    const targets = gap.targets.length > 0 ? [`${count(gap.targets.length, 'target')} not judged`] : [];
    const label = gap.effect === 'info' ? 'no data' : gap.effect === 'breach' ? 'NO DATA, breach' : 'NO DATA';
    return `${label} for ${oneLine(gap.metric)}: ${[...triggers, ...targets].join('; ')}`;
  });
  return [
    `Metrics without a sample in the window (${count(report.missingData.length, 'metric')}); each trigger's ` +
      'treatMissingData says what that means:',
    ...bullets(lines, REPORT_MAX_LINES),
  ];
}

/** The most metrics, and success metrics, an email lists one by one (a metric name is whatever a sample said). */
const REPORT_MAX_LINES = 30;

const SUCCESS_STATUS = {
  met: 'met',
  'not-met': 'NOT MET',
  'no-data': 'no data',
  'not-measured': 'not measured',
} as const;

/**
 * A window's report as lines of an email: the metrics without data, if any; per metric its figures, targets and
 * triggers; then the success metrics.
 */
export function reportLines(ctx: Context, report: WindowReport): string[] {
  const gaps = missingDataLines(report);
  const lines = [
    ...(gaps.length > 0 ? [...gaps, ''] : []),
    `How the release did from ${report.from} to ${report.to}, per metric (count / min / avg / max / p95):`,
  ];
  for (const metric of report.metrics.slice(0, REPORT_MAX_LINES)) lines.push(...metricLines(metric));
  if (report.metrics.length > REPORT_MAX_LINES) {
    lines.push(`  - … and ${count(report.metrics.length - REPORT_MAX_LINES, 'more metric')} in the full report`);
  }
  if (report.metrics.length === 0) lines.push('  - no metric is named or was sent');
  lines.push(...successLines(report.successMetrics));
  lines.push('', `Full report: GET ${ctx.base}${ctx.releasePath}/report`);
  return lines;
}

/** The success metrics of a report, counted by state then one by one; nothing when the template names none. */
function successLines(success: WindowReport['successMetrics']): string[] {
  if (success.length === 0) return [];
  const tallies = (['met', 'not-met', 'no-data', 'not-measured'] as const)
    .map((state) => [SUCCESS_STATUS[state], success.filter((metric) => metric.status === state).length] as const)
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${n} ${label}`);
  return [
    '',
    `Success metrics: ${tallies.join(', ')}.`,
    ...bullets(
      success.map(
        (metric) =>
          `${SUCCESS_STATUS[metric.status]}: ${oneLine(metric.title)}` +
          `${metric.status === 'not-measured' ? '' : `; ${oneLine(metric.evidence)}`}`,
      ),
      REPORT_MAX_LINES,
    ),
  ];
}

function metricLines(metric: MetricReport): string[] {
  const value = (figure: number | null) => (figure === null ? '-' : withUnit(figure, metric.unit));
  const figures =
    metric.count === 0
      ? 'no samples'
      : `${count(metric.count, 'sample')}, min ${value(metric.min)}, avg ${value(metric.avg)}, ` +
        `max ${value(metric.max)}, p95 ${value(metric.p95)}`;
  const verdict = (met: boolean | null) => (met === null ? 'no data' : met ? 'met' : 'NOT MET');
  return [
    `  - ${oneLine(metric.metric)}: ${figures}`,
    ...metric.targets.map(
      (target) =>
        `      target ${oneLine(target.title)}` +
        ` (${target.source === 'item' ? 'checklist item' : 'success metric'}): ` +
        `${verdict(target.met)}; ${oneLine(target.evidence)}`,
    ),
    ...metric.triggers.map(
      (trigger) =>
        `      trigger ${oneLine(trigger.title)} (${limit(trigger)}): ${triggerVerdict(trigger, metric.count === 0)}`,
    ),
  ];
}

function triggerVerdict(trigger: ReportTrigger, noData: boolean): string {
  if (noData) {
    const how = `no data (treatMissingData ${trigger.treatMissingData})`;
    if (trigger.breached) return `BREACHED, ${how}`;
    return trigger.threshold === null ? `${how}, no baseline` : how;
  }
  if (trigger.threshold === null) return 'not evaluated, no baseline';
  if (trigger.breaches.length === 0) return 'not breached';
  const values = trigger.breaches.map((breach) => breach.value);
  // The worst datapoint is the furthest on the bad side the condition states.
  const bad = trigger.condition.comparison.startsWith('>');
  const worst = bad ? Math.max(...values) : Math.min(...values);
  return (
    `BREACHED, ${count(trigger.breaches.length, 'breaching datapoint')} ` +
    `(worst ${withUnit(worst, trigger.condition.unit)}, first in the period from ${trigger.breaches[0]?.periodStart})`
  );
}

/** A trigger's limit: "> 500 ms", or "> 2x baseline (1024)" for a baseline-relative one. */
function limit(trigger: ReportTrigger): string {
  const { condition, threshold } = trigger;
  const { comparison } = condition;
  if (!condition.relativeToBaseline) return `${comparison} ${withUnit(condition.threshold, condition.unit)}`;
  const effective = threshold === null ? '' : ` = ${formatNumber(threshold)}`;
  return `${comparison} ${formatNumber(condition.threshold)}x baseline${effective}`;
}

const UNIT_SUFFIX: Readonly<Record<MetricUnit, string>> = {
  Milliseconds: ' ms',
  Seconds: ' s',
  Percent: ' %',
  Count: '',
  None: '',
};

const withUnit = (value: number, unit: MetricUnit): string => `${formatNumber(value)}${UNIT_SUFFIX[unit]}`;
