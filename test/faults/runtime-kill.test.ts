// The local runtime killed with SIGKILL while one release waits at a gate and another is in a monitoring window (time
// scaled), with its DynamoDB Local left behind as an orphan: started again on the same data, the new runtime takes
// over the stale lock, stops the orphan, resumes both releases, and both complete.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { holderRuns, pidFilePath } from '../../local/instance-lock.ts';
import { create, type Driver, drive, driver, eventTypes, read, until } from '../support/drive.ts';
import {
  api,
  dynamoDbLocalPid,
  killLocalProcess,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
  tokenFor,
} from '../support/local-process.ts';

/** The 2 h window lasts 24 s: surely still open across the restart, even on a slow machine. */
const SLOW = '300';
/** A week in about two seconds, to finish. */
const FAST = '302400';

const runs = (pid: number) => holderRuns({ pid, startedAt: '' });

describe('the local runtime killed with SIGKILL', () => {
  it('resumes a release at its gate and one in its window on the same data, and both complete', async () => {
    const dataDir = tempDataDir();
    let d: Driver | undefined;
    let orphan: number | undefined;
    try {
      d = driver(await startLocalProcess(dataDir, { SHIPGATE_TIME_SCALE: SLOW }));
      const gated = await create(d, 'toolboxai-v1');
      // At the gate: every item done and two of its five sign-offs given; the others come after the restart.
      const team = await d.token(['qa-lead']);
      for (const item of gated.waitingFor?.missingItems ?? []) {
        const response = await api(d.local.url, 'PATCH', `/releases/${gated.id}/items/${item.id}`, {
          token: team,
          body: { status: 'done' },
        });
        assert.equal(response.status, 200, JSON.stringify(response.body));
      }
      const roles = gated.waitingFor?.missingSignoffs ?? [];
      assert.ok(roles.length >= 3, `the gate needs several roles: ${roles.join(', ')}`);
      const sign = async (drv: Driver, role: string) => {
        const response = await api(drv.local.url, 'POST', `/releases/${gated.id}/signoffs`, {
          token: await tokenFor(dataDir, `signer-${role}`, [role]),
          body: { gate: 'pre-release', role, decision: 'approve' },
        });
        assert.equal(response.status, 200, JSON.stringify(response.body));
      };
      for (const role of roles.slice(0, 2)) await sign(d, role);

      const watched = await create(d, 'toolboxai-v1');
      await drive(d, watched.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
      const inWindow = await until(d, watched.id, 'a window', (view) => view.waitingFor?.kind === 'window');
      const atGate = await read(d, gated.id);
      assert.equal(atGate.waitingFor?.kind, 'gate');

      // A JVM that does not follow its parent (stopped here; the plain jar has no watchdog) outlives the runtime.
      orphan = dynamoDbLocalPid(dataDir);
      assert.ok(orphan && runs(orphan), 'the pid file names the running DynamoDB Local');
      process.kill(orphan, 'SIGSTOP');
      const killedPid = d.local.child.pid;
      await killLocalProcess(d.local);
      const stale = JSON.parse(readFileSync(pidFilePath(dataDir), 'utf8')) as { pid: number };
      assert.equal(stale.pid, killedPid, 'the killed runtime left its lock behind');
      assert.ok(runs(orphan), 'its DynamoDB Local survived it');

      const restarted = Date.now();
      d = driver(await startLocalProcess(dataDir, { SHIPGATE_TIME_SCALE: FAST }));
      const output = d.local.output();
      assert.match(output, new RegExp(`DynamoDB Local \\(pid ${orphan}\\) was left running on .* stopping it`));
      assert.equal(runs(orphan), false, 'the orphaned DynamoDB Local was stopped');
      assert.match(output, /2 release\(s\) in flight resumed/);

      const resumedGate = await read(d, gated.id);
      assert.equal(resumedGate.status, 'PRE_RELEASE');
      assert.equal(resumedGate.wait?.id, atGate.wait?.id, 'the same gate wait goes on');
      const resumedWindow = await read(d, watched.id);
      assert.equal(resumedWindow.status, 'MONITORING');
      assert.equal(resumedWindow.wait?.id, inWindow.wait?.id, 'the same window goes on');

      for (const role of roles.slice(2)) await sign(d, role);
      // The window keeps the end it was given at the slow time scale (up to 24 s from its start): wait that out.
      await until(
        d,
        watched.id,
        'the window begun before the kill to end',
        (view) => view.wait?.id !== inWindow.wait?.id,
        60_000,
      );
      await until(d, gated.id, 'STAGING', (view) => view.status === 'STAGING');
      const ends = await Promise.all([
        drive(d, gated.id, ['STAGING', 'DEPLOYING', 'MONITORING', 'CONFIRMING']),
        drive(d, watched.id, ['MONITORING', 'CONFIRMING']),
      ]);
      assert.deepEqual(
        ends.map((end) => end.status),
        ['COMPLETED', 'COMPLETED'],
      );
      for (const id of [gated.id, watched.id]) {
        const types = await eventTypes(d, id);
        assert.equal(types.filter((type) => type === 'workflow.started').length, 2, `${id}: started, then resumed`);
        assert.equal(types.at(-1), 'release.completed');
      }
      console.log(
        `faults: runtime killed at a gate and in a window; the new runtime took the stale lock, stopped the orphaned ` +
          `DynamoDB Local (pid ${orphan}), resumed 2 releases, both COMPLETED ${Date.now() - restarted} ms after the restart`,
      );
    } finally {
      await d?.local.stop();
      if (orphan && runs(orphan)) process.kill(orphan, 'SIGKILL');
      removeDataDir(dataDir);
    }
  });
});
