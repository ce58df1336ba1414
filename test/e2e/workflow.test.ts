// The release workflow through the local HTTP API, as people drive it: every phase, step and window to COMPLETED
// for both built-in templates, a manual rollback to ROLLED_BACK, a blocking rejection, and a restart of the local
// runtime in the middle of monitoring. Time is scaled so a week of monitoring passes in seconds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, type Driver, drive, driver, eventTypes, read, satisfy, until } from '../support/drive.ts';
import { api, assertProblem, removeDataDir, startLocalProcess, tempDataDir } from '../support/local-process.ts';

/** A week in about two seconds. */
const TIME_SCALE = '302400';

describe('the release workflow over the local HTTP API', () => {
  let dataDir: string;
  let d: Driver;

  before(async () => {
    dataDir = tempDataDir();
    d = driver(await startLocalProcess(dataDir, { SHIPGATE_TIME_SCALE: TIME_SCALE }));
  });

  after(async () => {
    await d?.local.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  for (const templateId of ['toolboxai-v1', 'mantisdb-v1']) {
    it(`takes a ${templateId} release to COMPLETED, every transition in its events`, async () => {
      const started = Date.now();
      const release = await create(d, templateId);
      assert.equal(release.waitingFor?.kind, 'gate');
      const end = await drive(d, release.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING', 'MONITORING', 'CONFIRMING']);
      assert.equal(end.status, 'COMPLETED');
      assert.equal(end.waitingFor, null);
      const types = await eventTypes(d, release.id);
      assert.equal(types.at(-1), 'release.completed');
      assert.ok(types.includes('phase.entered') && types.includes('gate.passed'));
      if (templateId === 'toolboxai-v1') {
        assert.equal(types.filter((type) => type === 'step.completed').length, 4);
        assert.equal(types.filter((type) => type === 'window.passed').length, 3);
      }
      assert.ok(Date.now() - started < 60_000);
    });
  }

  it('shows a monitoring window with its end time, then rolls back by hand to ROLLED_BACK', async () => {
    const release = await create(d, 'toolboxai-v1');
    await drive(d, release.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
    const rm = await d.token(['release-manager']);
    const cancel = await api(d.local.url, 'POST', `/releases/${release.id}/cancel`, {
      token: rm,
      body: { reason: 'x' },
    });
    assert.equal(cancel.status, 409, 'a release in production is rolled back, not cancelled');
    const rollback = await api(d.local.url, 'POST', `/releases/${release.id}/rollback`, {
      token: rm,
      body: { reason: 'login errors after deploy' },
    });
    assert.equal(rollback.status, 200, JSON.stringify(rollback.body));
    const rolling = await until(d, release.id, 'ROLLING_BACK', (view) => view.status === 'ROLLING_BACK');
    assert.equal(rolling.waitingFor?.kind, 'rollback');
    assert.ok((rolling.waitingFor?.missingItems?.length ?? 0) > 0, 'the rollback procedure is the active checklist');
    const end = await drive(d, release.id, ['ROLLING_BACK']);
    assert.equal(end.status, 'ROLLED_BACK');
    const types = await eventTypes(d, release.id);
    assert.deepEqual(
      types.filter((type) => type.startsWith('rollback.')),
      ['rollback.requested', 'rollback.started', 'rollback.completed'],
    );
  });

  it('blocks the gate on a rejection, lists what is missing on advance, and moves on once the role approves', async () => {
    const release = await create(d, 'mantisdb-v1');
    const security = await d.token(['security-lead']);
    const signoffs = `/releases/${release.id}/signoffs`;
    await api(d.local.url, 'POST', signoffs, {
      token: security,
      body: { gate: 'pre-release', role: 'security-lead', decision: 'reject', comment: 'audit open' },
    });
    const view = await read(d, release.id);
    await satisfy(d, {
      ...view,
      waitingFor: view.waitingFor && {
        ...view.waitingFor,
        missingSignoffs: view.waitingFor.missingSignoffs?.filter((role) => role !== 'security-lead'),
      },
    });
    const advance = await api(d.local.url, 'POST', `/releases/${release.id}/advance`, {
      token: await d.token(['release-manager']),
    });
    assert.equal(advance.status, 409);
    assert.equal(advance.body.type, '/problems/wait-not-satisfied');
    assert.equal(advance.body.waitingFor.rejections[0].role, 'security-lead');
    assert.deepEqual(advance.body.waitingFor.missingItems, []);
    assert.equal((await read(d, release.id)).status, 'PRE_RELEASE');
    await api(d.local.url, 'POST', signoffs, {
      token: security,
      body: { gate: 'pre-release', role: 'security-lead', decision: 'approve' },
    });
    await until(d, release.id, 'DEPLOYING', (next) => next.status === 'DEPLOYING');
  });

  it('resumes a release once when two resumes arrive at once, and a third later finds it resumed', async () => {
    const release = await create(d, 'mantisdb-v1');
    const first = await until(d, release.id, 'the first execution', (view) => view.executionId !== undefined);
    const rm = await d.token(['release-manager']);
    const resume = () => api(d.local.url, 'POST', `/releases/${release.id}/resume`, { token: rm });
    const answers = await Promise.all([resume(), resume()]);
    for (const answer of answers) {
      // Each is a success, or a clear problem: never a 500.
      if (answer.status !== 200) assertProblem(answer, 409, 'a concurrent resume');
    }
    assert.ok(
      answers.some((answer) => answer.status === 200),
      JSON.stringify(answers.map((answer) => answer.body)),
    );
    const resumed = await until(
      d,
      release.id,
      'the resumed execution',
      (view) => view.executionId !== undefined && view.executionId !== first.executionId,
    );
    assert.match(resumed.executionId ?? '', new RegExp(`:${release.id}-resume-[0-9a-f]{16}$`));
    const third = await resume();
    assert.equal(third.status, 200, JSON.stringify(third.body));
    assert.equal(third.body.executionId, resumed.executionId, 'the same execution goes on');

    const end = await drive(d, release.id, ['PRE_RELEASE', 'DEPLOYING', 'MONITORING']);
    assert.equal(end.status, 'COMPLETED');
    assert.equal(end.executionId, resumed.executionId);
    const events = (
      await api(d.local.url, 'GET', `/releases/${release.id}/events?limit=200`, { token: rm })
    ).body.items.map((event: { type: string; data: Record<string, unknown> }) => event);
    const ofType = (type: string) => events.filter((event: { type: string }) => event.type === type);
    // The first execution, then one resumed: no second execution ever took the release over.
    assert.deepEqual(
      ofType('workflow.started').map((event: { data: Record<string, unknown> }) => event.data.executionId),
      [first.executionId, resumed.executionId],
    );
    const requests = ofType('workflow.resume-requested');
    assert.ok(requests.length >= 1 && requests.length <= 2, `${requests.length} resume requests recorded`);
    for (const request of requests) assert.equal(request.data.execution, resumed.executionId);
    assert.equal(ofType('release.completed').length, 1);
    const gates = ofType('gate.passed').map((event: { data: Record<string, unknown> }) => event.data.gate);
    assert.equal(new Set(gates).size, gates.length, `each gate passed once: ${gates.join(', ')}`);
  });
});

describe('a restart of the local runtime in the middle of monitoring', () => {
  it('resumes the release in its window after a SIGKILL and completes it', async () => {
    const dataDir = tempDataDir();
    try {
      // Slower time first (the 2 h window lasts 8 s), so the window is surely still open across the restart.
      let d = driver(await startLocalProcess(dataDir, { SHIPGATE_TIME_SCALE: '900' }));
      const release = await create(d, 'toolboxai-v1');
      await drive(d, release.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
      const monitoring = await until(d, release.id, 'a window', (view) => view.waitingFor?.kind === 'window');
      // Killed, not stopped: no chance to clean up (DynamoDB Local follows its parent, the lock is left stale).
      const killed = new Promise((resolve) => d.local.child.once('exit', resolve));
      d.local.child.kill('SIGKILL');
      await killed;

      d = driver(await startLocalProcess(dataDir, { SHIPGATE_TIME_SCALE: TIME_SCALE }));
      try {
        assert.match(d.local.output(), /1 release\(s\) in flight resumed/);
        const after = await read(d, release.id);
        assert.equal(after.status, 'MONITORING');
        assert.equal(after.wait?.id, monitoring.wait?.id, 'the same window goes on');
        const end = await drive(d, release.id, ['MONITORING', 'CONFIRMING']);
        assert.equal(end.status, 'COMPLETED');
        const types = await eventTypes(d, release.id);
        assert.equal(types.filter((type) => type === 'workflow.started').length, 2);
      } finally {
        await d.local.stop();
      }
    } finally {
      removeDataDir(dataDir);
    }
  });
});
