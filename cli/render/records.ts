// The answers of the smaller commands as text: release lists, item changes, sign-offs, metrics, the monitoring
// report, notifications and contacts.
import { paint, table } from '../output.ts';
import { conditionText, count, mark, quoted, time } from './format.ts';
import { gateNeeds, statusText } from './release.ts';
import type {
  Contact,
  ItemView,
  MetricsOutcome,
  NotificationView,
  ReleaseReport,
  ReleaseSummary,
  SignoffOutcome,
} from './types.ts';

export function renderReleaseList(items: readonly ReleaseSummary[]): string {
  if (items.length === 0) return 'No releases.';
  return table(
    ['ID', 'NAME', 'VERSION', 'STATUS', 'PHASE', 'TEMPLATE', 'CREATED'],
    items.map((release) => [
      release.id,
      release.name,
      release.version,
      statusText(release.status),
      release.currentPhase,
      `${release.templateId} v${release.templateVersion ?? 1}`,
      time(release.createdAt),
    ]),
  );
}

/** An item after a change: its marker, id, status and version, and its evidence. */
export function renderItemChange(item: ItemView): string {
  const lines = [
    `${mark(item.status)} ${item.title} ${paint.dim(`[${item.id}]`)}  ${item.status}${item.version !== undefined ? paint.dim(` (version ${item.version})`) : ''}`,
  ];
  if (item.evidence?.url) lines.push(`  evidence ${item.evidence.url}`);
  if (item.evidence?.note) lines.push(`  note ${quoted(item.evidence.note)}`);
  if (item.reason) lines.push(`  reason ${quoted(item.reason)}`);
  return lines.join('\n');
}

/** A sign-off decision, and what its gate still needs. */
export function renderSignoff(outcome: SignoffOutcome): string {
  const { signoff, gate } = outcome;
  const verb =
    signoff.decision === 'approve'
      ? paint.green('Approved')
      : signoff.decision === 'reject'
        ? paint.red('Rejected')
        : 'Withdrew the sign-off of';
  const comment = signoff.comment ? `: ${quoted(signoff.comment)}` : '';
  const lines = [`${verb} gate ${signoff.gate} as ${signoff.role} (${signoff.by.name})${comment}`];
  if (gate.satisfied) lines.push(paint.green(`gate ${gate.gate} is satisfied`));
  else lines.push(`gate ${gate.gate} still needs:`, ...gateNeeds(gate));
  return lines.join('\n');
}

/** What one or more metrics batches did: accepted, evaluated, the breaches and the metric items ticked. */
export function renderMetrics(outcomes: readonly MetricsOutcome[]): string {
  const accepted = outcomes.reduce((sum, outcome) => sum + outcome.accepted, 0);
  const evaluated = outcomes.find((outcome) => outcome.evaluated);
  const batches = outcomes.length > 1 ? ` in ${outcomes.length} requests` : '';
  const lines = [
    `Accepted ${count(accepted, 'sample')}${batches}.`,
    evaluated
      ? `Evaluated in monitoring window ${evaluated.window ?? '?'} (${evaluated.rollbackPolicy ?? '?'} rollback).`
      : 'Not evaluated: no monitoring window is running (samples before production deployment are the baseline).',
  ];
  for (const outcome of outcomes) {
    for (const breach of outcome.breaches) {
      const threshold = breach.threshold === null ? '' : ` (threshold ${breach.threshold})`;
      lines.push(
        paint.red(
          `breach ${breach.trigger}: ${breach.title}: observed ${breach.observed}${threshold}, ${count(breach.datapoints, 'datapoint')}`,
        ),
      );
    }
    for (const item of outcome.items)
      lines.push(`${mark(item.status)} ${item.itemId} ${item.status}: ${item.evidence}`);
    if (outcome.rollback === 'requested') lines.push(paint.red('A rollback was requested.'));
    if (outcome.rollback === 'proposed') lines.push(paint.yellow('A rollback was proposed to the release manager.'));
    if (outcome.rollback === 'already-requested') lines.push('A rollback was already requested.');
  }
  return lines.join('\n');
}

