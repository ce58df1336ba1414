// The use cases of notifications: contacts and their subscriptions, and turning audit events into notifications
// that are recorded before they are published and retried until they are.
import type { Actor } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { NotFound } from '../errors.ts';
import type { WindowReport } from '../monitoring/report.ts';
import { windowReports, windowSpans } from '../monitoring/window-reports.ts';
import type { Clock, IdGenerator, NotificationStore, Notifier, Page, PageQuery, ReleaseStore } from '../ports.ts';
import type { AuditEvent, ReleaseAggregate } from '../release/release.ts';
import { filterPolicyFor } from './filter-policy.ts';
import type { Contact, Delivery, Notification } from './notification.ts';
import { notificationsFor } from './routing.ts';

/** The ports and settings of the notification use cases. */
export interface NotificationContext {
  readonly releases: ReleaseStore;
  readonly store: NotificationStore;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Base URL links in messages point at (the API, or a UI in front of it). */
  readonly publicUrl?: string | undefined;
}

/** What a caller gives for a new contact; the rest (id, subscriptions, who and when) Shipgate adds. */
export type ContactInput = Pick<Contact, 'name' | 'email' | 'phone' | 'roles' | 'escalationLevel' | 'events'>;

/** Why a publish failed, short enough to keep and show; never a stack. */
const reason = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);

/** Publishes one recorded notification and records the outcome; a failure is recorded, then rethrown. */
async function deliver(ctx: NotificationContext, notification: Notification, delivery: Delivery): Promise<void> {
  if (delivery.state === 'published') return;
  const attempts = delivery.attempts + 1;
  try {
    const { messageId } = await ctx.notifier.publish(notification);
    await ctx.store.saveDelivery(notification.releaseId, notification.id, {
      state: 'published',
      attempts,
      messageId,
      publishedAt: ctx.clock.now().toISOString(),
    });
  } catch (error) {
    await ctx.store.saveDelivery(notification.releaseId, notification.id, {
      state: 'failed',
      attempts,
      lastError: reason(error),
    });
    throw error;
  }
}

/**
 * The report of the window a `window.passed` event ends, over the samples taken from its start to the event;
 * undefined for other events, or when the window or its start cannot be found. The event says when the window
 * started; for older events, the trail does.
 */
async function reportFor(
  ctx: NotificationContext,
  event: AuditEvent,
  agg: ReleaseAggregate,
): Promise<WindowReport | undefined> {
  if (event.type !== 'window.passed') return undefined;
  const windowId = String(event.data.window);
  const from =
    typeof event.data.startedAt === 'string'
      ? event.data.startedAt
      : (await windowSpans(ctx.releases, event.releaseId)).get(windowId)?.startedAt;
  if (!from) return undefined;
  const [report] = await windowReports(ctx.releases, agg, new Map([[windowId, { from, to: event.at, passed: true }]]));
  return report;
}

/** Adds a contact and subscribes its endpoints with the filter policy of its roles, level and events. */
export async function createContact(ctx: NotificationContext, actor: Actor, input: ContactInput): Promise<Contact> {
  authorize(actor, { kind: 'manage-contacts' });
  const draft: Contact = {
    id: ctx.ids.id(),
    name: input.name,
    email: input.email,
    phone: input.phone,
    roles: input.roles,
    escalationLevel: input.escalationLevel,
    events: input.events,
    subscriptions: [],
    createdAt: ctx.clock.now().toISOString(),
    createdBy: actorRef(actor),
  };
  const subscriptions = await ctx.notifier.subscribe(draft, filterPolicyFor(draft));
  const contact = { ...draft, subscriptions };
  try {
    await ctx.store.saveContact(contact);
  } catch (error) {
    // A subscription nobody can see or remove is worse than none: take it back.
    await ctx.notifier.unsubscribe(contact).catch(() => undefined);
    throw error;
  }
  return contact;
}

/** Contacts with the current state of their subscriptions (SNS is asked only about pending ones). */
export async function listContacts(ctx: NotificationContext, actor: Actor, query: PageQuery): Promise<Page<Contact>> {
  authorize(actor, { kind: 'manage-contacts' });
  const page = await ctx.store.listContacts(query);
  const items = await Promise.all(
    page.items.map(async (contact) =>
      contact.subscriptions.some((subscription) => subscription.state !== 'confirmed')
        ? { ...contact, subscriptions: await ctx.notifier.refresh(contact) }
        : contact,
    ),
  );
  return { ...page, items };
}

/** Unsubscribes a contact everywhere; the record is kept, marked removed. */
export async function removeContact(ctx: NotificationContext, actor: Actor, contactId: string): Promise<Contact> {
  authorize(actor, { kind: 'manage-contacts' });
  const contact = await ctx.store.getContact(contactId);
  if (!contact) throw new NotFound('contact', contactId);
  await ctx.notifier.unsubscribe(contact);
  await ctx.store.removeContact(contactId, ctx.clock.now().toISOString());
  return contact;
}

/** Each notification of a release, with its delivery state. */
export async function listNotifications(
  ctx: NotificationContext,
  actor: Actor,
  releaseId: string,
  query: PageQuery,
): Promise<Page<Notification & { delivery: Delivery }>> {
  authorize(actor, { kind: 'read' });
  if (!(await ctx.releases.getHeader(releaseId))) throw new NotFound('release', releaseId);
  return ctx.store.listNotifications(releaseId, query);
}

/**
 * Turns one audit event into its notifications: each is recorded (idempotently, by a deterministic id) before it is
 * published. A failed publish is recorded and rethrown, so the event is retried; on the retry, what was published
 * already is not sent again. A `window.passed` notification carries the window's report, computed from the samples
 * stored for the release (those taken from the window's start to the event).
 */
export async function handleEvent(ctx: NotificationContext, event: AuditEvent): Promise<Notification[]> {
  const agg = await ctx.releases.load(event.releaseId);
  if (!agg) return [];
  const report = await reportFor(ctx, event, agg);
  const notifications = notificationsFor(event, agg, { publicUrl: ctx.publicUrl, report });
  const failures: unknown[] = [];
  for (const notification of notifications) {
    const delivery = await ctx.store.recordNotification(notification);
    await deliver(ctx, notification, delivery).catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw failures[0];
  return notifications;
}
