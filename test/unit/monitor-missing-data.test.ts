// Missing data in a monitoring window is a decision, not a pass: each treatMissingData with no sample at all, partial
// data (samples of some metrics, none of others), the machine-readable report (missingData, unmonitored, attention)
// and the window.passed notification it decides, on ToolBoxAI's real template.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TreatMissingData } from '../../lambdas/core/monitoring/evaluation.ts';
import type { MissingData } from '../../lambdas/core/monitoring/missing-data.ts';
import { windowReport } from '../../lambdas/core/monitoring/report.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import { evaluateTriggers } from '../../lambdas/core/monitoring/triggers.ts';
import { notificationsFor } from '../../lambdas/core/notify/routing.ts';
import { SMS_MAX_LENGTH } from '../../lambdas/core/notify/sms.ts';
import type { AuditEvent, ReleaseAggregate } from '../../lambdas/core/release/release.ts';
import type { MonitoringWindow, Template } from '../../lambdas/core/template/template.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';

const found = findBuiltInTemplate('toolboxai-v1');
assert.ok(found);
const toolbox: Template = found;

const STARTED = '2026-11-20T08:30:00.000Z';
const PASSED = '2026-11-20T10:30:00.000Z';
const RELEASE_ID = '01JDQ5V7W8X9Y0Z1A2B3C4D5E6';
const URL = 'https://abc123.execute-api.us-east-1.amazonaws.com';

/** The six metrics ToolBoxAI's rollback triggers watch, by name. */
const TRIGGER_METRICS = [
  'api.error_rate',
  'api.latency.p95',
  'cpu.utilization',
  'db.query_time.avg',
  'memory.usage',
  'system.availability',
];
/** Metrics only success metrics watch: their gaps are listed, never raised. */
const TARGET_ONLY = ['auth.success_rate', 'login.success_rate', 'session.success_rate'];

function windowOf(template: Template, id: string): MonitoringWindow {
  const window = template.phases.flatMap((phase) => phase.windows ?? []).find((candidate) => candidate.id === id);
  assert.ok(window, id);
  return window;
}

/** ToolBoxAI with `treatMissingData` set on the triggers of `metrics` (all of them when absent). */
function treating(treatment: TreatMissingData, metrics: readonly string[] = TRIGGER_METRICS): Template {
  return {
    ...toolbox,
    rollback: {
      ...toolbox.rollback,
      triggers: toolbox.rollback.triggers.map((trigger) =>
        trigger.condition && metrics.includes(trigger.condition.metric)
          ? { ...trigger, condition: { ...trigger.condition, treatMissingData: treatment } }
          : trigger,
      ),
    },
  };
}

const at = (minute: number) => new Date(Date.parse(STARTED) + minute * 60_000).toISOString();
const sample = (name: string, value: number, minute: number, unit?: MetricSample['unit']): MetricSample =>
  unit ? { name, value, unit, at: at(minute) } : { name, value, at: at(minute) };
/** Latency and errors only: what a feed that lost its other metrics sends. */
const partial = [sample('api.latency.p95', 150, 10, 'Milliseconds'), sample('api.error_rate', 0.01, 30, 'Percent')];
/** A sample of every metric a trigger watches, all healthy. */
const complete = [
  ...partial,
  sample('system.availability', 99.95, 20, 'Percent'),
  sample('db.query_time.avg', 40, 20, 'Milliseconds'),
  sample('memory.usage', 520, 20),
  sample('cpu.utilization', 35, 20, 'Percent'),
];

function reportOf(
  template: Template,
  windowId: string,
  samples: readonly MetricSample[],
  options: { passed?: boolean; baselines?: Record<string, number> } = {},
) {
  return windowReport(template, windowOf(template, windowId), samples, {
    from: new Date(STARTED),
    to: new Date(PASSED),
    baselines: options.baselines ?? {},
    passed: options.passed ?? true,
  });
}

