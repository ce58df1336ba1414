// SNS filter-policy semantics (the examples of the SNS Developer Guide, positive and negative), and the policies
// contacts subscribe with: who receives what.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ValidationFailed } from '../../lambdas/core/errors.ts';
import {
  filterPolicyComplexity,
  filterPolicyFor,
  MAX_FILTER_POLICY_COMBINATIONS,
  matchesFilterPolicy,
} from '../../lambdas/core/notify/filter-policy.ts';
import type { FilterPolicy, MessageAttributes, NotificationType } from '../../lambdas/core/notify/notification.ts';
import { messageAttributes, NOTIFICATION_TYPES } from '../../lambdas/core/notify/notification.ts';
import { notificationsFor } from '../../lambdas/core/notify/routing.ts';
import type { ReleaseAggregate } from '../../lambdas/core/release/release.ts';
import type { Template } from '../../lambdas/core/template/template.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';

/** Asserts which attribute sets a policy matches and which it does not. */
function expectMatches(
  policy: FilterPolicy,
  yes: readonly MessageAttributes[],
  no: readonly MessageAttributes[],
): void {
  for (const attributes of yes) {
    assert.equal(
      matchesFilterPolicy(policy, attributes),
      true,
      `${JSON.stringify(policy)} should match ${JSON.stringify(attributes)}`,
    );
  }
  for (const attributes of no) {
    assert.equal(
      matchesFilterPolicy(policy, attributes),
      false,
      `${JSON.stringify(policy)} should not match ${JSON.stringify(attributes)}`,
    );
  }
}

