import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { Forbidden, NotFound, RuleViolation, StaleVersion } from '../../lambdas/core/errors.ts';
import { recordSignoff, updateItem, withdrawSignoff } from '../../lambdas/core/release/checklist-use-cases.ts';
import { releaseContext } from '../../lambdas/core/release/context.ts';
import { createRelease, getRelease, listEvents } from '../../lambdas/core/release/release-use-cases.ts';
import { resume } from '../../lambdas/core/workflow/workflow-use-cases.ts';
import { fixedClock, machine, sequentialIds, testTemplate, user } from '../support/fixtures.ts';
import { MemoryReleaseStore } from '../support/memory-store.ts';
import { RecordingWorkflow } from '../support/recording-workflow.ts';

const rita = user('rita', ['release-manager']);
const quinn = user('quinn', ['qa-lead']);
const sam = user('sam', ['security-lead']);

function setup() {
  const store = new MemoryReleaseStore();
  const template = testTemplate();
  const workflow = new RecordingWorkflow();
  const service = releaseContext({
    store,
    templates: { list: () => [template], get: (id) => (id === template.id ? template : undefined) },
    clock: fixedClock(),
    ids: sequentialIds(),
    workflow,
    backoff: async () => undefined,
  });
  return { store, service, workflow };
}

const newRelease = { templateId: 'test-template', name: 'Spring release', version: '2.0.0' };