const num = (value: number | null): string => (value === null ? '-' : String(Math.round(value * 1000) / 1000));

/** The monitoring report: per window, each metric's figures against its targets and triggers. */
export function renderReport(report: ReleaseReport): string {
  if (report.windows.length === 0) return 'No monitoring window has started yet.';
  const lines: string[] = [];
  for (const window of report.windows) {
    const verdict = window.passed ? paint.green('passed') : 'running or ended in a rollback';
    const attention = window.attention === 'info' ? '' : ` · attention ${paint.yellow(window.attention)}`;
    lines.push(
      `${paint.bold(`Window ${window.windowId}`)}  ${time(window.from)} → ${time(window.to)}  ${verdict}  ${window.rollbackPolicy} rollback${attention}`,
    );
    if (window.metrics.length) {
      lines.push(
        table(
          ['METRIC', 'UNIT', 'COUNT', 'MIN', 'AVG', 'MAX', 'P95', 'TRIGGERS'],
          window.metrics.map((metric) => [
            metric.metric,
            metric.unit,
            String(metric.count),
            num(metric.min),
            num(metric.avg),
            num(metric.max),
            num(metric.p95),
            metric.triggers.map((t) => `${t.triggerId}${t.breached ? paint.red(' BREACHED') : ''}`).join(', ') || '-',
          ]),
        )
          .split('\n')
          .map((line) => `  ${line}`)
          .join('\n'),
      );
      for (const metric of window.metrics) {
        for (const target of metric.targets) {
          const met = target.met === null ? 'no data' : target.met ? paint.green('met') : paint.red('not met');
          lines.push(`  target ${target.id}: ${conditionText(target.condition)}: ${met}`);
        }
      }
    }
    for (const missing of window.missingData) {
      lines.push(`  ${paint.yellow('no data')} for ${missing.metric} (${missing.effect})`);
    }
    if (window.unmonitored) lines.push(paint.yellow('  no rollback trigger received a sample'));
    for (const metric of window.successMetrics) lines.push(`  success metric ${metric.title}: ${metric.status}`);
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

export function renderNotifications(items: readonly NotificationView[]): string {
  if (items.length === 0) return 'No notifications.';
  return table(
    ['CREATED', 'TYPE', 'SEVERITY', 'ROLES', 'DELIVERY', 'SUBJECT'],
    items.map((n) => [
      time(n.createdAt),
      n.type,
      n.severity === 'critical' ? paint.red(n.severity) : n.severity,
      n.roles.join(', ') || (n.escalationLevel ? `level ${n.escalationLevel}` : '-'),
      n.delivery.state === 'failed'
        ? paint.red(`failed ×${n.delivery.attempts}${n.delivery.lastError ? `: ${n.delivery.lastError}` : ''}`)
        : n.delivery.state,
      n.subject,
    ]),
  );
}

export function renderContacts(items: readonly Contact[]): string {
  if (items.length === 0) return 'No contacts.';
  return table(
    ['ID', 'NAME', 'ROLES', 'LEVEL', 'EVENTS', 'SUBSCRIPTIONS'],
    items.map((c) => [
      c.id,
      c.name,
      c.roles.join(', '),
      c.escalationLevel === undefined ? '-' : String(c.escalationLevel),
      c.events?.join(', ') ?? 'all',
      c.subscriptions.map((s) => `${s.protocol} ${s.endpoint} (${s.state})`).join('; ') || '-',
    ]),
  );
}

export function renderContact(contact: Contact, verb: string): string {
  return [
    `${verb} contact ${contact.id}: ${contact.name} (${contact.roles.join(', ')})`,
    ...contact.subscriptions.map((s) => `  ${s.protocol} ${s.endpoint}: ${s.state}`),
  ].join('\n');
}
