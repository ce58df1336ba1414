// Workflow resilience on the local engine, with the real definitions: a task that fails once for a transient reason
// is retried and the release goes on; one that fails for good is recorded on the release (view, audit event,
// notification) and the execution ends, until a resume continues the release where it stood. The escalation
// machine does the same: a failure ends it, recorded, instead of failing silently or paging in a loop.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Actor } from '../../lambdas/core/auth/actor.ts';
import { requestRollback } from '../../lambdas/core/monitoring/rollback-use-cases.ts';
import { notificationsFor } from '../../lambdas/core/notify/routing.ts';
import { SMS_MAX_LENGTH } from '../../lambdas/core/notify/sms.ts';
import { recordSignoff, updateItem } from '../../lambdas/core/release/checklist-use-cases.ts';
import { createRelease, getRelease, listEvents } from '../../lambdas/core/release/release-use-cases.ts';
import type { ReleaseStatus } from '../../lambdas/core/release/status.ts';
import type { ReleaseView } from '../../lambdas/core/release/view.ts';
import { acknowledge } from '../../lambdas/core/workflow/escalation-use-cases.ts';
import { resume } from '../../lambdas/core/workflow/workflow-use-cases.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';
import { user } from '../support/fixtures.ts';
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

const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

async function until(h: Harness, id: string, what: string, test: (view: ReleaseView) => boolean): Promise<ReleaseView> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const view = await getRelease(h.service, rm, id);
    if (test(view)) return view;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; release is ${view.status}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Does what the release waits for now: the missing items, then the missing sign-offs. */
async function satisfy(h: Harness, view: ReleaseView): Promise<void> {
  const waiting = view.waitingFor;
  assert.ok(waiting, `${view.status} waits for nothing`);
  for (const item of waiting.missingItems ?? []) {
    await updateItem(h.service, team, view.id, item.id, { status: 'done', evidence: { note: 'checked' } });
  }
  for (const role of waiting.missingSignoffs ?? []) {
    const signer: Actor = user(`${role}-person`, [role]);
    await recordSignoff(h.service, signer, view.id, { gate: waiting.gate ?? '', role, decision: 'approve' });
  }
}

/** Satisfies every wait until the release leaves the given statuses. */
async function drive(h: Harness, id: string, through: readonly ReleaseStatus[]): Promise<ReleaseView> {
  for (;;) {
    const view = await until(h, id, 'a decided wait', (v) => !through.includes(v.status) || v.wait !== undefined);
    if (!through.includes(view.status)) return view;
    if (view.waitingFor?.kind !== 'window') await satisfy(h, view);
    await until(h, id, 'the wait to move on', (v) => v.wait?.id !== view.wait?.id || !through.includes(v.status));
  }
}

const eventsOf = async (h: Harness, id: string) => (await listEvents(h.service, rm, id, { limit: 1000 })).items;

describe('a task that fails for a transient reason', () => {
  it('is retried with backoff, and the release goes on to COMPLETED with nothing recorded as failed', async () => {
    const h = workflowHarness([mantis], { timeScale: TIME_SCALE });
    harness = h;
    // DynamoDB throttles the first write of the workflow (its SDK retries spent): the Decide task fails once.
    const save = h.store.saveRelease.bind(h.store);
    let throttled = 0;
    h.store.saveRelease = async (...args) => {
      if (throttled === 0) {
        throttled += 1;
        throw named('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput ...');
      }
      return save(...args);
    };
    const created = await createRelease(h.service, rm, { templateId: 'mantisdb-v1', name: 'MantisDB 1', version: '1' });
    const done = await drive(h, created.id, ['PRE_RELEASE', 'DEPLOYING', 'MONITORING']);
    assert.equal(throttled, 1);
    assert.equal(done.status, 'COMPLETED');
    assert.equal(done.workflowFailure, undefined);
    const events = await eventsOf(h, created.id);
    assert.equal(events.filter((event) => event.type === 'workflow.failed').length, 0);
    // The retried decision wrote once: one start, one first gate.
    assert.equal(events.filter((event) => event.type === 'workflow.started').length, 1);
    assert.equal(
      events.filter((event) => event.type === 'gate.opened' && event.data.phase === 'pre-release').length,
      1,
    );
    const execution = await h.engine.whenSettled(done.executionId ?? '');
    assert.equal(execution.status, 'SUCCEEDED');
  });
});

