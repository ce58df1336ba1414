// The ports the domain needs from the outside world; adapters (DynamoDB, in-memory fakes) implement them.
import type { ActorRef } from './auth/actor.ts';
import type { AlarmSpec } from './monitoring/alarms.ts';
import type { MetricSample } from './monitoring/samples.ts';
import type { Contact, Delivery, FilterPolicy, Notification, Subscription } from './notify/notification.ts';
import type { AuditEvent, ItemState, Release, ReleaseAggregate, Signoff } from './release/release.ts';
import type { ReleaseStatus } from './release/status.ts';
import type { PhaseKind, Template } from './template/template.ts';

/** One page of a listing; `cursor` is opaque and present only when more follows. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor?: string | undefined;
}

export interface PageQuery {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/**
 * The most samples one batch holds: a batch is one TransactWriteItems (all or nothing), which takes at most 100
 * actions, one of them kept for the mark of the request's Idempotency-Key record.
 */
export const MAX_SAMPLES_PER_BATCH = 99;

/** A sign-off as stored: the decision with its row's version (1 on the role's first decision). */
export interface StoredSignoff extends Signoff {
  readonly version: number;
}

/**
 * Separation of duties under concurrency: whether a person stands for a role at a gate (one guard row per gate and
 * person, docs/data-model.md). A claim holds only if the person stands for no role of the gate or for this one, so
 * one person's concurrent sign-offs of two roles cannot both land.
 */
export interface SignerClaim {
  readonly actorId: string;
  readonly role: string;
  /** True: the person now stands for `role`; false: no longer (a withdrawal, or another signer took the role). */
  readonly stands: boolean;
}

/** One sign-off write: the new standing decision of a role, the version it was decided on, and its claims. */
export interface SignoffChange {
  readonly signoff: StoredSignoff;
  /** The version of the role's row the decision was made on; 0: the role had no decision yet. */
  readonly expectedVersion: number;
  /** Empty when the template does not keep one person to one role of a gate, or the gate has one role. */
  readonly claims: readonly SignerClaim[];
}

/**
 * Where releases live. Every write is conditional and atomic with its audit event; a write that loses against a
 * concurrent one, or finds another version than expected, throws StaleVersion and changes nothing.
 */
export interface ReleaseStore {
  /** Writes a new release, its template snapshot and its first events. */
  create(release: Release, template: Template, events: readonly AuditEvent[]): Promise<void>;
  /** The whole release in one read: header, template snapshot, item states and sign-offs. */
  load(releaseId: string): Promise<ReleaseAggregate | undefined>;
  /** The release header alone (one small read), for checks that need no checklist. */
  getHeader(releaseId: string): Promise<Release | undefined>;
  /** Releases newest first, optionally of one status. A malformed cursor throws ValidationFailed on `cursor`. */
  list(query: PageQuery & { readonly status?: ReleaseStatus | undefined }): Promise<Page<Release>>;
  /** Writes an item state if the stored item is still at `expectedVersion` (0: never written), with its event. */
  saveItem(releaseId: string, state: ItemState, expectedVersion: number, event: AuditEvent): Promise<void>;
  /**
   * Writes a sign-off with its event, if the role's row is still at `change.expectedVersion` (0: never written) and
   * every signer claim of the change still holds. The header is not touched: sign-offs of different roles, item
   * changes and metrics never conflict with one another.
   */
  saveSignoff(releaseId: string, change: SignoffChange, event: AuditEvent): Promise<void>;
  /**
   * Writes a new version of the release header with its events, if the stored header is still at
   * `expectedRevision` (the workflow's transitions, cancellation, rollback requests).
   */
  saveRelease(release: Release, expectedRevision: number, events: readonly AuditEvent[]): Promise<void>;
  /**
   * Keeps the task token of the workflow's callback for a wait, if the release still waits for it; returns false
   * when the release has moved on (the token is then of no use).
   */
  saveTaskToken(releaseId: string, waitId: string, taskToken: string): Promise<boolean>;
  /** Keeps the escalation's acknowledgement token, if that escalation is still paging; false otherwise. */
  saveEscalationToken(releaseId: string, escalationId: string, taskToken: string): Promise<boolean>;
  /** The releases that named a CloudWatch alarm when they were created. */
  releasesForAlarm(alarmName: string): Promise<string[]>;
  /**
   * Keeps a batch of metric samples whole or not at all (idempotent per sample: the same sample sent twice is kept
   * once). More than MAX_SAMPLES_PER_BATCH distinct samples throws ValidationFailed on `samples`.
   */
  saveSamples(releaseId: string, samples: readonly MetricSample[]): Promise<void>;
  /** A release's metric samples taken in [from, to], oldest first. */
  listSamples(releaseId: string, range?: { readonly from?: string; readonly to?: string }): Promise<MetricSample[]>;
  /** The audit trail, oldest first. */
  listEvents(releaseId: string, query: PageQuery): Promise<Page<AuditEvent>>;
}

/** The templates Shipgate ships with: each is version 1 of its id. */
export interface TemplateCatalog {
  list(): readonly Template[];
  get(templateId: string): Template | undefined;
}

