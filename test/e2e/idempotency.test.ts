// Idempotency-Key over the local HTTP API: a retry gets the first answer and changes nothing (a release, a sign-off,
// an item change, a contact, an import made once), another request under the same key is a 422, a request still
// running is a 409 with Retry-After, an error answer frees the key, and keys of different callers never meet.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { localRuntimeForSuite } from '../support/drive.ts';
import { type ApiResponse, api, assertProblem, type LocalProcess, tokenFor } from '../support/local-process.ts';

describe('Idempotency-Key on every write', () => {
  const runtime = localRuntimeForSuite({});
  let local: LocalProcess;
  let rm: string;
  let otherRm: string;
  let qa: string;
  let sec: string;

  before(async () => {
    local = runtime.d.local;
    [rm, otherRm, qa, sec] = await Promise.all([
      tokenFor(local.dataDir, 'rita', ['release-manager']),
      tokenFor(local.dataDir, 'rory', ['release-manager']),
      tokenFor(local.dataDir, 'quinn', ['qa-lead']),
      tokenFor(local.dataDir, 'sam', ['security-lead']),
    ]);
  });

  const send = (method: string, path: string, token: string, key: string | undefined, body?: unknown) =>
    api(local.url, method, path, { token, body, headers: key === undefined ? {} : { 'idempotency-key': key } });

  const releaseBody = (name: string) => ({ templateId: 'toolboxai-v1', name, version: '2.0.0' });

  const eventsOf = async (id: string, type: string) => {
    const events = await api(local.url, 'GET', `/releases/${id}/events?limit=200`, { token: qa });
    assert.equal(events.status, 200);
    return events.body.items.filter((event: { type: string }) => event.type === type);
  };

  const releasesNamed = async (name: string) => {
    const list = await api(local.url, 'GET', '/releases?limit=100', { token: qa });
    return list.body.items.filter((release: { name: string }) => release.name === name);
  };

  const assertReplayOf = (first: ApiResponse, retry: ApiResponse) => {
    assert.equal(retry.status, first.status);
    assert.deepEqual(retry.body, first.body);
    assert.equal(retry.headers.get('idempotency-replayed'), 'true');
    assert.equal(first.headers.get('idempotency-replayed'), null);
  };

  it('makes one release of a POST /releases sent twice with one key, and answers the retry as the first', async () => {
    const key = randomUUID();
    const first = await send('POST', '/releases', rm, key, releaseBody('once'));
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const retry = await send('POST', '/releases', rm, key, releaseBody('once'));
    assertReplayOf(first, retry);
    assert.equal(retry.headers.get('location'), `/releases/${first.body.id}`);
    assert.equal((await releasesNamed('once')).length, 1);
    // Without a key, the same body is a new request.
    assert.equal((await send('POST', '/releases', rm, undefined, releaseBody('once'))).status, 201);
    assert.equal((await releasesNamed('once')).length, 2);
  });

  it('refuses the same key with another body with a 422 naming Idempotency-Key, changing nothing', async () => {
    const key = randomUUID();
    assert.equal((await send('POST', '/releases', rm, key, releaseBody('first body'))).status, 201);
    const other = await send('POST', '/releases', rm, key, releaseBody('second body'));
    const problem = assertProblem(other, 422);
    assert.equal(problem.type, '/problems/idempotency-key-reused');
    assert.equal(problem.errors[0].field, 'Idempotency-Key');
    assert.equal((await releasesNamed('second body')).length, 0);
    // The same key on another route is another request too.
    const elsewhere = await send('POST', '/contacts', rm, key, {
      name: 'Ops',
      email: 'ops@example.com',
      roles: ['sre'],
    });
    assert.equal(assertProblem(elsewhere, 422).type, '/problems/idempotency-key-reused');
  });

  it('keeps the keys of different callers apart', async () => {
    const key = randomUUID();
    const rita = await send('POST', '/releases', rm, key, releaseBody('two callers'));
    const rory = await send('POST', '/releases', otherRm, key, releaseBody('two callers'));
    assert.equal(rita.status, 201);
    assert.equal(rory.status, 201);
    assert.notEqual(rita.body.id, rory.body.id);
    assert.equal(rory.headers.get('idempotency-replayed'), null);
  });

  it('refuses a malformed key before anything runs', async () => {
    // (HTTP itself trims spaces around a header value.)
    for (const key of ['x'.repeat(256), 'tab\there', 'naïve']) {
      const response = await send('POST', '/releases', rm, key, releaseBody('bad key'));
      const problem = assertProblem(response, 400, `${JSON.stringify(key)}: ${response.status}`);
      assert.equal(problem.errors[0].field, 'Idempotency-Key');
    }
    assert.equal((await releasesNamed('bad key')).length, 0);
  });

  it('frees the key of a request answered with an error: the corrected request runs under it', async () => {
    const key = randomUUID();
    const missing = await send('POST', '/releases', rm, key, { ...releaseBody('fixed'), templateId: 'no-such' });
    assert.ok(missing.status >= 400 && missing.status < 500, String(missing.status));
    const fixed = await send('POST', '/releases', rm, key, releaseBody('fixed'));
    assert.equal(fixed.status, 201);
    assert.equal(fixed.headers.get('idempotency-replayed'), null);
  });

  it('runs one of many concurrent requests with one key; the others replay it or are told to come back', async () => {
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => send('POST', '/releases', rm, key, releaseBody('concurrent'))),
    );
    const ran = answers.filter((answer) => answer.status === 201 && !answer.headers.get('idempotency-replayed'));
    assert.equal(ran.length, 1, JSON.stringify(answers.map((answer) => answer.status)));
    for (const answer of answers) {
      if (answer.status === 201) {
        assert.equal(answer.body.id, ran[0]?.body.id);
        continue;
      }
      const problem = assertProblem(answer, 409);
      assert.equal(problem.type, '/problems/request-in-progress');
      assert.ok(Number(answer.headers.get('retry-after')) >= 1);
    }
    assert.equal((await releasesNamed('concurrent')).length, 1);
  });

  it('records a sign-off, an item change without expectedVersion and a metrics batch once however often sent', async () => {
    const release = (await send('POST', '/releases', rm, undefined, releaseBody('writes once'))).body;
    const signKey = randomUUID();
    const signoff = { gate: 'pre-release', role: 'security-lead', decision: 'reject', comment: 'pen test' };
    const signed = await send('POST', `/releases/${release.id}/signoffs`, sec, signKey, signoff);
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    assertReplayOf(signed, await send('POST', `/releases/${release.id}/signoffs`, sec, signKey, signoff));
    assert.equal((await eventsOf(release.id, 'signoff.recorded')).length, 1);

    const item = release.phases[0].sections[0].items[0].children[0];
    const itemKey = randomUUID();
    const path = `/releases/${release.id}/items/${item.id}`;
    const changed = await send('PATCH', path, qa, itemKey, { status: 'done' });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assertReplayOf(changed, await send('PATCH', path, qa, itemKey, { status: 'done' }));
    assert.equal((await eventsOf(release.id, 'item.updated')).length, 1);

    const { agent } = runtime;
    const metricsKey = randomUUID();
    const samples = { samples: [{ name: 'api.errors', value: 1 }] };
    const pushed = await send('POST', `/releases/${release.id}/metrics`, agent, metricsKey, samples);
    assert.equal(pushed.status, 200, JSON.stringify(pushed.body));
    assertReplayOf(pushed, await send('POST', `/releases/${release.id}/metrics`, agent, metricsKey, samples));
  });

  it('creates a contact once and answers a repeated DELETE as the first', async () => {
    const key = randomUUID();
    const contact = { name: 'Oncall Olga', email: 'olga@example.com', roles: ['on-call'] };
    const created = await send('POST', '/contacts', rm, key, contact);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assertReplayOf(created, await send('POST', '/contacts', rm, key, contact));
    const contacts = await api(local.url, 'GET', '/contacts?limit=100', { token: rm });
    assert.equal(contacts.body.items.filter((one: { name: string }) => one.name === 'Oncall Olga').length, 1);

    const deleteKey = randomUUID();
    const removed = await send('DELETE', `/contacts/${created.body.id}`, rm, deleteKey);
    assert.equal(removed.status, 200);
    assertReplayOf(removed, await send('DELETE', `/contacts/${created.body.id}`, rm, deleteKey));
    // Another DELETE without the key is a new request: the contact is gone.
    assert.equal((await send('DELETE', `/contacts/${created.body.id}`, rm, undefined)).status, 404);
  });

  it('imports a checklist once: the retry answers with the same version', async () => {
    const key = randomUUID();
    const checklist = '# Small release\n\n## Before\n- [ ] Run the tests\n\n## Sign-off\n- [ ] **QA Lead**: ____\n';
    const importOnce = () =>
      api(local.url, 'POST', '/templates?id=small-release', {
        token: rm,
        rawBody: checklist,
        headers: { 'content-type': 'text/markdown', 'idempotency-key': key },
      });
    const first = await importOnce();
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assertReplayOf(first, await importOnce());
    const template = await api(local.url, 'GET', '/templates/small-release', { token: rm });
    assert.equal(template.body.version, 1);
  });
});