describe('a task that fails for good', () => {
  it('is recorded on the release, notified, and a resume continues the release where it stood', async () => {
    const h = workflowHarness([mantis], { timeScale: TIME_SCALE });
    harness = h;
    // A bug in deciding what follows a satisfied wait: not transient, so not retried.
    let thrown = 0;
    h.faults.workflow = (payload) => {
      const task = payload as { action?: string; outcome?: { kind?: string } };
      if (task.action === 'decide' && task.outcome?.kind === 'satisfied') {
        thrown += 1;
        const bug = new TypeError("Cannot read properties of undefined (reading 'gate')");
        bug.stack = `${bug.message}\n    at decide (/var/task/index.mjs:1:2345)`;
        throw bug;
      }
    };
    const created = await createRelease(h.service, rm, { templateId: 'mantisdb-v1', name: 'MantisDB 1', version: '1' });
    const gate = await until(h, created.id, 'the first gate', (view) => view.wait?.kind === 'gate');
    await satisfy(h, gate);
    const failed = await until(h, created.id, 'the failure', (view) => view.workflowFailure !== undefined);
    assert.equal(thrown, 1, 'a TypeError is not retried');
    const failure = failed.workflowFailure;
    assert.ok(failure);
    assert.equal(failure.error, 'TypeError');
    assert.equal(failure.cause, "Cannot read properties of undefined (reading 'gate')");
    assert.equal(failure.state, 'Decide');
    assert.equal(failure.resume, `POST /releases/${created.id}/resume`);
    assert.match(failure.summary, /stopped at Decide/);
    assert.doesNotMatch(JSON.stringify(failed), /\/var\/task|index\.mjs|\n\s*at /, 'no stack trace reaches callers');
    // It stands where it stood: the satisfied gate is still its wait.
    assert.equal(failed.status, 'PRE_RELEASE');
    assert.equal(failed.wait?.id, gate.wait?.id);
    const execution = await h.engine.whenSettled(failed.executionId ?? '');
    assert.equal(execution.status, 'FAILED');
    assert.equal(execution.error, 'WorkflowTaskFailed');

    const event = (await eventsOf(h, created.id)).find((candidate) => candidate.type === 'workflow.failed');
    assert.ok(event);
    assert.equal(event.data.error, 'TypeError');
    assert.equal(event.data.executionId, failed.executionId);
    const agg = await h.store.load(created.id);
    assert.ok(agg);
    const [notice, ...others] = notificationsFor(event, agg);
    assert.equal(others.length, 0);
    assert.ok(notice);
    assert.deepEqual([notice.type, notice.severity, notice.roles], ['workflow.failed', 'warning', ['release-manager']]);
    assert.ok(notice.text.sms.length <= SMS_MAX_LENGTH);
    assert.match(notice.text.sms, /POST \/releases\/.+\/resume$/);

    // The cause is fixed; the release manager resumes it.
    h.faults.workflow = undefined;
    const resumed = await resume(h.service, rm, created.id);
    assert.equal(resumed.workflowFailure, undefined);
    const done = await drive(h, created.id, ['PRE_RELEASE', 'DEPLOYING', 'MONITORING']);
    assert.equal(done.status, 'COMPLETED');
    const events = await eventsOf(h, created.id);
    const requested = events.find((candidate) => candidate.type === 'workflow.resume-requested');
    assert.equal((requested?.data.clearedFailure as { error?: string } | undefined)?.error, 'TypeError');
    const gates = mantis.phases.filter((phase) => phase.gate).length;
    assert.equal(events.filter((candidate) => candidate.type === 'gate.passed').length, gates, 'each gate passed once');
  });

  it('a superseded execution that fails records nothing on the release', async () => {
    const h = workflowHarness([mantis], { timeScale: TIME_SCALE });
    harness = h;
    const created = await createRelease(h.service, rm, { templateId: 'mantisdb-v1', name: 'MantisDB 1', version: '1' });
    const first = await until(h, created.id, 'the first execution', (view) => view.executionId !== undefined);
    await resume(h.service, rm, created.id);
    await until(h, created.id, 'the resumed execution', (view) => view.executionId !== first.executionId);
    const { runWorkflowTask } = await import('../../lambdas/workflow/task.ts');
    const result = await runWorkflowTask(h.service, {
      action: 'fail',
      releaseId: created.id,
      error: { Error: 'Error', Cause: 'late' },
      state: 'Await',
      executionId: first.executionId,
    });
    assert.deepEqual(result, { recorded: false });
    assert.equal((await getRelease(h.service, rm, created.id)).workflowFailure, undefined);
  });
});

