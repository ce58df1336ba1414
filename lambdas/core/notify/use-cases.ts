// The use cases of notifications: contacts and their subscriptions, and turning audit events into notifications
// that are recorded before they are published and retried until they are.
import type { Actor } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { NotFound } from '../errors.ts';
import type { WindowReport } from '../monitoring/metrics.ts';
import { windowReports, windowSpans } from '../monitoring/window-reports.ts';
import type { Clock, IdGenerator, NotificationStore, Notifier, Page, PageQuery, ReleaseStore } from '../ports.ts';
import type { AuditEvent, ReleaseAggregate } from '../release/release.ts';
import { filterPolicyFor } from './filter-policy.ts';
import type { Contact, Delivery, Notification } from './notification.ts';
import { notificationsFor } from './notify-rules.ts';

export interface NotificationsServiceDeps {
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

export function makeNotificationsService(deps: NotificationsServiceDeps) {
  const { releases, store, notifier, clock, ids } = deps;

  /** Publishes one recorded notification and records the outcome; a failure is recorded, then rethrown. */
  async function deliver(notification: Notification, delivery: Delivery): Promise<void> {
    if (delivery.state === 'published') return;
    const attempts = delivery.attempts + 1;
    try {
      const { messageId } = await notifier.publish(notification);
      await store.saveDelivery(notification.releaseId, notification.id, {
        state: 'published',
        attempts,
        messageId,
        publishedAt: clock.now().toISOString(),
      });
    } catch (error) {
      await store.saveDelivery(notification.releaseId, notification.id, {
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
  async function reportFor(event: AuditEvent, agg: ReleaseAggregate): Promise<WindowReport | undefined> {
    if (event.type !== 'window.passed') return undefined;
    const windowId = String(event.data.window);
    const from =
      typeof event.data.startedAt === 'string'
        ? event.data.startedAt
        : (await windowSpans(releases, event.releaseId)).get(windowId)?.startedAt;
    if (!from) return undefined;
    const [report] = await windowReports(releases, agg, new Map([[windowId, { from, to: event.at }]]));
    return report;
  }

  return {
    async createContact(actor: Actor, input: ContactInput): Promise<Contact> {
      authorize(actor, { kind: 'manage-contacts' });
      const draft: Contact = {
        id: ids.id(),
        name: input.name,
        email: input.email,
        phone: input.phone,
        roles: input.roles,
        escalationLevel: input.escalationLevel,
        events: input.events,
        subscriptions: [],
        createdAt: clock.now().toISOString(),
        createdBy: actorRef(actor),
      };
      const subscriptions = await notifier.subscribe(draft, filterPolicyFor(draft));
      const contact = { ...draft, subscriptions };
      try {
        await store.saveContact(contact);
      } catch (error) {
        // A subscription nobody can see or remove is worse than none: take it back.
        await notifier.unsubscribe(contact).catch(() => undefined);
        throw error;
      }
      return contact;
    },

    /** Contacts with the current state of their subscriptions (SNS is asked only about pending ones). */
    async listContacts(actor: Actor, query: PageQuery): Promise<Page<Contact>> {
      authorize(actor, { kind: 'manage-contacts' });
      const page = await store.listContacts(query);
      const items = await Promise.all(
        page.items.map(async (contact) =>
          contact.subscriptions.some((subscription) => subscription.state !== 'confirmed')
            ? { ...contact, subscriptions: await notifier.refresh(contact) }
            : contact,
        ),
      );
      return { ...page, items };
    },

    async removeContact(actor: Actor, contactId: string): Promise<Contact> {
      authorize(actor, { kind: 'manage-contacts' });
      const contact = await store.getContact(contactId);
      if (!contact) throw new NotFound('contact', contactId);
      await notifier.unsubscribe(contact);
      await store.removeContact(contactId, clock.now().toISOString());
      return contact;
    },

    async listNotifications(actor: Actor, releaseId: string, query: PageQuery) {
      authorize(actor, { kind: 'read' });
      if (!(await releases.getHeader(releaseId))) throw new NotFound('release', releaseId);
      return store.listNotifications(releaseId, query);
    },

    /**
     * Turns one audit event into its notifications: each is recorded (idempotently, by a deterministic id) before
     * it is published. A failed publish is recorded and rethrown, so the event is retried; on the retry, what was
     * published already is not sent again. A `window.passed` notification carries the window's report, computed from
     * the samples stored for the release (those taken from the window's start to the event).
     */
    async handleEvent(event: AuditEvent): Promise<Notification[]> {
      const agg = await releases.load(event.releaseId);
      if (!agg) return [];
      const report = await reportFor(event, agg);
      const notifications = notificationsFor(event, agg, { publicUrl: deps.publicUrl, report });
      const failures: unknown[] = [];
      for (const notification of notifications) {
        const delivery = await store.recordNotification(notification);
        await deliver(notification, delivery).catch((error: unknown) => failures.push(error));
      }
      if (failures.length > 0) throw failures[0];
      return notifications;
    },
  };
}

export type NotificationsService = ReturnType<typeof makeNotificationsService>;
