// Audit events as timeline lines for `shipgate events` and `shipgate watch`: time, actor, what happened.
import { paint } from '../output.ts';
import { quoted, time } from './format.ts';
import type { AuditEvent } from './types.ts';

type Data = Readonly<Record<string, unknown>>;

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
const withReason = (data: Data, key = 'reason'): string => (text(data[key]) ? `: ${quoted(text(data[key]))}` : '');

const DESCRIBE: Readonly<Record<string, (data: Data) => string>> = {
  'release.created': (d) => `created the release (${text(d.templateId)} v${text(d.templateVersion) || '1'})`,
  'release.completed': () => paint.green('the release is complete'),
  'release.cancelled': (d) => `cancelled the release${withReason(d)}`,
  'workflow.started': (d) => (d.resumed ? 'resumed the workflow' : 'started the workflow'),
  'workflow.resume-requested': () => 'asked for the workflow to resume',
  'workflow.failed': (d) =>
    paint.red(`the workflow failed at ${text(d.state) || '?'}: ${text(d.error)} ${text(d.cause)}`),
  'phase.entered': (d) => `entered phase ${text(d.phase)} (${text(d.status)})`,
  'gate.opened': (d) => {
    const needs = Array.isArray(d.missingSignoffs) && d.missingSignoffs.length ? d.missingSignoffs.join(', ') : '';
    return `opened gate ${text(d.gate)}${needs ? `; sign-offs needed: ${needs}` : ''}`;
  },
  'gate.passed': (d) => paint.green(`passed gate ${text(d.gate)}`),
  'gate.overdue': (d) => paint.yellow(`gate ${text(d.gate)} is overdue (deadline ${text(d.deadline)})`),
  'item.updated': (d) => {
    const evidence = (d.evidence ?? {}) as { url?: unknown; note?: unknown };
    const url = text(evidence.url) ? ` ${text(evidence.url)}` : '';
    const note = text(evidence.note) ? ` ${quoted(text(evidence.note))}` : '';
    return `set ${text(d.itemId)} ${text(d.from)} → ${text(d.to)}${url}${note}${withReason(d)}`;
  },
  'signoff.recorded': (d) => {
    const verdict = d.decision === 'reject' ? paint.red('rejected') : paint.green('approved');
    return `${verdict} gate ${text(d.gate)} as ${text(d.role)}${withReason(d, 'comment')}`;
  },
  'signoff.withdrawn': (d) => `withdrew the sign-off of ${text(d.role)} at gate ${text(d.gate)}`,
  'step.started': (d) => `started deployment step ${text(d.name) || text(d.step)}`,
  'step.completed': (d) => `completed deployment step ${text(d.step)}`,
  'window.started': (d) =>
    `started monitoring window ${text(d.name) || text(d.window)} (${text(d.duration)}, until ${time(text(d.endsAt))})`,
  'window.passed': (d) => paint.green(`monitoring window ${text(d.window)} passed`),
  'rollback.requested': (d) => paint.red(`requested a rollback${withReason(d)}`),
  'rollback.proposed': (d) => paint.yellow(`proposed a rollback (trigger ${text(d.trigger)})${withReason(d)}`),
  'rollback.dismissed': (d) => `dismissed the rollback proposal${withReason(d)}`,
  'rollback.agreed': (d) => `trigger ${text(d.trigger)} agreed with the ${text(d.with)}${withReason(d)}`,
  'rollback.started': (d) => paint.red(`started the rollback${withReason(d)}`),
  'rollback.completed': () => paint.yellow('the rollback is complete'),
  'rollback.failed': (d) => paint.red(`the rollback failed${withReason(d, 'cause')}`),
  'escalation.started': (d) => paint.red(`started escalation (${text(d.reason)}${withReason(d, 'cause')})`),
  'escalation.paged': (d) =>
    paint.red(`paged escalation level ${text(d.level)}${d.label ? ` (${text(d.label)})` : ''}`),
  'escalation.acknowledged': (d) => `acknowledged escalation level ${text(d.level)}${withReason(d, 'note')}`,
  'escalation.exhausted': (d) => paint.red(`escalation exhausted at level ${text(d.level)}: nobody acknowledged`),
  'alarm.received': (d) => `alarm ${text(d.alarm)}${withReason(d)}`,
};

/** What an event says, in words. */
export function eventWhat(event: AuditEvent): string {
  const data = event.data as Data;
  return DESCRIBE[event.type]?.(data) ?? `${event.type} ${JSON.stringify(data)}`;
}

/** `2026-11-21 10:04:05Z  Quinn (QA lead)  set python-test-suite pending → done https://…` */
export function eventLine(event: AuditEvent): string {
  return `${paint.dim(time(event.at))}  ${event.actor.name}  ${eventWhat(event)}`;
}