/** Makes every decision after a satisfied wait throw for good, as a bug in deciding what follows would. */
function failDecisions(h: Harness): void {
  h.faults.workflow = (payload) => {
    const task = payload as { action?: string; outcome?: { kind?: string } };
    if (task.action === 'decide' && task.outcome?.kind === 'satisfied') {
      throw new TypeError("Cannot read properties of undefined (reading 'gate')");
    }
  };
}

/** A MantisDB release whose workflow failed for good at its first gate. */
async function failedAtFirstGate(h: Harness): Promise<ReleaseView> {
  failDecisions(h);
  const created = await createRelease(h.service, rm, { templateId: 'mantisdb-v1', name: 'MantisDB 1', version: '1' });
  await satisfy(h, await until(h, created.id, 'the first gate', (view) => view.wait?.kind === 'gate'));
  return until(h, created.id, 'the failure', (view) => view.workflowFailure !== undefined);
}

describe('resuming the same point again', () => {
  it('two resumes at once, and one more later, start one execution; the release goes on once', async () => {
    const h = workflowHarness([mantis], { timeScale: TIME_SCALE });
    harness = h;
    const failed = await failedAtFirstGate(h);
    h.faults.workflow = undefined;
    const before = h.started().length;
    // Sent twice (a double click, a client retrying at once): both answer, neither fails.
    const [first, second] = await Promise.all([resume(h.service, rm, failed.id), resume(h.service, rm, failed.id)]);
    assert.equal(first.workflowFailure, undefined);
    assert.equal(second.workflowFailure, undefined);
    const resumed = h.started().slice(before);
    assert.equal(resumed.length, 1, `one execution started: ${resumed.join(', ')}`);
    const [execution] = resumed;
    assert.match(execution ?? '', new RegExp(`:${failed.id}-resume-[0-9a-f]{16}$`));
    // Once the resumed execution has taken the release over, a third resume finds it and changes nothing.
    await until(h, failed.id, 'the resumed execution', (view) => view.executionId === execution);
    const trailBefore = (await eventsOf(h, failed.id)).length;
    const third = await resume(h.service, rm, failed.id);
    assert.equal(third.executionId, execution);
    assert.deepEqual(h.started().slice(before), [execution]);
    const requests = (await eventsOf(h, failed.id)).filter((event) => event.type === 'workflow.resume-requested');
    assert.ok(requests.length >= 1 && requests.length <= 2, 'one record per resume that changed something');
    for (const request of requests) assert.equal(request.data.execution, execution);
    assert.equal((await eventsOf(h, failed.id)).length, trailBefore, 'the third resume recorded nothing');
    assert.equal((await h.engine.describe(execution ?? '')).status, 'RUNNING');
    assert.equal((await h.engine.whenSettled(failed.executionId ?? '')).status, 'FAILED');

    const done = await drive(h, failed.id, ['PRE_RELEASE', 'DEPLOYING', 'MONITORING']);
    assert.equal(done.status, 'COMPLETED');
    const events = await eventsOf(h, failed.id);
    const started = events.filter((event) => event.type === 'workflow.started');
    assert.deepEqual(
      started.map((event) => [event.data.executionId === execution, event.data.resumed]),
      [
        [false, false],
        [true, true],
      ],
    );
    const gates = mantis.phases.filter((phase) => phase.gate).length;
    assert.equal(events.filter((event) => event.type === 'gate.passed').length, gates, 'each gate passed once');
  });

  it('a resumed execution that fails at the same wait: the next resume starts another, under the next name', async () => {
    const h = workflowHarness([mantis], { timeScale: TIME_SCALE });
    harness = h;
    const failed = await failedAtFirstGate(h);
    // The cause is not fixed: the resumed execution fails the same way, at the same gate.
    const again = await resume(h.service, rm, failed.id);
    assert.equal(again.wait?.id, failed.wait?.id);
    const refailed = await until(h, failed.id, 'the second failure', (view) => view.workflowFailure !== undefined);
    const resumedFirst = refailed.executionId ?? '';
    assert.notEqual(resumedFirst, failed.executionId);
    assert.equal((await h.engine.whenSettled(resumedFirst)).status, 'FAILED');
    h.faults.workflow = undefined;
    const before = h.started().length;
    await resume(h.service, rm, failed.id);
    const [next, ...more] = h.started().slice(before);
    assert.deepEqual(more, []);
    assert.equal(next, `${resumedFirst}-2`);
    const done = await drive(h, failed.id, ['PRE_RELEASE', 'DEPLOYING', 'MONITORING']);
    assert.equal(done.status, 'COMPLETED');
  });
});

