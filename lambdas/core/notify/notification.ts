// The notification model: what Shipgate tells people, to whom (by role, event and escalation level), and how a
// contact subscribes. Publishing is a port (SNS in AWS, the local notifier on one machine).

export const NOTIFICATION_TYPES = [
  'release.created',
  'release.announced',
  'signoff.requested',
  'signoff.recorded',
  'signoff.rejected',
  'gate.overdue',
  'phase.advanced',
  'step.started',
  'step.completed',
  'window.started',
  'window.passed',
  'rollback.triggered',
  'rollback.completed',
  'rollback.failed',
  'release.completed',
  'escalation',
  'workflow.failed',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export type Severity = 'info' | 'warning' | 'critical';

/**
 * One message to the people of a release. Its routing facts become SNS message attributes: `eventType`,
 * `severity`, `releaseId`, `phase`, `roles` (String.Array), `escalationLevel` (Number).
 */
export interface Notification {
  /** Deterministic from the audit event it comes from (`<eventId>.<n>`), so a retry never sends twice. */
  readonly id: string;
  readonly releaseId: string;
  /** The audit event it comes from. */
  readonly eventId: string;
  readonly type: NotificationType;
  readonly severity: Severity;
  readonly phase?: string | undefined;
  /** The roles it is for; a contact holding any of them receives it (subject to their event choices). */
  readonly roles: readonly string[];
  /** Set on escalation pages: the level paged. */
  readonly escalationLevel?: number | undefined;
  /** Email subject, at most 100 characters (SNS's limit). */
  readonly subject: string;
  /** Per protocol, as SNS `MessageStructure: json` sends it. `sms` is at most 160 characters. */
  readonly text: { readonly default: string; readonly email: string; readonly sms: string };
  readonly createdAt: string;
}

/** Where a notification stands: recorded before it is published, retried until it is. */
export interface Delivery {
  readonly state: 'pending' | 'published' | 'failed';
  readonly attempts: number;
  readonly lastError?: string | undefined;
  readonly publishedAt?: string | undefined;
  readonly messageId?: string | undefined;
}

export interface Subscription {
  readonly protocol: 'email' | 'sms';
  readonly endpoint: string;
  /** The SNS subscription ARN once known; email subscriptions await the recipient's confirmation. */
  readonly arn?: string | undefined;
  readonly state: 'pending-confirmation' | 'confirmed';
}

/** A person (or a list) who receives notifications by email and/or SMS. */
export interface Contact {
  readonly id: string;
  readonly name: string;
  readonly email?: string | undefined;
  /** E.164, e.g. +14155550123. */
  readonly phone?: string | undefined;
  readonly roles: readonly string[];
  /** The escalation level this contact is paged at (1-3), whatever their roles. */
  readonly escalationLevel?: number | undefined;
  /** Only these events; all events when absent. */
  readonly events?: readonly NotificationType[] | undefined;
  readonly subscriptions: readonly Subscription[];
  readonly createdAt: string;
  readonly createdBy: { readonly id: string; readonly name: string };
}

/** An SNS subscription filter policy (MessageAttributes scope). */
export type FilterPolicy = Readonly<Record<string, unknown>>;

/** The message attributes a notification is published with, as SNS filter policies see them. */
export type MessageAttributes = Readonly<Record<string, string | number | readonly string[]>>;

export function messageAttributes(notification: Notification): MessageAttributes {
  return {
    eventType: notification.type,
    severity: notification.severity,
    releaseId: notification.releaseId,
    ...(notification.phase ? { phase: notification.phase } : {}),
    roles: notification.roles,
    ...(notification.escalationLevel !== undefined ? { escalationLevel: notification.escalationLevel } : {}),
  };
}
