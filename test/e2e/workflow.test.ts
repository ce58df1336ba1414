// The release workflow through the local HTTP API, as people drive it: every phase, step and window to COMPLETED
// for both built-in templates, a manual rollback to ROLLED_BACK, a blocking rejection, and a restart of the local
// runtime in the middle of monitoring. Time is scaled so a week of monitoring passes in seconds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReleaseStatus } from '../../lambdas/core/release.ts';
import type { ReleaseView } from '../../lambdas/core/view.ts';
import {
  api,
  type LocalProcess,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
  tokenFor,
} from '../support/local-process.ts';

/** A week in about two seconds. */
const TIME_SCALE = '302400';

interface Driver {
  readonly local: LocalProcess;
  token(roles: string[]): Promise<string>;
}

function driver(local: LocalProcess): Driver {
  const cache = new Map<string, Promise<string>>();
  return {
    local,
    token(roles) {
      const key = roles.join(',');
      let found = cache.get(key);
      if (!found) {
        found = tokenFor(local.dataDir, `user-${key}`, roles);
        cache.set(key, found);
      }
      return found;
    },
  };
}

async function read(d: Driver, id: string): Promise<ReleaseView> {
  const response = await api(d.local.url, 'GET', `/releases/${id}`, { token: await d.token(['release-manager']) });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body as ReleaseView;
}

async function until(d: Driver, id: string, what: string, test: (view: ReleaseView) => boolean): Promise<ReleaseView> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const view = await read(d, id);
    if (test(view)) return view;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${view.status} ${JSON.stringify(view.waitingFor)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Does what the release waits for now, as the team would: ticks what is missing, signs as each missing role. */
async function satisfy(d: Driver, view: ReleaseView): Promise<void> {
  const waiting = view.waitingFor;
  assert.ok(waiting);
  const team = await d.token(['qa-lead']);
  await Promise.all(
    (waiting.missingItems ?? []).map(async (item) => {
      const response = await api(d.local.url, 'PATCH', `/releases/${view.id}/items/${item.id}`, {
        token: team,
        body: { status: 'done', evidence: { note: 'verified' } },
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
    }),
  );
  for (const role of waiting.missingSignoffs ?? []) {
    const gate = waiting.kind === 'rollback' ? 'rollback' : waiting.gate;
    const response = await api(d.local.url, 'POST', `/releases/${view.id}/signoffs`, {
      token: await d.token([role]),
      body: { gate, role, decision: 'approve', comment: 'looks good' },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
  }
}

/** Satisfies each wait in turn while the release is in one of the given statuses; windows pass by themselves. */
async function drive(d: Driver, id: string, through: readonly ReleaseStatus[]): Promise<ReleaseView> {
  for (;;) {
    const view = await read(d, id);
    if (!through.includes(view.status)) return view;
    if (view.waitingFor?.kind !== 'window') await satisfy(d, view);
    await until(d, id, 'the next wait', (next) => next.wait?.id !== view.wait?.id || !through.includes(next.status));
  }
}

async function create(d: Driver, templateId: string): Promise<ReleaseView> {
  const response = await api(d.local.url, 'POST', '/releases', {
    token: await d.token(['release-manager']),
    body: { templateId, name: `${templateId} release`, version: '1.0.0' },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body as ReleaseView;
}

async function eventTypes(d: Driver, id: string): Promise<string[]> {
  const response = await api(d.local.url, 'GET', `/releases/${id}/events?limit=200`, {
    token: await d.token(['release-manager']),
  });
  return response.body.items.map((event: { type: string }) => event.type);
}

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
