// What monitoring windows say: one started and what to watch, one passed and, with its report, how the release did.

import { findPhase } from '../release/items.ts';
import { dataString, look } from './context.ts';
import type { Context, Message } from './draft.ts';
import type { Severity } from './notification.ts';
import { figures, listed, noDataPhrase, problems, reportLines, smsFigures, tally } from './report-messages.ts';
import { bullets, count, humanDuration, oneLine, shortDuration } from './text.ts';

/** `window.started` (with what to watch and how to roll back) or `window.passed` without its figures. */
export function monitoringWindow(ctx: Context, started: boolean): Message {
  const phase = findPhase(ctx.template, dataString(ctx.event, 'phase') ?? '');
  const windowId = dataString(ctx.event, 'window') ?? '';
  const windows = phase?.windows ?? [];
  const index = windows.findIndex((candidate) => candidate.id === windowId);
  const window = windows[index];
  const title = oneLine(window?.name ?? dataString(ctx.event, 'name') ?? windowId);
  if (!started) {
    const next = windows[index + 1];
    return {
      summary: `monitoring window ${windowId} passed`,
      happened: `Monitoring window '${title}' passed with no rollback.`,
      needed: [],
      details: [
        next ? `Next: ${next.name} (${humanDuration(next.duration)}).` : 'That was the last monitoring window.',
      ],
      action: look(ctx),
    };
  }
  const endsAt = dataString(ctx.event, 'endsAt');
  const duration = dataString(ctx.event, 'duration') ?? window?.duration;
  const triggers = ctx.template.rollback.triggers.map((trigger) => oneLine(trigger.title));
  return {
    summary: `monitoring window ${windowId} started`,
    happened:
      `Monitoring window '${title}'${duration ? ` (${humanDuration(duration)})` : ''} has started` +
      `${endsAt ? `; it passes at ${endsAt}` : ''} unless a rollback is triggered first.`,
    needed: [
      "Watch the release's metrics. If a rollback trigger fires, the release manager requests a rollback:",
      `    POST ${ctx.base}${ctx.releasePath}/rollback`,
      '    content-type: application/json',
      `    ${JSON.stringify({ reason: 'which trigger fired, and what you saw' })}`,
      window?.rollbackPolicy === 'automatic'
        ? 'During this window a breach of a rollback trigger rolls the release back at once.'
        : 'During this window a breach asks the release manager to approve a rollback.',
    ],
    details: triggers.length > 0 ? ['Rollback triggers:', ...bullets(triggers)] : [],
    smsDetail: endsAt ? `Ends ${endsAt.replace(/:\d\d(\.\d+)?Z$/, 'Z')}.` : undefined,
    action: { ...look(ctx), label: 'Monitor:' },
  };
}

/**
 * `window.passed`: the window passed with no rollback. With the window's report, the figures, at the severity the
 * report's `attention` decides (docs/metrics.md): a warning when a target was missed, a trigger breached or a trigger's
 * metric had no data while it still passed; critical when an automatic-rollback window passed with no sample for any
 * metric its triggers watch, so its automatic rollback could not have fired. Without a report, only that it passed.
 */
export function windowPassed(ctx: Context): { severity: Severity; message: Message } {
  const plain = monitoringWindow(ctx, false);
  const windowId = dataString(ctx.event, 'window') ?? '';
  const report = ctx.report;
  if (!report || report.windowId !== windowId) return { severity: 'info', message: plain };
  const window = findPhase(ctx.template, dataString(ctx.event, 'phase') ?? '')?.windows?.find(
    (candidate) => candidate.id === windowId,
  );
  const t = tally(report);
  const severity = report.attention;
  const title = oneLine(window?.name ?? dataString(ctx.event, 'name') ?? windowId);
  const length = window ? shortDuration(window.duration) : undefined;
  const smsSummary = smsFigures(t, length ? `${length} window` : `window ${windowId}`);
  const range = `From ${report.from} to ${report.to}, ${figures(t)}.`;
  const details = [...plain.details, '', ...reportLines(ctx, report)];
  const action = { label: 'Report:', method: 'GET', path: `${ctx.releasePath}/report` } as const;
  if (severity === 'critical') {
    return {
      severity,
      message: {
        summary: `window ${windowId} passed with NO DATA for any trigger`,
        smsSummary,
        happened:
          `Monitoring window '${title}' passed with no rollback, but nothing watched it: none of the ` +
          `${count(t.triggerMetrics, 'metric')} its rollback triggers watch received a sample, so its automatic ` +
          `rollback could not have fired. ${range}`,
        needed: unwatched(ctx),
        details,
        action,
      },
    };
  }
  const figured = severity === 'warning' ? problems(t) : [];
  const noData = severity === 'warning' ? noDataPhrase(t) : undefined;
  const all = [...figured, ...(noData ? [noData] : [])];
  // The subject names the figures that went wrong, and no data only when nothing else did: the release's name fits.
  const headline = listed(figured.length > 0 ? figured : all);
  // In an approval window a breach only proposes a rollback: the release manager did not approve it.
  const why =
    window?.rollbackPolicy === 'approval' && t.breached > 0
      ? ' This window asks before rolling back, and no rollback was approved.'
      : '';
  const caveat = all.length > 0 ? ` It passed with ${listed(all)}.${why}` : '';
  return {
    severity,
    message: {
      summary: headline ? `window ${windowId} passed with ${headline}` : plain.summary,
      smsSummary,
      happened: `Monitoring window '${title}' passed with no rollback. ${range}${caveat}`,
      needed: severity === 'warning' ? reviewReport(ctx, t.noDataFor.length > 0 || t.unmonitored) : [],
      details,
      action,
    },
  };
}

/** How to roll back, for a release manager who decides the release should not stay. */
function rollbackCall(ctx: Context, reason: string): string[] {
  return [
    `    POST ${ctx.base}${ctx.releasePath}/rollback`,
    '    content-type: application/json',
    `    ${JSON.stringify({ reason })}`,
  ];
}

/** What a window that passed with problems asks of the release manager, who alone can still roll it back. */
function reviewReport(ctx: Context, noData: boolean): string[] {
  return [
    'Release manager: review the figures below and decide whether the release stays.',
    ...(noData
      ? [
          'Metrics without data were not watched: check why no samples arrived ' +
            `(whatever sends them: POST ${ctx.base}${ctx.releasePath}/metrics).`,
        ]
      : []),
    'To roll it back, send:',
    ...rollbackCall(ctx, 'what the report shows'),
  ];
}

/** What an automatic window that nothing watched asks: a person must judge what the machine could not. */
function unwatched(ctx: Context): string[] {
  return [
    'Release manager and on-call: do not take this window as a pass; Shipgate had no figure to judge the release on.',
    'The next monitoring windows go on as scheduled.',
    '1. Check the release by other means (dashboards, logs, error reports).',
    `2. Find out why no samples arrived (whatever sends them: POST ${ctx.base}${ctx.releasePath}/metrics).`,
    '3. If the release is not healthy, roll it back:',
    ...rollbackCall(ctx, 'monitoring saw no data; checked by hand'),
  ];
}