const effects = (gaps: readonly MissingData[]) => Object.fromEntries(gaps.map((gap) => [gap.metric, gap.effect]));

describe('missing data in a window report', () => {
  it('default `missing`, no sample at all: "no data" for every watched metric, and an automatic window is critical', () => {
    const report = reportOf(toolbox, 'immediate', []);
    assert.deepEqual(effects(report.missingData), {
      ...Object.fromEntries(TRIGGER_METRICS.map((metric) => [metric, 'warning'])),
      ...Object.fromEntries(TARGET_ONLY.map((metric) => [metric, 'info'])),
    });
    const availability = report.missingData.find((gap) => gap.metric === 'system.availability');
    assert.deepEqual(availability?.triggers, [
      {
        triggerId: 'system-availability-99',
        title: 'System availability <99%',
        treatMissingData: 'missing',
        effect: 'warning',
      },
    ]);
    assert.deepEqual(
      availability?.targets.map((target) => [target.source, target.id]),
      [['success-metric', 'system-availability-99-9-target-99-99']],
    );
    assert.deepEqual(report.breachedTriggers, [], 'nothing breached: nobody knows');
    assert.equal(report.unmonitored, true);
    assert.deepEqual([report.rollbackPolicy, report.passed, report.attention], ['automatic', true, 'critical']);

    // The same gap while the window still runs is a warning (samples may come), and in an approval window a
    // person already decides every rollback: a warning, not a page.
    assert.equal(reportOf(toolbox, 'immediate', [], { passed: false }).attention, 'warning');
    assert.equal(reportOf(toolbox, 'extended', []).attention, 'warning');
    // As the evaluation has it: with no datapoint, `missing` is INSUFFICIENT_DATA, never OK.
    const states = evaluateTriggers(toolbox, [], { now: new Date(PASSED) }).map((e) => e.result.state);
    assert.deepEqual([...new Set(states)], ['INSUFFICIENT_DATA']);
  });

  it('`breaching`, no sample at all: each trigger is breached, as its evaluation (and its alarm) has it', () => {
    const template = treating('breaching');
    const report = reportOf(template, 'immediate', []);
    const evaluated = evaluateTriggers(template, [], { now: new Date(PASSED), baselines: {} });
    const alarming = evaluated.filter((e) => e.result.state === 'ALARM').map((e) => e.trigger.id);
    assert.deepEqual([...report.breachedTriggers].sort(), alarming.sort(), 'the report and the evaluation agree');
    assert.deepEqual(report.breachedTriggers, [
      'api-error-rate-1',
      'api-response-time-500ms-p95',
      'cpu-utilization-80-sustained',
      'database-query-time-200ms',
      'system-availability-99',
    ]);
    // "Memory > 2x normal" has no baseline: it is never evaluated, so it cannot breach on missing data either.
    assert.deepEqual(effects(report.missingData.filter((gap) => gap.triggers.length > 0)), {
      'api.error_rate': 'breach',
      'api.latency.p95': 'breach',
      'cpu.utilization': 'breach',
      'db.query_time.avg': 'breach',
      'memory.usage': 'warning',
      'system.availability': 'breach',
    });
    const latency = report.metrics.find((metric) => metric.metric === 'api.latency.p95')?.triggers[0];
    assert.deepEqual([latency?.treatMissingData, latency?.breached, latency?.breaches], ['breaching', true, []]);
    const memory = report.metrics.find((metric) => metric.metric === 'memory.usage')?.triggers[0];
    assert.equal(memory?.breached, false);
    const withBaseline = reportOf(template, 'immediate', [], { baselines: { 'memory.usage': 500 } });
    assert.ok(withBaseline.breachedTriggers.includes('memory-usage-2x-normal'), 'with a baseline it breaches');
    assert.equal(report.attention, 'critical', 'an automatic window that passed anyway: the rollback never came');
    assert.equal(reportOf(template, 'extended', []).attention, 'warning');
  });

  for (const treatment of ['notBreaching', 'ignore'] as const) {
    it(`\`${treatment}\`: the gap is listed as info; a window whose triggers all went blind is still no pass`, () => {
      const template = treating(treatment);
      const none = reportOf(template, 'immediate', []);
      assert.deepEqual(new Set(Object.values(effects(none.missingData))), new Set(['info']));
      assert.deepEqual(none.breachedTriggers, []);
      assert.equal(none.unmonitored, true);
      // A declared treatment says how a gap in one metric counts, not that a whole window may go unwatched.
      assert.equal(none.attention, 'critical');
      assert.equal(reportOf(template, 'extended', []).attention, 'warning');

      const some = reportOf(template, 'immediate', partial);
      assert.deepEqual(
        some.missingData.filter((gap) => gap.triggers.length > 0).map((gap) => [gap.metric, gap.effect]),
        [
          ['cpu.utilization', 'info'],
          ['db.query_time.avg', 'info'],
          ['memory.usage', 'info'],
          ['system.availability', 'info'],
        ],
      );
      assert.equal(some.unmonitored, false);
      assert.equal(some.attention, 'info', 'the template declared those gaps harmless');
    });
  }

  it('partial data under the default: the metrics without a sample warn, those with samples do not', () => {
    const report = reportOf(toolbox, 'immediate', partial);
    assert.deepEqual(
      report.missingData.map((gap) => [gap.metric, gap.effect]),
      [
        ['auth.success_rate', 'info'],
        ['cpu.utilization', 'warning'],
        ['db.query_time.avg', 'warning'],
        ['login.success_rate', 'info'],
        ['memory.usage', 'warning'],
        ['session.success_rate', 'info'],
        ['system.availability', 'warning'],
      ],
    );
    assert.equal(report.unmonitored, false, 'two triggers were watched');
    assert.equal(report.attention, 'warning', 'not critical: the window was watched, though not fully');

    // Treatments per trigger: availability declared harmless, cpu breaching; the rest stay `missing`.
    const mixed = treating('breaching', ['cpu.utilization']);
    const declared = treating('notBreaching', ['system.availability']);
    const both: Template = {
      ...toolbox,
      rollback: {
        ...toolbox.rollback,
        triggers: toolbox.rollback.triggers.map((trigger) => {
          const metric = trigger.condition?.metric;
          const from = metric === 'cpu.utilization' ? mixed : metric === 'system.availability' ? declared : toolbox;
          return from.rollback.triggers.find((candidate) => candidate.id === trigger.id) ?? trigger;
        }),
      },
    };
    const gaps = reportOf(both, 'extended', partial);
    assert.deepEqual(
      gaps.missingData.filter((gap) => gap.triggers.length > 0).map((gap) => [gap.metric, gap.effect]),
      [
        ['cpu.utilization', 'breach'],
        ['db.query_time.avg', 'warning'],
        ['memory.usage', 'warning'],
        ['system.availability', 'info'],
      ],
    );
    assert.deepEqual(gaps.breachedTriggers, ['cpu-utilization-80-sustained']);
  });

  it('samples of metrics only targets watch leave the triggers blind', () => {
    const report = reportOf(toolbox, 'immediate', [sample('session.success_rate', 99.5, 15, 'Percent')]);
    assert.equal(report.unmonitored, true);
    assert.equal(report.attention, 'critical');
    assert.equal(
      report.missingData.some((gap) => gap.metric === 'session.success_rate'),
      false,
      'it had a sample',
    );
  });

  it('a sample of every trigger metric, all healthy: only the target-only metrics are listed, and it is info', () => {
    const report = reportOf(toolbox, 'immediate', complete);
    assert.deepEqual(
      report.missingData.map((gap) => gap.metric),
      TARGET_ONLY,
    );
    assert.deepEqual([report.unmonitored, report.attention, report.breachedTriggers], [false, 'info', []]);
  });
});

