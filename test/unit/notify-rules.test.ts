// Which notifications each audit event causes (types, severities, roles, ids) and how they read: subjects, emails
// with their call to action and link, SMS that stay within 160 characters whatever the release is called, and the
// window report a `window.passed` notification carries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ActorRef } from '../../lambdas/core/auth/actor.ts';
import { windowReport } from '../../lambdas/core/monitoring/report.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import { filterPolicyFor, matchesFilterPolicy } from '../../lambdas/core/notify/filter-policy.ts';
import type { FilterPolicy, Notification } from '../../lambdas/core/notify/notification.ts';
import { messageAttributes } from '../../lambdas/core/notify/notification.ts';
import { SUBJECT_MAX_LENGTH, subjectLine } from '../../lambdas/core/notify/render.ts';
import { notificationsFor } from '../../lambdas/core/notify/routing.ts';
import { fitSms, SMS_MAX_LENGTH } from '../../lambdas/core/notify/sms.ts';
import { clip, oneLine } from '../../lambdas/core/notify/text.ts';
import type {
  AuditEvent,
  AuditEventType,
  Release,
  ReleaseAggregate,
  Signoff,
} from '../../lambdas/core/release/release.ts';
import { signoffKey } from '../../lambdas/core/release/release.ts';
import type { Template } from '../../lambdas/core/template/template.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';

const toolbox = findBuiltInTemplate('toolboxai-v1') as Template;
const mantis = findBuiltInTemplate('mantisdb-v1') as Template;
assert.ok(toolbox && mantis);

const RELEASE_ID = '01JDQ5V7W8X9Y0Z1A2B3C4D5E6';
const URL = 'https://abc123.execute-api.us-east-1.amazonaws.com';
const rita: ActorRef = { id: 'rita', name: 'Rita', kind: 'user' };
const sam: ActorRef = { id: 'sam', name: 'Sam', kind: 'user' };

function agg(
  release: Partial<Release> = {},
  signoffs: readonly Signoff[] = [],
  template: Template = toolbox,
): ReleaseAggregate {
  return {
    template,
    items: new Map(),
    signoffs: new Map(signoffs.map((signoff) => [signoffKey(signoff.gate, signoff.role), signoff])),
    release: {
      id: RELEASE_ID,
      templateId: template.id,
      templateName: template.name,
      name: 'ToolBoxAI 1.1.0',
      version: '1.1.0',
      status: 'PRE_RELEASE',
      currentPhase: 'pre-release',
      stepIndex: 0,
      windowIndex: 0,
      revision: 3,
      createdAt: '2026-11-20T09:00:00.000Z',
      createdBy: rita,
      updatedAt: '2026-11-20T09:00:00.000Z',
      ...release,
    },
  };
}

const approve = (gate: string, role: string, by: ActorRef = sam): Signoff => ({
  gate,
  role,
  decision: 'approve',
  by,
  at: '2026-11-20T10:00:00.000Z',
});

function event(
  type: AuditEventType,
  data: Record<string, unknown> = {},
  id = '01JDQ6EVENT0000000000000001',
): AuditEvent {
  return { id, releaseId: RELEASE_ID, type, at: '2026-11-20T10:30:00.000Z', actor: rita, data };
}

const everyRole = toolbox.roles.map((role) => role.id);
const onCall = ['release-manager', 'backend-lead', 'frontend-lead', 'devops-engineer', 'security-lead'];
const preReleaseRoles = ['engineering-manager', 'security-lead', 'qa-lead', 'devops-lead', 'product-manager'];

