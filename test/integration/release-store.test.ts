// The DynamoDB adapter against DynamoDB Local: conditions, transactions, indexes and cursors, through the service.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoReleaseStore } from '../../lambdas/adapters/dynamodb/release-store.ts';
import { StaleVersion, ValidationFailed } from '../../lambdas/core/errors.ts';
import { recordSignoff, updateItem } from '../../lambdas/core/release/checklist-use-cases.ts';
import type { ReleaseContext } from '../../lambdas/core/release/context.ts';
import { signoffVersion } from '../../lambdas/core/release/gates.ts';
import { createRelease, getRelease, listEvents, listReleases } from '../../lambdas/core/release/release-use-cases.ts';
import { releaseContextOver, releasesTableFor, testDynamoDb } from '../support/dynamodb.ts';
import { testTemplate, user, wideGateTemplate } from '../support/fixtures.ts';

const rita = user('rita', ['release-manager']);
const roles = Array.from({ length: 20 }, (_, n) => `role-${n + 1}`);

describe('DynamoDB release store', () => {
  let dynamo: Awaited<ReturnType<typeof testDynamoDb>>;
  let client: DynamoDBClient;
  let tableName: string;
  let store: DynamoReleaseStore;
  let service: ReleaseContext;
  const templates = [testTemplate(), wideGateTemplate('wide', 20)];

  before(async () => {
    dynamo = await testDynamoDb();
    ({ client, tableName } = await releasesTableFor(dynamo, 'it'));
    store = new DynamoReleaseStore({ client, tableName });
    service = releaseContextOver(store, templates);
  });

  after(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  it('reads a whole release (header, snapshot, items, sign-offs) in one Query page and no events', async () => {
    const { id } = await createRelease(service, rita, {
      templateId: 'test-template',
      name: 'one query',
      version: '1.0.0',
    });
    await updateItem(service, user('quinn', ['qa-lead']), id, 'changelog', { status: 'done' });
    await recordSignoff(service, user('quinn', ['qa-lead']), id, {
      gate: 'pre-release',
      role: 'qa-lead',
      decision: 'approve',
    });
    const doc = DynamoDBDocumentClient.from(client);
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
        ExpressionAttributeValues: { ':pk': `REL#${id}`, ':r': 'R#' },
      }),
    );
    assert.deepEqual(page.Items?.map((row) => row.kind).sort(), ['item', 'release', 'signoff', 'template']);
    assert.equal(page.LastEvaluatedKey, undefined);
    const agg = await store.load(id);
    assert.equal(agg?.items.get('changelog')?.status, 'done');
    assert.equal(agg?.signoffs.get('pre-release#qa-lead')?.decision, 'approve');
    assert.equal(agg?.template.id, 'test-template');
    // A sign-off is a row of its own: the header keeps the revision it was created at.
    assert.equal(agg?.release.revision, 1);
    assert.equal(agg?.signoffs.get('pre-release#qa-lead')?.by.id, 'quinn');
  });

  it('lists releases of a status newest first, page by page with an opaque cursor', async () => {
    const created: string[] = [];
    for (let n = 0; n < 5; n += 1) {
      created.push(
        (await createRelease(service, rita, { templateId: 'test-template', name: `r${n}`, version: `0.${n}` })).id,
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listReleases(service, rita, { status: 'PRE_RELEASE', limit: 2, cursor });
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((release) => release.id));
      cursor = page.cursor;
    } while (cursor);
    const ours = seen.filter((id) => created.includes(id));
    assert.deepEqual(ours, [...created].reverse());
    assert.equal(new Set(seen).size, seen.length, 'no release twice across pages');
  });

  it('refuses a cursor it did not issue, or one from another listing', async () => {
    await assert.rejects(store.list({ limit: 2, cursor: 'bm90IGEgY3Vyc29y' }), ValidationFailed);
    const first = await store.list({ limit: 1 });
    assert.ok(first.cursor);
    await assert.rejects(store.list({ status: 'COMPLETED', limit: 1, cursor: first.cursor }), ValidationFailed);
  });

  it('writes an item change and its event together or not at all', async () => {
    const { id } = await createRelease(service, rita, { templateId: 'test-template', name: 'atomic', version: '1' });
    const doc = DynamoDBDocumentClient.from(client);
    // An event row that already exists makes the event's condition fail: the item must not change either.
    await doc.send(new PutCommand({ TableName: tableName, Item: { pk: `REL#${id}`, sk: 'E#clash', kind: 'event' } }));
    const event = {
      id: 'clash',
      releaseId: id,
      type: 'item.updated' as const,
      at: '',
      actor: { id: 'x', name: 'x', kind: 'user' as const },
      data: {},
    };
    await assert.rejects(
      store.saveItem(id, { itemId: 'changelog', status: 'done', version: 1 }, 0, event),
      StaleVersion,
    );
    assert.equal((await store.load(id))?.items.has('changelog'), false);
  });

  it('refuses a sign-off against a stale version of its row, and a claim another role holds, writing nothing', async () => {
    const { id } = await createRelease(service, rita, { templateId: 'test-template', name: 'stale', version: '1' });
    const by = { id: 'q', name: 'q', kind: 'user' as const };
    const signoff = { gate: 'pre-release', role: 'qa-lead', decision: 'approve' as const, by, at: 'now' };
    const event = (n: number) => ({
      id: `e-stale-${n}`,
      releaseId: id,
      type: 'signoff.recorded' as const,
      at: 'now',
      actor: by,
      data: {},
    });
    const before = (await store.listEvents(id, { limit: 10 })).items.length;
    // Decided on version 3 of a row that was never written.
    await assert.rejects(
      store.saveSignoff(id, { signoff: { ...signoff, version: 4 }, expectedVersion: 3, claims: [] }, event(1)),
      StaleVersion,
    );
    // q stands for security-lead at this gate: a claim on qa-lead is refused, and the row stays unwritten.
    await store.saveSignoff(
      id,
      {
        signoff: { ...signoff, role: 'security-lead', version: 1 },
        expectedVersion: 0,
        claims: [{ actorId: 'q', role: 'security-lead', stands: true }],
      },
      event(2),
    );
    await assert.rejects(
      store.saveSignoff(
        id,
        {
          signoff: { ...signoff, version: 1 },
          expectedVersion: 0,
          claims: [{ actorId: 'q', role: 'qa-lead', stands: true }],
        },
        event(3),
      ),
      StaleVersion,
    );
    const after = await store.load(id);
    assert.deepEqual([...(after?.signoffs.keys() ?? [])], ['pre-release#security-lead']);
    assert.equal(signoffVersion(after?.signoffs.get('pre-release#security-lead')), 1);
    assert.equal(after?.release.revision, 1);
    const events = await store.listEvents(id, { limit: 10 });
    assert.equal(events.items.length, before + 1);
  });

  it('keeps a task token only for the wait the release is in, and no header write loses it', async () => {
    const { id } = await createRelease(service, rita, { templateId: 'test-template', name: 'tokens', version: '1' });
    const agg = await store.load(id);
    const waitId = agg?.release.wait?.id;
    assert.ok(agg && waitId, 'a new release waits at its first gate');
    assert.equal(await store.saveTaskToken(id, 'gate:old@then', 'token-old'), false);
    assert.equal(await store.saveTaskToken(id, waitId, 'token-1'), true);
    assert.deepEqual((await store.load(id))?.task, { waitId, token: 'token-1' });
    const next = { ...agg.release, status: 'CANCELLED' as const, wait: undefined, revision: agg.release.revision + 1 };
    await store.saveRelease(next, agg.release.revision, []);
    const after = await store.load(id);
    // The token outlives the header write; it names its wait, which the release has left, so nobody uses it.
    assert.deepEqual(after?.task, { waitId, token: 'token-1' });
    assert.equal(after?.release.wait, undefined);
    assert.equal(after?.release.status, 'CANCELLED');
    const cancelled = await store.list({ status: 'CANCELLED', limit: 50 });
    assert.ok(
      cancelled.items.some((release) => release.id === id),
      'the status index follows the header',
    );
  });

  it('refuses a header written against a stale revision, with its events', async () => {
    const { id } = await createRelease(service, rita, {
      templateId: 'test-template',
      name: 'stale header',
      version: '1',
    });
    const agg = await store.load(id);
    assert.ok(agg);
    const before = (await store.listEvents(id, { limit: 50 })).items.length;
    const event = {
      id: 'e-header',
      releaseId: id,
      type: 'release.cancelled' as const,
      at: 'now',
      actor: { id: 'x', name: 'x', kind: 'user' as const },
      data: {},
    };
    await assert.rejects(
      store.saveRelease({ ...agg.release, status: 'CANCELLED', revision: 9 }, agg.release.revision + 5, [event]),
      StaleVersion,
    );
    assert.equal((await store.load(id))?.release.status, 'PRE_RELEASE');
    assert.equal((await store.listEvents(id, { limit: 50 })).items.length, before);
  });

  it('keeps every one of 50 concurrent item changes and 20 concurrent sign-offs, each with its event', async () => {
    const { id } = await createRelease(service, rita, { templateId: 'wide', name: 'busy', version: '3.0.0' });
    const worker = user('wes', ['qa-lead']);
    await Promise.all([
      ...Array.from({ length: 50 }, (_, n) => updateItem(service, worker, id, `item-${n + 1}`, { status: 'done' })),
      ...roles.map((role) =>
        recordSignoff(service, user(`signer-${role}`, [role]), id, { gate: 'pre-release', role, decision: 'approve' }),
      ),
    ]);
    const view = await getRelease(service, rita, id);
    assert.equal(view.phases[0]?.progress.byStatus.done, 50);
    assert.deepEqual(view.waitingFor?.missingSignoffs, []);
    assert.equal(view.revision, 1, 'no sign-off touched the header');
    const events: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listEvents(service, rita, id, { limit: 30, cursor });
      events.push(...page.items.map((event) => event.type));
      cursor = page.cursor;
    } while (cursor);
    assert.equal(events.filter((type) => type === 'item.updated').length, 50);
    assert.equal(events.filter((type) => type === 'signoff.recorded').length, 20);
  });

  it('lets exactly one of concurrent changes with the same expectedVersion win', async () => {
    const { id } = await createRelease(service, rita, { templateId: 'test-template', name: 'race', version: '1' });
    const worker = user('wes', ['qa-lead']);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, n) =>
        updateItem(service, worker, id, 'changelog', {
          status: 'done',
          evidence: { note: `writer ${n}` },
          expectedVersion: 0,
        }),
      ),
    );
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    const rejected = results.filter((result) => result.status === 'rejected');
    assert.equal(rejected.length, 9);
    assert.ok(rejected.every((result) => result.reason instanceof StaleVersion));
    assert.equal((await store.load(id))?.items.get('changelog')?.version, 1);
  });
});
