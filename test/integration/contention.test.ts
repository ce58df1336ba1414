// Contention against DynamoDB Local: sign-offs conditioned on their own rows land alongside item changes and
// metrics; the signer guard keeps one person to one role of a gate under concurrency; a metrics batch is stored whole
// or not at all.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoReleaseStore } from '../../lambdas/adapters/dynamodb/release-store.ts';
import { RuleViolation, ValidationFailed } from '../../lambdas/core/errors.ts';
import { recordMetrics } from '../../lambdas/core/monitoring/metrics-use-cases.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import { MAX_SAMPLES_PER_BATCH, type SignoffChange } from '../../lambdas/core/ports.ts';
import { recordSignoff, updateItem } from '../../lambdas/core/release/checklist-use-cases.ts';
import type { ReleaseContext } from '../../lambdas/core/release/context.ts';
import { signoffVersion } from '../../lambdas/core/release/gates.ts';
import type { AuditEvent, ReleaseAggregate } from '../../lambdas/core/release/release.ts';
import { createRelease, getRelease, listEvents } from '../../lambdas/core/release/release-use-cases.ts';
import { releaseContextOver, releasesTableFor, testDynamoDb } from '../support/dynamodb.ts';
import { machine, testTemplate, user, wideGateTemplate } from '../support/fixtures.ts';

const rita = user('rita', ['release-manager']);
const roles = Array.from({ length: 8 }, (_, n) => `role-${n + 1}`);

/** The DynamoDB store, counting sign-off writes and able to hold loads until a number of them have read. */
class ObservedStore extends DynamoReleaseStore {
  signoffWrites = 0;
  #barrier: { count: number; waiting: (() => void)[] } | undefined;

  /** The next `count` loads all return only once every one of them has read: their decisions share one state. */
  holdLoads(count: number): void {
    this.#barrier = { count, waiting: [] };
  }

  override async load(releaseId: string): Promise<ReleaseAggregate | undefined> {
    const agg = await super.load(releaseId);
    const barrier = this.#barrier;
    if (barrier) {
      await new Promise<void>((resolve) => {
        barrier.waiting.push(resolve);
        if (barrier.waiting.length < barrier.count) return;
        this.#barrier = undefined;
        for (const go of barrier.waiting) go();
      });
    }
    return agg;
  }

  override async saveSignoff(releaseId: string, change: SignoffChange, event: AuditEvent): Promise<void> {
    this.signoffWrites += 1;
    await super.saveSignoff(releaseId, change, event);
  }
}