/** One audit event of each kind that causes notifications, with the release as it stands then. */
const ROWS: readonly { readonly event: AuditEvent; readonly agg: ReleaseAggregate }[] = [
  { event: event('release.created', { phase: 'pre-release', name: 'ToolBoxAI 1.1.0' }), agg: agg() },
  { event: event('gate.opened', { phase: 'pre-release', gate: 'pre-release' }), agg: agg() },
  {
    event: event('gate.opened', { phase: 'confirmation', gate: 'confirmation' }),
    agg: agg({ status: 'CONFIRMING', currentPhase: 'confirmation' }),
  },
  {
    event: event('signoff.recorded', { gate: 'pre-release', role: 'qa-lead', decision: 'approve' }),
    agg: agg({}, [approve('pre-release', 'qa-lead')]),
  },
  {
    event: event('signoff.recorded', {
      gate: 'pre-release',
      role: 'security-lead',
      decision: 'reject',
      comment: 'pen test report missing',
    }),
    agg: agg(),
  },
  {
    event: event('gate.overdue', { phase: 'pre-release', gate: 'pre-release', deadline: 'P2D', since: 'x' }),
    agg: agg(),
  },
  { event: event('phase.entered', { phase: 'deployment', status: 'DEPLOYING' }), agg: agg({ status: 'DEPLOYING' }) },
  {
    event: event('step.started', { phase: 'deployment', step: 'backend-deployment', name: 'Backend deployment' }),
    agg: agg({ status: 'DEPLOYING', currentPhase: 'deployment', stepIndex: 1 }),
  },
  {
    event: event('step.completed', { phase: 'deployment', step: 'backend-deployment' }),
    agg: agg({ status: 'DEPLOYING', currentPhase: 'deployment', stepIndex: 2 }),
  },
  {
    event: event('window.started', {
      phase: 'monitoring',
      window: 'immediate',
      name: 'Immediate Monitoring (First 2 Hours)',
      duration: 'PT2H',
      endsAt: '2026-11-20T12:30:00.000Z',
    }),
    agg: agg({ status: 'MONITORING', currentPhase: 'monitoring' }),
  },
  {
    event: event('window.passed', { phase: 'monitoring', window: 'immediate' }),
    agg: agg({ status: 'MONITORING', currentPhase: 'monitoring', windowIndex: 1 }),
  },
  {
    event: event('rollback.requested', { reason: 'error rate 3.2% for 10 minutes', trigger: 'error-rate' }),
    agg: agg({ status: 'ROLLBACK_REQUESTED', currentPhase: 'monitoring' }),
  },
  { event: event('rollback.completed'), agg: agg({ status: 'ROLLED_BACK', currentPhase: 'monitoring' }) },
  {
    event: event('rollback.failed', { cause: "rollback step 'revert-to-previous-backend-version' failed" }),
    agg: agg({ status: 'ROLLBACK_FAILED', currentPhase: 'monitoring' }),
  },
  {
    event: event('release.completed', { at: '2026-11-27T10:30:00.000Z' }),
    agg: agg({ status: 'COMPLETED', currentPhase: 'follow-up' }),
  },
  {
    event: event('workflow.failed', {
      error: 'TypeError',
      cause: 'Cannot read properties of undefined',
      state: 'Decide',
    }),
    agg: agg({ status: 'MONITORING', currentPhase: 'monitoring' }),
  },
];

const summary = (notifications: readonly Notification[]) =>
  notifications.map((n) => ({
    id: n.id,
    type: n.type,
    severity: n.severity,
    roles: n.roles,
    escalationLevel: n.escalationLevel,
  }));

