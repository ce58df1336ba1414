// Publishing notifications fails for a while (the local notifier's publish, through the test-only fault switch), then
// recovers: every notification is delivered once it can be, none twice, and their delivery states say so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  api,
  type LocalProcess,
  removeDataDir,
  setFaults,
  startLocalProcess,
  tempDataDir,
  tokenFor,
  waitForOutput,
} from '../support/local-process.ts';

interface Delivered {
  readonly id: string;
  readonly type: string;
  readonly delivery: { state: string; attempts: number; messageId?: string; lastError?: string };
}

interface OutboxEntry {
  readonly notificationId: string;
  readonly messageId: string;
  readonly endpoint: string;
  readonly protocol: string;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The event id of the sign-off request that took more than one attempt (notification ids are `<event id>.<n>`). */
const failedRequest = (all: readonly Delivered[]): string =>
  all.find((n) => n.type === 'signoff.requested' && n.delivery.attempts > 1)?.id.split('.')[0] ?? 'none';

describe('notifications while publishing fails for a while', () => {
  let dataDir: string;
  let local: LocalProcess;
  let rm: string;

  before(async () => {
    dataDir = tempDataDir();
    local = await startLocalProcess(dataDir, { SHIPGATE_FAULTS: '1', SHIPGATE_TIME_SCALE: '302400' });
    rm = await tokenFor(dataDir, 'rita', ['release-manager']);
  });

  after(async () => {
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  const notifications = async (id: string): Promise<Delivered[]> => {
    const response = await api(local.url, 'GET', `/releases/${id}/notifications?limit=100`, { token: rm });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.items;
  };
  const outbox = async (id: string): Promise<OutboxEntry[]> => {
    const response = await api(local.url, 'GET', `/notifications?releaseId=${id}&limit=1000`, { token: rm });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.items;
  };

  it('delivers every notification once publishing works again, and none twice', async () => {
    for (const body of [
      { name: 'Quinn QA', email: 'quinn@example.com', roles: ['qa-lead'] },
      { name: 'Sam Sec', phone: '+14155550123', roles: ['security-lead'] },
      { name: 'Rita RM', email: 'rita@example.com', phone: '+14155550199', roles: ['release-manager'] },
    ]) {
      const response = await api(local.url, 'POST', '/contacts', { token: rm, body });
      assert.equal(response.status, 201, JSON.stringify(response.body));
    }

    const from = local.output().length;
    setFaults(dataDir, { notifyPublish: {} });
    const ids: string[] = [];
    for (const n of [1, 2]) {
      const created = await api(local.url, 'POST', '/releases', {
        token: rm,
        body: { templateId: 'toolboxai-v1', name: `Notified ${n}`, version: `1.0.${n}` },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      ids.push(created.body.id);
      const signed = await api(local.url, 'POST', `/releases/${created.body.id}/signoffs`, {
        token: await tokenFor(dataDir, `qa-${n}`, ['qa-lead']),
        body: { gate: 'pre-release', role: 'qa-lead', decision: 'approve', comment: 'ok' },
      });
      assert.equal(signed.status, 200, JSON.stringify(signed.body));
    }
    const [first] = ids;
    assert.ok(first);

    // While publishing fails: the notifications are recorded as failed, nothing reaches the outbox.
    await waitForOutput(local, /fault injected: notifyPublish/, { from });
    const deadline = Date.now() + 20_000;
    let failing: Delivered[] = [];
    while (Date.now() < deadline) {
      failing = (await notifications(first)).filter((n) => n.delivery.state === 'failed' && n.delivery.attempts >= 2);
      if (failing.length > 0) break;
      await pause(200);
    }
    assert.ok(failing.length > 0, 'a notification failed, was retried, and failed again');
    assert.match(failing[0]?.delivery.lastError ?? '', /^InternalErrorException: fault injected/);
    for (const id of ids) assert.deepEqual(await outbox(id), [], 'nothing was delivered while publishing failed');

    // Then only one sign-off request fails once more: the event that asked for it is published in part, retried, and
    // on the retry what was published already is not published again.
    const partly = local.output().length;
    setFaults(dataDir, { notifyPublish: { type: 'signoff.requested', times: 1 } });
    await waitForOutput(local, /fault injected: notifyPublish \(signoff\.requested \S+\) fails .*\(1 of 1\)/, {
      from: partly,
      timeoutMs: 40_000,
    });
    setFaults(dataDir, {});
    const recovered = Date.now();

    let all: Delivered[] = [];
    let deliveredIn = 0;
    for (;;) {
      const each = await Promise.all(ids.map(notifications));
      all = each.flat();
      deliveredIn = Date.now() - recovered;
      // The sign-off is each release's last event: once its notification is there, every event has been handled.
      const handled = each.every((list) => list.some((n) => n.type === 'signoff.recorded'));
      if (handled && all.every((n) => n.delivery.state === 'published')) break;
      if (Date.now() - recovered > 60_000) {
        const stuck = all.filter((n) => n.delivery.state !== 'published').map((n) => `${n.id} ${n.delivery.state}`);
        assert.fail(`not delivered a minute after publishing recovered: ${stuck.join(', ')}`);
      }
      await pause(250);
    }
    const types = new Set(all.map((n) => n.type));
    for (const type of ['release.created', 'signoff.requested', 'signoff.recorded']) {
      assert.ok(types.has(type), `${type} is among the notifications: ${[...types].join(', ')}`);
    }

    // Once each: every delivery in the outbox comes from the one publish its notification recorded.
    const entries = (await Promise.all(ids.map(outbox))).flat();
    const byNotification = new Map<string, OutboxEntry[]>();
    for (const entry of entries)
      byNotification.set(entry.notificationId, [...(byNotification.get(entry.notificationId) ?? []), entry]);
    let retried = 0;
    let mostAttempts = 0;
    for (const notification of all) {
      const delivered = byNotification.get(notification.id) ?? [];
      assert.ok(delivered.length > 0, `${notification.id} (${notification.type}) reached the outbox`);
      const messages = new Set(delivered.map((entry) => entry.messageId));
      assert.deepEqual([...messages], [notification.delivery.messageId], `${notification.id} was published once`);
      const endpoints = delivered.map((entry) => `${entry.protocol}:${entry.endpoint}`);
      assert.equal(new Set(endpoints).size, endpoints.length, `${notification.id} reached each endpoint once`);
      if (notification.delivery.attempts > 1) retried += 1;
      mostAttempts = Math.max(mostAttempts, notification.delivery.attempts);
    }
    assert.equal(byNotification.size, all.length, 'no outbox entry without its notification');
    assert.ok(retried > 0, 'some notifications were delivered only after failed attempts');
    // The event published in part: one sign-off request took two attempts, the others of its gate one.
    const requests = all.filter((n) => n.type === 'signoff.requested' && n.id.startsWith(`${failedRequest(all)}.`));
    assert.ok(
      requests.some((n) => n.delivery.attempts === 2),
      'the failed sign-off request was published on a retry',
    );
    assert.ok(
      requests.some((n) => n.delivery.attempts === 1),
      'its siblings were published once, not again',
    );
    console.log(
      `faults: ${all.length} notifications, all published once publishing recovered (${retried} after failed ` +
        `attempts, up to ${mostAttempts}), ${entries.length} outbox deliveries, 0 published twice, ` +
        `all delivered ${deliveredIn} ms after the last fault`,
    );
  });
});
