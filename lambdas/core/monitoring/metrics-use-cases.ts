// The use cases of metric samples: taking them (CI, a monitoring agent), judging them during a monitoring window
// against the rollback triggers and the window's metric-backed items, and the report of each window.
import type { Actor } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import type { ReleaseContext } from '../release/context.ts';
import { SYSTEM } from '../release/context.ts';
import { decideItemUpdate } from '../release/items.ts';
import type { ReleaseAggregate } from '../release/release.ts';
import { assertOpen } from '../release/status.ts';
import type { WindowReport } from './report.ts';
import { currentWindow, proposeRollback, rollBack } from './rollback-use-cases.ts';
import type { MetricSample } from './samples.ts';
import { formatNumber } from './samples.ts';
import type { MetricItemResult } from './targets.ts';
import { evaluateMetricItems } from './targets.ts';
import { breaches, releaseBaselines } from './triggers.ts';
import { windowReports, windowSpans } from './window-reports.ts';

/** A sample as a caller sends it: its time defaults to when it is received. */
export type SampleInput = Omit<MetricSample, 'at'> & { at?: string | undefined };

/** One trigger a request's samples breached. */
export interface BreachSummary {
  readonly trigger: string;
  readonly title: string;
  readonly observed: number | undefined;
  readonly threshold: number | null;
  readonly datapoints: number;
}

/** What POST /metrics answers: whether the samples were evaluated, what breached, and what that did. */
export interface MetricsOutcome {
  readonly accepted: number;
  /** False outside a monitoring window: the samples are kept (a baseline before deployment) but judge nothing. */
  readonly evaluated: boolean;
  readonly window?: string | undefined;
  readonly rollbackPolicy?: 'automatic' | 'approval' | undefined;
  /** What the breaches did: a rollback requested now, one already requested (by an alarm), or one proposed. */
  readonly rollback?: 'requested' | 'already-requested' | 'proposed' | undefined;
  readonly breaches: readonly BreachSummary[];
  readonly items: readonly MetricItemResult[];
}

type Window = NonNullable<ReturnType<typeof currentWindow>>;

/** Ticks a metric-backed item from the figures, unless it already says the same. */
async function tickMetricItem(
  ctx: ReleaseContext,
  releaseId: string,
  itemId: string,
  status: 'done' | 'failed',
  evidence: string,
): Promise<void> {
  await ctx.retrying(async () => {
    const agg = await ctx.load(releaseId);
    const at = ctx.now();
    const current = agg.items.get(itemId);
    if (current?.status === status && current.evidence?.note === evidence) return;
    const update = { status, evidence: { note: evidence }, reason: status === 'failed' ? evidence : undefined };
    const { previous, next } = decideItemUpdate(agg, itemId, update, SYSTEM, at);
    await ctx.store.saveItem(
      releaseId,
      next,
      previous.version,
      ctx.event(releaseId, 'item.updated', SYSTEM, at, {
        itemId,
        from: previous.status,
        to: next.status,
        version: next.version,
        evidence: { note: evidence },
      }),
    );
  });
}

/** Judges the window's samples: the triggers they breach and the window's metric-backed items, ticked. */
async function judgeWindow(ctx: ReleaseContext, agg: ReleaseAggregate, window: Window, since: string) {
  const releaseId = agg.release.id;
  const all = await ctx.store.listSamples(releaseId);
  const baselines = releaseBaselines(agg.template, agg.release.productionStartedAt, all);
  const inWindow = all.filter((sample) => sample.at >= since);
  const now = ctx.clock.now();
  const found = breaches(agg.template, inWindow, { now, baselines, timeScale: ctx.timeScale });
  const section = agg.template.phases
    .flatMap((phase) => phase.sections)
    .find((candidate) => candidate.id === window.sectionId);
  const judged = evaluateMetricItems(section?.items ?? [], inWindow, { now, from: new Date(since), baselines });
  for (const result of judged) {
    if (result.status === 'pending') continue;
    await tickMetricItem(ctx, releaseId, result.itemId, result.status, result.evidence).catch((error: unknown) =>
      ctx.reportWorkflowError(error, { releaseId, during: 'metric item' }),
    );
  }
  return { found, judged };
}

/**
 * Takes metric samples (CI, a monitoring agent), then, while a monitoring window runs, evaluates the template's
 * rollback triggers and the window's metric-backed items on them. A trigger in ALARM rolls the release back at once,
 * or proposes the rollback to the release manager, as the window's policy says; items are ticked done or failed with
 * the figures as evidence.
 */
export async function recordMetrics(
  ctx: ReleaseContext,
  actor: Actor,
  releaseId: string,
  input: readonly SampleInput[],
): Promise<MetricsOutcome> {
  authorize(actor, { kind: 'push-metrics' });
  const agg = await ctx.load(releaseId);
  assertOpen(agg.release);
  const at = ctx.now();
  const samples: MetricSample[] = input.map((sample) => ({ ...sample, at: sample.at ?? at }));
  // The batch is one transaction: it lands whole or not at all. It loses only to a concurrent write of the same
  // samples (a client retrying), and writing them again is harmless.
  await ctx.retrying(() => ctx.store.saveSamples(releaseId, samples));
  const wait = agg.release.wait;
  const window = currentWindow(agg);
  if (wait?.kind !== 'window' || !window) {
    return { accepted: samples.length, evaluated: false, breaches: [], items: [] };
  }
  const { found, judged } = await judgeWindow(ctx, agg, window, wait.since);
  const summary: BreachSummary[] = found.map(({ trigger, result }) => ({
    trigger: trigger.id,
    title: trigger.title,
    observed: result.observed,
    threshold: result.threshold,
    datapoints: result.datapoints.filter((point) => point.breaching).length,
  }));
  let rollback: MetricsOutcome['rollback'];
  const first = found[0];
  if (first) {
    const reason =
      `${first.trigger.title}: observed ${formatNumber(first.result.observed ?? Number.NaN)}` +
      ` (threshold ${formatNumber(first.result.threshold ?? Number.NaN)}) during ${window.name}`;
    if (window.rollbackPolicy === 'automatic') {
      const { already } = await rollBack(ctx, SYSTEM, releaseId, reason, first.trigger.id, { triggered: true });
      rollback = already ? 'already-requested' : 'requested';
    } else {
      await proposeRollback(ctx, releaseId, reason, first.trigger.id, summary);
      rollback = 'proposed';
    }
  }
  const { rollbackPolicy } = window;
  return {
    accepted: samples.length,
    evaluated: true,
    window: window.id,
    rollbackPolicy,
    rollback,
    breaches: summary,
    items: judged,
  };
}

/** How the release did in each monitoring window so far: figures per metric against targets and triggers. */
export async function report(
  ctx: ReleaseContext,
  actor: Actor,
  releaseId: string,
): Promise<{ releaseId: string; windows: WindowReport[] }> {
  authorize(actor, { kind: 'read' });
  const agg = await ctx.load(releaseId);
  const spans = await windowSpans(ctx.store, releaseId);
  const ranges = new Map(
    [...spans].map(([id, span]) => [
      id,
      { from: span.startedAt, to: span.passedAt ?? ctx.now(), passed: span.passedAt !== undefined },
    ]),
  );
  return { releaseId, windows: await windowReports(ctx.store, agg, ranges) };
}
