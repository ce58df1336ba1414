// The records of Idempotency-Key in DynamoDB Local: a claimed request's transactions mark its record in the same
// write, so a change and the knowledge of it are never apart; an attempt overtaken after its lease writes nothing;
// an error answer frees the key unless the change had landed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoReleaseStore } from '../../lambdas/adapters/dynamodb/release-store.ts';
import { DynamoRequestStore } from '../../lambdas/adapters/dynamodb/request-store.ts';
import { systemClock } from '../../lambdas/adapters/system.ts';
import { StaleVersion } from '../../lambdas/core/errors.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import type { ReleaseContext } from '../../lambdas/core/release/context.ts';
import { createRelease } from '../../lambdas/core/release/release-use-cases.ts';
import type { KeyedRequest } from '../../lambdas/core/requests.ts';
import { releaseContextOver, releasesTableFor, testDynamoDb } from '../support/dynamodb.ts';
import { testTemplate, user } from '../support/fixtures.ts';

describe('DynamoDB request store (Idempotency-Key)', () => {
  let dynamo: Awaited<ReturnType<typeof testDynamoDb>>;
  let client: DynamoDBClient;
  let store: DynamoReleaseStore;
  let requests: DynamoRequestStore;
  let service: ReleaseContext;
  let releaseId: string;
  const templates = [testTemplate()];

  const request = (overrides: Partial<KeyedRequest> = {}): KeyedRequest => ({
    scope: 'user:rita',
    key: randomUUID(),
    method: 'POST',
    path: '/releases/x/metrics',
    fingerprint: 'f1',
    leaseMs: 10_000,
    ...overrides,
  });
  const trace = () => ({ stored: false, uncertain: false });
  const samples = (value: number): MetricSample[] => [
    { name: 'api.errors', value, unit: 'Count', at: new Date(Date.UTC(2026, 11, 4, 10, 0, value)).toISOString() },
  ];

  before(async () => {
    dynamo = await testDynamoDb();
    let tableName: string;
    ({ client, tableName } = await releasesTableFor(dynamo, 'requests'));
    store = new DynamoReleaseStore({ client, tableName });
    requests = new DynamoRequestStore({ client, tableName, clock: systemClock });
    service = releaseContextOver(store, templates);
    ({ id: releaseId } = await createRelease(service, user('rita', ['release-manager']), {
      templateId: 'test-template',
      name: 'requests',
      version: '1',
    }));
  });

  after(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  it('replays a completed request and refuses its key for another request', async () => {
    const first = request();
    const claimed = await requests.claim(first);
    assert.equal(claimed.kind, 'claimed');
    if (claimed.kind !== 'claimed') return;
    await requests.complete(claimed.claim, { statusCode: 201, headers: { location: '/x' }, body: '{"id":"x"}' });
    assert.deepEqual(await requests.claim(first), {
      kind: 'replay',
      response: { statusCode: 201, headers: { location: '/x' }, body: '{"id":"x"}' },
    });
    const other = await requests.claim({ ...first, fingerprint: 'f2' });
    assert.equal(other.kind, 'reused');
  });

  it('marks the record in the transaction that stores the change: an error after it does not free the key', async () => {
    const first = request({ leaseMs: 300 });
    const claimed = await requests.claim(first);
    if (claimed.kind !== 'claimed') assert.fail(claimed.kind);
    await requests.within(claimed.claim, trace(), () => store.saveSamples(releaseId, samples(1)));
    // The answer never came (the function failed after the write): the key is not freed for a second run.
    assert.equal(await requests.release(claimed.claim), 'applied');
    const during = await requests.claim(first);
    assert.equal(during.kind, 'in-progress');
    await sleep(400);
    const later = await requests.claim(first);
    assert.equal(later.kind, 'applied');
    assert.equal((await store.listSamples(releaseId)).filter((sample) => sample.value === 1).length, 1);
  });

  it('frees the key of a request that changed nothing, for any request', async () => {
    const first = request();
    const claimed = await requests.claim(first);
    if (claimed.kind !== 'claimed') assert.fail(claimed.kind);
    assert.equal(await requests.release(claimed.claim), 'released');
    const again = await requests.claim({ ...first, fingerprint: 'another body' });
    assert.equal(again.kind, 'claimed');
  });

  it('lets a retry take over an attempt whose lease is over, and then the old attempt writes nothing', async () => {
    const first = request({ leaseMs: 1 });
    const stale = await requests.claim(first);
    if (stale.kind !== 'claimed') assert.fail(stale.kind);
    await sleep(20);
    const fresh = await requests.claim(first);
    if (fresh.kind !== 'claimed') assert.fail(fresh.kind);
    await assert.rejects(
      requests.within(stale.claim, trace(), () => store.saveSamples(releaseId, samples(2))),
      (error: unknown) => error instanceof StaleVersion,
    );
    assert.equal((await store.listSamples(releaseId)).filter((sample) => sample.value === 2).length, 0);
    await requests.within(fresh.claim, trace(), () => store.saveSamples(releaseId, samples(2)));
    assert.equal((await store.listSamples(releaseId)).filter((sample) => sample.value === 2).length, 1);
  });

  it('notes what the writes of a request did, with a key or without', async () => {
    const keyless = trace();
    await requests.within(undefined, keyless, () => store.saveSamples(releaseId, samples(3)));
    assert.deepEqual(keyless, { stored: true, uncertain: false });
    assert.equal((await store.listSamples(releaseId)).filter((sample) => sample.value === 3).length, 1);
    // A transaction that loses its condition stores nothing, and says so.
    const lost = trace();
    const stale = await requests.claim(request({ leaseMs: 1 }));
    if (stale.kind !== 'claimed') assert.fail(stale.kind);
    await sleep(20);
    assert.equal((await requests.claim(request({ key: 'other' }))).kind, 'claimed');
    await requests.release(stale.claim);
    await assert.rejects(requests.within(stale.claim, lost, () => store.saveSamples(releaseId, samples(4))));
    assert.deepEqual(lost, { stored: false, uncertain: false });
  });
});