describe('SNS filter-policy semantics (examples from the SNS Developer Guide)', () => {
  it('exact string matching, on String and on each element of a String.Array', () => {
    expectMatches(
      { customer_interests: ['rugby', 'tennis'] },
      [{ customer_interests: 'rugby' }, { customer_interests: 'tennis' }, { customer_interests: ['rugby', 'tennis'] }],
      [
        { customer_interests: 'baseball' },
        { customer_interests: ['baseball'] },
        { customer_interests: 'Rugby' },
        { other: 'rugby' },
        {},
      ],
    );
  });

  it('anything-but a list: any value (or array element) not listed; never a missing key', () => {
    expectMatches(
      { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] },
      [
        { customer_interests: 'baseball' },
        { customer_interests: 'football' },
        { customer_interests: ['rugby', 'baseball'] },
      ],
      [{ customer_interests: 'rugby' }, { customer_interests: ['rugby'] }, { customer_interests: [] }, {}],
    );
    expectMatches({ size: [{ 'anything-but': 'small' }] }, [{ size: 'large' }], [{ size: 'small' }]);
  });

  it('anything-but combined with exists: false also matches a message without the key', () => {
    expectMatches(
      { customer_interests: [{ 'anything-but': ['rugby'] }, { exists: false }] },
      [{ customer_interests: 'tennis' }, { store: 'fans' }],
      [{ customer_interests: 'rugby' }],
    );
  });

  it('anything-but with a prefix, a suffix or a wildcard', () => {
    expectMatches(
      { event: [{ 'anything-but': { prefix: 'order-' } }] },
      [{ event: 'data-entry' }, { event: 'order_number' }],
      [{ event: 'order-cancelled' }, {}],
    );
    expectMatches(
      { customer_interests: [{ 'anything-but': { suffix: 'ball' } }] },
      [{ customer_interests: ['hockey', 'rugby', 'soccer'] }],
      [{ customer_interests: ['baseball', 'basketball'] }],
    );
    expectMatches(
      { customer_interests: [{ 'anything-but': { wildcard: '*ball' } }] },
      [{ customer_interests: ['hockey', 'rugby', 'soccer'] }],
      [{ customer_interests: ['baseball', 'basketball'] }],
    );
  });

  it('anything-but numbers', () => {
    expectMatches(
      { price: [{ 'anything-but': [100, 500] }] },
      [{ price: 101 }, { price: 100.1 }],
      [{ price: 100 }, { price: 500 }, {}],
    );
  });

  it('equals-ignore-case', () => {
    expectMatches(
      { customer_interests: [{ 'equals-ignore-case': 'tennis' }] },
      [{ customer_interests: 'TENNIS' }, { customer_interests: 'Tennis' }, { customer_interests: ['rugby', 'teNnis'] }],
      [{ customer_interests: 'table tennis' }, {}],
    );
  });

  it('prefix and suffix, for strings only', () => {
    expectMatches(
      { customer_interests: [{ prefix: 'bas' }] },
      [{ customer_interests: 'baseball' }, { customer_interests: 'basketball' }],
      [{ customer_interests: 'rugby' }, { customer_interests: 'Baseball' }, {}],
    );
    expectMatches(
      { customer_interests: [{ suffix: 'ball' }] },
      [{ customer_interests: 'baseball' }, { customer_interests: 'basketball' }],
      [{ customer_interests: 'rugby' }, {}],
    );
    expectMatches({ code: [{ prefix: '1' }] }, [{ code: '123' }], [{ code: 123 }]);
  });

  it('wildcard and cidr', () => {
    expectMatches(
      { customer_interests: [{ wildcard: '*ball' }] },
      [{ customer_interests: ['baseball', 'basketball'] }, { customer_interests: 'ball' }],
      [{ customer_interests: 'ballet' }],
    );
    expectMatches({ name: [{ wildcard: 'a\\*b*' }] }, [{ name: 'a*bc' }], [{ name: 'axbc' }]);
    expectMatches(
      { source_ip: [{ cidr: '10.0.0.0/24' }] },
      [{ source_ip: '10.0.0.0' }, { source_ip: '10.0.0.255' }],
      [{ source_ip: '10.1.1.0' }, { source_ip: 'not an address' }],
    );
  });

  it('numeric =, on Number attributes only', () => {
    expectMatches(
      { price_usd: [{ numeric: ['=', 301.5] }] },
      [{ price_usd: 301.5 }, { price_usd: 3.015e2 }],
      [{ price_usd: 301 }, { price_usd: '301.5' }, { price_usd: ['301.5'] }, {}],
    );
    expectMatches({ metricId: [1234, 4321] }, [{ metricId: 1234 }], [{ metricId: '1234' }, { metricId: 1 }]);
  });

  it('numeric <, <=, >, >= and ranges', () => {
    expectMatches({ price_usd: [{ numeric: ['<', 0] }] }, [{ price_usd: -0.5 }], [{ price_usd: 0 }, { price_usd: 1 }]);
    expectMatches({ n: [{ numeric: ['<=', 0] }] }, [{ n: 0 }, { n: -3 }], [{ n: 0.001 }]);
    expectMatches({ n: [{ numeric: ['>', 10] }] }, [{ n: 10.5 }], [{ n: 10 }]);
    expectMatches({ n: [{ numeric: ['>=', 10] }] }, [{ n: 10 }], [{ n: 9.99 }]);
    expectMatches(
      { price_usd: [{ numeric: ['>', 0, '<=', 150] }] },
      [{ price_usd: 0.01 }, { price_usd: 100 }, { price_usd: 150 }],
      [{ price_usd: 0 }, { price_usd: 150.01 }, { price_usd: -1 }],
    );
  });

  it('exists: true needs the key; exists: false needs it absent', () => {
    const withStore: MessageAttributes = { store: 'fans', customer_interests: ['baseball', 'basketball'] };
    const withoutStore: MessageAttributes = { customer_interests: ['baseball', 'basketball'] };
    expectMatches({ store: [{ exists: true }] }, [withStore], [withoutStore]);
    expectMatches({ store: [{ exists: false }] }, [withoutStore], [withStore]);
  });

  it('AND across keys, OR across the values of one key', () => {
    expectMatches(
      { customer_interests: ['rugby'], price_usd: [{ numeric: ['>', 100] }] },
      [{ customer_interests: 'rugby', price_usd: 101 }],
      [{ customer_interests: 'rugby', price_usd: 100 }, { customer_interests: 'rugby' }, { price_usd: 101 }],
    );
    expectMatches(
      { customer_interests: ['rugby', 'football', 'baseball'] },
      [{ customer_interests: 'football' }],
      [{ customer_interests: 'tennis' }],
    );
  });

  it('$or: "source" && ("metricName" || "namespace")', () => {
    expectMatches(
      { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] },
      [
        { source: 'aws.cloudwatch', metricName: 'CPUUtilization' },
        { source: 'aws.cloudwatch', namespace: 'AWS/EC2' },
      ],
      [{ source: 'aws.cloudwatch' }, { metricName: 'CPUUtilization' }, { source: 'aws.cloudwatch', namespace: 'x' }],
    );
  });

  it('nested $or, and its complexity counted as the sum over OR branches (the guide: 7)', () => {
    const policy = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        { metricType: ['MetricType'], $or: [{ metricId: [1234, 4321] }, { spaceId: [1000, 2000, 3000] }] },
      ],
    };
    assert.deepEqual(filterPolicyComplexity(policy), { keys: 5, combinations: 7 });
    expectMatches(
      policy,
      [
        { source: 'aws.cloudwatch', metricName: 'ReadLatency' },
        { source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 2000 },
      ],
      [
        { source: 'aws.cloudwatch', metricType: 'MetricType' },
        { source: 'aws.cloudwatch', spaceId: 2000 },
      ],
    );
    assert.deepEqual(filterPolicyComplexity({ a: ['1', '2', '3'], b: ['x', 'y'] }), { keys: 2, combinations: 6 });
  });

  it('a key outside a $or and inside one branch must meet both', () => {
    expectMatches(
      { a: ['x'], $or: [{ a: ['y'] }, { b: ['z'] }] },
      [{ a: 'x', b: 'z' }],
      [{ a: 'y' }, { a: 'y', b: 'z' }, { a: 'x' }],
    );
  });

  it('"$or" naming operators, or with one branch, is an attribute name like any other', () => {
    const policy = { $or: [{ prefix: 'abc' }, { suffix: 'xyz' }] };
    expectMatches(policy, [{ $or: 'abc1' }, { $or: '1xyz' }], [{ other: 'abc' }, { $or: 'q' }]);
    assert.deepEqual(filterPolicyComplexity(policy), { keys: 1, combinations: 2 });
  });

  it('an empty policy matches every message', () => {
    assert.equal(matchesFilterPolicy({}, {}), true);
    assert.equal(matchesFilterPolicy({}, { eventType: 'release.created' }), true);
  });

  it('refuses a policy SNS would refuse', () => {
    for (const policy of [
      { a: [] },
      { a: 'x' },
      { a: { b: ['x'] } },
      { a: [{ regex: 'x' }] },
      { a: [{ numeric: ['~', 1] }] },
      { a: [{ numeric: ['<', 1, '>', 0] }] },
      { a: [{ numeric: ['>', 2e9] }] },
      { a: [{ prefix: 1 }] },
      { a: [{ exists: 'yes' }] },
      { a: [{ 'anything-but': [] }] },
      { a: [{ prefix: 'x', suffix: 'y' }] },
      { a: [{ cidr: '10.0.0.0/40' }] },
    ]) {
      assert.throws(() => matchesFilterPolicy(policy, { a: 'x' }), Error, JSON.stringify(policy));
    }
  });
});

