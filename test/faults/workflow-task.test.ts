// A workflow task that throws, injected where the Lambda service invokes the task function (local/faults.ts): a
// transient failure is retried and the release goes on; a permanent one is shown on the release (`workflowFailure`,
// a `workflow.failed` event) and POST /releases/{id}/resume continues it once the cause is gone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, type Driver, drive, driver, eventTypes, read, satisfy, until } from '../support/drive.ts';
import { api, removeDataDir, setFaults, startLocalProcess, tempDataDir } from '../support/local-process.ts';

const count = (types: readonly string[], type: string) => types.filter((entry) => entry === type).length;

/** The gate of each `gate.passed` event, in order. */
async function gatesPassed(d: Driver, id: string): Promise<string[]> {
  const trail = await api(d.local.url, 'GET', `/releases/${id}/events?limit=200`, {
    token: await d.token(['release-manager']),
  });
  return trail.body.items
    .filter((event: { type: string }) => event.type === 'gate.passed')
    .map((event: { data: { gate: string } }) => event.data.gate);
}

describe('a workflow task that throws', () => {
  let dataDir: string;
  let d: Driver;

  before(async () => {
    dataDir = tempDataDir();
    d = driver(await startLocalProcess(dataDir, { SHIPGATE_FAULTS: '1', SHIPGATE_TIME_SCALE: '302400' }));
  });

  after(async () => {
    await d?.local.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  it('is retried when it fails transiently, and the release goes on', async () => {
    const release = await create(d, 'toolboxai-v1');
    const from = d.local.output().length;
    setFaults(dataDir, { workflowTask: { action: 'decide', releaseId: release.id, times: 2 } });
    const started = Date.now();
    await satisfy(d, await read(d, release.id));
    const staging = await until(d, release.id, 'STAGING', (view) => view.status === 'STAGING');
    const took = Date.now() - started;
    const injected =
      d.local
        .output()
        .slice(from)
        .match(/fault injected: workflowTask \(decide \S+\) fails/g) ?? [];
    assert.equal(injected.length, 2, 'both injected failures happened');
    assert.equal(staging.workflowFailure, undefined, 'a retried failure is not recorded');
    const types = await eventTypes(d, release.id);
    assert.equal(count(types, 'workflow.failed'), 0);
    assert.deepEqual(await gatesPassed(d, release.id), ['pre-release'], 'the gate passed once, whatever the retries');
    setFaults(dataDir, {});
    console.log(
      `faults: ${injected.length} transient task failures retried, the release reached STAGING in ${took} ms`,
    );
  });

  it('shows a permanent failure on the release, and resumes it once the cause is gone', async () => {
    const release = await create(d, 'toolboxai-v1');
    await satisfy(d, await read(d, release.id));
    const staging = await until(d, release.id, 'STAGING', (view) => view.status === 'STAGING');
    setFaults(dataDir, {
      workflowTask: {
        action: 'decide',
        releaseId: release.id,
        error: 'ShipgateInjectedFault',
        message: 'injected: the decision failed for good',
      },
    });
    await satisfy(d, staging);
    const failed = await until(d, release.id, 'the recorded failure', (view) => view.workflowFailure !== undefined);
    assert.equal(failed.status, 'STAGING', 'a failed decision moves nothing');
    assert.equal(failed.workflowFailure?.error, 'ShipgateInjectedFault');
    assert.equal(failed.workflowFailure?.state, 'Decide');
    assert.equal(failed.workflowFailure?.cause, 'injected: the decision failed for good');
    assert.equal(failed.workflowFailure?.resume, `POST /releases/${release.id}/resume`);
    assert.doesNotMatch(JSON.stringify(failed.workflowFailure), /\n\s+at |\.ts:\d+/, 'no stack on the release');
    const trail = await api(d.local.url, 'GET', `/releases/${release.id}/events?limit=200`, {
      token: await d.token(['release-manager']),
    });
    const event = trail.body.items.find((entry: { type: string }) => entry.type === 'workflow.failed');
    assert.ok(event, 'a workflow.failed event');
    assert.equal(event.data.error, 'ShipgateInjectedFault');
    // The failure stands while nothing resumes it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const still = await read(d, release.id);
    assert.equal(still.status, 'STAGING');
    assert.ok(still.workflowFailure);

    setFaults(dataDir, {});
    const from = d.local.output().length;
    const resumed = await api(d.local.url, 'POST', `/releases/${release.id}/resume`, {
      token: await d.token(['release-manager']),
    });
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    const deploying = await until(d, release.id, 'DEPLOYING', (view) => view.status === 'DEPLOYING');
    assert.equal(deploying.workflowFailure, undefined, 'the resume cleared the failure');
    const end = await drive(d, release.id, ['DEPLOYING', 'MONITORING', 'CONFIRMING']);
    assert.equal(end.status, 'COMPLETED');
    const types = await eventTypes(d, release.id);
    assert.equal(count(types, 'workflow.failed'), 1);
    assert.equal(count(types, 'workflow.resume-requested'), 1);
    const passed = (await gatesPassed(d, release.id)).sort();
    assert.deepEqual(passed, [...new Set(passed)], `each gate passed once: ${passed.join(', ')}`);
    assert.ok(passed.includes('staging'), 'the gate whose decision failed passed after the resume');
    assert.doesNotMatch(d.local.output().slice(from), /fault injected/, 'nothing was injected after the cause went');
    console.log('faults: a permanent task failure recorded (workflowFailure, workflow.failed), resumed to COMPLETED');
  });
});
