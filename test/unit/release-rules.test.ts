import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actorRef } from '../../lambdas/core/auth/actor.ts';
import { NotFound, RuleViolation, StaleVersion, ValidationFailed } from '../../lambdas/core/errors.ts';
import { decideSignoff, decideWithdrawal, gateStatus } from '../../lambdas/core/release/gates.ts';
import { decideItemUpdate, itemStatus } from '../../lambdas/core/release/items.ts';
import type { ItemState, Release, ReleaseAggregate, Signoff } from '../../lambdas/core/release/release.ts';
import { signoffKey } from '../../lambdas/core/release/release.ts';
import type { Template } from '../../lambdas/core/template/template.ts';
import { testTemplate, user } from '../support/fixtures.ts';

const AT = '2026-11-21T10:00:00.000Z';
const creator = user('rita', ['release-manager']);

function aggregate(
  options: { template?: Template; items?: Partial<ItemState>[]; signoffs?: Signoff[]; release?: Partial<Release> } = {},
): ReleaseAggregate {
  const template = options.template ?? testTemplate();
  return {
    template,
    release: {
      id: 'r1',
      templateId: template.id,
      templateName: template.name,
      name: 'Release',
      version: '1.0.0',
      status: 'PRE_RELEASE',
      currentPhase: 'pre-release',
      stepIndex: 0,
      windowIndex: 0,
      revision: 1,
      createdAt: AT,
      createdBy: actorRef(creator),
      updatedAt: AT,
      ...options.release,
    },
    items: new Map(
      (options.items ?? []).map((state) => [
        state.itemId ?? '',
        { status: 'pending', version: 1, itemId: '', ...state } as ItemState,
      ]),
    ),
    signoffs: new Map((options.signoffs ?? []).map((s) => [signoffKey(s.gate, s.role), s])),
  };
}

const done = (itemId: string): Partial<ItemState> => ({ itemId, status: 'done' });
const approval = (role: string, by: string, decision: Signoff['decision'] = 'approve'): Signoff => ({
  gate: 'pre-release',
  role,
  decision,
  by: actorRef(user(by, [role])),
  at: AT,
});

const prePhase = (agg: ReleaseAggregate) => {
  const phase = agg.template.phases[0];
  assert.ok(phase);
  return phase;
};

describe('gate status', () => {
  it('lists every required leaf item and every required sign-off of a new release, and no optional item', () => {
    const agg = aggregate();
    const status = gateStatus(agg, prePhase(agg));
    assert.ok(status);
    assert.equal(status.satisfied, false);
    assert.deepEqual(
      status.missingItems.map((entry) => entry.id),
      ['tests-pass', 'changelog', 'security-scan'],
    );
    assert.deepEqual(status.missingSignoffs, ['qa-lead', 'security-lead']);
  });

  it('is satisfied by done or reasoned-skipped items and approvals from two people', () => {
    const agg = aggregate({
      items: [done('tests-pass'), done('changelog'), { itemId: 'security-scan', status: 'skipped', reason: 'n/a' }],
      signoffs: [approval('qa-lead', 'quinn'), approval('security-lead', 'sam')],
    });
    const status = gateStatus(agg, prePhase(agg));
    assert.equal(status?.satisfied, true);
    assert.deepEqual(status?.missingItems, []);
  });

  it('is blocked by a rejection even when everything else is there, and names who rejected', () => {
    const agg = aggregate({
      items: [done('tests-pass'), done('changelog'), done('security-scan')],
      signoffs: [approval('qa-lead', 'quinn'), { ...approval('security-lead', 'sam', 'reject'), comment: 'CVE open' }],
    });
    const status = gateStatus(agg, prePhase(agg));
    assert.equal(status?.satisfied, false);
    assert.deepEqual(status?.missingSignoffs, ['security-lead']);
    assert.equal(status?.rejections[0]?.by.id, 'sam');
    assert.equal(status?.rejections[0]?.comment, 'CVE open');
  });

  it('does not count a failed or blocked required item', () => {
    const agg = aggregate({
      items: [
        { itemId: 'tests-pass', status: 'failed' },
        { itemId: 'changelog', status: 'blocked' },
      ],
    });
    const status = gateStatus(agg, prePhase(agg));
    assert.deepEqual(
      status?.missingItems.map((entry) => [entry.id, entry.status]),
      [
        ['tests-pass', 'failed'],
        ['changelog', 'blocked'],
        ['security-scan', 'pending'],
      ],
    );
  });

  it("holds a gate whose only approver is the release's creator, when the template says so", () => {
    const single = testTemplate();
    const deployment = single.phases[1];
    assert.ok(deployment);
    const agg = aggregate({
      template: single,
      release: { currentPhase: 'deployment', status: 'DEPLOYING' },
      items: [done('deploy-backend')],
      signoffs: [{ ...approval('release-manager', 'rita'), gate: 'deployment' }],
    });
    const held = gateStatus(agg, deployment);
    assert.equal(held?.satisfied, false);
    assert.match(held?.blockers[0] ?? '', /creator/);

    const relaxed = testTemplate({
      separationOfDuties: { distinctSignersPerGate: true, creatorNotSoleApprover: false },
    });
    const relaxedPhase = relaxed.phases[1];
    assert.ok(relaxedPhase);
    assert.equal(gateStatus({ ...agg, template: relaxed }, relaxedPhase)?.satisfied, true);
  });
});

