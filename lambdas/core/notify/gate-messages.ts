// What the gate events say: a sign-off is needed, was given or refused, or a gate is overdue.

import type { GateStatus } from '../release/gates.ts';
import type { Gate, Phase, SignoffRequirement } from '../template/template.ts';
import { dataString, look } from './context.ts';
import type { Context, Message } from './draft.ts';
import { bullets, count, humanDuration, oneLine } from './text.ts';

/** The exact API call that signs a gate, as lines of an email; `role` may be a placeholder such as `<your role>`. */
function signoffCall(ctx: Context, gate: string, role: string): string[] {
  const body = JSON.stringify({ gate, role, decision: 'approve', comment: 'what you checked' });
  return [
    `With a token of a person holding the role ${role} (authorization: Bearer <token>), send:`,
    `    POST ${ctx.base}${ctx.releasePath}/signoffs`,
    '    content-type: application/json',
    `    ${body}`,
    'To reject, send "decision": "reject" with a comment that says what is missing: a rejection blocks the gate ' +
      'until it is lifted.',
  ];
}

export function signoffRequested(
  ctx: Context,
  phase: Phase,
  gate: Gate,
  requirement: SignoffRequirement,
  status: GateStatus | undefined,
): Message {
  const criteria = requirement.criteria.map((criterion) => oneLine(criterion.text));
  const others = (status?.missingSignoffs ?? []).filter((role) => role !== requirement.role);
  return {
    summary: `sign-off needed from ${requirement.role} at ${gate.id}`,
    happened:
      `Gate '${gate.name}' (${gate.id}) of phase '${phase.name}' is open and needs the sign-off of ` +
      `${oneLine(requirement.label)} (${requirement.role}).`,
    needed: [
      `Check what your sign-off attests, then approve or reject gate '${gate.id}' as ${requirement.role}.`,
      ...(criteria.length > 0
        ? ['Your sign-off attests:', ...bullets(criteria, 20)]
        : ["The template names no criteria for this sign-off: it attests the phase's checklist."]),
      ...signoffCall(ctx, gate.id, requirement.role),
    ],
    details: gateDetails(status, others),
    action: { label: 'Sign off:', method: 'POST', path: `${ctx.releasePath}/signoffs` },
  };
}

/** What a gate still needs, as lines of an email. */
function gateDetails(status: GateStatus | undefined, otherSignoffs: readonly string[] = []): string[] {
  if (!status) return [];
  if (status.satisfied) return [`Gate '${status.gate}' is satisfied: the release moves on.`];
  const lines: string[] = [];
  if (status.missingItems.length > 0) {
    lines.push(
      `The gate also needs ${count(status.missingItems.length, 'required item')} done (or skipped with a reason):`,
      ...bullets(status.missingItems.map((item) => `${oneLine(item.title)} (${item.id}): ${item.status}`)),
    );
  }
  if (otherSignoffs.length > 0) lines.push(`Sign-offs still missing: ${otherSignoffs.join(', ')}.`);
  for (const rejection of status.rejections) {
    lines.push(
      `Rejected by ${oneLine(rejection.by.name)} as ${rejection.role}` +
        `${rejection.comment ? `: "${oneLine(rejection.comment)}"` : ''}; this blocks the gate.`,
    );
  }
  lines.push(...status.blockers.map((blocker) => `Also: ${blocker}.`));
  return lines;
}

/** Who signed which gate as what, and what they said, read off a `signoff.recorded` event. */
function recorded(ctx: Context): { gateId: string; role: string; comment: string | undefined; said: string } {
  const comment = dataString(ctx.event, 'comment');
  return {
    gateId: dataString(ctx.event, 'gate') ?? '',
    role: dataString(ctx.event, 'role') ?? '',
    comment,
    said: comment ? `: "${oneLine(comment)}"` : '.',
  };
}

/** `signoff.recorded` with an approval; `status` is the signed gate's, as it stands. */
export function signoffApproved(ctx: Context, status: GateStatus | undefined): Message {
  const { gateId, role, said } = recorded(ctx);
  return {
    summary: `${role} approved ${gateId}`,
    happened: `${oneLine(ctx.event.actor.name)} approved gate '${gateId}' as ${role}${said}`,
    needed: [],
    details: gateDetails(status, status?.missingSignoffs ?? []),
    action: look(ctx),
  };
}

/** `signoff.recorded` with a rejection; `status` is the rejected gate's, as it stands. */
export function signoffRejected(ctx: Context, status: GateStatus | undefined): Message {
  const { gateId, role, comment, said } = recorded(ctx);
  return {
    summary: `${role} rejected ${gateId}`,
    happened: `${oneLine(ctx.event.actor.name)} rejected gate '${gateId}' as ${role}${said}`,
    needed: [
      `The gate is blocked until the rejection is lifted: resolve what it names, then either its signer ` +
        `withdraws it (DELETE ${ctx.base}${ctx.releasePath}/signoffs/${gateId}/${role}) or someone holding ` +
        `${role} approves.`,
      'Release manager: agree with the team how to resolve it.',
    ],
    details: gateDetails(status, status?.missingSignoffs.filter((missing) => missing !== role) ?? []),
    smsDetail: comment ? `"${oneLine(comment)}"` : undefined,
    action: { ...look(ctx), label: 'Review:' },
  };
}

export function gateOverdue(ctx: Context, phase: Phase | undefined, status: GateStatus | undefined): Message {
  const gateId = dataString(ctx.event, 'gate') ?? phase?.gate?.id ?? '';
  const deadline = dataString(ctx.event, 'deadline');
  const since = dataString(ctx.event, 'since');
  const missing = status?.missingSignoffs ?? [];
  return {
    summary: `gate ${gateId} is overdue`,
    happened:
      `Gate '${phase?.gate?.name ?? gateId}' (${gateId}) is past its deadline` +
      `${deadline ? ` of ${humanDuration(deadline)}` : ''}${since ? `: it opened at ${since}` : ''}.`,
    needed: [
      ...(missing.length > 0
        ? [`Sign-offs still missing: ${missing.join(', ')}. Holders of those roles: sign off now.`]
        : []),
      ...(missing.length > 0
        ? signoffCall(ctx, gateId, missing.length === 1 ? (missing[0] ?? '') : '<your role>')
        : []),
      'Release manager: chase what is missing, or agree a new plan with the team.',
    ],
    details: gateDetails(status),
    action:
      missing.length > 0
        ? { label: 'Sign off:', method: 'POST', path: `${ctx.releasePath}/signoffs` }
        : { ...look(ctx), label: 'Review:' },
  };
}
