// What monitoring windows say: one started and what to watch, one passed and, with its report, how the release did.

import { findPhase } from '../release/items.ts';
import { dataString, look } from './context.ts';
import type { Context, Message } from './draft.ts';
import type { Severity } from './notification.ts';
import { figures, problems, reportLines, smsFigures, tally } from './report-messages.ts';
import { bullets, humanDuration, oneLine, shortDuration } from './text.ts';

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
 * `window.passed`: the window passed with no rollback. With the window's report, the figures: a warning when a target
 * was missed or a trigger breached while it still passed; without one, only that it passed.
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
  const warning = t.missed > 0 || t.breached > 0;
  const title = oneLine(window?.name ?? dataString(ctx.event, 'name') ?? windowId);
  const length = window ? shortDuration(window.duration) : undefined;
  const wrong = problems(t).join(' and ');
  // In an approval window a breach only proposes a rollback: the release manager did not approve it.
  const why =
    window?.rollbackPolicy === 'approval' ? ': this window asks before rolling back, and no rollback was approved' : '';
  const caveat = warning ? ` It passed with ${wrong}${why}.` : '';
  return {
    severity: warning ? 'warning' : 'info',
    message: {
      summary: warning ? `window ${windowId} passed with ${wrong}` : plain.summary,
      smsSummary: smsFigures(t, length ? `${length} window` : `window ${windowId}`),
      happened:
        `Monitoring window '${title}' passed with no rollback. ` +
        `From ${report.from} to ${report.to}, ${figures(t)}.${caveat}`,
      needed: warning ? reviewReport(ctx) : [],
      details: [...plain.details, '', ...reportLines(ctx, report)],
      action: { label: 'Report:', method: 'GET', path: `${ctx.releasePath}/report` },
    },
  };
}

/** What a window that passed with problems asks of the release manager, who alone can still roll it back. */
function reviewReport(ctx: Context): string[] {
  return [
    'Release manager: review the figures below and decide whether the release stays.',
    'To roll it back, send:',
    `    POST ${ctx.base}${ctx.releasePath}/rollback`,
    '    content-type: application/json',
    `    ${JSON.stringify({ reason: 'what the report shows' })}`,
  ];
}