describe('group items', () => {
  const docs = () => {
    const found = testTemplate().phases[0]?.sections[0]?.items.find((candidate) => candidate.id === 'docs');
    assert.ok(found);
    return found;
  };

  it('is done when its required children are done, whatever its optional ones are', () => {
    assert.equal(itemStatus(aggregate({ items: [done('changelog')] }), docs()), 'done');
    assert.equal(itemStatus(aggregate(), docs()), 'pending');
  });

  it('is failed or blocked when a required child is', () => {
    assert.equal(itemStatus(aggregate({ items: [{ itemId: 'changelog', status: 'failed' }] }), docs()), 'failed');
    assert.equal(itemStatus(aggregate({ items: [{ itemId: 'changelog', status: 'blocked' }] }), docs()), 'blocked');
  });
});

describe('item updates', () => {
  const by = actorRef(user('quinn', ['qa-lead']));

  it('bumps the version and keeps evidence and who did it', () => {
    const { previous, next } = decideItemUpdate(
      aggregate(),
      'tests-pass',
      { status: 'done', evidence: { url: 'https://ci.example/run/1' } },
      by,
      AT,
    );
    assert.equal(previous.version, 0);
    assert.equal(next.version, 1);
    assert.equal(next.updatedBy?.id, 'quinn');
    assert.equal(next.evidence?.url, 'https://ci.example/run/1');
  });

  it('refuses an expected version that is not the stored one', () => {
    const agg = aggregate({ items: [{ itemId: 'tests-pass', status: 'done', version: 3 }] });
    assert.throws(
      () => decideItemUpdate(agg, 'tests-pass', { status: 'pending', expectedVersion: 2 }, by, AT),
      (error: unknown) => error instanceof StaleVersion && error.extensions.currentVersion === 3,
    );
  });

  it('needs a reason to skip a required item, and none to skip an optional one', () => {
    assert.throws(
      () => decideItemUpdate(aggregate(), 'security-scan', { status: 'skipped' }, by, AT),
      (error: unknown) => error instanceof ValidationFailed && error.issues[0]?.field === 'reason',
    );
    assert.equal(decideItemUpdate(aggregate(), 'helm-charts', { status: 'skipped' }, by, AT).next.status, 'skipped');
  });

  it('refuses to tick a group, an unknown item, or anything on a closed release', () => {
    assert.throws(
      () => decideItemUpdate(aggregate(), 'docs', { status: 'done' }, by, AT),
      (error: unknown) => error instanceof RuleViolation && error.code === 'item-is-group',
    );
    assert.throws(() => decideItemUpdate(aggregate(), 'nope', { status: 'done' }, by, AT), NotFound);
    assert.throws(
      () => decideItemUpdate(aggregate({ release: { status: 'CANCELLED' } }), 'tests-pass', { status: 'done' }, by, AT),
      (error: unknown) => error instanceof RuleViolation && error.code === 'release-closed',
    );
  });
});

describe('sign-offs', () => {
  const quinn = actorRef(user('quinn', ['qa-lead', 'security-lead']));

  it('records a decision for a role of the open gate', () => {
    const signoff = decideSignoff(
      aggregate(),
      { gate: 'pre-release', role: 'qa-lead', decision: 'approve' },
      quinn,
      AT,
    );
    assert.deepEqual(
      [signoff.gate, signoff.role, signoff.decision, signoff.by.id],
      ['pre-release', 'qa-lead', 'approve', 'quinn'],
    );
  });

  it('names the field when the gate or role does not exist', () => {
    assert.throws(
      () => decideSignoff(aggregate(), { gate: 'launch', role: 'qa-lead', decision: 'approve' }, quinn, AT),
      (error: unknown) => error instanceof ValidationFailed && error.issues[0]?.field === 'gate',
    );
    assert.throws(
      () => decideSignoff(aggregate(), { gate: 'pre-release', role: 'ceo', decision: 'approve' }, quinn, AT),
      (error: unknown) => error instanceof ValidationFailed && error.issues[0]?.field === 'role',
    );
  });

  it('refuses a gate that is not the current one', () => {
    assert.throws(
      () => decideSignoff(aggregate(), { gate: 'deployment', role: 'release-manager', decision: 'approve' }, quinn, AT),
      (error: unknown) => error instanceof RuleViolation && error.code === 'gate-not-open',
    );
  });

  it('refuses one person filling two roles of a gate, unless that sign-off was withdrawn or the rule is off', () => {
    const input = { gate: 'pre-release', role: 'security-lead', decision: 'approve' } as const;
    const signedQa = aggregate({ signoffs: [{ ...approval('qa-lead', 'quinn') }] });
    assert.throws(
      () => decideSignoff(signedQa, input, quinn, AT),
      (error: unknown) => error instanceof RuleViolation && error.code === 'separation-of-duties',
    );
    const withdrawn = aggregate({ signoffs: [{ ...approval('qa-lead', 'quinn'), decision: 'withdrawn' }] });
    assert.equal(decideSignoff(withdrawn, input, quinn, AT).role, 'security-lead');
    const relaxed = testTemplate({
      separationOfDuties: { distinctSignersPerGate: false, creatorNotSoleApprover: true },
    });
    assert.equal(decideSignoff({ ...signedQa, template: relaxed }, input, quinn, AT).role, 'security-lead');
  });

  it('lets only the signer withdraw a standing decision', () => {
    const agg = aggregate({ signoffs: [approval('qa-lead', 'quinn', 'reject')] });
    assert.equal(decideWithdrawal(agg, 'pre-release', 'qa-lead', quinn, AT).decision, 'withdrawn');
    assert.throws(
      () => decideWithdrawal(agg, 'pre-release', 'qa-lead', actorRef(user('other', ['qa-lead'])), AT),
      (error: unknown) => error instanceof RuleViolation && error.code === 'not-signer',
    );
    assert.throws(() => decideWithdrawal(aggregate(), 'pre-release', 'qa-lead', quinn, AT), NotFound);
  });
});