/** What is known of a stored template id without reading a version: its latest version and whether it is archived. */
export interface TemplateHead {
  readonly id: string;
  /** The latest version's name, description, phases and roles: what the list shows, with no version read. */
  readonly name: string;
  readonly description: string;
  readonly phases: readonly { readonly id: string; readonly name: string; readonly kind: PhaseKind }[];
  readonly roles: readonly { readonly id: string; readonly label: string }[];
  readonly latestVersion: number;
  /** Archived templates are left out of the list; their versions stay readable and releases made from them run on. */
  readonly archived: boolean;
  readonly updatedAt: string;
  readonly updatedBy: ActorRef;
}

/** One stored version of a template, with who stored it and when. */
export interface StoredTemplate {
  readonly template: Template;
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: ActorRef;
}

/**
 * Templates teams import, versioned: a version is never changed once stored. Writes are conditional on the head's
 * latest version, so two imports to one id become two versions, never one overwriting the other.
 */
export interface TemplateStore {
  getHead(templateId: string): Promise<TemplateHead | undefined>;
  getVersion(templateId: string, version: number): Promise<StoredTemplate | undefined>;
  /** Stores `stored` as the new latest version, if the head is still at `expectedLatest` (0: no head yet). */
  saveVersion(stored: StoredTemplate, head: TemplateHead, expectedLatest: number): Promise<void>;
  /** Writes the head alone (archiving), if it is still at `expectedLatest` (0: no head yet). */
  saveHead(head: TemplateHead, expectedLatest: number): Promise<void>;
  /** Every head, by id. */
  listHeads(): Promise<TemplateHead[]>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new id for a release or a contact: unique and URL-safe. */
  id(): string;
  /** A new event id: unique and, within one process, increasing, so the audit trail sorts oldest first. */
  eventId(): string;
}

/** The workflow service that drives releases (Step Functions in AWS, aws-local-stepfunctions locally). */
export interface WorkflowEngine {
  /**
   * Starts the execution that drives a release, named after it; returns the execution id. With `resumeAs`, one that
   * continues a release under way, named `resumeAs` (resumeExecutionName): while an execution of that name runs, it
   * is the one returned and nothing starts; once it has ended, the next attempt's name is used (startAttempts).
   */
  start(releaseId: string, options?: { readonly resumeAs?: string }): Promise<string>;
  /** Answers a callback task; false when that task no longer waits (it timed out, failed or was answered). */
  succeed(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<boolean>;
  /** Fails a callback task with an error the definition catches; false when that task no longer waits. */
  fail(taskToken: string, error: string, cause: string): Promise<boolean>;
  /** Stops an execution; stopping one that already ended is not an error. */
  stop(executionId: string, cause: string): Promise<void>;
  /**
   * Starts the escalation execution of a release's escalation, named after it: never started twice. With `restart`,
   * one whose execution ended while it still pages (the execution failed) is started again, under the next
   * attempt's name (startAttempts); one that runs is left alone.
   */
  startEscalation(releaseId: string, escalationId: string, options?: { readonly restart?: boolean }): Promise<string>;
}

/** Delivery of notifications: SNS in AWS, the local notifier on one machine. */
export interface Notifier {
  /** Publishes to the release-events topic; resolves with the message id. */
  publish(notification: Notification): Promise<{ messageId: string }>;
  /** Creates the contact's email/SMS subscriptions with its filter policy; returns them with their state. */
  subscribe(contact: Contact, filterPolicy: FilterPolicy): Promise<Subscription[]>;
  /** Removes the contact's subscriptions. */
  unsubscribe(contact: Contact): Promise<void>;
  /** The contact's subscriptions with their current state (an email subscription is confirmed by its owner). */
  refresh(contact: Contact): Promise<Subscription[]>;
}

/** Where contacts and the notification outbox live. */
export interface NotificationStore {
  saveContact(contact: Contact): Promise<void>;
  /** Active contacts, oldest first. */
  listContacts(query: PageQuery): Promise<Page<Contact>>;
  getContact(contactId: string): Promise<Contact | undefined>;
  /** Marks a contact removed (kept for the record); false when there is no active contact of that id. */
  removeContact(contactId: string, at: string): Promise<boolean>;
  /**
   * Records a notification before it is published. Returns the stored delivery: a notification recorded before
   * (a retried event) keeps its delivery, so one already published is not sent again.
   */
  recordNotification(notification: Notification): Promise<Delivery>;
  /** Records the outcome of one publish attempt. */
  saveDelivery(releaseId: string, notificationId: string, delivery: Delivery): Promise<void>;
  /** A release's notifications with their delivery, oldest first. */
  listNotifications(releaseId: string, query: PageQuery): Promise<Page<Notification & { delivery: Delivery }>>;
}

/**
 * The metric service a release's samples also go to, and where the alarms for its rollback triggers live: CloudWatch
 * in AWS (a custom namespace, a ReleaseId dimension), an in-process stand-in with the same alarm semantics locally.
 */
export interface MetricAlarms {
  /** Puts a release's samples as datapoints of its metrics (the ReleaseId dimension names the release). */
  putSamples(releaseId: string, samples: readonly MetricSample[]): Promise<void>;
  /** Creates or updates these alarms (an alarm is known by its name, so putting one again changes nothing). */
  putAlarms(alarms: readonly AlarmSpec[]): Promise<void>;
  /** Deletes alarms by name; a name that is not an alarm is not an error. */
  deleteAlarms(names: readonly string[]): Promise<void>;
}