describe('releases service', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });

  it('creates a release in the first phase, with a creation event, only for a release manager', async () => {
    await assert.rejects(
      createRelease(ctx.service, quinn, newRelease),
      (error: unknown) => error instanceof Forbidden && error.permission === 'release:create',
    );
    const view = await createRelease(ctx.service, rita, newRelease);
    assert.equal(view.status, 'PRE_RELEASE');
    assert.equal(view.currentPhase, 'pre-release');
    assert.deepEqual(view.waitingFor?.missingSignoffs, ['qa-lead', 'security-lead']);
    const events = await listEvents(ctx.service, rita, view.id, { limit: 10 });
    assert.deepEqual(
      events.items.map((event) => event.type),
      ['release.created', 'gate.opened'],
    );
  });

  it('keeps the template as it was at creation', async () => {
    const view = await createRelease(ctx.service, rita, newRelease);
    const stored = ctx.store.releases.get(view.id);
    assert.ok(stored);
    assert.equal(stored.template.phases.length, 2);
    assert.notEqual(stored.template, testTemplate());
  });

  it('records an item change with its event, and shows it in the release', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    const item = await updateItem(ctx.service, quinn, id, 'changelog', {
      status: 'done',
      evidence: { note: 'v2 notes' },
    });
    assert.equal(item.version, 1);
    const view = await getRelease(ctx.service, quinn, id);
    const docs = view.phases[0]?.sections[0]?.items.find((entry) => entry.id === 'docs');
    assert.equal(docs?.status, 'done', 'the group follows its required child');
    const events = await listEvents(ctx.service, quinn, id, { limit: 10 });
    assert.deepEqual(events.items[2]?.data, {
      itemId: 'changelog',
      from: 'pending',
      to: 'done',
      version: 1,
      evidence: { note: 'v2 notes' },
    });
  });

  it('lets a machine with items.write tick an automated item and nothing a person judges', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    const ci = machine('ci-client', ['shipgate/items.write']);
    assert.equal((await updateItem(ctx.service, ci, id, 'tests-pass', { status: 'done' })).status, 'done');
    await assert.rejects(updateItem(ctx.service, ci, id, 'changelog', { status: 'done' }), Forbidden);
    await assert.rejects(getRelease(ctx.service, ci, id), Forbidden);
  });

  it('decides a lost race again on fresh state instead of overwriting it', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    let slipped = false;
    ctx.store.beforeWrite = async () => {
      if (slipped) return;
      slipped = true;
      // Another writer lands a change of the same item between our read and our write.
      const stored = ctx.store.releases.get(id);
      stored?.items.set('changelog', { itemId: 'changelog', status: 'blocked', version: 1, reason: 'waiting' });
    };
    const item = await updateItem(ctx.service, quinn, id, 'changelog', { status: 'done' });
    assert.equal(item.version, 2, 'applied on top of the concurrent version');
  });

  it('answers a stale expectedVersion with 409 and does not retry it', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    await updateItem(ctx.service, quinn, id, 'changelog', { status: 'done', expectedVersion: 0 });
    await assert.rejects(
      updateItem(ctx.service, quinn, id, 'changelog', { status: 'pending', expectedVersion: 0 }),
      StaleVersion,
    );
  });

  it('lands concurrent sign-offs of different roles at once, without touching the release header', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    let writes = 0;
    ctx.store.beforeWrite = () => {
      writes += 1;
      return new Promise((resolve) => setImmediate(resolve));
    };
    const outcomes = await Promise.all([
      recordSignoff(ctx.service, quinn, id, { gate: 'pre-release', role: 'qa-lead', decision: 'approve' }),
      recordSignoff(ctx.service, sam, id, { gate: 'pre-release', role: 'security-lead', decision: 'approve' }),
    ]);
    assert.equal(writes, 2, 'neither sign-off lost a race: each is conditioned on its own row');
    assert.deepEqual(
      outcomes.map((outcome) => [outcome.signoff.version, outcome.release.revision]),
      [
        [1, 1],
        [1, 1],
      ],
    );
    const view = await getRelease(ctx.service, rita, id);
    assert.equal(view.revision, 1);
    assert.deepEqual(view.waitingFor?.missingSignoffs, []);
  });

  it('lets one person approve only one of two roles of a gate, also when both are sent at once', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    const both = user('bo', ['qa-lead', 'security-lead']);
    // Both decisions are made on the same state, before either is written: only the signer guard can refuse one.
    let loads = 0;
    let release: () => void = () => undefined;
    const bothLoaded = new Promise<void>((resolve) => {
      release = resolve;
    });
    const load = ctx.store.load.bind(ctx.store);
    ctx.store.load = async (releaseId) => {
      const agg = await load(releaseId);
      loads += 1;
      if (loads === 2) release();
      if (loads <= 2) await bothLoaded;
      return agg;
    };
    const results = await Promise.allSettled([
      recordSignoff(ctx.service, both, id, { gate: 'pre-release', role: 'qa-lead', decision: 'approve' }),
      recordSignoff(ctx.service, both, id, { gate: 'pre-release', role: 'security-lead', decision: 'approve' }),
    ]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    const refused = results.find((result) => result.status === 'rejected');
    assert.ok(refused?.status === 'rejected' && refused.reason instanceof RuleViolation);
    assert.equal(refused.reason.code, 'separation-of-duties');
    const signed = [...(ctx.store.releases.get(id)?.signoffs.values() ?? [])];
    assert.equal(signed.length, 1);
  });

  it('frees a signer for another role once their decision is withdrawn or replaced', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    const bo = user('bo', ['qa-lead', 'security-lead']);
    const quincy = user('quincy', ['qa-lead']);
    await recordSignoff(ctx.service, bo, id, { gate: 'pre-release', role: 'qa-lead', decision: 'approve' });
    await withdrawSignoff(ctx.service, bo, id, 'pre-release', 'qa-lead');
    await recordSignoff(ctx.service, bo, id, { gate: 'pre-release', role: 'security-lead', decision: 'approve' });
    // Another QA lead decides qa-lead; bo, standing for security-lead, still cannot take qa-lead back.
    const replaced = await recordSignoff(ctx.service, quincy, id, {
      gate: 'pre-release',
      role: 'qa-lead',
      decision: 'reject',
    });
    assert.equal(replaced.signoff.version, 3);
    await assert.rejects(
      recordSignoff(ctx.service, bo, id, { gate: 'pre-release', role: 'qa-lead', decision: 'approve' }),
      (error: unknown) => error instanceof RuleViolation && error.code === 'separation-of-duties',
    );
    // bo withdraws security-lead, so may now take qa-lead over from quincy, whose claim is released with it.
    await withdrawSignoff(ctx.service, bo, id, 'pre-release', 'security-lead');
    await recordSignoff(ctx.service, bo, id, { gate: 'pre-release', role: 'qa-lead', decision: 'approve' });
    const taken = await recordSignoff(ctx.service, quincy, id, {
      gate: 'pre-release',
      role: 'qa-lead',
      decision: 'approve',
    });
    assert.equal(taken.signoff.version, 5);
    const stored = ctx.store.releases.get(id);
    assert.equal(stored?.signers.get('pre-release#bo'), undefined);
    assert.equal(stored?.signers.get('pre-release#quincy'), 'qa-lead');
  });

  it('refuses a sign-off for a role the caller does not hold', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    await assert.rejects(
      recordSignoff(ctx.service, quinn, id, { gate: 'pre-release', role: 'security-lead', decision: 'approve' }),
      (error: unknown) => error instanceof Forbidden && error.permission === 'signoff:security-lead',
    );
  });

  it('unblocks a rejected gate when the role approves again', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    const rejected = await recordSignoff(ctx.service, sam, id, {
      gate: 'pre-release',
      role: 'security-lead',
      decision: 'reject',
      comment: 'open CVE',
    });
    assert.equal(rejected.gate?.rejections.length, 1);
    const approved = await recordSignoff(ctx.service, sam, id, {
      gate: 'pre-release',
      role: 'security-lead',
      decision: 'approve',
    });
    assert.equal(approved.gate?.rejections.length, 0);
  });

  it('says which release does not exist', async () => {
    await assert.rejects(getRelease(ctx.service, rita, 'missing'), NotFound);
    await assert.rejects(listEvents(ctx.service, rita, 'missing', { limit: 5 }), NotFound);
  });

  it('resumes a release at one point in one execution, however often and however at once it is asked', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    const created = [...ctx.workflow.executions.keys()];
    await Promise.all([resume(ctx.service, rita, id), resume(ctx.service, rita, id)]);
    await resume(ctx.service, rita, id);
    const resumes = ctx.workflow.started.filter((start) => start.resume);
    assert.equal(resumes.length, 3);
    const [execution] = [...ctx.workflow.executions.keys()].filter((key) => !created.includes(key));
    assert.match(execution ?? '', new RegExp(`^execution:${id}-resume-[0-9a-f]{16}$`));
    assert.deepEqual(
      resumes.map((start) => start.executionId),
      [execution, execution, execution],
    );
    assert.equal(ctx.workflow.executions.size, created.length + 1, 'one execution resumes the release');
    const requested = (await listEvents(ctx.service, rita, id, { limit: 50 })).items.filter(
      (event) => event.type === 'workflow.resume-requested',
    );
    assert.ok(requested.every((event) => event.data.execution === execution));
    // That execution ended (it failed) with the release still at this point: the next resume takes the next name.
    ctx.workflow.end(execution ?? '');
    await resume(ctx.service, rita, id);
    assert.equal(ctx.workflow.started.at(-1)?.executionId, `${execution}-2`);
  });

  it('answers a resume whose execution cannot be started with the error, and records nothing', async () => {
    const { id } = await createRelease(ctx.service, rita, newRelease);
    const before = (await listEvents(ctx.service, rita, id, { limit: 50 })).items.length;
    ctx.workflow.start = async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    };
    await assert.rejects(resume(ctx.service, rita, id), /Rate exceeded/);
    assert.equal((await listEvents(ctx.service, rita, id, { limit: 50 })).items.length, before);
  });
});
