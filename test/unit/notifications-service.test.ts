// The notifications use cases with in-memory fakes: recorded before published, a failed publish is recorded and
// retried, a retry never sends twice, a contact is never half-created, and a window that passed is reported on
// from the samples taken in it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Forbidden } from '../../lambdas/core/errors.ts';
import { report } from '../../lambdas/core/monitoring/metrics-use-cases.ts';
import type {
  Contact,
  Delivery,
  FilterPolicy,
  Notification,
  Subscription,
} from '../../lambdas/core/notify/notification.ts';
import type { NotificationContext } from '../../lambdas/core/notify/notification-use-cases.ts';
import { createContact, handleEvent, listContacts } from '../../lambdas/core/notify/notification-use-cases.ts';
import type { NotificationStore, Notifier, Page } from '../../lambdas/core/ports.ts';
import { releaseContext } from '../../lambdas/core/release/context.ts';
import type { AuditEvent } from '../../lambdas/core/release/release.ts';
import { createRelease } from '../../lambdas/core/release/release-use-cases.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';
import { fixedClock, sequentialIds, user } from '../support/fixtures.ts';
import { MemoryReleaseStore } from '../support/memory-store.ts';
import { RecordingWorkflow } from '../support/recording-workflow.ts';

const toolbox = findBuiltInTemplate('toolboxai-v1');
assert.ok(toolbox);
const rm = user('rita', ['release-manager']);

class MemoryNotificationStore implements NotificationStore {
  readonly contacts = new Map<string, Contact & { removed?: boolean }>();
  readonly notifications = new Map<string, Notification & { delivery: Delivery }>();
  /** Every delivery state written, in order: the record before the publish comes first. */
  readonly log: string[] = [];
  failSave = false;

  async saveContact(contact: Contact) {
    if (this.failSave) throw new Error('table unavailable');
    this.contacts.set(contact.id, contact);
  }
  async listContacts(): Promise<Page<Contact>> {
    return { items: [...this.contacts.values()].filter((c) => !c.removed) };
  }
  async getContact(id: string) {
    const found = this.contacts.get(id);
    return found && !found.removed ? found : undefined;
  }
  async removeContact(id: string) {
    const found = this.contacts.get(id);
    if (!found || found.removed) return false;
    this.contacts.set(id, { ...found, removed: true });
    return true;
  }
  async recordNotification(notification: Notification): Promise<Delivery> {
    const existing = this.notifications.get(notification.id);
    if (existing) return existing.delivery;
    const delivery: Delivery = { state: 'pending', attempts: 0 };
    this.notifications.set(notification.id, { ...notification, delivery });
    this.log.push(`${notification.id} pending`);
    return delivery;
  }
  async saveDelivery(_releaseId: string, id: string, delivery: Delivery) {
    const existing = this.notifications.get(id);
    assert.ok(existing, 'a delivery is saved only for a recorded notification');
    this.notifications.set(id, { ...existing, delivery });
    this.log.push(`${id} ${delivery.state}`);
  }
  async listNotifications(releaseId: string) {
    return { items: [...this.notifications.values()].filter((n) => n.releaseId === releaseId) };
  }
}

class FlakyNotifier implements Notifier {
  readonly published: Notification[] = [];
  readonly subscribed: { contact: Contact; policy: FilterPolicy }[] = [];
  readonly unsubscribed: string[] = [];
  failures = 0;

  async publish(notification: Notification) {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('Throttling: rate exceeded');
    }
    this.published.push(notification);
    return { messageId: `m-${this.published.length}` };
  }
  async subscribe(contact: Contact, policy: FilterPolicy): Promise<Subscription[]> {
    this.subscribed.push({ contact, policy });
    return contact.email
      ? [{ protocol: 'email', endpoint: contact.email, arn: 'arn:x', state: 'pending-confirmation' }]
      : [];
  }
  async unsubscribe(contact: Contact) {
    this.unsubscribed.push(contact.id);
  }
  /** The owner confirms every email subscription before the first listing. */
  async refresh(contact: Contact): Promise<Subscription[]> {
    return contact.subscriptions.map((subscription) => ({ ...subscription, state: 'confirmed' }));
  }
}

function setup() {
  const releasesStore = new MemoryReleaseStore();
  const store = new MemoryNotificationStore();
  const notifier = new FlakyNotifier();
  const clock = fixedClock();
  const releases = releaseContext({
    store: releasesStore,
    templates: { list: () => [toolbox as never], get: () => toolbox },
    clock,
    ids: sequentialIds(),
    workflow: new RecordingWorkflow(),
  });
  const notifications: NotificationContext = {
    releases: releasesStore,
    store,
    notifier,
    clock,
    ids: sequentialIds(),
    publicUrl: 'https://shipgate.example.com',
  };
  return { releasesStore, store, notifier, releases, notifications };
}