const toolbox = findBuiltInTemplate('toolboxai-v1') as Template;
assert.ok(toolbox);
const rita = { id: 'rita', name: 'Rita', kind: 'user' as const };
const release: ReleaseAggregate = {
  template: toolbox,
  items: new Map(),
  signoffs: new Map(),
  release: {
    id: 'r1',
    templateId: toolbox.id,
    templateName: toolbox.name,
    name: 'ToolBoxAI 1.1.0',
    version: '1.1.0',
    status: 'PRE_RELEASE',
    currentPhase: 'pre-release',
    stepIndex: 0,
    windowIndex: 0,
    revision: 1,
    createdAt: 't',
    createdBy: rita,
    updatedAt: 't',
  },
};

/** Message attributes as a notification of this type for these roles (and level) is published with. */
const attrs = (type: NotificationType, roles: readonly string[], escalationLevel?: number): MessageAttributes => ({
  eventType: type,
  severity: 'info',
  releaseId: 'r1',
  roles,
  ...(escalationLevel !== undefined ? { escalationLevel } : {}),
});

describe('filterPolicyFor: who receives what', () => {
  it('a QA lead gets sign-off requests for qa-lead, not those for the security lead', () => {
    const policy = filterPolicyFor({ roles: ['qa-lead'] });
    assert.deepEqual(policy, { roles: ['qa-lead'] });
    const requests = notificationsFor(
      { id: 'e1', releaseId: 'r1', type: 'gate.opened', at: 't', actor: rita, data: { phase: 'pre-release' } },
      release,
    );
    const forQa = requests.find((n) => n.roles.includes('qa-lead'));
    const forSecurity = requests.find((n) => n.roles.includes('security-lead'));
    assert.ok(forQa && forSecurity);
    assert.equal(matchesFilterPolicy(policy, messageAttributes(forQa)), true);
    assert.equal(matchesFilterPolicy(policy, messageAttributes(forSecurity)), false);
  });

  it('on-call at level 2 gets level-2 escalation pages whatever their roles, and messages for their roles', () => {
    const policy = filterPolicyFor({ roles: ['backend-lead'], escalationLevel: 2 });
    assert.deepEqual(policy, {
      $or: [{ roles: ['backend-lead'] }, { escalationLevel: [{ numeric: ['=', 2] }] }],
    });
    assert.equal(matchesFilterPolicy(policy, attrs('escalation', ['cto', 'product-manager'], 2)), true);
    assert.equal(matchesFilterPolicy(policy, attrs('escalation', [], 2)), true);
    assert.equal(matchesFilterPolicy(policy, attrs('escalation', ['ceo'], 3)), false);
    assert.equal(matchesFilterPolicy(policy, attrs('window.started', ['release-manager', 'backend-lead'])), true);
    assert.equal(matchesFilterPolicy(policy, attrs('window.started', ['release-manager'])), false);
    // A level alone needs no $or.
    assert.deepEqual(filterPolicyFor({ roles: [], escalationLevel: 2 }), { escalationLevel: [{ numeric: ['=', 2] }] });
  });

  it('a contact limited to rollback.triggered gets nothing else', () => {
    const policy = filterPolicyFor({ roles: ['devops-engineer'], events: ['rollback.triggered'] });
    assert.deepEqual(policy, { roles: ['devops-engineer'], eventType: ['rollback.triggered'] });
    for (const type of NOTIFICATION_TYPES) {
      assert.equal(matchesFilterPolicy(policy, attrs(type, ['devops-engineer'])), type === 'rollback.triggered', type);
    }
    assert.equal(matchesFilterPolicy(policy, attrs('rollback.triggered', ['qa-lead'])), false);
  });

  it('refuses a contact that could receive nothing, or whose policy would break SNS limits', () => {
    assert.throws(() => filterPolicyFor({ roles: [] }), ValidationFailed);
    assert.throws(() => filterPolicyFor({ roles: ['qa-lead'], events: [] }), /events: is empty/);
    assert.throws(() => filterPolicyFor({ roles: ['qa-lead'], escalationLevel: 0 }), /escalationLevel/);
    const roles = Array.from({ length: 10 }, (_, index) => `role-${index}`);
    // 17 events x (10 roles + the level) = 187 combinations.
    assert.throws(
      () => filterPolicyFor({ roles, escalationLevel: 1, events: NOTIFICATION_TYPES }),
      /187 combinations of values; SNS allows 5 keys and 150 combinations/,
    );
    // 17 x 9 = 153 does not fit; 17 x 8 = 136 and 17 x (7 + 1) = 136 do.
    assert.throws(() => filterPolicyFor({ roles: roles.slice(0, 9), events: NOTIFICATION_TYPES }), /153 combinations/);
    assert.doesNotThrow(() => filterPolicyFor({ roles: roles.slice(0, 8), events: NOTIFICATION_TYPES }));
    assert.doesNotThrow(() =>
      filterPolicyFor({ roles: roles.slice(0, 7), escalationLevel: 1, events: NOTIFICATION_TYPES }),
    );
    const many = Array.from({ length: MAX_FILTER_POLICY_COMBINATIONS + 1 }, (_, index) => `role-${index}`);
    assert.throws(() => filterPolicyFor({ roles: many }), /151 combinations/);
  });

  it('matches a notification iff (roles intersect or the level is equal) and (no events chosen, or its type is one)', () => {
    const pool = ['release-manager', 'qa-lead', 'security-lead', 'devops-lead', 'cto', 'stakeholder'];
    const contact = fc
      .record({
        roles: fc.subarray(pool),
        escalationLevel: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        events: fc.option(fc.subarray([...NOTIFICATION_TYPES], { minLength: 1 }), { nil: undefined }),
      })
      .filter((candidate) => candidate.roles.length > 0 || candidate.escalationLevel !== undefined);
    const message = fc.record({
      type: fc.constantFrom(...NOTIFICATION_TYPES),
      roles: fc.subarray(pool),
      escalationLevel: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(contact, message, (who, what) => {
        const expected =
          (who.roles.some((role) => what.roles.includes(role)) ||
            (who.escalationLevel !== undefined && who.escalationLevel === what.escalationLevel)) &&
          (who.events === undefined || who.events.includes(what.type));
        const policy = filterPolicyFor(who);
        assert.equal(matchesFilterPolicy(policy, attrs(what.type, what.roles, what.escalationLevel)), expected);
        assert.equal(JSON.stringify(policy).includes('$or'), who.roles.length > 0 && who.escalationLevel !== undefined);
      }),
      { numRuns: 500 },
    );
  });
});
