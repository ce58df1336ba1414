// The local runtime over HTTP, the way a user calls it: templates, releases, items, sign-offs, audit, bad input,
// concurrency and a restart that keeps every release.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReleaseView } from '../../lambdas/core/release/view.ts';
import { leaves } from '../support/drive.ts';
import {
  api,
  type LocalProcess,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
  tokenFor,
} from '../support/local-process.ts';

describe('releases over the local HTTP API', () => {
  let dataDir: string;
  let local: LocalProcess;
  let rm: string;
  let qa: string;
  let sec: string;

  before(async () => {
    dataDir = tempDataDir();
    local = await startLocalProcess(dataDir);
    rm = await tokenFor(dataDir, 'rita', ['release-manager']);
    qa = await tokenFor(dataDir, 'quinn', ['qa-lead']);
    sec = await tokenFor(dataDir, 'sam', ['security-lead']);
  });

  after(async () => {
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  const create = async (templateId = 'toolboxai-v1', name = 'ToolBoxAI 1.1.0') => {
    const response = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId, name, version: '1.1.0', plannedAt: '2026-12-21T09:00:00Z' },
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response;
  };

  it('serves health without a token and nothing else without one', async () => {
    assert.equal((await api(local.url, 'GET', '/health')).status, 200);
    const denied = await api(local.url, 'GET', '/templates');
    assert.equal(denied.status, 401);
    const forged = await api(local.url, 'GET', '/templates', { token: `${rm.slice(0, -4)}AAAA` });
    assert.equal(forged.status, 401);
    const write = await api(local.url, 'POST', '/releases', {
      body: { templateId: 'toolboxai-v1', name: 'x', version: '1' },
    });
    assert.equal(write.status, 401);
  });

  it('lists both built-in templates and serves each whole', async () => {
    const list = await api(local.url, 'GET', '/templates', { token: qa });
    assert.equal(list.status, 200);
    const ids = list.body.items.map((template: { id: string }) => template.id).sort();
    assert.deepEqual(ids, ['mantisdb-v1', 'toolboxai-v1']);
    for (const id of ids) {
      const one = await api(local.url, 'GET', `/templates/${id}`, { token: qa });
      assert.equal(one.status, 200);
      assert.ok(one.body.phases.length >= 3);
    }
    const missing = await api(local.url, 'GET', '/templates/nope', { token: qa });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  });

  it('creates a release (201 + Location) and reads back its whole checklist and what the gate needs', async () => {
    const created = await create();
    const location = created.headers.get('location');
    assert.equal(location, `/releases/${created.body.id}`);
    const read = await api(local.url, 'GET', location ?? '', { token: qa });
    assert.equal(read.status, 200);
    const view = read.body as ReleaseView;
    assert.equal(view.status, 'PRE_RELEASE');
    assert.equal(view.phases[0]?.current, true);
    assert.ok(leaves(view).length > 100, 'the whole ToolBoxAI checklist');
    assert.deepEqual([...(view.waitingFor?.missingSignoffs ?? [])].sort(), [
      'devops-lead',
      'engineering-manager',
      'product-manager',
      'qa-lead',
      'security-lead',
    ]);
    assert.equal(view.waitingFor?.missingItems?.length, view.phases[0]?.progress.required);
  });

  it('ticks an item with evidence, refuses a reasonless skip of a required item, and audits both', async () => {
    const { body } = await create();
    const [first, second] = leaves(body).filter((item) => item.required);
    assert.ok(first && second);
    const ticked = await api(local.url, 'PATCH', `/releases/${body.id}/items/${first.id}`, {
      token: qa,
      body: { status: 'done', evidence: { url: 'https://ci.example.com/runs/42', note: 'green' }, expectedVersion: 0 },
    });
    assert.equal(ticked.status, 200, JSON.stringify(ticked.body));
    assert.equal(ticked.body.version, 1);
    assert.equal(ticked.body.evidence.url, 'https://ci.example.com/runs/42');
    const skip = await api(local.url, 'PATCH', `/releases/${body.id}/items/${second.id}`, {
      token: qa,
      body: { status: 'skipped' },
    });
    assert.equal(skip.status, 400);
    assert.equal(skip.body.errors[0].field, 'reason');
    const events = await api(local.url, 'GET', `/releases/${body.id}/events`, { token: qa });
    const byPeople = events.body.items.filter((event: { actor: { id: string } }) => event.actor.id !== 'shipgate');
    assert.deepEqual(
      byPeople.map((event: { type: string }) => event.type),
      ['release.created', 'item.updated'],
    );
    assert.equal(byPeople[1].actor.id, 'quinn');
  });

  it('records sign-offs by role: a rejection blocks the gate until the role approves', async () => {
    const { body } = await create();
    const path = `/releases/${body.id}/signoffs`;
    const notMine = await api(local.url, 'POST', path, {
      token: qa,
      body: { gate: 'pre-release', role: 'security-lead', decision: 'approve' },
    });
    assert.equal(notMine.status, 403);
    assert.equal(notMine.body.permission, 'signoff:security-lead');
    const rejected = await api(local.url, 'POST', path, {
      token: sec,
      body: { gate: 'pre-release', role: 'security-lead', decision: 'reject', comment: 'pen test not done' },
    });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    assert.equal(rejected.body.gate.rejections[0].comment, 'pen test not done');
    const approved = await api(local.url, 'POST', path, {
      token: sec,
      body: { gate: 'pre-release', role: 'security-lead', decision: 'approve' },
    });
    assert.equal(approved.body.gate.rejections.length, 0);
    assert.ok(!approved.body.gate.missingSignoffs.includes('security-lead'));
    const both = await tokenFor(local.dataDir, 'pat', ['qa-lead', 'product-manager']);
    await api(local.url, 'POST', path, {
      token: both,
      body: { gate: 'pre-release', role: 'qa-lead', decision: 'approve' },
    });
    const twice = await api(local.url, 'POST', path, {
      token: both,
      body: { gate: 'pre-release', role: 'product-manager', decision: 'approve' },
    });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.type, '/problems/separation-of-duties');
  });

  it('keeps 50 concurrent item changes and the gate sign-offs sent at the same time, each with its event', async () => {
    const { body } = await create();
    const targets = leaves(body).slice(0, 50);
    assert.equal(targets.length, 50);
    const signers: [string, string][] = [
      ['engineering-manager', 'em'],
      ['security-lead', 'sl'],
      ['qa-lead', 'ql'],
      ['devops-lead', 'dl'],
      ['product-manager', 'pm'],
    ];
    const tokens = await Promise.all(signers.map(([role, user]) => tokenFor(local.dataDir, user, [role])));
    const responses = await Promise.all([
      ...targets.map((item) =>
        api(local.url, 'PATCH', `/releases/${body.id}/items/${item.id}`, { token: qa, body: { status: 'done' } }),
      ),
      ...signers.map(([role], n) =>
        api(local.url, 'POST', `/releases/${body.id}/signoffs`, {
          token: tokens[n],
          body: { gate: 'pre-release', role, decision: 'approve' },
        }),
      ),
    ]);
    assert.deepEqual(
      responses.filter((response) => response.status !== 200).map((response) => response.body),
      [],
    );
    const view = (await api(local.url, 'GET', `/releases/${body.id}`, { token: qa })).body as ReleaseView;
    assert.equal(leaves(view).filter((item) => item.status === 'done').length, 50);
    // Every sign-off landed: the gate misses none, or it has passed already and the release waits on the next one.
    if (view.waitingFor?.gate === 'pre-release') assert.deepEqual(view.waitingFor.missingSignoffs, []);
    else assert.notEqual(view.status, 'PRE_RELEASE', JSON.stringify(view.waitingFor));
    const events = await api(local.url, 'GET', `/releases/${body.id}/events?limit=200`, { token: qa });
    const types = events.body.items.map((event: { type: string }) => event.type);
    assert.equal(types.filter((type: string) => type === 'item.updated').length, 50);
    assert.equal(types.filter((type: string) => type === 'signoff.recorded').length, signers.length);
    // Each sign-off is its role's first decision (version 1 of its own row): none overwrote another.
    const signed = events.body.items
      .filter((event: { type: string }) => event.type === 'signoff.recorded')
      .map((event: { data: { role: string; version: number } }) => `${event.data.role}@${event.data.version}`);
    assert.deepEqual(signed.sort(), signers.map(([role]) => `${role}@1`).sort());
  });

  it('lets exactly one of concurrent PATCHes with the same expectedVersion win; the rest get 409', async () => {
    const { body } = await create();
    const target = leaves(body)[0];
    assert.ok(target);
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        api(local.url, 'PATCH', `/releases/${body.id}/items/${target.id}`, {
          token: qa,
          body: { status: 'done', evidence: { note: `writer ${n}` }, expectedVersion: 0 },
        }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    const conflict = responses.find((response) => response.status === 409);
    assert.equal(conflict?.body.currentVersion, 1);
  });

  it('answers bad input with a 4xx problem naming it, never a 500', async () => {
    const { body } = await create('mantisdb-v1', 'MantisDB 1.0.0');
    const item = leaves(body)[0];
    assert.ok(item);
    const itemPath = `/releases/${body.id}/items/${item.id}`;
    const cases: [string, string, Parameters<typeof api>[3], number, string][] = [
      [
        'malformed JSON',
        itemPath,
        { rawBody: '{"status":', headers: { 'content-type': 'application/json' } },
        400,
        'body',
      ],
      ['unknown field', itemPath, { body: { status: 'done', owner: 'me' } }, 400, 'owner'],
      ['wrong type', itemPath, { body: { status: 'done', expectedVersion: 'one' } }, 400, 'expectedVersion'],
      ['bad enum', itemPath, { body: { status: 'finished' } }, 400, 'status'],
      [
        'bad evidence URL',
        itemPath,
        { body: { status: 'done', evidence: { url: 'javascript:alert(1)' } } },
        400,
        'evidence.url',
      ],
      ['oversized body', itemPath, { body: { status: 'done', reason: 'x'.repeat(300 * 1024) } }, 413, 'body'],
      [
        'not JSON',
        itemPath,
        { rawBody: 'status=done', headers: { 'content-type': 'text/plain' } },
        415,
        'content-type',
      ],
    ];
    for (const [name, path, options, status, field] of cases) {
      const response = await api(local.url, 'PATCH', path, { token: qa, ...options });
      assert.equal(response.status, status, `${name}: ${JSON.stringify(response.body)}`);
      assert.equal(response.headers.get('content-type'), 'application/problem+json', name);
      assert.ok(
        response.body.errors.some((error: { field: string }) => error.field === field),
        `${name} names ${field}: ${JSON.stringify(response.body.errors)}`,
      );
    }
    const unknownRelease = await api(local.url, 'GET', '/releases/01JUNKNOWNRELEASE000000000', { token: qa });
    assert.equal(unknownRelease.status, 404);
    assert.match(unknownRelease.body.detail, /release '01JUNKNOWNRELEASE000000000' does not exist/);
    const unknownItem = await api(local.url, 'PATCH', `/releases/${body.id}/items/no-such-item`, {
      token: qa,
      body: { status: 'done' },
    });
    assert.equal(unknownItem.status, 404);
    const unknownGate = await api(local.url, 'POST', `/releases/${body.id}/signoffs`, {
      token: qa,
      body: { gate: 'launch', role: 'qa-lead', decision: 'approve' },
    });
    assert.equal(unknownGate.status, 400);
    assert.equal(unknownGate.body.errors[0].field, 'gate');
    const badCursor = await api(local.url, 'GET', '/releases?cursor=garbage', { token: qa });
    assert.equal(badCursor.status, 400);
    assert.equal(badCursor.body.errors[0].field, 'cursor');
    const badLimit = await api(local.url, 'GET', '/releases?limit=5000', { token: qa });
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.body.errors[0].field, 'limit');
    assert.doesNotMatch(local.output(), /handler crashed/);
  });

  it('lists releases by status, newest first, with a cursor', async () => {
    const ids = [(await create()).body.id, (await create()).body.id, (await create()).body.id];
    const first = await api(local.url, 'GET', '/releases?status=PRE_RELEASE&limit=2', { token: qa });
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.items.map((release: { id: string }) => release.id),
      [ids[2], ids[1]],
    );
    const second = await api(local.url, 'GET', `/releases?status=PRE_RELEASE&limit=2&cursor=${first.body.cursor}`, {
      token: qa,
    });
    assert.equal(second.body.items[0].id, ids[0]);
    const none = await api(local.url, 'GET', '/releases?status=COMPLETED', { token: qa });
    assert.deepEqual(none.body.items, []);
  });
});

