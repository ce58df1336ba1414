// `shipgate report`: the monitoring windows of a release, each with its state and time left, and per metric its
// figures against the window's targets and the rollback triggers' thresholds; missing data and what needs attention.
import { paint, table } from '../output.ts';
import { conditionText, figure, isoDurationText, span, time } from './format.ts';
import type { MetricReport, MonitoringWindow, ReleaseReport, ReleaseView, WindowReport } from './types.ts';

const num = (value: number | null, unit: MetricReport['unit']): string =>
  value === null ? '-' : figure(Math.round(value * 1000) / 1000, unit);

/** Where a window stands: passed, running with its time left, or ended without passing. */
export function windowState(window: WindowReport, view: ReleaseView | undefined, now: Date): string {
  if (window.passed) return paint.green(`passed ${time(window.to)}`);
  const running = view?.wait?.kind === 'window' && view.wait.window === window.windowId ? view.wait : undefined;
  if (running?.kind === 'window') {
    return paint.cyan(
      `running, ${span(Date.parse(running.endsAt) - now.getTime())} left (ends ${time(running.endsAt)})`,
    );
  }
  return paint.red('ended without passing (a rollback)');
}

const ATTENTION: Readonly<Record<WindowReport['attention'], (text: string) => string>> = {
  info: paint.dim,
  warning: paint.yellow,
  critical: paint.red,
};

function metricRows(window: WindowReport): string[][] {
  return window.metrics.map((metric) => {
    const value = metric.count === 0 ? paint.yellow('no data') : num(metric.p95, metric.unit);
    const targets = metric.targets.map((target) => {
      const verdict =
        target.met === null ? paint.yellow('no data') : target.met ? paint.green('met') : paint.red('not met');
      return `${conditionText(target.condition).replace(`${metric.metric} `, '')} ${verdict}`;
    });
    const triggers = metric.triggers.map((trigger) => {
      const threshold =
        trigger.threshold === null
          ? conditionText(trigger.condition).replace(`${metric.metric} `, '')
          : `${trigger.condition.comparison} ${figure(trigger.threshold, trigger.condition.unit)}`;
      const verdict = trigger.breached
        ? paint.red(`BREACHED${trigger.breaches.length ? ` ×${trigger.breaches.length}` : ''}`)
        : paint.green('ok');
      return `${threshold} ${verdict}`;
    });
    return [
      metric.metric,
      String(metric.count),
      value,
      `${num(metric.min, metric.unit)} / ${num(metric.avg, metric.unit)} / ${num(metric.max, metric.unit)}`,
      targets.join(', ') || '-',
      triggers.join(', ') || '-',
    ];
  });
}

/** One window: its header line, the metric table, then missing data, attention and success metrics. */
export function renderWindow(
  window: WindowReport,
  options: { view?: ReleaseView | undefined; now?: Date | undefined } = {},
): string[] {
  const now = options.now ?? new Date();
  const defined: MonitoringWindow | undefined = options.view?.phases
    .flatMap((phase) => phase.windows ?? [])
    .find((w) => w.id === window.windowId);
  const name = defined ? ` ${paint.dim(`(${defined.name}, ${isoDurationText(defined.duration)})`)}` : '';
  const lines = [
    `${paint.bold(`Window ${window.windowId}`)}${name}  ${windowState(window, options.view, now)}`,
    `  ${time(window.from)} → ${time(window.to)} · ${window.rollbackPolicy} rollback · attention ${ATTENTION[window.attention](window.attention)}`,
  ];
  if (window.metrics.length) {
    lines.push(
      ...table(['METRIC', 'SAMPLES', 'P95', 'MIN / AVG / MAX', 'TARGETS', 'TRIGGERS'], metricRows(window))
        .split('\n')
        .map((line) => `  ${line}`),
    );
  }
  for (const missing of window.missingData) {
    const effect = missing.effect === 'info' ? missing.effect : paint.yellow(missing.effect);
    const watchers = [
      ...missing.triggers.map((t) => `trigger ${t.triggerId} (${t.treatMissingData})`),
      ...missing.targets.map((t) => `target ${t.id}`),
    ];
    lines.push(
      `  ${paint.yellow('no data')} for ${missing.metric}: ${effect}${watchers.length ? ` · ${watchers.join(', ')}` : ''}`,
    );
  }
  if (window.unmonitored)
    lines.push(`  ${paint.red('unmonitored')}: no metric a rollback trigger watches got a sample`);
  if (window.breachedTriggers.length) lines.push(`  ${paint.red('breached')}: ${window.breachedTriggers.join(', ')}`);
  for (const metric of window.successMetrics) {
    const status =
      metric.status === 'met'
        ? paint.green(metric.status)
        : metric.status === 'not-met'
          ? paint.red(metric.status)
          : paint.dim(metric.status);
    lines.push(
      `  success metric ${metric.title}: ${status}${metric.evidence ? paint.dim(` (${metric.evidence})`) : ''}`,
    );
  }
  return lines;
}

/** The whole report; `view` (the release) gives each window's name, duration and time left. */
export function renderReleaseReport(
  report: ReleaseReport,
  options: { view?: ReleaseView | undefined; now?: Date | undefined } = {},
): string {
  if (report.windows.length === 0) {
    const windows = options.view?.phases.flatMap((phase) => phase.windows ?? []) ?? [];
    return windows.length
      ? `No monitoring window has started yet (windows: ${windows.map((w) => `${w.id} ${isoDurationText(w.duration)}`).join(', ')}).`
      : 'No monitoring window has started yet.';
  }
  return report.windows.map((window) => renderWindow(window, options).join('\n')).join('\n\n');
}
