// What rollbacks and escalation pages say: the procedure to work, who is paged next, and how it ended.

import { ROLLBACK_CONFIRMER, ROLLBACK_GATE } from '../release/gates.ts';
import { rollbackItems } from '../release/items.ts';
import { walkItems } from '../template/template.ts';
import { dataString, itemLine, look, nameOf } from './context.ts';
import type { Context, Message } from './draft.ts';
import { bullets, oneLine } from './text.ts';

function rollbackSteps(ctx: Context): string[] {
  const leaves = [...rollbackItems(ctx.template)].filter((item) => item.children.length === 0);
  return bullets(
    leaves.map((leaf) => itemLine(ctx, leaf)),
    40,
  );
}

export function rollbackTriggered(ctx: Context): Message {
  const reason = dataString(ctx.event, 'reason');
  const triggerId = dataString(ctx.event, 'trigger');
  const trigger = ctx.template.rollback.triggers.find((candidate) => candidate.id === triggerId);
  return {
    summary: 'rollback triggered',
    happened:
      `${oneLine(ctx.event.actor.name)} requested a rollback of ${nameOf(ctx)}` +
      `${reason ? `: "${oneLine(reason)}"` : '.'}${triggerId ? ` Trigger: ${oneLine(trigger?.title ?? triggerId)}.` : ''}`,
    needed: [
      'Work the rollback procedure in order, recording each step (status "done", or "failed" if it fails):',
      ...rollbackSteps(ctx),
      `    PATCH ${ctx.base}${ctx.releasePath}/items/<itemId>`,
      '    content-type: application/json',
      `    ${JSON.stringify({ status: 'done' })}`,
      'When it is done and service is restored, the release manager confirms:',
      `    POST ${ctx.base}${ctx.releasePath}/signoffs`,
      '    content-type: application/json',
      `    ${JSON.stringify({ gate: ROLLBACK_GATE, role: ROLLBACK_CONFIRMER, decision: 'approve' })}`,
    ],
    details: escalationChain(ctx),
    smsDetail: reason ? `Reason: ${oneLine(reason)}` : undefined,
    action: { ...look(ctx), label: 'Roll back:' },
  };
}

export function rollbackProposed(ctx: Context): Message {
  const reason = dataString(ctx.event, 'reason');
  return {
    summary: 'rollback proposed, approval needed',
    happened: `A rollback trigger fired for ${nameOf(ctx)}${reason ? `: ${oneLine(reason)}` : ''}. This monitoring window asks the release manager before rolling back.`,
    needed: [
      'To roll back now:',
      `    POST ${ctx.base}${ctx.releasePath}/rollback`,
      '    content-type: application/json',
      `    ${JSON.stringify({ reason: reason ?? 'trigger fired' })}`,
      'To keep the release, do nothing: the window goes on, and the proposal stays in the audit trail.',
    ],
    details: [],
    smsDetail: reason ? oneLine(reason) : undefined,
    action: { label: 'Approve:', method: 'POST', path: `${ctx.releasePath}/rollback` },
  };
}

export function escalationPaged(ctx: Context, level: number): Message {
  const cause = dataString(ctx.event, 'cause');
  const why =
    dataString(ctx.event, 'reason') === 'gate-overdue' ? `gate ${cause ?? ''} is overdue` : `rollback: ${cause ?? ''}`;
  return {
    summary: `escalation level ${level}, ${oneLine(why)}`,
    happened:
      `Nobody has acknowledged the alert for ${nameOf(ctx)} yet, so Shipgate pages escalation level ${level}` +
      ` (${oneLine(String(ctx.event.data.label ?? ''))}). Cause: ${oneLine(why)}.`,
    needed: [
      'Acknowledge, so the escalation stops here:',
      `    POST ${ctx.base}${ctx.releasePath}/acknowledge`,
      '    content-type: application/json',
      `    ${JSON.stringify({ note: 'on it' })}`,
    ],
    details: escalationChain(ctx),
    action: { label: 'Ack:', method: 'POST', path: `${ctx.releasePath}/acknowledge` },
  };
}

function escalationChain(ctx: Context): string[] {
  const { levels, intervalMinutes } = ctx.template.escalation;
  if (levels.length === 0) return [];
  return [
    `Escalation, every ${intervalMinutes} minutes without an answer:`,
    ...bullets(levels.map((level) => `${oneLine(level.label)}: ${level.roles.join(', ')}`)),
  ];
}

export function rollbackCompleted(ctx: Context): Message {
  const checks = ctx.template.rollback.validation.flatMap((section) =>
    [...walkItems(section.items)].filter((item) => item.children.length === 0).map((item) => itemLine(ctx, item)),
  );
  return {
    summary: 'rolled back',
    happened: 'The rollback is complete and confirmed by the release manager: the release is ROLLED_BACK.',
    needed: [],
    details: checks.length > 0 ? ['What must hold after the rollback:', ...bullets(checks)] : [],
    action: look(ctx),
  };
}

export function rollbackFailed(ctx: Context): Message {
  const cause = dataString(ctx.event, 'cause');
  return {
    summary: 'rollback failed',
    happened: `The rollback cannot finish${cause ? `: ${oneLine(cause)}` : ''}. The release is ROLLBACK_FAILED.`,
    needed: [
      'Restore service by hand now; Shipgate cannot finish this rollback.',
      'If level 1 cannot restore service, escalate along the chain below.',
    ],
    details: escalationChain(ctx),
    smsDetail: cause ? `Cause: ${oneLine(cause)}` : undefined,
    action: { ...look(ctx), label: 'Act now:' },
  };
}
