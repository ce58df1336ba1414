// The escalation chain through the local runtime: a rollback pages level 1; nobody acknowledging, levels 2 and 3
// follow at the template's interval (time scaled); an acknowledgement stops the chain at level 1. Pages reach the
// contacts of each level, and only them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, type Driver, drive, driver, until } from '../support/drive.ts';
import { api, removeDataDir, startLocalProcess, tempDataDir } from '../support/local-process.ts';

interface OutboxEntry {
  readonly type: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly releaseId: string;
  readonly body: string;
}

describe('escalation through the local runtime', () => {
  let dataDir: string;
  let d: Driver;
  const phones = { level1: '+14155550101', level2: '+14155550102', level3: '+14155550103' };

  before(async () => {
    dataDir = tempDataDir();
    // 15 minutes pass in 1.5 s: long enough to acknowledge in, short enough to watch a chain run out.
    d = driver(await startLocalProcess(dataDir, { SHIPGATE_TIME_SCALE: '600' }));
    const rm = await d.token(['release-manager']);
    for (const [level, phone] of [
      [1, phones.level1],
      [2, phones.level2],
      [3, phones.level3],
    ] as const) {
      const contact = await api(d.local.url, 'POST', '/contacts', {
        token: rm,
        body: { name: `On call L${level}`, phone, roles: ['on-call'], escalationLevel: level, events: ['escalation'] },
      });
      assert.equal(contact.status, 201, JSON.stringify(contact.body));
    }
  });

  after(async () => {
    await d?.local.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  async function deploying(): Promise<string> {
    const release = await create(d, 'toolboxai-v1');
    await drive(d, release.id, ['PRE_RELEASE', 'STAGING']);
    await until(d, release.id, 'DEPLOYING', (view) => view.status === 'DEPLOYING');
    const rollback = await api(d.local.url, 'POST', `/releases/${release.id}/rollback`, {
      token: await d.token(['release-manager']),
      body: { reason: 'payments failing' },
    });
    assert.equal(rollback.status, 200, JSON.stringify(rollback.body));
    return release.id;
  }

  async function pages(releaseId: string): Promise<OutboxEntry[]> {
    const response = await api(d.local.url, 'GET', `/notifications?releaseId=${releaseId}`, {
      token: await d.token(['release-manager']),
    });
    return (response.body.items as OutboxEntry[]).filter((entry) => entry.type === 'escalation');
  }

  it('escalates an unacknowledged rollback to level 3, each level paging its own on-call contact', async () => {
    const id = await deploying();
    const ended = await until(d, id, 'the chain to run out', (view) => view.escalation?.state === 'exhausted');
    assert.equal(ended.escalation?.level, 3);
    const deadline = Date.now() + 10_000;
    let paged: OutboxEntry[] = [];
    while (Date.now() < deadline) {
      paged = await pages(id);
      if (paged.length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(paged.map((entry) => entry.endpoint).sort(), [phones.level1, phones.level2, phones.level3]);
    for (const entry of paged) assert.ok(entry.body.length <= 160 && /Ack/.test(entry.body), entry.body);
  });

  it('stops at level 1 when on-call acknowledges, and records who', async () => {
    const id = await deploying();
    await until(d, id, 'level 1 paged', (view) => view.escalation?.level === 1);
    const lead = await d.token(['engineering-lead']);
    const ack = await api(d.local.url, 'POST', `/releases/${id}/acknowledge`, { token: lead, body: { note: 'on it' } });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.equal(ack.body.escalation.state, 'acknowledged');
    assert.equal(ack.body.escalation.acknowledgedBy.id, 'user-engineering-lead');
    // Two intervals later, still only level 1 was paged.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const view = await until(d, id, 'the release', () => true);
    assert.equal(view.escalation?.level, 1);
    assert.deepEqual(
      (await pages(id)).map((entry) => entry.endpoint),
      [phones.level1],
    );
    const again = await api(d.local.url, 'POST', `/releases/${id}/acknowledge`, { token: lead, body: {} });
    assert.equal(again.status, 409);
    assert.equal(again.body.type, '/problems/nothing-to-acknowledge');
  });
});
