// A draft turned into the notification that is sent: its subject and its text per protocol (email, SMS, default).

import { releaseView } from '../release/view.ts';
import { nameOf } from './context.ts';
import type { Context, Draft } from './draft.ts';
import type { Notification } from './notification.ts';
import { smsText } from './sms.ts';
import { clip, MIN_NAME, oneLine } from './text.ts';

/** SNS: an email subject is "less than 100 characters long". */
export const SUBJECT_MAX_LENGTH = 99;

/** One notification of a draft; `status` is the release's status line. */
export function render(ctx: Context, draft: Draft, status: string): Notification {
  const { agg, event } = ctx;
  const critical = draft.severity === 'critical';
  const { message } = draft;
  const releaseName = nameOf(ctx);
  return {
    id: `${event.id}.${draft.n}`,
    releaseId: agg.release.id,
    eventId: event.id,
    type: draft.type,
    severity: draft.severity,
    phase: draft.phase,
    roles: draft.roles,
    escalationLevel: draft.escalationLevel,
    subject: subjectLine(critical, releaseName, message.summary),
    text: {
      default: defaultText(ctx, draft, status, releaseName),
      email: emailText(ctx, draft, status, releaseName),
      sms: smsText(ctx, critical, releaseName, message),
    },
    createdAt: event.at,
  };
}

/** The release's page, when there is a public URL to link it from. */
const releaseLink = (ctx: Context): string | undefined => (ctx.base ? `${ctx.base}${ctx.releasePath}` : undefined);

function emailText(ctx: Context, draft: Draft, status: string, releaseName: string): string {
  const { release } = ctx.agg;
  const { message } = draft;
  const link = releaseLink(ctx);
  const audience =
    `Sent to the roles ${draft.roles.join(', ')}` +
    `${draft.escalationLevel !== undefined ? ` and escalation level ${draft.escalationLevel}` : ''}.`;
  return [
    ...(draft.severity === 'critical' ? ['CRITICAL', ''] : []),
    message.happened,
    '',
    'What is needed from you:',
    ...(message.needed.length > 0 ? message.needed.map(indent) : ['  Nothing: this is for your information.']),
    ...(message.details.length > 0 ? ['', ...message.details] : []),
    '',
    `Status: ${status}`,
    `Release: ${releaseName}, version ${oneLine(release.version)} (id ${release.id}), from the template ` +
      `${oneLine(release.templateName)}.`,
    ...(link ? [`Link: ${link}`] : []),
    '',
    audience,
    '-- Shipgate',
  ].join('\n');
}

/** One paragraph, for the protocols that get neither the email nor the SMS. */
function defaultText(ctx: Context, draft: Draft, status: string, releaseName: string): string {
  const { message } = draft;
  return [
    `[Shipgate]${draft.severity === 'critical' ? ' CRITICAL' : ''} ${releaseName}:`,
    message.happened,
    message.needed[0] ?? '',
    `Status: ${status}`,
    releaseLink(ctx) ?? '',
  ]
    .filter(Boolean)
    .map(oneLine)
    .join(' ');
}

const indent = (line: string): string => `  ${line}`;

/** Where the release stands and what it waits for, in one line. */
export function releaseStatus(ctx: Context): string {
  const { release } = ctx.agg;
  const waiting = releaseView(ctx.agg).waitingFor?.summary;
  return `${release.status}, phase ${release.currentPhase}${waiting ? `; ${oneLine(waiting)}` : ''}.`;
}

/** `[Shipgate] <name>: <summary>`, the name cut to fit 99 characters (the summary too, if it alone is too long). */
export function subjectLine(critical: boolean, releaseName: string, summary: string): string {
  const lead = `[Shipgate] ${critical ? 'CRITICAL ' : ''}`;
  const tail = `: ${oneLine(summary)}`;
  const room = SUBJECT_MAX_LENGTH - lead.length - tail.length;
  if (room >= MIN_NAME) return `${lead}${clip(oneLine(releaseName), room, '…')}${tail}`;
  return clip(`${lead}${clip(oneLine(releaseName), MIN_NAME, '…')}${tail}`, SUBJECT_MAX_LENGTH, '…');
}