describe('which notifications an audit event causes', () => {
  it('release.created: to every role of the template, info', () => {
    const created = event('release.created', { phase: 'pre-release' });
    const [only, ...rest] = notificationsFor(created, agg());
    assert.equal(rest.length, 0);
    assert.deepEqual(summary(only ? [only] : []), [
      {
        id: `${created.id}.1`,
        type: 'release.created',
        severity: 'info',
        roles: everyRole,
        escalationLevel: undefined,
      },
    ]);
    assert.equal(only?.phase, 'pre-release');
    assert.equal(only?.releaseId, RELEASE_ID);
    assert.equal(only?.eventId, created.id);
    assert.equal(only?.createdAt, created.at);
  });

  it('gate.opened: one sign-off request per required role still missing, each to that role alone', () => {
    const opened = event('gate.opened', { phase: 'pre-release', gate: 'pre-release' });
    const all = notificationsFor(opened, agg());
    assert.deepEqual(
      all.map((n) => [n.id, n.type, n.severity, n.roles, n.phase]),
      preReleaseRoles.map((role, index) => [
        `${opened.id}.${index + 1}`,
        'signoff.requested',
        'info',
        [role],
        'pre-release',
      ]),
    );
    // QA approved before the event was handled: no request for QA, and the others keep their ids.
    const later = notificationsFor(opened, agg({}, [approve('pre-release', 'qa-lead')]));
    assert.deepEqual(
      later.map((n) => [n.id, n.roles[0]]),
      [
        [`${opened.id}.1`, 'engineering-manager'],
        [`${opened.id}.2`, 'security-lead'],
        [`${opened.id}.4`, 'devops-lead'],
        [`${opened.id}.5`, 'product-manager'],
      ],
    );
  });

  it('gate.opened: optional sign-offs are not requested, and a gate without sign-offs asks nobody', () => {
    const optional = structuredClone(toolbox);
    const gate = optional.phases.find((phase) => phase.id === 'pre-release')?.gate;
    const product = gate?.signoffs.find((signoff) => signoff.role === 'product-manager');
    assert.ok(product);
    product.required = false;
    const opened = event('gate.opened', { phase: 'pre-release', gate: 'pre-release' });
    assert.deepEqual(
      notificationsFor(opened, agg({}, [], optional)).map((n) => n.roles[0]),
      preReleaseRoles.filter((role) => role !== 'product-manager'),
    );
    const staging = toolbox.phases.find((phase) => phase.id === 'staging');
    assert.equal(staging?.gate?.signoffs.length, 0);
    assert.deepEqual(notificationsFor(event('gate.opened', { phase: 'staging', gate: 'staging' }), agg()), []);
  });

  it('signoff.recorded: an approval tells the release manager; a rejection warns the manager and the gate roles', () => {
    const approved = event('signoff.recorded', { gate: 'pre-release', role: 'qa-lead', decision: 'approve' });
    assert.deepEqual(summary(notificationsFor(approved, agg({}, [approve('pre-release', 'qa-lead')]))), [
      {
        id: `${approved.id}.1`,
        type: 'signoff.recorded',
        severity: 'info',
        roles: ['release-manager'],
        escalationLevel: undefined,
      },
    ]);
    const rejected = event('signoff.recorded', { gate: 'pre-release', role: 'security-lead', decision: 'reject' });
    assert.deepEqual(summary(notificationsFor(rejected, agg())), [
      {
        id: `${rejected.id}.1`,
        type: 'signoff.rejected',
        severity: 'warning',
        roles: ['release-manager', ...preReleaseRoles],
        escalationLevel: undefined,
      },
    ]);
    const rollbackReject = event('signoff.recorded', { gate: 'rollback', role: 'release-manager', decision: 'reject' });
    assert.deepEqual(
      notificationsFor(rollbackReject, agg({ status: 'ROLLING_BACK' })).map((n) => [n.type, n.roles]),
      [['signoff.rejected', ['release-manager']]],
    );
  });

  it('gate.overdue: a warning to the roles still missing and the release manager', () => {
    const overdue = event('gate.overdue', { phase: 'pre-release', gate: 'pre-release', deadline: 'P2D', since: 's' });
    const signed = agg({}, [approve('pre-release', 'qa-lead'), approve('pre-release', 'devops-lead', rita)]);
    assert.deepEqual(summary(notificationsFor(overdue, signed)), [
      {
        id: `${overdue.id}.1`,
        type: 'gate.overdue',
        severity: 'warning',
        roles: ['engineering-manager', 'security-lead', 'product-manager', 'release-manager'],
        escalationLevel: undefined,
      },
    ]);
  });

  it('phase.entered: phase.advanced to the release manager, and the DevOps lead when deployment starts', () => {
    const staging = notificationsFor(event('phase.entered', { phase: 'staging', status: 'STAGING' }), agg());
    assert.deepEqual(
      staging.map((n) => [n.type, n.severity, n.roles, n.phase]),
      [['phase.advanced', 'info', ['release-manager'], 'staging']],
    );
    const deployment = notificationsFor(event('phase.entered', { phase: 'deployment', status: 'DEPLOYING' }), agg());
    assert.deepEqual(
      deployment.map((n) => [n.type, n.roles]),
      [['phase.advanced', ['release-manager', 'devops-lead']]],
    );
  });

  it('step.started and step.completed: to the release manager and the DevOps lead', () => {
    for (const type of ['step.started', 'step.completed'] as const) {
      const notifications = notificationsFor(event(type, { phase: 'deployment', step: 'backend-deployment' }), agg());
      assert.deepEqual(
        notifications.map((n) => [n.type, n.severity, n.roles]),
        [[type, 'info', ['release-manager', 'devops-lead']]],
      );
    }
  });

  it("window.started and window.passed: to the release manager and the template's on-call roles", () => {
    for (const type of ['window.started', 'window.passed'] as const) {
      const notifications = notificationsFor(event(type, { phase: 'monitoring', window: 'immediate' }), agg());
      assert.deepEqual(
        notifications.map((n) => [n.type, n.severity, n.roles]),
        [[type, 'info', onCall]],
      );
    }
  });

  /** Each audit event of a rollback, with the release as it stands then. */
  const rollbackEvents = [
    [event('rollback.requested', { reason: 'error rate 3%', trigger: 'error-rate' }), 'ROLLBACK_REQUESTED'],
    [event('rollback.proposed', { reason: 'error rate 3%', trigger: 'error-rate' }), 'MONITORING'],
    [event('rollback.completed'), 'ROLLED_BACK'],
    [event('rollback.failed', { cause: 'x' }), 'ROLLBACK_FAILED'],
  ] as const;
  const rollbackOf = (template: Template) =>
    rollbackEvents.flatMap(([e, status]) =>
      notificationsFor(e, agg({ status, currentPhase: 'monitoring' }, [], template)),
    );

  it('rollback events: to the manager, the on-call role and the on-call section; level 1 paged but for a proposal', () => {
    const requested = rollbackEvents[0][0];
    assert.deepEqual(summary(notificationsFor(requested, agg({ status: 'ROLLBACK_REQUESTED' })))[0], {
      id: `${requested.id}.1`,
      type: 'rollback.triggered',
      severity: 'critical',
      roles: [
        'release-manager',
        'engineering-lead',
        'backend-lead',
        'frontend-lead',
        'devops-engineer',
        'security-lead',
        'on-call',
      ],
      escalationLevel: 1,
    });
    const level1AndOnCall = ['release-manager', 'engineering-lead', ...onCall.slice(1), 'on-call'];
    assert.deepEqual(
      rollbackOf(toolbox).map((n) => [n.type, n.severity, n.roles, n.escalationLevel]),
      [
        ['rollback.triggered', 'critical', level1AndOnCall, 1],
        // A proposal waits for the release manager's decision: on call hears of it, nobody is paged.
        ['rollback.triggered', 'critical', [...onCall, 'on-call'], undefined],
        ['rollback.completed', 'info', level1AndOnCall, 1],
        ['rollback.failed', 'critical', level1AndOnCall, 1],
      ],
    );
    for (const n of rollbackOf(toolbox)) assert.ok(!n.text.email.includes('names no on-call role'), n.type);
  });

  it('rollback events of a template naming no on-call role: the release manager, and the email says so', () => {
    // MantisDB names no on-call section and no escalation chain.
    assert.deepEqual(mantis.onCall, []);
    const notifications = rollbackOf(mantis);
    assert.deepEqual(
      notifications.map((n) => [n.type, n.roles]),
      [
        ['rollback.triggered', ['release-manager', 'on-call']],
        ['rollback.triggered', ['release-manager', 'on-call']],
        ['rollback.completed', ['release-manager', 'on-call']],
        ['rollback.failed', ['release-manager', 'on-call']],
      ],
    );
    for (const n of notifications) {
      assert.match(n.text.email, /names no on-call role, so the release manager is told instead/, n.type);
      assert.match(n.text.email, /add an "On-Call" section to the checklist, one role per line/, n.type);
      assert.ok(n.text.sms.length <= SMS_MAX_LENGTH, n.text.sms);
    }
  });

  it('a contact holding the on-call role, or an on-call role of the template, is told of every rollback', () => {
    const contacts = {
      onCall: filterPolicyFor({ roles: ['on-call'] }),
      onCallRollbacksOnly: filterPolicyFor({ roles: ['on-call'], events: ['rollback.triggered'] }),
      sectionRole: filterPolicyFor({ roles: ['devops-engineer'] }),
      other: filterPolicyFor({ roles: ['qa-lead'] }),
    };
    const told = (template: Template, policy: FilterPolicy) =>
      rollbackOf(template)
        .filter((n) => matchesFilterPolicy(policy, messageAttributes(n)))
        .map((n) => n.type);
    const every = ['rollback.triggered', 'rollback.triggered', 'rollback.completed', 'rollback.failed'];
    for (const template of [toolbox, mantis]) {
      assert.deepEqual(told(template, contacts.onCall), every, template.id);
      assert.deepEqual(told(template, contacts.onCallRollbacksOnly), every.slice(0, 2), template.id);
      assert.deepEqual(told(template, contacts.other), [], template.id);
    }
    assert.deepEqual(told(toolbox, contacts.sectionRole), every);
    // Windows are not rollbacks: the on-call role alone does not get them.
    const window = notificationsFor(event('window.started', { phase: 'monitoring', window: 'immediate' }), agg());
    assert.ok(!window.some((n) => matchesFilterPolicy(contacts.onCall, messageAttributes(n))));
  });

  it('workflow.failed: to the release manager, critical once in production, with the resume call', () => {
    const failed = event('workflow.failed', {
      error: 'TypeError',
      cause: "Cannot read properties of undefined (reading 'gate')",
      state: 'Decide',
    });
    const before = notificationsFor(failed, agg(), { publicUrl: URL });
    const during = notificationsFor(failed, agg({ status: 'MONITORING', currentPhase: 'monitoring' }));
    assert.deepEqual(
      [...before, ...during].map((n) => [n.id, n.type, n.severity, n.roles]),
      [
        [`${failed.id}.1`, 'workflow.failed', 'warning', ['release-manager']],
        [`${failed.id}.1`, 'workflow.failed', 'critical', ['release-manager']],
      ],
    );
    const [notice] = before;
    assert.ok(notice);
    assert.equal(notice.subject, '[Shipgate] ToolBoxAI 1.1.0: workflow failed, release stalled');
    assert.match(notice.text.email, /stopped at Decide after retrying \(TypeError: Cannot read properties/);
    assert.ok(notice.text.email.includes(`POST ${URL}/releases/${RELEASE_ID}/resume`));
    assert.ok(notice.text.sms.length <= SMS_MAX_LENGTH);
    // The whole summary and the call to action fit; the cause is cut to what is left.
    assert.match(
      notice.text.sms,
      new RegExp(`release stalled\\. TypeError: .+ Resume: POST /releases/${RELEASE_ID}/resume$`),
    );
    // A failed escalation is always critical: nobody more is paged; the SMS points at the acknowledgement.
    const paging = event('workflow.failed', {
      error: 'Error',
      cause: 'x'.repeat(300),
      state: 'Page',
      escalationId: 'e1',
    });
    const [page] = notificationsFor(paging, agg());
    assert.equal(page?.severity, 'critical');
    assert.equal(page?.subject, '[Shipgate] CRITICAL ToolBoxAI 1.1.0: escalation paging failed');
    assert.ok((page?.text.sms.length ?? 0) <= SMS_MAX_LENGTH);
    assert.match(page?.text.sms ?? '', /Ack: POST \/releases\/.+\/acknowledge$/);
  });

  it('release.completed: completed to the release manager, announced to every role and stakeholders', () => {
    const completed = event('release.completed');
    assert.deepEqual(summary(notificationsFor(completed, agg({ status: 'COMPLETED' }))), [
      {
        id: `${completed.id}.1`,
        type: 'release.completed',
        severity: 'info',
        roles: ['release-manager'],
        escalationLevel: undefined,
      },
      {
        id: `${completed.id}.2`,
        type: 'release.announced',
        severity: 'info',
        roles: [...everyRole, 'stakeholder'],
        escalationLevel: undefined,
      },
    ]);
  });

  it('causes nothing for the other events', () => {
    const quiet: AuditEventType[] = [
      'item.updated',
      'signoff.withdrawn',
      'workflow.started',
      'workflow.resume-requested',
      'gate.passed',
      'release.cancelled',
      'rollback.started',
    ];
    for (const type of quiet) {
      assert.deepEqual(notificationsFor(event(type, { phase: 'pre-release', gate: 'pre-release' }), agg()), [], type);
    }
  });

  it('is deterministic: the same event and release give the same notifications, with ids `<event id>.<n>`', () => {
    for (const row of ROWS) {
      const first = notificationsFor(row.event, row.agg, { publicUrl: URL });
      assert.deepEqual(notificationsFor(row.event, row.agg, { publicUrl: URL }), first);
      assert.ok(first.length > 0, row.event.type);
      for (const n of first) assert.match(n.id, new RegExp(`^${row.event.id}\\.[1-9]\\d*$`));
      assert.equal(new Set(first.map((n) => n.id)).size, first.length);
    }
  });
});

describe('how notifications read', () => {
  const all = ROWS.flatMap((row) => notificationsFor(row.event, row.agg, { publicUrl: URL }));

  it('every type has a subject of at most 99 characters on one line, and a one-paragraph default', () => {
    for (const n of all) {
      assert.ok(n.subject.length <= SUBJECT_MAX_LENGTH, n.subject);
      assert.ok(n.subject.startsWith('[Shipgate] '), n.subject);
      assert.doesNotMatch(n.subject, /[\p{Cc}\n]/u);
      assert.doesNotMatch(n.text.default, /\n/);
      assert.ok(n.text.sms.length <= SMS_MAX_LENGTH, n.text.sms);
    }
    const request = all.find((n) => n.type === 'signoff.requested');
    assert.equal(
      request?.subject,
      '[Shipgate] ToolBoxAI 1.1.0: sign-off needed from engineering-manager at pre-release',
    );
  });

  it('marks critical notifications CRITICAL in every protocol, and only those', () => {
    for (const n of all) {
      const critical = n.severity === 'critical';
      assert.equal(n.subject.startsWith('[Shipgate] CRITICAL '), critical, n.subject);
      assert.equal(n.text.email.startsWith('CRITICAL\n'), critical, n.type);
      assert.equal(n.text.sms.startsWith('CRITICAL '), critical, n.text.sms);
      assert.equal(n.text.default.startsWith('[Shipgate] CRITICAL '), critical, n.type);
    }
    assert.deepEqual(
      [...new Set(all.filter((n) => n.severity === 'critical').map((n) => n.type))],
      ['rollback.triggered', 'rollback.failed', 'workflow.failed'],
    );
  });

  it('a sign-off request email names the gate, its criteria and the exact API call, and links the release', () => {
    const opened = ROWS[2];
    assert.ok(opened);
    const [request] = notificationsFor(opened.event, opened.agg, { publicUrl: `${URL}/` });
    assert.ok(request);
    assert.deepEqual(request.roles, ['release-manager']);
    const email = request.text.email;
    assert.ok(email.startsWith("Gate 'Post-Release Confirmation' (confirmation) of phase"), email);
    assert.ok(email.includes("approve or reject gate 'confirmation' as release-manager"), email);
    for (const criterion of [
      'All deployment steps completed successfully',
      'Monitoring systems show healthy metrics',
      'No critical issues detected in first 2 hours',
    ]) {
      assert.ok(email.includes(criterion), criterion);
    }
    assert.ok(email.includes(`POST ${URL}/releases/${RELEASE_ID}/signoffs`), email);
    assert.ok(email.includes('{"gate":"confirmation","role":"release-manager","decision":"approve"'), email);
    assert.ok(email.includes(`Link: ${URL}/releases/${RELEASE_ID}\n`), 'the link, without a double slash');
    assert.ok(email.includes('What is needed from you:'));
    assert.match(email, /Status: CONFIRMING, phase confirmation/);
  });

  it('without a public URL, an email has no link and API calls give the path', () => {
    const opened = ROWS[1];
    assert.ok(opened);
    for (const n of notificationsFor(opened.event, opened.agg)) {
      assert.doesNotMatch(n.text.email, /Link:|https?:/);
      assert.ok(n.text.email.includes(`POST /releases/${RELEASE_ID}/signoffs`));
      assert.ok(n.text.sms.endsWith(`POST /releases/${RELEASE_ID}/signoffs`), n.text.sms);
    }
  });

  it('every email says what happened, what is needed, the status and the link', () => {
    for (const n of all) {
      assert.ok(n.text.email.includes('What is needed from you:'), n.type);
      assert.ok(n.text.email.includes(`Link: ${URL}/releases/${RELEASE_ID}`), n.type);
      assert.match(n.text.email, /\nStatus: [A-Z_]+, phase /, n.type);
    }
    const byType = (type: Notification['type']) => all.find((n) => n.type === type)?.text.email ?? '';
    assert.ok(byType('rollback.triggered').includes('"gate":"rollback","role":"release-manager"'));
    assert.ok(byType('rollback.triggered').includes('error rate 3.2% for 10 minutes'));
    assert.ok(byType('step.started').includes(`PATCH ${URL}/releases/${RELEASE_ID}/items/<itemId>`));
    assert.ok(byType('signoff.rejected').includes('pen test report missing'));
    assert.ok(byType('window.started').includes(`POST ${URL}/releases/${RELEASE_ID}/rollback`));
    assert.ok(byType('gate.overdue').includes('Sign-offs still missing: engineering-manager'));
  });
});

/** The call to action an SMS ends with: a label, maybe a method, and a URL or path of the release. */
const CTA = new RegExp(
  `[A-Z][a-z]+(?: [a-z]+)?: (?:(?:GET|POST) )?(?:${URL})?/releases/${RELEASE_ID}(?:/signoffs|/report|/resume)?$`,
);

describe('SMS', () => {
  const names = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    // Lone surrogates and control characters, which SNS cannot send and a subject must not hold.
    fc.string({ unit: fc.constantFrom('\uD800', '\uDFFF', '\n', '\u0007', '\u202E', 'a', '😀'), maxLength: 200 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 100, maxLength: 200 }),
    fc.constantFrom('ðŸš€ ToolBoxAI v1.1.0 â€" ', '👩🏽‍🚀🚀 Ünïcödé release 🇫🇷 '.repeat(8), 'a\u0301'.repeat(120)),
  );

  it('fits in 160 characters for every type and any release name, and never cuts the call to action', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ROWS),
        names,
        fc.constantFrom(undefined, URL, `${URL}/`),
        (row, releaseName, publicUrl) => {
          const release = { ...row.agg, release: { ...row.agg.release, name: releaseName } };
          for (const n of notificationsFor(row.event, release, { publicUrl })) {
            assert.ok(n.text.sms.length <= SMS_MAX_LENGTH, `${n.text.sms.length}: ${n.text.sms}`);
            assert.ok([...n.text.sms].length <= SMS_MAX_LENGTH);
            assert.doesNotMatch(n.text.sms, /[\p{Cs}\p{Cc}]/u, 'no lone surrogate or control character');
            assert.match(n.text.sms, CTA);
            assert.ok(n.subject.length <= SUBJECT_MAX_LENGTH);
            assert.doesNotMatch(n.subject, /[\p{Cs}\p{Cc}]/u);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the release name whole when it fits, and cuts it at a grapheme with "..." when not', () => {
    const row = ROWS[1];
    assert.ok(row);
    const [short] = notificationsFor(row.event, row.agg);
    assert.equal(
      short?.text.sms,
      `Shipgate: ToolBoxAI 1.1.0 - sign-off needed from engineering-manager at pre-release. Sign off: POST /releases/${RELEASE_ID}/signoffs`,
    );
    const rocket = '🚀'.repeat(80);
    const [long] = notificationsFor(row.event, { ...row.agg, release: { ...row.agg.release, name: rocket } });
    assert.match(long?.text.sms ?? '', /^Shipgate: (🚀)+\.\.\. - sign-off needed/u);
    assert.ok((long?.text.sms.length ?? 999) <= SMS_MAX_LENGTH);
  });

  it('stays within 160 characters even when the template ids and the URL are absurdly long', () => {
    const sms = fitSms({
      lead: 'CRITICAL Shipgate: ',
      name: 'x'.repeat(500),
      summary: `sign-off needed from ${'r'.repeat(120)} at ${'g'.repeat(120)}`,
      detail: 'd'.repeat(500),
      actions: [`Sign off: POST https://${'h'.repeat(300)}/releases/1/signoffs`, 'Sign off: POST /releases/1/signoffs'],
    });
    assert.ok(sms.length <= SMS_MAX_LENGTH, sms);
    assert.ok(sms.endsWith(' Sign off: POST /releases/1/signoffs'), sms);
    const hopeless = fitSms({ lead: 'Shipgate: ', name: 'n', summary: 's', actions: ['a'.repeat(400)] });
    assert.ok(hopeless.length <= SMS_MAX_LENGTH);
  });

  it('carries a detail (a reason) when there is room, cut before the name is', () => {
    const sms = fitSms({
      lead: 'CRITICAL Shipgate: ',
      name: 'ToolBoxAI 1.1.0',
      summary: 'rollback triggered',
      detail: `Reason: ${'error rate high '.repeat(10)}`,
      actions: ['Roll back: GET /releases/1'],
    });
    assert.ok(sms.length <= SMS_MAX_LENGTH);
    assert.match(
      sms,
      /^CRITICAL Shipgate: ToolBoxAI 1\.1\.0 - rollback triggered\. Reason: error rate .*\.\.\. Roll back: GET \/releases\/1$/,
    );
  });
});

