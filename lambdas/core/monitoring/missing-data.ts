// What a monitoring window's missing data means: each watched metric that received no sample, judged as its rollback
// triggers' `treatMissingData` says, and how much the window then calls for a person (docs/metrics.md, "Missing data
// in a window"). Missing data is a decision, never a silent pass.
import type { TreatMissingData } from './evaluation.ts';

/**
 * What no sample of a metric in a window means: `breach` (a trigger treats missing data as breaching: it counts as
 * breached), `warning` (a trigger left it `missing`, the default: nobody knows how the metric did, so the trigger
 * could not fire), `info` (every trigger declared the gap harmless with `notBreaching` or `ignore`, or only targets
 * watch the metric: they stay "no data").
 */
export type MissingDataEffect = 'breach' | 'warning' | 'info';

/** How much a window calls for a person; its `window.passed` notification is sent at this severity. */
export type Attention = 'info' | 'warning' | 'critical';

/** A metric that the window's triggers or targets watch and that received no sample in the window. */
export interface MissingData {
  metric: string;
  /** The strictest effect of its triggers (`breach`, `warning`, then `info`); `info` when only targets watch it. */
  effect: MissingDataEffect;
  /** The triggers watching it, each with the treatment it is judged with (the template's, default `missing`). */
  triggers: { triggerId: string; title: string; treatMissingData: TreatMissingData; effect: MissingDataEffect }[];
  /** The targets (window checklist items, success metrics) left without data. */
  targets: { source: 'item' | 'success-metric'; id: string; title: string }[];
}

/** What this module reads of a metric's report (report.ts's MetricReport has it). */
export interface WatchedMetric {
  readonly metric: string;
  readonly count: number;
  readonly triggers: readonly {
    readonly triggerId: string;
    readonly title: string;
    readonly treatMissingData: TreatMissingData;
    readonly threshold: number | null;
  }[];
  readonly targets: readonly {
    readonly source: 'item' | 'success-metric';
    readonly id: string;
    readonly title: string;
  }[];
}

const RANK: Readonly<Record<MissingDataEffect, number>> = { info: 0, warning: 1, breach: 2 };

/**
 * What a window without a sample of a trigger's metric means for that trigger. `breaching` is a breach only when the
 * trigger has a threshold: a baseline-relative trigger without a baseline is never evaluated, so it cannot breach and
 * nobody knows (as in evaluation and its CloudWatch alarm, which it does not get).
 */
export function gapEffect(treatMissingData: TreatMissingData, threshold: number | null): MissingDataEffect {
  if (treatMissingData === 'breaching') return threshold === null ? 'warning' : 'breach';
  return treatMissingData === 'missing' ? 'warning' : 'info';
}

/** The metrics of a report that a trigger or a target watches and that have no sample, in the report's order. */
export function missingDataOf(metrics: readonly WatchedMetric[]): MissingData[] {
  const out: MissingData[] = [];
  for (const m of metrics) {
    if (m.count > 0 || (m.triggers.length === 0 && m.targets.length === 0)) continue;
    const triggers = m.triggers.map(({ triggerId, title, treatMissingData, threshold }) => ({
      triggerId,
      title,
      treatMissingData,
      effect: gapEffect(treatMissingData, threshold),
    }));
    const effect = triggers.reduce<MissingDataEffect>(
      (worst, t) => (RANK[t.effect] > RANK[worst] ? t.effect : worst),
      'info',
    );
    out.push({
      metric: m.metric,
      effect,
      triggers,
      targets: m.targets.map(({ source, id, title }) => ({ source, id, title })),
    });
  }
  return out;
}

/**
 * Whether the window's rollback triggers were blind: at least one metric is watched by a trigger, and none of those
 * metrics received a sample, so no trigger could fire on a figure.
 */
export function isUnmonitored(metrics: readonly WatchedMetric[]): boolean {
  const watched = metrics.filter((m) => m.triggers.length > 0);
  return watched.length > 0 && watched.every((m) => m.count === 0);
}

/** The facts {@link attentionOf} decides on. */
export interface AttentionFacts {
  readonly passed: boolean;
  readonly rollbackPolicy: 'automatic' | 'approval';
  readonly unmonitored: boolean;
  readonly missingData: readonly MissingData[];
  /** Triggers breached (a breaching datapoint, or no data under `breaching`). */
  readonly breached: number;
  /** Targets judged and not met. */
  readonly missed: number;
}

/**
 * How much a window calls for a person:
 * - `critical`: an automatic-rollback window passed with its triggers blind ({@link isUnmonitored}). Its promise,
 *   "a breach rolls back at once", was never kept: Shipgate saw nothing to roll back on. This holds whatever the
 *   triggers' treatments: those say how a gap in one metric counts, not that a whole window may go unwatched.
 * - `warning`: a trigger breached, a target was missed, a trigger's metric had no data under `missing` (or under
 *   `breaching`), or the triggers are blind in an approval window or in a window that has not passed (so far).
 * - `info`: otherwise; a gap declared harmless (`notBreaching`, `ignore`) is listed, not raised.
 */
export function attentionOf(facts: AttentionFacts): Attention {
  if (facts.unmonitored && facts.passed && facts.rollbackPolicy === 'automatic') return 'critical';
  const gap = facts.missingData.some((m) => m.effect !== 'info');
  return facts.unmonitored || gap || facts.breached > 0 || facts.missed > 0 ? 'warning' : 'info';
}
