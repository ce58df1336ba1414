// The release workflow end to end in memory: the real state machine definition on the local engine driving the
// real service, with the ToolBoxAI template and time scaled so a week of monitoring passes in about a second.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Actor } from '../../lambdas/core/auth/actor.ts';
import { recordMetrics } from '../../lambdas/core/monitoring/metrics-use-cases.ts';
import { dismissRollback, onAlarm, requestRollback } from '../../lambdas/core/monitoring/rollback-use-cases.ts';
import { recordSignoff, updateItem } from '../../lambdas/core/release/checklist-use-cases.ts';
import { createRelease, getRelease, listEvents } from '../../lambdas/core/release/release-use-cases.ts';
import type { ReleaseStatus } from '../../lambdas/core/release/status.ts';
import type { ReleaseView } from '../../lambdas/core/release/view.ts';
import { acknowledge } from '../../lambdas/core/workflow/escalation-use-cases.ts';
import { advance, resumeInFlight } from '../../lambdas/core/workflow/workflow-use-cases.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';
import { machine, user } from '../support/fixtures.ts';
import { workflowHarness } from '../support/workflow-harness.ts';

const toolbox = findBuiltInTemplate('toolboxai-v1');
const mantis = findBuiltInTemplate('mantisdb-v1');
assert.ok(toolbox && mantis);

/** A week in about one second. */
const TIME_SCALE = 604_800;

const rm = user('rita', ['release-manager']);
const team = user('tess', ['qa-lead']);

type Harness = ReturnType<typeof workflowHarness>;
let harness: Harness | undefined;
afterEach(() => harness?.engine.close());