describe('DynamoDB contention', () => {
  let dynamo: Awaited<ReturnType<typeof testDynamoDb>>;
  let client: DynamoDBClient;
  let tableName: string;
  let store: ObservedStore;
  let service: ReleaseContext;
  const templates = [testTemplate(), wideGateTemplate('eight', 8)];

  before(async () => {
    dynamo = await testDynamoDb();
    ({ client, tableName } = await releasesTableFor(dynamo, 'contention'));
    store = new ObservedStore({ client, tableName });
    service = releaseContextOver(store, templates);
  });

  after(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  async function allEvents(releaseId: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await listEvents(service, rita, releaseId, { limit: 100, cursor });
      events.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return events;
  }

  it('lands 8 sign-offs of 8 roles and 50 item changes sent at once, with metrics and reads, each once', async () => {
    const { id } = await createRelease(service, rita, { templateId: 'eight', name: 'busy', version: '1.0.0' });
    const worker = user('wes', ['qa-lead']);
    const ci = machine('ci', ['shipgate/metrics.write']);
    const before = store.signoffWrites;
    const results = await Promise.allSettled([
      ...roles.map((role) =>
        recordSignoff(service, user(`signer-${role}`, [role]), id, { gate: 'pre-release', role, decision: 'approve' }),
      ),
      ...Array.from({ length: 50 }, (_, n) => updateItem(service, worker, id, `item-${n + 1}`, { status: 'done' })),
      ...Array.from({ length: 3 }, (_, n) =>
        recordMetrics(service, ci, id, [{ name: 'api.latency.p95', value: 100 + n, unit: 'Milliseconds' }]),
      ),
      ...Array.from({ length: 3 }, () => getRelease(service, rita, id)),
    ]);
    assert.deepEqual(
      results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : [])),
      [],
    );
    // Sign-offs of different roles share no row: none had to be decided again.
    assert.equal(store.signoffWrites - before, roles.length);
    const agg = await store.load(id);
    assert.ok(agg);
    for (const role of roles) {
      const signoff = agg.signoffs.get(`pre-release#${role}`);
      assert.equal(signoff?.by.id, `signer-${role}`);
      assert.equal(signoffVersion(signoff), 1);
    }
    assert.equal(agg.release.revision, 1, 'no sign-off touched the header');
    const view = await getRelease(service, rita, id);
    assert.equal(view.phases[0]?.progress.byStatus.done, 50);
    assert.deepEqual(view.waitingFor?.missingSignoffs, []);
    const events = await allEvents(id);
    const signed = events.filter((event) => event.type === 'signoff.recorded').map((event) => event.data.role);
    assert.deepEqual([...signed].sort(), [...roles].sort());
    const items = events.filter((event) => event.type === 'item.updated').map((event) => event.data.itemId);
    assert.equal(new Set(items).size, 50);
    assert.equal(items.length, 50);
    assert.equal((await store.listSamples(id)).length, 3);
  });

  it('lands one of two roles one person approves at once; the other is refused for separation of duties', async () => {
    const { id } = await createRelease(service, rita, { templateId: 'eight', name: 'twice', version: '1.0.0' });
    const both = user('bo', ['role-1', 'role-2']);
    // Both decisions are made on the same state, neither seeing the other: only the guard row can refuse one.
    store.holdLoads(2);
    const results = await Promise.allSettled(
      ['role-1', 'role-2'].map((role) =>
        recordSignoff(service, both, id, { gate: 'pre-release', role, decision: 'approve' }),
      ),
    );
    const landed = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.signoff.role] : []));
    assert.equal(landed.length, 1);
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    assert.equal(refused.length, 1);
    assert.ok(refused[0] instanceof RuleViolation, String(refused[0]));
    assert.equal(refused[0].code, 'separation-of-duties');
    const agg = await store.load(id);
    assert.deepEqual([...(agg?.signoffs.keys() ?? [])], [`pre-release#${landed[0]}`]);
    const events = await allEvents(id);
    assert.equal(events.filter((event) => event.type === 'signoff.recorded').length, 1);
    const guard = await DynamoDBDocumentClient.from(client).send(
      new GetCommand({ TableName: tableName, Key: { pk: `REL#${id}`, sk: 'SIGNER#pre-release#bo' } }),
    );
    assert.equal(guard.Item?.role, landed[0]);
  });

  it('stores a metrics batch that fails in the middle not at all, and a whole one once however often sent', async () => {
    const { id } = await createRelease(service, rita, { templateId: 'test-template', name: 'metrics', version: '1' });
    const at = (n: number) => new Date(Date.parse('2026-11-21T10:00:00Z') + n * 1000).toISOString();
    const batch: MetricSample[] = Array.from({ length: 10 }, (_, n) => ({ name: 'api.errors', value: n, at: at(n) }));
    // The sixth sample's key is longer than DynamoDB takes (1024 bytes): DynamoDB refuses that row, and with it,
    // the batch being one transaction, every other.
    const poisoned = batch.map((sample, n) => (n === 5 ? { ...sample, name: 'x'.repeat(1100) } : sample));
    await assert.rejects(store.saveSamples(id, poisoned));
    assert.deepEqual(await store.listSamples(id), []);

    const full = Array.from({ length: MAX_SAMPLES_PER_BATCH }, (_, n) => ({ name: 'api.errors', value: n, at: at(n) }));
    await store.saveSamples(id, [...full, ...full.slice(0, 5)]);
    await store.saveSamples(id, full);
    assert.equal((await store.listSamples(id)).length, MAX_SAMPLES_PER_BATCH, 'a sample sent twice is kept once');

    const tooMany = [...full, { name: 'api.errors', value: 1000, at: at(1000) }];
    await assert.rejects(
      store.saveSamples(id, tooMany),
      (error: unknown) => error instanceof ValidationFailed && error.issues[0]?.field === 'samples',
    );
    assert.equal((await store.listSamples(id)).length, MAX_SAMPLES_PER_BATCH);
  });
});
