// Window reports of a release: when each monitoring window started and passed (read from the audit trail), and the
// report of each window over the samples of its span. Shared by GET /releases/{id}/report and the notification
// sent when a window passes, so both say the same.

import type { ReleaseStore } from '../ports.ts';
import type { ReleaseAggregate } from '../release/release.ts';
import type { WindowReport } from './report.ts';
import { windowReport } from './report.ts';
import { releaseBaselines } from './triggers.ts';

/** When a window started, and when it passed (absent while it runs or when it ended in a rollback). */
export interface WindowSpan {
  readonly startedAt: string;
  readonly passedAt?: string | undefined;
}

/** The span of every window of a release that has started, by window id, from its `window.*` events. */
export async function windowSpans(
  store: Pick<ReleaseStore, 'listEvents'>,
  releaseId: string,
): Promise<Map<string, WindowSpan>> {
  const spans = new Map<string, WindowSpan>();
  let cursor: string | undefined;
  do {
    const page = await store.listEvents(releaseId, { limit: 200, cursor });
    for (const entry of page.items) {
      const windowId = String(entry.data.window);
      const known = spans.get(windowId);
      // The first start is the window's; a window passes once.
      if (entry.type === 'window.started' && !known) spans.set(windowId, { startedAt: entry.at });
      if (entry.type === 'window.passed' && known) spans.set(windowId, { ...known, passedAt: entry.at });
    }
    cursor = page.cursor;
  } while (cursor);
  return spans;
}

/** The span a window is reported over (ISO times), and whether the window passed at its end. */
export interface ReportRange {
  readonly from: string;
  readonly to: string;
  /** The window passed at `to`; absent or false: it runs, or ended in a rollback (the figures so far). */
  readonly passed?: boolean | undefined;
}

/**
 * The reports of the windows given a range, in template order, over the release's samples; baselines come from the
 * samples received before production deployment.
 */
export async function windowReports(
  store: Pick<ReleaseStore, 'listSamples'>,
  agg: Pick<ReleaseAggregate, 'release' | 'template'>,
  ranges: ReadonlyMap<string, ReportRange>,
): Promise<WindowReport[]> {
  const windows = agg.template.phases.flatMap((phase) => phase.windows ?? []).filter((w) => ranges.has(w.id));
  if (windows.length === 0) return [];
  // All the samples, not a range query: the baselines need those before production deployment.
  const samples = await store.listSamples(agg.release.id);
  const baselines = releaseBaselines(agg.template, agg.release.productionStartedAt, samples);
  return windows.flatMap((window) => {
    const range = ranges.get(window.id);
    if (!range) return [];
    const from = new Date(range.from);
    const to = new Date(range.to);
    return [windowReport(agg.template, window, samples, { from, to, baselines, passed: range.passed === true })];
  });
}