async function until(h: Harness, id: string, what: string, test: (view: ReleaseView) => boolean): Promise<ReleaseView> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const view = await getRelease(h.service, rm, id);
    if (test(view)) return view;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; release is ${view.status}: ${JSON.stringify(view.waitingFor)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const statusIs = (status: ReleaseStatus) => (view: ReleaseView) => view.status === status;

/** Does what the release waits for now: ticks the missing items and signs the missing roles, each by another person. */
async function satisfy(h: Harness, view: ReleaseView, except: readonly string[] = []): Promise<void> {
  const waiting = view.waitingFor;
  assert.ok(waiting, `${view.status} waits for nothing`);
  for (const item of waiting.missingItems ?? []) {
    await updateItem(h.service, team, view.id, item.id, { status: 'done', evidence: { note: 'checked' } });
  }
  for (const role of (waiting.missingSignoffs ?? []).filter((candidate) => !except.includes(candidate))) {
    const signer: Actor = user(`${role}-person`, [role]);
    const gate = waiting.kind === 'rollback' ? 'rollback' : (waiting.gate ?? '');
    await recordSignoff(h.service, signer, view.id, { gate, role, decision: 'approve' });
  }
}

/** Satisfies every wait until the release leaves the given statuses. */
async function drive(h: Harness, id: string, through: ReleaseStatus[]): Promise<ReleaseView> {
  for (;;) {
    const view = await until(
      h,
      id,
      'a decided wait',
      (v) => !through.includes(v.status) || v.waitingFor?.kind !== undefined,
    );
    if (!through.includes(view.status)) return view;
    if (view.waitingFor?.kind === 'window') {
      await until(h, id, 'the window to pass', (v) => v.wait?.id !== view.wait?.id);
      continue;
    }
    await satisfy(h, view);
    await until(h, id, 'the wait to move on', (v) => v.wait?.id !== view.wait?.id || !through.includes(v.status));
  }
}

describe('release workflow on the local engine', () => {
  it('takes a ToolBoxAI release through every phase, step and window to COMPLETED, with every transition audited', async () => {
    const h = workflowHarness([toolbox], { timeScale: TIME_SCALE });
    harness = h;
    const created = await createRelease(h.service, rm, {
      templateId: 'toolboxai-v1',
      name: 'ToolBoxAI 1.1.0',
      version: '1.1.0',
    });
    assert.equal(created.waitingFor?.kind, 'gate');
    const seen = new Set<string>();
    const done = await drive(h, created.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING', 'MONITORING', 'CONFIRMING']);
    assert.equal(done.status, 'COMPLETED');
    assert.equal(done.waitingFor, null);
    const events = (await listEvents(h.service, rm, created.id, { limit: 1000 })).items;
    for (const event of events)
      seen.add(`${event.type}:${String(event.data.step ?? event.data.window ?? event.data.phase ?? '')}`);
    for (const phase of ['staging', 'deployment', 'monitoring', 'confirmation'])
      assert.ok(seen.has(`phase.entered:${phase}`), phase);
    const steps = events.filter((event) => event.type === 'step.completed').map((event) => event.data.step);
    assert.deepEqual(
      steps,
      toolbox.phases.find((phase) => phase.kind === 'deployment')?.steps?.map((step) => step.id),
    );
    const windows = events.filter((event) => event.type === 'window.passed').map((event) => event.data.window);
    assert.deepEqual(windows, ['immediate', 'extended', 'long-term']);
    assert.equal(events.at(-1)?.type, 'release.completed');
    assert.equal(events.filter((event) => event.type === 'workflow.started').length, 1);
    // Standard workflows bill per state transition: 2 to start, 4 per wait (12 waits here), 3 to end.
    const execution = await h.engine.whenSettled(done.executionId ?? '');
    assert.equal(execution.status, 'SUCCEEDED');
    const waits = events.filter((event) =>
      ['gate.opened', 'step.started', 'window.started'].includes(event.type),
    ).length;
    assert.equal(waits, 12);
    console.log(`state transitions of a happy-path ToolBoxAI release: ${execution.stateTransitions} (${waits} waits)`);
    assert.equal(execution.stateTransitions, 2 + 4 * waits + 3);
  });

  it('takes a MantisDB release (no staging, no windows, no confirmation) to COMPLETED', async () => {
    const h = workflowHarness([mantis], { timeScale: TIME_SCALE });
    harness = h;
    const created = await createRelease(h.service, rm, {
      templateId: 'mantisdb-v1',
      name: 'MantisDB 1.0.0',
      version: '1.0.0',
    });
    const done = await drive(h, created.id, ['PRE_RELEASE', 'DEPLOYING', 'MONITORING']);
    assert.equal(done.status, 'COMPLETED');
  });

  it('rolls a release back by hand from monitoring: rollback procedure, confirmation, ROLLED_BACK', async () => {
    const h = workflowHarness([toolbox], { timeScale: 1 });
    harness = h;
    const created = await createRelease(h.service, rm, {
      templateId: 'toolboxai-v1',
      name: 'ToolBoxAI 1.1.0',
      version: '1.1.0',
    });
    // Real time: the immediate window (2 h) cannot pass during the test, so the release sits in MONITORING.
    const monitoring = await drive(h, created.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
    assert.equal(monitoring.status, 'MONITORING');
    await until(h, created.id, 'the first window', (v) => v.waitingFor?.kind === 'window');
    await assert.rejects(requestRollback(h.service, team, created.id, 'p95 doubled'), /release:rollback/);
    await requestRollback(h.service, rm, created.id, 'p95 latency doubled after deploy');
    const rolling = await until(h, created.id, 'ROLLING_BACK', statusIs('ROLLING_BACK'));
    assert.equal(rolling.waitingFor?.kind, 'rollback');
    assert.deepEqual(rolling.waitingFor?.missingSignoffs, ['release-manager']);
    const end = await drive(h, created.id, ['ROLLING_BACK']);
    assert.equal(end.status, 'ROLLED_BACK');
    const types = (await listEvents(h.service, rm, created.id, { limit: 1000 })).items.map((event) => event.type);
    assert.deepEqual(
      types.filter((type) => type.startsWith('rollback.')),
      ['rollback.requested', 'rollback.started', 'rollback.completed'],
    );
  });

  it('ends in ROLLBACK_FAILED when a rollback procedure step fails', async () => {
    const h = workflowHarness([toolbox], { timeScale: 1 });
    harness = h;
    const created = await createRelease(h.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    await drive(h, created.id, ['PRE_RELEASE', 'STAGING']);
    await until(h, created.id, 'DEPLOYING', statusIs('DEPLOYING'));
    await requestRollback(h.service, rm, created.id, 'backend deploy broke login');
    const rolling = await until(h, created.id, 'ROLLING_BACK', statusIs('ROLLING_BACK'));
    const step = rolling.waitingFor?.missingItems?.[0];
    assert.ok(step);
    await updateItem(h.service, team, created.id, step.id, { status: 'failed', reason: 'previous image missing' });
    const failed = await until(h, created.id, 'ROLLBACK_FAILED', statusIs('ROLLBACK_FAILED'));
    assert.equal(failed.waitingFor, null);
  });

  it('blocks a gate on a rejection and moves on once the role approves', async () => {
    const h = workflowHarness([toolbox], { timeScale: TIME_SCALE });
    harness = h;
    const created = await createRelease(h.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    const security = user('sam', ['security-lead']);
    await recordSignoff(h.service, security, created.id, {
      gate: 'pre-release',
      role: 'security-lead',
      decision: 'reject',
    });
    await satisfy(h, await getRelease(h.service, rm, created.id), ['security-lead']);
    const blocked = await getRelease(h.service, rm, created.id);
    assert.equal(blocked.status, 'PRE_RELEASE');
    assert.equal(blocked.waitingFor?.rejections?.[0]?.role, 'security-lead');
    await assert.rejects(advance(h.service, rm, created.id), /rejection by security-lead/);
    await recordSignoff(h.service, security, created.id, {
      gate: 'pre-release',
      role: 'security-lead',
      decision: 'approve',
    });
    await until(h, created.id, 'STAGING', statusIs('STAGING'));
  });

  it('resumes a release mid-monitoring on a new engine (a restart) and completes it', async () => {
    const first = workflowHarness([toolbox], { timeScale: TIME_SCALE / 100 });
    harness = first;
    const created = await createRelease(first.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    await drive(first, created.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
    const window = await until(first, created.id, 'a window', (v) => v.waitingFor?.kind === 'window');
    first.engine.close();
    // A second engine over the same store, as after a restart of the local runtime.
    const second = workflowHarness([toolbox], { timeScale: TIME_SCALE });
    harness = second;
    second.store.releases.set(created.id, structuredClone(first.store.releases.get(created.id) as never));
    assert.deepEqual(await resumeInFlight(second.service), [created.id]);
    const resumed = await until(second, created.id, 'the window to pass', (v) => v.wait?.id !== window.wait?.id);
    assert.notEqual(resumed.status, 'PRE_RELEASE');
    const done = await drive(second, created.id, ['MONITORING', 'CONFIRMING']);
    assert.equal(done.status, 'COMPLETED');
    const started = (await listEvents(second.service, rm, created.id, { limit: 1000 })).items.filter(
      (e) => e.type === 'workflow.started',
    );
    assert.deepEqual(
      started.map((event) => event.data.resumed),
      [false, true],
    );
  });
});

describe('escalation on the local engine', () => {
  async function rollingBack(h: Harness) {
    const created = await createRelease(h.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    await drive(h, created.id, ['PRE_RELEASE', 'STAGING']);
    await until(h, created.id, 'DEPLOYING', statusIs('DEPLOYING'));
    await requestRollback(h.service, rm, created.id, 'checkout errors');
    return created.id;
  }

  const pagedLevels = async (h: Harness, id: string) =>
    (await listEvents(h.service, rm, id, { limit: 1000 })).items
      .filter((event) => event.type === 'escalation.paged')
      .map((event) => event.data.level);

  it('pages level 1, 2 and 3 while nobody acknowledges, then stops', async () => {
    const h = workflowHarness([toolbox], { timeScale: TIME_SCALE });
    harness = h;
    const id = await rollingBack(h);
    const exhausted = await until(h, id, 'the chain to run out', (view) => view.escalation?.state === 'exhausted');
    assert.equal(exhausted.escalation?.level, 3);
    assert.deepEqual(await pagedLevels(h, id), [1, 2, 3]);
  });

  it('stops at level 1 when someone acknowledges, and records who', async () => {
    const h = workflowHarness([toolbox], { timeScale: 60 });
    harness = h;
    const id = await rollingBack(h);
    await until(h, id, 'level 1 paged', (view) => view.escalation?.level === 1);
    const engineeringLead = user('erin', ['engineering-lead']);
    await assert.rejects(acknowledge(h.service, user('pat', ['product-manager-intern']), id), /release:acknowledge/);
    const acked = await acknowledge(h.service, engineeringLead, id, 'looking at it');
    assert.equal(acked.escalation?.state, 'acknowledged');
    assert.equal(acked.escalation?.acknowledgedBy?.id, 'erin');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await pagedLevels(h, id), [1]);
    await assert.rejects(acknowledge(h.service, engineeringLead, id), /already acknowledged/);
  });
});

describe('CloudWatch alarms', () => {
  it('records an alarm before deployment without blocking, and rolls back on one during production', async () => {
    const h = workflowHarness([toolbox], { timeScale: TIME_SCALE });
    harness = h;
    const created = await createRelease(h.service, rm, {
      templateId: 'toolboxai-v1',
      name: 'x',
      version: '1',
      alarmNames: ['checkout-5xx'],
    });
    const early = await onAlarm(h.service, { name: 'checkout-5xx', state: 'ALARM', reason: 'Threshold Crossed' });
    assert.deepEqual(early, [{ releaseId: created.id, outcome: 'recorded' }]);
    assert.equal((await getRelease(h.service, rm, created.id)).status, 'PRE_RELEASE');
    assert.deepEqual(await onAlarm(h.service, { name: 'checkout-5xx', state: 'OK', reason: 'back' }), []);
    await drive(h, created.id, ['PRE_RELEASE', 'STAGING']);
    await until(h, created.id, 'DEPLOYING', statusIs('DEPLOYING'));
    const late = await onAlarm(h.service, {
      name: 'checkout-5xx',
      state: 'ALARM',
      reason: 'Threshold Crossed: 3 datapoints',
    });
    assert.deepEqual(late, [{ releaseId: created.id, outcome: 'rolled-back' }]);
    const rolling = await until(h, created.id, 'ROLLING_BACK', statusIs('ROLLING_BACK'));
    assert.equal(rolling.rollback?.trigger, 'alarm:checkout-5xx');
    // The same alarm again while the rollback is under way triggers nothing more; it is recorded as such.
    const again = await onAlarm(h.service, { name: 'checkout-5xx', state: 'ALARM', reason: 'still breaching' });
    assert.deepEqual(again, [{ releaseId: created.id, outcome: 'recorded' }]);
    const trail = (await listEvents(h.service, rm, created.id, { limit: 1000 })).items;
    assert.equal(trail.filter((event) => event.type === 'rollback.requested').length, 1);
    assert.deepEqual(
      trail.filter((event) => event.type === 'alarm.received').map((event) => event.data.during),
      ['before-deployment', 'rollback'],
    );
  });

  it('rolls back with the trigger itself when the alarm is the one Shipgate created for that trigger', async () => {
    const h = workflowHarness([toolbox], { timeScale: TIME_SCALE });
    harness = h;
    const created = await createRelease(h.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    await drive(h, created.id, ['PRE_RELEASE', 'STAGING']);
    await until(h, created.id, 'DEPLOYING', statusIs('DEPLOYING'));
    const outcome = await onAlarm(h.service, {
      name: `Shipgate.rollback-${created.id}-api-response-time-500ms-p95`,
      state: 'ALARM',
      reason: 'Threshold Crossed: 1 out of the last 1 datapoints [612.0] was greater than the threshold (500.0)',
      releaseId: created.id,
    });
    assert.deepEqual(outcome, [{ releaseId: created.id, outcome: 'rolled-back' }]);
    const rolling = await until(h, created.id, 'ROLLING_BACK', statusIs('ROLLING_BACK'));
    assert.equal(rolling.rollback?.trigger, 'api-response-time-500ms-p95');
    // In words: the trigger, what CloudWatch observed and the threshold, not CloudWatch's own text.
    assert.match(rolling.rollback?.reason ?? '', /^API response time >500ms p95: observed 612 \(threshold 500\)/);
  });

  it('takes two triggers firing at once as one rollback: the second finds it requested, and neither fails', async () => {
    const h = workflowHarness([toolbox], { timeScale: 3600 });
    harness = h;
    const agent = machine('agent', ['shipgate/metrics.write']);
    const created = await createRelease(h.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    await drive(h, created.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
    await until(h, created.id, 'the immediate window', (view) => view.waitingFor?.window === 'immediate');
    const [metrics, alarm] = await Promise.all([
      recordMetrics(h.service, agent, created.id, [{ name: 'api.latency.p95', value: 612, unit: 'Milliseconds' }]),
      onAlarm(h.service, {
        name: `Shipgate.rollback-${created.id}-api-response-time-500ms-p95`,
        state: 'ALARM',
        reason: 'Threshold Crossed',
        releaseId: created.id,
      }),
    ]);
    const outcome = alarm[0]?.outcome;
    assert.ok(
      (metrics.rollback === 'requested' && (outcome === 'ignored' || outcome === 'recorded')) ||
        (metrics.rollback === 'already-requested' && outcome === 'rolled-back'),
      `metrics ${metrics.rollback}, alarm ${outcome}`,
    );
    const trail = (await listEvents(h.service, rm, created.id, { limit: 1000 })).items;
    const requested = trail.filter((event) => event.type === 'rollback.requested');
    assert.deepEqual(
      requested.map((event) => event.data.trigger),
      ['api-response-time-500ms-p95'],
    );
  });

  it('finds a release by the ReleaseId dimension of an alarm it did not name', async () => {
    const h = workflowHarness([toolbox], { timeScale: TIME_SCALE });
    harness = h;
    const created = await createRelease(h.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    const outcome = await onAlarm(h.service, {
      name: 'shipgate-p95',
      state: 'ALARM',
      reason: 'r',
      releaseId: created.id,
    });
    assert.deepEqual(outcome, [{ releaseId: created.id, outcome: 'recorded' }]);
  });
});

describe('a rollback proposed in an approval window', () => {
  it('is recorded and notified, and the release manager may dismiss it with a reason; the release keeps monitoring', async () => {
    const h = workflowHarness([toolbox], { timeScale: TIME_SCALE });
    harness = h;
    const created = await createRelease(h.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    await drive(h, created.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
    await until(h, created.id, 'the extended window', (view) => view.waitingFor?.window === 'extended');
    const agent = machine('agent', ['shipgate/metrics.write']);
    const result = await recordMetrics(h.service, agent, created.id, [
      { name: 'api.error_rate', value: 4, unit: 'Percent' },
    ]);
    assert.equal(result.rollbackPolicy, 'approval');
    assert.equal(result.rollback, 'proposed');
    assert.equal(result.breaches[0]?.trigger, 'api-error-rate-1');
    const proposed = await getRelease(h.service, rm, created.id);
    assert.equal(proposed.status, 'MONITORING', 'an approval window does not roll back by itself');
    assert.equal(proposed.rollbackProposal?.trigger, 'api-error-rate-1');
    await assert.rejects(dismissRollback(h.service, team, created.id, 'noise'), /release:rollback/);
    const kept = await dismissRollback(h.service, rm, created.id, 'a load test, not users');
    assert.equal(kept.rollbackProposal, undefined);
    await assert.rejects(dismissRollback(h.service, rm, created.id, 'again'), /no rollback is proposed/);
    const events = (await listEvents(h.service, rm, created.id, { limit: 1000 })).items;
    const dismissed = events.find((event) => event.type === 'rollback.dismissed');
    assert.equal(dismissed?.data.reason, 'a load test, not users');
    assert.equal(dismissed?.actor.id, 'rita');
    assert.ok(events.some((event) => event.type === 'rollback.proposed'));
  });
});

describe('one decision per breach', () => {
  it('keeps the first proposal when the same breach comes again and CloudWatch agrees: one proposed, one agreed', async () => {
    const h = workflowHarness([toolbox], { timeScale: TIME_SCALE });
    harness = h;
    const created = await createRelease(h.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    await drive(h, created.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
    await until(h, created.id, 'the extended window', (view) => view.waitingFor?.window === 'extended');
    const agent = machine('agent', ['shipgate/metrics.write']);
    const breach = [{ name: 'api.error_rate', value: 4, unit: 'Percent' as const }];
    const first = await recordMetrics(h.service, agent, created.id, breach);
    assert.equal(first.rollback, 'proposed');
    const reason = (await getRelease(h.service, rm, created.id)).rollbackProposal?.reason;
    assert.match(reason ?? '', /^API error rate >1%: observed 4 \(threshold 1\)/);
    // The same breach again, then CloudWatch's alarm of the same trigger: neither proposes a second time.
    await recordMetrics(h.service, agent, created.id, breach);
    await onAlarm(h.service, {
      name: `Shipgate.rollback-${created.id}-api-error-rate-1`,
      state: 'ALARM',
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [4.0 (04/12/26 10:00:00)] was greater than the threshold (1.0)',
      releaseId: created.id,
    });
    const after = await getRelease(h.service, rm, created.id);
    assert.equal(after.rollbackProposal?.reason, reason, 'the first reason stands');
    const types = (await listEvents(h.service, rm, created.id, { limit: 1000 })).items.map((event) => event.type);
    assert.equal(types.filter((type) => type === 'rollback.proposed').length, 1);
    assert.equal(types.filter((type) => type === 'rollback.agreed').length, 0, 'the same trigger agrees silently');
    // Another trigger's alarm agrees, once however often it is delivered.
    const latencyAlarm = {
      name: `Shipgate.rollback-${created.id}-api-response-time-500ms-p95`,
      state: 'ALARM',
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [900.0 (04/12/26 10:00:00)] was greater than the threshold (500.0)',
      releaseId: created.id,
    };
    await onAlarm(h.service, latencyAlarm);
    await onAlarm(h.service, latencyAlarm);
    const again = (await listEvents(h.service, rm, created.id, { limit: 1000 })).items;
    assert.equal(again.filter((event) => event.type === 'rollback.proposed').length, 1);
    const agreed = again.filter((event) => event.type === 'rollback.agreed');
    assert.equal(agreed.length, 1, JSON.stringify(agreed));
    assert.equal(agreed[0]?.data.trigger, 'api-response-time-500ms-p95');
  });
});

describe('a baseline-relative trigger ("memory > 2x normal")', () => {
  it('measures the baseline from the samples sent before production deployment and rolls back above twice it', async () => {
    // Two hours in two seconds: long enough to send samples inside the immediate window.
    const h = workflowHarness([toolbox], { timeScale: 3600 });
    harness = h;
    const agent = machine('agent', ['shipgate/metrics.write']);
    const created = await createRelease(h.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    await recordMetrics(h.service, agent, created.id, [
      { name: 'memory.usage', value: 400, at: new Date(Date.now() - 2000).toISOString() },
      { name: 'memory.usage', value: 600, at: new Date(Date.now() - 1000).toISOString() },
    ]);
    const deploying = await drive(h, created.id, ['PRE_RELEASE', 'STAGING']);
    assert.ok(deploying.productionStartedAt, 'entering production deployment is recorded');
    await drive(h, created.id, ['DEPLOYING']);
    await until(h, created.id, 'the immediate window', (view) => view.waitingFor?.window === 'immediate');
    // 900 is under twice the baseline of 500; 1300 is over it, even averaged with 900 in one period.
    const under = await recordMetrics(h.service, agent, created.id, [{ name: 'memory.usage', value: 900 }]);
    assert.deepEqual(under.breaches, []);
    const over = await recordMetrics(h.service, agent, created.id, [{ name: 'memory.usage', value: 1300 }]);
    assert.equal(over.breaches[0]?.trigger, 'memory-usage-2x-normal');
    assert.equal(over.breaches[0]?.threshold, 1000);
    const rolled = await getRelease(h.service, rm, created.id);
    assert.equal(rolled.rollback?.trigger, 'memory-usage-2x-normal');
  });
});