describe('notifications service', () => {
  it('records each notification before publishing it, then records the publish', async () => {
    const t = setup();
    const release = await createRelease(t.releases, rm, { templateId: 'toolboxai-v1', name: 'R', version: '1' });
    const events = t.releasesStore.releases.get(release.id)?.events ?? [];
    const opened = events.find((event) => event.type === 'gate.opened');
    assert.ok(opened);
    const sent = await handleEvent(t.notifications, opened);
    assert.equal(sent.length, 5, 'one sign-off request per role of the pre-release gate');
    for (const notification of sent) {
      const order = t.store.log.filter((line) => line.startsWith(notification.id));
      assert.deepEqual(order, [`${notification.id} pending`, `${notification.id} published`]);
    }
    assert.equal(t.notifier.published.length, 5);
  });

  it('keeps a failed publish visible, and sends on the retry only what was not published', async () => {
    const t = setup();
    const release = await createRelease(t.releases, rm, { templateId: 'toolboxai-v1', name: 'R', version: '1' });
    const opened = t.releasesStore.releases.get(release.id)?.events.find((event) => event.type === 'gate.opened');
    assert.ok(opened);
    t.notifier.failures = 2;
    await assert.rejects(handleEvent(t.notifications, opened), /Throttling/);
    const failed = [...t.store.notifications.values()].filter((n) => n.delivery.state === 'failed');
    assert.equal(failed.length, 2);
    assert.equal(failed[0]?.delivery.lastError, 'Error: Throttling: rate exceeded');
    assert.equal(failed[0]?.delivery.attempts, 1);
    assert.equal(t.notifier.published.length, 3);

    await handleEvent(t.notifications, opened);
    assert.equal(t.notifier.published.length, 5, 'the retry publishes the two that failed, and only them');
    const states = [...t.store.notifications.values()].map((n) => [n.delivery.state, n.delivery.attempts]);
    assert.equal(states.filter(([state]) => state === 'published').length, 5);
    assert.ok(states.some(([, attempts]) => attempts === 2));
  });

  it('subscribes a contact with its filter policy, only for a release manager', async () => {
    const t = setup();
    await assert.rejects(
      createContact(t.notifications, user('quinn', ['qa-lead']), {
        name: 'x',
        email: 'x@example.com',
        roles: ['qa-lead'],
      }),
      Forbidden,
    );
    const contact = await createContact(t.notifications, rm, {
      name: 'Quinn',
      email: 'q@example.com',
      roles: ['qa-lead'],
    });
    assert.deepEqual(t.notifier.subscribed[0]?.policy, { roles: ['qa-lead'] });
    assert.equal(contact.subscriptions[0]?.state, 'pending-confirmation');
    const listed = await listContacts(t.notifications, rm, { limit: 10 });
    assert.equal(listed.items.length, 1);
    assert.equal(listed.items[0]?.subscriptions[0]?.state, 'confirmed', 'the listing shows the state SNS reports now');
  });

  it('takes the subscriptions back when the contact cannot be saved', async () => {
    const t = setup();
    t.store.failSave = true;
    await assert.rejects(
      createContact(t.notifications, rm, { name: 'Q', email: 'q@example.com', roles: ['qa-lead'] }),
      /table unavailable/,
    );
    assert.equal(t.notifier.unsubscribed.length, 1);
    assert.equal(t.store.contacts.size, 0);
  });

  describe('window.passed', () => {
    const STARTED = '2026-11-21T12:00:00.000Z';
    const PASSED = '2026-11-21T14:00:00.000Z';
    const latency = (value: number, at: string) => ({
      name: 'api.latency.p95',
      value,
      unit: 'Milliseconds' as const,
      at,
    });

    async function passedWindow(data: Record<string, unknown>) {
      const t = setup();
      const release = await createRelease(t.releases, rm, { templateId: 'toolboxai-v1', name: 'R', version: '1' });
      await t.releasesStore.saveSamples(release.id, [
        // Before the window and after it: a breach and a miss each, which must not count.
        latency(900, '2026-11-21T11:59:59.999Z'),
        latency(120, STARTED),
        latency(180, '2026-11-21T13:00:00.000Z'),
        // An offset time inside the window (13:30Z), which sorts after the window's end as a string.
        latency(150, '2026-11-21T14:30:00.000+01:00'),
        latency(700, '2026-11-21T14:00:00.001Z'),
        { name: 'api.error_rate', value: 5, unit: 'Percent', at: '2026-11-21T15:00:00.000Z' },
      ]);
      const passed: AuditEvent = {
        id: 'evt-window-passed',
        releaseId: release.id,
        type: 'window.passed',
        at: PASSED,
        actor: { id: 'shipgate', name: 'Shipgate workflow', kind: 'machine' },
        data: { phase: 'monitoring', window: 'immediate', ...data },
      };
      return { t, release, passed };
    }

    it('reports on the samples taken from the window start to the event, and on no others', async () => {
      const { t, passed } = await passedWindow({ startedAt: STARTED });
      const [n, ...rest] = await handleEvent(t.notifications, passed);
      assert.equal(rest.length, 0);
      assert.ok(n);
      assert.equal(n.type, 'window.passed');
      // The 900 ms and 700 ms samples outside the window breach nothing; what warns is the 5 metrics without data
      // (the 5 % errors came after the window).
      assert.equal(n.severity, 'warning');
      assert.equal(n.subject, '[Shipgate] R: window immediate passed with no data for 5 metrics');
      const email = n.text.email;
      assert.ok(
        email.includes('  - api.latency.p95: 3 samples, min 120 ms, avg 150 ms, max 180 ms, p95 180 ms\n'),
        email,
      );
      assert.ok(email.includes('  - api.error_rate: no samples\n'), email);
      assert.ok(email.includes(`from ${STARTED} to ${PASSED}`), email);
      assert.ok(n.text.sms.includes('2h window passed: 1 metric, 0 breaches, targets 2/2 met, 5 without data.'));
      assert.deepEqual(t.notifier.published, [n], 'what was published carries the report');
    });

    it("finds the window's start in the audit trail when the event does not carry it", async () => {
      const { t, release, passed } = await passedWindow({});
      const trail = t.releasesStore.releases.get(release.id)?.events;
      assert.ok(trail);
      const started = (at: string, window: string): AuditEvent => ({
        ...passed,
        id: `evt-started-${window}-${at}`,
        type: 'window.started',
        at,
        data: { phase: 'monitoring', window },
      });
      trail.push(started('2026-11-21T11:00:00.000Z', 'extended'), started(STARTED, 'immediate'));
      const [n] = await handleEvent(t.notifications, passed);
      assert.ok(n?.text.email.includes('  - api.latency.p95: 3 samples, min 120 ms'), n?.text.email);
    });

    it('an automatic window that got no sample at all does not pass silently: a critical notification and report', async () => {
      const t = setup();
      const release = await createRelease(t.releases, rm, { templateId: 'toolboxai-v1', name: 'R', version: '1' });
      const trail = t.releasesStore.releases.get(release.id)?.events;
      assert.ok(trail);
      const machine = { id: 'shipgate', name: 'Shipgate workflow', kind: 'machine' } as const;
      const windowEvent = (type: 'window.started' | 'window.passed', at: string): AuditEvent => ({
        id: `evt-${type}`,
        releaseId: release.id,
        type,
        at,
        actor: machine,
        data: { phase: 'monitoring', window: 'immediate', ...(type === 'window.passed' ? { startedAt: STARTED } : {}) },
      });
      const passed = windowEvent('window.passed', PASSED);
      trail.push(windowEvent('window.started', STARTED), passed);

      const [n, ...rest] = await handleEvent(t.notifications, passed);
      assert.equal(rest.length, 0);
      assert.ok(n);
      assert.equal(n.severity, 'critical');
      assert.equal(n.subject, '[Shipgate] CRITICAL R: window immediate passed with NO DATA for any trigger');
      assert.ok(n.text.email.includes('its automatic rollback could not have fired'), n.text.email);
      assert.ok(n.roles.includes('release-manager'));
      assert.deepEqual(t.notifier.published, [n], 'published, not only recorded');

      // GET /releases/{id}/report says the same, machine-readably.
      const { windows } = await report(t.releases, user('quinn', ['qa-lead']), release.id);
      const [immediate] = windows;
      assert.ok(immediate);
      assert.deepEqual(
        [immediate.windowId, immediate.passed, immediate.unmonitored, immediate.attention],
        ['immediate', true, true, 'critical'],
      );
      assert.ok(immediate.missingData.some((gap) => gap.metric === 'api.latency.p95' && gap.effect === 'warning'));
    });

    it('says only that the window passed when its start cannot be found', async () => {
      const { t, passed } = await passedWindow({});
      const [n] = await handleEvent(t.notifications, passed);
      assert.ok(n);
      assert.equal(n.subject, '[Shipgate] R: monitoring window immediate passed');
      assert.doesNotMatch(n.text.email, /per metric|Full report/);
    });
  });
});
