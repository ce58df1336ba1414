// The SMS of a notification: its parts fitted into one 160-character message without ever cutting the call to action.

import type { Context, Message } from './draft.ts';
import { clip, MIN_NAME, oneLine } from './text.ts';

/** One SMS: at most 160 characters (counted as UTF-16 code units, so never more code points either). */
export const SMS_MAX_LENGTH = 160;

/** How much of a name an SMS keeps before it gives room to a detail. */
const SMS_NAME_SHARE = 24;
/** The shortest detail worth sending. */
const SMS_MIN_DETAIL = 12;
/** The shortest summary an SMS is sent with when the call to action leaves little room. */
const SMS_MIN_SUMMARY = 16;
/** The fewest characters of the release name an SMS prefers to show (fewer only if nothing else fits). */
const SMS_MIN_NAME = 12;

/** What an SMS is made of; `actions` are the call to action's wordings, the preferred (longest) first. */
export interface SmsParts {
  readonly lead: string;
  readonly name: string;
  readonly summary: string;
  readonly detail?: string | undefined;
  readonly actions: readonly string[];
}

/** The SMS of a message; `releaseName` is the release's name for messages. */
export function smsText(ctx: Context, critical: boolean, releaseName: string, message: Message): string {
  const lead = critical ? 'CRITICAL Shipgate: ' : 'Shipgate: ';
  const { label, method, path } = message.action;
  // With a public URL the action is a link (GET) or the request with its URL; without one, the request's path.
  const actions = [
    ...(ctx.base ? [`${label} ${method === 'GET' ? '' : `${method} `}${ctx.base}${path}`] : []),
    `${label} ${method} ${path}`,
  ];
  return fitSms({
    lead,
    name: oneLine(releaseName),
    summary: oneLine(message.smsSummary ?? message.summary),
    detail: message.smsDetail,
    actions,
  });
}

/**
 * An SMS of at most 160 characters: `<lead><name> - <summary>. <detail> <action>`. The action is never cut. The
 * first action (a full URL) is used when the whole summary and at least 12 characters of the name fit beside it,
 * else the next (the path alone). Then the detail is cut or left out, then the name; only when no action leaves
 * room for a few characters of summary is the summary cut, and only when even that fails is the text cut.
 */
export function fitSms(parts: SmsParts): string {
  for (const strict of [true, false]) {
    for (const action of parts.actions) {
      const text = composeSms(parts, action, strict);
      if (text !== undefined) return text;
    }
  }
  return clip(`${parts.lead}${parts.summary}. ${parts.actions.at(-1) ?? ''}`, SMS_MAX_LENGTH, '...');
}

function composeSms(parts: Omit<SmsParts, 'actions'>, action: string, strict: boolean): string | undefined {
  const { lead, name: releaseName, summary } = parts;
  const detailText = parts.detail ? oneLine(parts.detail) : '';
  const detail = detailText && !/[.!?…"')]$/.test(detailText) ? `${detailText}.` : detailText;
  const tail = ` ${action}`;
  let room = SMS_MAX_LENGTH - lead.length - summary.length - 1 - tail.length;
  if (strict && room - 3 < Math.min(releaseName.length, SMS_MIN_NAME)) return undefined;
  if (room < 0) {
    const summaryRoom = SMS_MAX_LENGTH - lead.length - 1 - tail.length;
    return summaryRoom < SMS_MIN_SUMMARY ? undefined : `${lead}${clip(summary, summaryRoom, '...')}.${tail}`;
  }
  let namePart = releaseName ? `${releaseName} - ` : '';
  let detailPart = detail ? ` ${detail}` : '';
  if (namePart.length + detailPart.length > room) {
    // The name keeps a share before the detail gets room; whatever the detail leaves goes back to the name.
    const share = Math.min(releaseName.length, SMS_NAME_SHARE) + 3;
    const nameRoom =
      detail && room - share >= SMS_MIN_DETAIL + 1
        ? Math.min(releaseName.length + 3, Math.max(share, room - detail.length - 1))
        : room;
    namePart = nameRoom - 3 >= MIN_NAME ? `${clip(releaseName, nameRoom - 3, '...')} - ` : '';
    room -= namePart.length;
    detailPart = detail && room >= SMS_MIN_DETAIL + 1 ? ` ${clip(detail, room - 1, '...')}` : '';
  }
  return `${lead}${namePart}${summary}.${detailPart}${tail}`;
}
