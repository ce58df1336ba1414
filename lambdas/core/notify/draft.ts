// The shapes the notification rules pass between routing, the per-event messages and rendering.

import type { WindowReport } from '../monitoring/report.ts';
import type { AuditEvent, ReleaseAggregate } from '../release/release.ts';
import type { Template } from '../template/template.ts';
import type { NotificationType, Severity } from './notification.ts';

export interface Context {
  readonly event: AuditEvent;
  readonly agg: ReleaseAggregate;
  readonly template: Template;
  /** `publicUrl` without a trailing slash; empty when there is none. */
  readonly base: string;
  /** `/releases/{id}`. */
  readonly releasePath: string;
  readonly report?: WindowReport | undefined;
}

/** The call to action of an SMS: a label and the API request it points at. */
export interface Action {
  readonly label: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

export interface Message {
  /** What happened, after the release name in the subject and the SMS: "sign-off needed from qa-lead at pre-release". */
  readonly summary: string;
  /** The email's opening: what happened, in sentences. */
  readonly happened: string;
  /** What the reader is asked to do, one line each; empty when nothing is. */
  readonly needed: readonly string[];
  /** More facts for the email. */
  readonly details: readonly string[];
  /** An SMS detail (a reason, a comment, an end time), cut or left out before the release name is. */
  readonly smsDetail?: string | undefined;
  /** What happened, for the SMS only, when it says more than the subject's `summary` (a window's figures). */
  readonly smsSummary?: string | undefined;
  readonly action: Action;
}

export interface Draft {
  readonly n: number;
  readonly type: NotificationType;
  readonly severity: Severity;
  readonly roles: readonly string[];
  readonly phase?: string | undefined;
  readonly escalationLevel?: number | undefined;
  readonly message: Message;
}