describe('the local runtime process', () => {
  it('keeps every release across a restart, and refuses a second instance on the same data', async () => {
    const dataDir = tempDataDir();
    try {
      const first = await startLocalProcess(dataDir);
      const rm = await tokenFor(dataDir, 'rita', ['release-manager']);
      const created = await api(first.url, 'POST', '/releases', {
        token: rm,
        body: { templateId: 'mantisdb-v1', name: 'MantisDB 1.0.0', version: '1.0.0' },
      });
      const item = leaves(created.body)[0];
      assert.ok(item);
      await api(first.url, 'PATCH', `/releases/${created.body.id}/items/${item.id}`, {
        token: rm,
        body: { status: 'done', evidence: { note: 'kept' } },
      });

      await assert.rejects(startLocalProcess(dataDir), /already running/);

      assert.equal(await first.stop(), 0, 'Ctrl-C exits cleanly');
      const second = await startLocalProcess(dataDir);
      try {
        const read = await api(second.url, 'GET', `/releases/${created.body.id}`, { token: rm });
        assert.equal(read.status, 200);
        const kept = leaves(read.body).find((candidate) => candidate.id === item.id);
        assert.equal(kept?.status, 'done');
        assert.equal(kept?.evidence?.note, 'kept');
      } finally {
        await second.stop();
      }
    } finally {
      removeDataDir(dataDir);
    }
  });
});
