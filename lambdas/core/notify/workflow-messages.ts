// What a workflow failure says: where the workflow stopped and why (error name and short message only), and what
// continues the release.

import { dataString, nameOf } from './context.ts';
import type { Context, Message } from './draft.ts';
import { oneLine } from './text.ts';

/** `workflow.failed`: the release's workflow, or its escalation paging, stopped after retrying a task. */
export function workflowFailed(ctx: Context): Message {
  const error = dataString(ctx.event, 'error') ?? 'an error';
  const cause = dataString(ctx.event, 'cause');
  const state = dataString(ctx.event, 'state');
  const why = `${oneLine(error)}${cause ? `: ${oneLine(cause)}` : ''}`;
  const where = state ? ` at ${oneLine(state)}` : '';
  const resume = [
    `    POST ${ctx.base}${ctx.releasePath}/resume`,
    '    content-type: application/json',
    `    ${JSON.stringify({})}`,
  ];
  if (dataString(ctx.event, 'escalationId')) {
    return {
      summary: 'escalation paging failed',
      happened:
        `Escalation paging for ${nameOf(ctx)} stopped${where} after retrying (${why}). ` +
        'Nobody more is paged automatically.',
      needed: [
        'Page the next level of the escalation chain by hand, and acknowledge once someone is on it:',
        `    POST ${ctx.base}${ctx.releasePath}/acknowledge`,
        'Once the cause is fixed, clear the failure and check the release goes on:',
        ...resume,
      ],
      details: [],
      smsDetail: why,
      action: { label: 'Ack:', method: 'POST', path: `${ctx.releasePath}/acknowledge` },
    };
  }
  return {
    summary: 'workflow failed, release stalled',
    happened:
      `The workflow driving ${nameOf(ctx)} stopped${where} after retrying (${why}). ` +
      'The release stays where it stands and does not move on by itself.',
    needed: ['Fix the cause, then continue the release where it stands:', ...resume],
    details: [],
    smsDetail: why,
    action: { label: 'Resume:', method: 'POST', path: `${ctx.releasePath}/resume` },
  };
}