describe('text helpers', () => {
  it('clip cuts at grapheme boundaries and adds the ellipsis only when it cuts', () => {
    assert.equal(clip('short', 10, '…'), 'short');
    assert.equal(clip('abcdefghij', 5, '…'), 'abcd…');
    assert.equal(clip('👩🏽‍🚀👩🏽‍🚀', 8, '...'), '...', 'a 7-unit grapheme and the ellipsis do not fit in 8');
    assert.equal(clip('e\u0301e\u0301e\u0301', 5, '..'), 'e\u0301..');
  });

  it('oneLine drops line breaks, control characters and bidi overrides, and repairs lone surrogates', () => {
    assert.equal(oneLine(' a\r\nb\tc\u0000d\u202Ee\u2028f '), 'a b c de f');
    assert.equal(oneLine('x\uD800y'), 'x\uFFFDy');
  });

  it('subjectLine keeps the summary whole and cuts the name', () => {
    const subject = subjectLine(true, 'N'.repeat(200), 'rollback triggered');
    assert.ok(subject.length <= SUBJECT_MAX_LENGTH);
    assert.match(subject, /^\[Shipgate\] CRITICAL N+…: rollback triggered$/);
  });
});

describe('the window report of window.passed', () => {
  const STARTED = '2026-11-20T08:30:00.000Z';
  const PASSED = '2026-11-20T10:30:00.000Z';
  const monitoring = agg({ status: 'MONITORING', currentPhase: 'monitoring', windowIndex: 1 });
  const passed = (window: string) =>
    event('window.passed', { phase: 'monitoring', window, startedAt: STARTED }, '01JDQ6EVENT0000000000000009');
  const at = (minute: number) => new Date(Date.parse(STARTED) + minute * 60_000).toISOString();
  const latency = (value: number, minute: number): MetricSample => ({
    name: 'api.latency.p95',
    value,
    unit: 'Milliseconds',
    at: at(minute),
  });
  const errors = (value: number, minute: number): MetricSample => ({
    name: 'api.error_rate',
    value,
    unit: 'Percent',
    at: at(minute),
  });
  const reportOf = (window: string, samples: readonly MetricSample[]) => {
    const found = toolbox.phases.flatMap((phase) => phase.windows ?? []).find((candidate) => candidate.id === window);
    assert.ok(found);
    return windowReport(toolbox, found, samples, { from: new Date(STARTED), to: new Date(PASSED) });
  };
  const healthy = [latency(120, 10), latency(180, 50), latency(150, 90), errors(0.01, 30)];

  it('lists per metric the figures with their unit, each target and trigger, the success metrics and the report', () => {
    const report = reportOf('immediate', healthy);
    const [n, ...rest] = notificationsFor(passed('immediate'), monitoring, { publicUrl: URL, report });
    assert.equal(rest.length, 0);
    assert.ok(n);
    // Only latency and errors were sent: the 4 other metrics the triggers watch had no data, which is no pass.
    assert.equal(n.severity, 'warning');
    assert.equal(n.subject, '[Shipgate] ToolBoxAI 1.1.0: window immediate passed with no data for 4 metrics');
    const email = n.text.email;
    assert.ok(email.includes(`from ${STARTED} to ${PASSED}`), email);
    assert.ok(
      email.includes('  - api.latency.p95: 3 samples, min 120 ms, avg 150 ms, max 180 ms, p95 180 ms\n'),
      email,
    );
    assert.ok(email.includes('  - api.error_rate: 1 sample, min 0.01 %, avg 0.01 %, max 0.01 %, p95 0.01 %\n'));
    assert.ok(
      email.includes(
        'target API response times: <200ms p95 (checklist item): met; p95 180 ms over 3 samples (target < 200 ms)',
      ),
      email,
    );
    assert.ok(email.includes('trigger API response time >500ms p95 (> 500 ms): not breached'), email);
    assert.ok(email.includes('  - db.query_time.avg: no samples\n'), 'a metric the window names but nobody sent');
    assert.ok(email.includes('target Database queries: <50ms average (success metric): no data;'), email);
    assert.ok(
      email.includes(
        'trigger Memory usage >2x normal (> 2x baseline): no data (treatMissingData missing), no baseline',
      ),
      email,
    );
    assert.ok(
      email.includes(
        '  - NO DATA for system.availability: trigger System availability <99%: could not fire, no sample to judge ' +
          '(treatMissingData missing); 1 target not judged\n',
      ),
      email,
    );
    assert.ok(email.includes('Success metrics: 2 met, 5 no data, 8 not measured.'), email);
    assert.ok(email.includes('  - met: Error rate: <0.1% (target: 0.01%); avg 0.01 % over 1 sample'), email);
    assert.ok(email.includes('  - not measured: Security incidents: Zero\n'), email);
    assert.ok(email.includes(`Full report: GET ${URL}/releases/${RELEASE_ID}/report\n`), email);
    assert.ok(email.includes('Next: Extended Monitoring (First 24 Hours) (24 hours).'), 'the old facts stay');
    assert.ok(email.includes('Release manager: review the figures below'), email);
    assert.ok(
      email.includes(`check why no samples arrived (whatever sends them: POST ${URL}/releases/${RELEASE_ID}/metrics)`),
    );
    assert.doesNotMatch(n.text.default, /\n/);
    assert.ok(
      n.text.default.includes(
        '2 of 9 metrics had samples, 0 rollback triggers breached, 4 of 4 targets with data met.',
      ),
    );
  });

  it('sums the report up in an SMS of at most 160 characters that points at the report', () => {
    const report = reportOf('immediate', healthy);
    for (const publicUrl of [undefined, URL]) {
      const [n] = notificationsFor(passed('immediate'), monitoring, { publicUrl, report });
      assert.ok(n);
      assert.ok(n.text.sms.length <= SMS_MAX_LENGTH, n.text.sms);
      assert.ok(n.text.sms.includes('2h window passed: 2 metrics, 0 breaches, targets 4/4 met, 4 without data.'));
      assert.ok(n.text.sms.endsWith(`/releases/${RELEASE_ID}/report`), n.text.sms);
    }
    const [bare] = notificationsFor(passed('immediate'), monitoring, { report });
    assert.equal(
      bare?.text.sms,
      `Shipgate: ToolBoxAI 1.1.0 - 2h window passed: 2 metrics, 0 breaches, targets 4/4 met, 4 without data. Report: GET /releases/${RELEASE_ID}/report`,
    );
    const [empty] = notificationsFor(passed('long-term'), monitoring, { report: reportOf('long-term', []) });
    assert.match(empty?.text.sms ?? '', /7d window passed: 0 metrics, 0 breaches, NO DATA for any trigger\./);
  });

  it('stays within 160 characters with a report, whatever the release is called', () => {
    const report = reportOf('extended', [...healthy, errors(3.5, 20), latency(900, 25)]);
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.constantFrom(undefined, URL),
        (releaseName, publicUrl) => {
          const named = { ...monitoring, release: { ...monitoring.release, name: releaseName } };
          for (const n of notificationsFor(passed('extended'), named, { publicUrl, report })) {
            assert.ok(n.text.sms.length <= SMS_MAX_LENGTH, n.text.sms);
            assert.match(n.text.sms, CTA);
            assert.ok(n.subject.length <= SUBJECT_MAX_LENGTH, n.subject);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is a warning when a target was missed or a trigger breached in a window that still passed', () => {
    // Extended asks before rolling back: 1.5 % errors breach the 1 % trigger and miss the 0.1 % target.
    const breached = reportOf('extended', [...healthy.slice(0, 3), errors(1.5, 30)]);
    const [n] = notificationsFor(passed('extended'), monitoring, { publicUrl: URL, report: breached });
    assert.ok(n);
    assert.equal(n.severity, 'warning');
    assert.equal(
      n.subject,
      '[Shipgate] ToolBoxAI 1.1.0: window extended passed with 1 target missed and 1 trigger breached',
    );
    assert.ok(
      n.text.email.includes(
        'It passed with 1 target missed, 1 trigger breached and no data for 4 metrics. ' +
          'This window asks before rolling back, and no rollback was approved.',
      ),
      n.text.email,
    );
    assert.ok(
      n.text.email.includes(
        'trigger API error rate >1% (> 1 %): BREACHED, 1 breaching datapoint (worst 1.5 %, first in the period from',
      ),
      n.text.email,
    );
    assert.ok(n.text.email.includes('(success metric): NOT MET; avg 1.5 % over 1 sample (target < 0.1 %)'));
    assert.ok(n.text.email.includes(`POST ${URL}/releases/${RELEASE_ID}/rollback`), 'how to roll back');
    assert.ok(n.text.sms.includes('24h window passed: 2 metrics, 1 breach, targets 1/2 met, 4 without data.'));
    assert.equal(n.text.sms.startsWith('CRITICAL'), false);

    // A target missed with no trigger breached (300 ms: over the 200 ms target, under the 500 ms trigger).
    const slow = reportOf('immediate', [latency(300, 10)]);
    const [missed] = notificationsFor(passed('immediate'), monitoring, { report: slow });
    assert.equal(missed?.severity, 'warning');
    assert.match(missed?.subject ?? '', /: window immediate passed with 2 targets missed$/);
    assert.ok(
      missed?.text.email.includes('It passed with 2 targets missed and no data for 5 metrics.'),
      missed?.text.email,
    );
    assert.doesNotMatch(missed?.text.email ?? '', /no rollback was approved/, 'an automatic window proposes nothing');
  });

  it('without a report, or with the report of another window, reads as before: the window passed', () => {
    const plain = notificationsFor(passed('immediate'), monitoring, { publicUrl: URL });
    const other = notificationsFor(passed('immediate'), monitoring, {
      publicUrl: URL,
      report: reportOf('extended', healthy),
    });
    assert.deepEqual(other, plain);
    const [n] = plain;
    assert.ok(n);
    assert.equal(n.severity, 'info');
    assert.equal(n.subject, '[Shipgate] ToolBoxAI 1.1.0: monitoring window immediate passed');
    assert.ok(
      n.text.email.startsWith("Monitoring window 'Immediate Monitoring (First 2 Hours)' passed with no rollback.\n"),
    );
    assert.doesNotMatch(n.text.email, /Full report|per metric/);
    assert.ok(n.text.sms.includes('monitoring window immediate passed.'), n.text.sms);
    assert.ok(n.text.sms.endsWith(`Status: ${URL}/releases/${RELEASE_ID}`), n.text.sms);
  });
});