/**
 * A release rolled back in production whose escalation cannot page (every page throws): the harness, the release,
 * its view once the failure is recorded, and how many pages were tried so far.
 */
async function escalationThatCannotPage() {
  assert.ok(toolbox);
  const h = workflowHarness([toolbox], { timeScale: TIME_SCALE });
  harness = h;
  const tries = { pages: 0 };
  h.faults.escalation = (payload) => {
    if ((payload as { action?: string }).action === 'page') {
      tries.pages += 1;
      throw named('Error', 'paging provider unreachable');
    }
  };
  const created = await createRelease(h.service, rm, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
  await drive(h, created.id, ['PRE_RELEASE', 'STAGING']);
  await until(h, created.id, 'DEPLOYING', (view) => view.status === 'DEPLOYING');
  await requestRollback(h.service, rm, created.id, 'checkout errors');
  const failed = await until(h, created.id, 'the failure', (view) => view.workflowFailure !== undefined);
  return { h, created, failed, tries };
}

describe('an escalation task that fails for good', () => {
  it('ends the escalation recorded on the release and notified, without paging again', async () => {
    const { h, created, failed, tries } = await escalationThatCannotPage();
    const escalationId = failed.escalation?.id;
    assert.ok(escalationId);
    // Not lost: the escalation is still paging (shown, and closed by an acknowledgement or resumed).
    assert.equal(failed.escalation?.state, 'paging');
    assert.equal(failed.workflowFailure?.escalationId, escalationId);
    assert.equal(failed.workflowFailure?.state, 'Page');
    assert.match(failed.workflowFailure?.summary ?? '', /escalation paging stopped/);
    const execution = await h.escalations.whenSettled(
      `${h.escalations.stateMachineArn.replace(':stateMachine:', ':execution:')}:${created.id}-${escalationId}`,
    );
    assert.equal(execution.status, 'FAILED');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(tries.pages, 1, 'no page after the failure');
    const event = (await eventsOf(h, created.id)).find((candidate) => candidate.type === 'workflow.failed');
    assert.ok(event);
    const agg = await h.store.load(created.id);
    assert.ok(agg);
    const [notice] = notificationsFor(event, agg);
    assert.deepEqual(
      [notice?.type, notice?.severity, notice?.roles],
      ['workflow.failed', 'critical', ['release-manager']],
    );
    // Someone took it by hand: the acknowledgement still closes the escalation; a resume clears the failure.
    const acked = await acknowledge(h.service, user('erin', ['engineering-lead']), created.id, 'paged by phone');
    assert.equal(acked.escalation?.state, 'acknowledged');
    assert.equal((await resume(h.service, rm, created.id)).workflowFailure, undefined);
  });
});

describe('resuming a release whose escalation failed', () => {
  it('pages on: the escalation, still paging, gets a new execution that pages the levels left', async () => {
    const { h, created, failed, tries } = await escalationThatCannotPage();
    assert.equal(failed.escalation?.state, 'paging');
    assert.equal(failed.escalation?.level, 0, 'level 1 could not be paged');
    assert.equal(tries.pages, 1);
    const escalationId = failed.escalation?.id ?? '';
    const firstEscalation = `${h.escalations.stateMachineArn.replace(':stateMachine:', ':execution:')}:${created.id}-${escalationId}`;
    assert.equal((await h.escalations.whenSettled(firstEscalation)).status, 'FAILED');

    // The paging provider is back; the release manager resumes.
    h.faults.escalation = undefined;
    const before = h.started().length;
    const [resumed] = await Promise.all([resume(h.service, rm, created.id), resume(h.service, rm, created.id)]);
    assert.equal(resumed.workflowFailure, undefined);
    const exhausted = await until(
      h,
      created.id,
      'the chain to run out',
      (view) => view.escalation?.state === 'exhausted',
    );
    assert.equal(exhausted.escalation?.id, escalationId, 'the same escalation, paged on');
    assert.equal(exhausted.escalation?.level, 3);
    const paged = (await eventsOf(h, created.id)).filter((event) => event.type === 'escalation.paged');
    assert.deepEqual(
      paged.map((event) => event.data.level),
      [1, 2, 3],
    );
    // One new release execution and one new escalation execution, whatever the two resumes raced to.
    const started = h.started().slice(before);
    assert.equal(started.length, 2, started.join(', '));
    assert.ok(started.includes(`${firstEscalation}-2`), started.join(', '));
    assert.equal(exhausted.status, 'ROLLING_BACK');
  });
});
