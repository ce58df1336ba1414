// The monitoring use cases the table's stream drives: a release's new samples go to the metric service (CloudWatch
// in AWS), and the alarms of its rollback triggers exist exactly while it is in post-release monitoring.

import type { MetricAlarms, ReleaseStore } from '../ports.ts';
import type { AuditEventType } from '../release/release.ts';
import type { AlarmSpec, SkippedTrigger } from './alarms.ts';
import { alarmNames, alarmSpecs, cloudWatchSamples } from './alarms.ts';
import type { MetricSample } from './samples.ts';
import { releaseBaselines } from './triggers.ts';

/** The ports and settings of the monitor's use cases. */
export interface MonitoringContext {
  readonly store: ReleaseStore;
  readonly alarms: MetricAlarms;
  /** The stack's alarm name prefix: every alarm Shipgate creates is `<prefix>-<releaseId>-<triggerId>`. */
  readonly alarmPrefix: string;
}

/**
 * The audit events after which a release's alarms may have to change: entering monitoring (its first window
 * starts), or leaving it (the next phase, a rollback, completion, cancellation). Alarms are reconciled with where
 * the release stands when the event is handled, so the order and repetition of events do not matter.
 */
export const ALARM_EVENTS: readonly AuditEventType[] = [
  'window.started',
  'phase.entered',
  'rollback.requested',
  'rollback.started',
  'release.completed',
  'release.cancelled',
  'rollback.completed',
  'rollback.failed',
];

/** What reconciling a release's alarms did. */
export interface AlarmReconciliation {
  readonly releaseId: string;
  /** Whether the release is in post-release monitoring, so its alarms should exist. */
  readonly monitoring: boolean;
  readonly put: readonly AlarmSpec[];
  readonly deleted: readonly string[];
  readonly skipped: readonly SkippedTrigger[];
}

/**
 * Puts a release's new samples to the metric service, each in the unit of the template's condition on its metric.
 * Samples of a release that does not exist are dropped (there is nothing to watch them). Returns how many were put.
 */
export async function forwardSamples(
  ctx: MonitoringContext,
  releaseId: string,
  samples: readonly MetricSample[],
): Promise<number> {
  if (samples.length === 0) return 0;
  const agg = await ctx.store.load(releaseId);
  if (!agg) return 0;
  await ctx.alarms.putSamples(releaseId, cloudWatchSamples(agg.template, samples));
  return samples.length;
}

/**
 * Makes the alarms of a release's rollback triggers match where it stands: while it is MONITORING, one alarm per
 * trigger with a metric condition (thresholds relative to a baseline use the baseline measured before production
 * deployment); otherwise none. Putting an alarm again and deleting a missing one change nothing.
 */
export async function reconcileAlarms(ctx: MonitoringContext, releaseId: string): Promise<AlarmReconciliation> {
  const { store, alarms, alarmPrefix } = ctx;
  const agg = await store.load(releaseId);
  if (!agg) return { releaseId, monitoring: false, put: [], deleted: [], skipped: [] };
  const names = alarmNames(alarmPrefix, agg.release, agg.template);
  const monitoring = agg.release.status === 'MONITORING';
  if (!monitoring) {
    if (names.length > 0) await alarms.deleteAlarms(names);
    return { releaseId, monitoring, put: [], deleted: names, skipped: [] };
  }
  const until = agg.release.productionStartedAt;
  const samples = until ? await store.listSamples(releaseId, { to: until }) : [];
  const baselines = releaseBaselines(agg.template, until, samples);
  const wanted = alarmSpecs(alarmPrefix, agg.release, agg.template, baselines);
  if (wanted.alarms.length > 0) await alarms.putAlarms(wanted.alarms);
  // A trigger skipped now (no baseline) may have had an alarm from an earlier put: it must not outlive its reason.
  const kept = new Set(wanted.alarms.map((alarm) => alarm.name));
  const stale = names.filter((name) => !kept.has(name));
  if (stale.length > 0) await alarms.deleteAlarms(stale);
  return { releaseId, monitoring, put: wanted.alarms, deleted: stale, skipped: wanted.skipped };
}