describe('missing data in the window.passed notification', () => {
  const aggOf = (template: Template): ReleaseAggregate => ({
    template,
    items: new Map(),
    signoffs: new Map(),
    release: {
      id: RELEASE_ID,
      templateId: template.id,
      templateName: template.name,
      name: 'ToolBoxAI 1.1.0',
      version: '1.1.0',
      status: 'MONITORING',
      currentPhase: 'monitoring',
      stepIndex: 0,
      windowIndex: 1,
      revision: 3,
      createdAt: '2026-11-20T08:00:00.000Z',
      createdBy: { id: 'rita', name: 'Rita', kind: 'user' },
      updatedAt: PASSED,
    },
  });
  const passed = (window: string): AuditEvent => ({
    id: '01JDQ6EVENT0000000000000009',
    releaseId: RELEASE_ID,
    type: 'window.passed',
    at: PASSED,
    actor: { id: 'shipgate', name: 'Shipgate workflow', kind: 'machine' },
    data: { phase: 'monitoring', window, startedAt: STARTED },
  });
  const notify = (template: Template, window: string, samples: readonly MetricSample[]) => {
    const notifications = notificationsFor(passed(window), aggOf(template), {
      publicUrl: URL,
      report: reportOf(template, window, samples),
    });
    assert.equal(notifications.length, 1);
    const [n] = notifications;
    assert.ok(n);
    return n;
  };
  const started = notificationsFor(
    { ...passed('immediate'), type: 'window.started', data: { phase: 'monitoring', window: 'immediate' } },
    aggOf(toolbox),
  );

  it('an automatic window that passed with no sample is critical, to the release manager and on-call', () => {
    const n = notify(toolbox, 'immediate', []);
    assert.equal(n.severity, 'critical');
    assert.deepEqual(n.roles, started[0]?.roles, 'the people told when the window started');
    assert.ok(n.roles.includes('release-manager'));
    assert.equal(
      n.subject,
      '[Shipgate] CRITICAL ToolBoxAI 1.1.0: window immediate passed with NO DATA for any trigger',
    );
    assert.equal(
      n.text.sms,
      'CRITICAL Shipgate: ToolBoxAI 1.1.0 - 2h window passed: 0 metrics, 0 breaches, NO DATA for any trigger. ' +
        `Report: GET /releases/${RELEASE_ID}/report`,
    );
    assert.ok(n.text.sms.length <= SMS_MAX_LENGTH);
    const email = n.text.email;
    assert.ok(email.startsWith('CRITICAL\n'), email);
    assert.ok(
      email.includes(
        'none of the 6 metrics its rollback triggers watch received a sample, so its automatic rollback could not ' +
          'have fired.',
      ),
      email,
    );
    assert.ok(email.includes('do not take this window as a pass'), email);
    assert.ok(email.includes(`POST ${URL}/releases/${RELEASE_ID}/rollback`), 'how to roll back');
    assert.ok(email.includes(`POST ${URL}/releases/${RELEASE_ID}/metrics`), 'where samples should arrive');
    assert.ok(
      email.includes(
        '  - NO DATA for api.latency.p95: trigger API response time >500ms p95: could not fire, no sample to judge ' +
          '(treatMissingData missing); 2 targets not judged\n',
      ),
      email,
    );
    assert.ok(email.includes('  - no data for session.success_rate: 1 target not judged\n'), email);
    assert.doesNotMatch(n.text.default, /\n/);
  });

  it('an approval window with no sample warns that no trigger had data', () => {
    const n = notify(toolbox, 'long-term', []);
    assert.equal(n.severity, 'warning');
    assert.equal(n.subject, '[Shipgate] ToolBoxAI 1.1.0: window long-term passed with no data for any trigger');
    assert.ok(n.text.email.includes('It passed with no data for any trigger.'), n.text.email);
    assert.ok(n.text.email.includes('Release manager: review the figures below'));
  });

  it('partial data: "no data for X" as a warning, naming the metric when it is the only one', () => {
    const template = treating('notBreaching', ['cpu.utilization', 'db.query_time.avg', 'memory.usage']);
    const n = notify(template, 'immediate', partial);
    assert.equal(n.severity, 'warning');
    assert.equal(n.subject, '[Shipgate] ToolBoxAI 1.1.0: window immediate passed with no data for system.availability');
    assert.ok(n.text.sms.includes('2h window passed: 2 metrics, 0 breaches, targets 4/4 met, 1 without data.'));
    assert.ok(n.text.sms.length <= SMS_MAX_LENGTH, n.text.sms);
    assert.ok(n.text.email.includes('It passed with no data for system.availability.'), n.text.email);
  });

  it('gaps the template declared harmless stay info, and are still listed', () => {
    const template = treating('notBreaching', ['system.availability', 'db.query_time.avg']);
    const ignoring = treating('ignore', ['cpu.utilization', 'memory.usage']);
    const declared: Template = {
      ...template,
      rollback: {
        ...template.rollback,
        triggers: template.rollback.triggers.map((trigger) =>
          ['cpu.utilization', 'memory.usage'].includes(trigger.condition?.metric ?? '')
            ? (ignoring.rollback.triggers.find((candidate) => candidate.id === trigger.id) ?? trigger)
            : trigger,
        ),
      },
    };
    const n = notify(declared, 'immediate', partial);
    assert.equal(n.severity, 'info');
    assert.equal(n.subject, '[Shipgate] ToolBoxAI 1.1.0: monitoring window immediate passed');
    const email = n.text.email;
    assert.ok(email.includes('Nothing: this is for your information.'), email);
    assert.ok(
      email.includes(
        '  - no data for system.availability: trigger System availability <99%: not breaching, as the template ' +
          'says (treatMissingData notBreaching); 1 target not judged\n',
      ),
      email,
    );
    assert.ok(
      email.includes(
        '  - no data for cpu.utilization: trigger CPU utilization >80% sustained: ignored, as the template says ' +
          '(treatMissingData ignore)\n',
      ),
      email,
    );
    assert.ok(n.text.sms.includes('2h window passed: 2 metrics, 0 breaches, targets 4/4 met.'), n.text.sms);
  });

  it('a `breaching` gap is a breach: the subject counts it and the email says why', () => {
    const n = notify(treating('breaching', ['system.availability']), 'extended', partial);
    assert.equal(n.severity, 'warning');
    assert.equal(n.subject, '[Shipgate] ToolBoxAI 1.1.0: window extended passed with 1 trigger breached');
    const email = n.text.email;
    assert.ok(
      email.includes(
        '  - NO DATA, breach for system.availability: trigger System availability <99%: BREACHED, no data counts ' +
          'as breaching (treatMissingData breaching); 1 target not judged\n',
      ),
      email,
    );
    assert.ok(
      email.includes('trigger System availability <99% (< 99 %): BREACHED, no data (treatMissingData breaching)'),
      email,
    );
    assert.ok(email.includes('This window asks before rolling back, and no rollback was approved.'), email);
    assert.ok(n.text.sms.includes('24h window passed: 2 metrics, 1 breach, targets 2/2 met, 4 without data.'));
  });

  it('a sample of every trigger metric, all healthy: info, nothing asked', () => {
    const n = notify(toolbox, 'immediate', complete);
    assert.equal(n.severity, 'info');
    assert.equal(n.subject, '[Shipgate] ToolBoxAI 1.1.0: monitoring window immediate passed');
    assert.ok(n.text.email.includes('Nothing: this is for your information.'));
    assert.ok(n.text.sms.includes('2h window passed: 6 metrics, 0 breaches, targets 7/7 met.'), n.text.sms);
  });
});
