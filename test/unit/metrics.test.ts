// Metric evaluation rules: CloudWatch-like trigger alarms, metric items and window reports, on ToolBoxAI's real template.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TreatMissingData } from '../../lambdas/core/monitoring/evaluation.ts';
import { evaluateCondition, percentile, ruleFor } from '../../lambdas/core/monitoring/evaluation.ts';
import { windowReport } from '../../lambdas/core/monitoring/report.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import { evaluateMetricItems } from '../../lambdas/core/monitoring/targets.ts';
import { breaches, captureBaseline, evaluateTriggers } from '../../lambdas/core/monitoring/triggers.ts';
import type { MetricCondition, MetricUnit, RollbackTrigger, Template } from '../../lambdas/core/template/template.ts';
import { MetricCondition as MetricConditionSchema } from '../../lambdas/core/template/template.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';

const found = findBuiltInTemplate('toolboxai-v1');
assert.ok(found);
const toolbox: Template = found;
const NOW = new Date('2026-11-21T10:00:00.000Z');

function sample(name: string, value: number, secondsBeforeNow: number, unit?: MetricUnit): MetricSample {
  const at = new Date(NOW.getTime() - secondsBeforeNow * 1000).toISOString();
  return unit === undefined ? { name, value, at } : { name, value, unit, at };
}

function trigger(id: string): RollbackTrigger {
  const t = toolbox.rollback.triggers.find((x) => x.id === id);
  assert.ok(t, `trigger ${id}`);
  return t;
}

function conditionOf(id: string): MetricCondition {
  const c = trigger(id).condition;
  assert.ok(c, `condition of ${id}`);
  return c;
}

const errorRate = conditionOf('api-error-rate-1');
const latency = conditionOf('api-response-time-500ms-p95');
const memory = conditionOf('memory-usage-2x-normal');
const cpu = conditionOf('cpu-utilization-80-sustained');

describe('evaluateCondition: thresholds and 1 of 1', () => {
  it('uses the strict comparison of the trigger: error rate exactly 1 % is not > 1 %', () => {
    const at = evaluateCondition(errorRate, [sample('api.error_rate', 1, 30)], { now: NOW });
    assert.equal(at.state, 'OK');
    assert.equal(at.observed, 1);
    assert.equal(at.threshold, 1);
    const above = evaluateCondition(errorRate, [sample('api.error_rate', 1.0001, 30)], { now: NOW });
    assert.equal(above.state, 'ALARM');
    const inclusive = evaluateCondition({ ...errorRate, comparison: '>=' }, [sample('api.error_rate', 1, 30)], {
      now: NOW,
    });
    assert.equal(inclusive.state, 'ALARM');
  });

  it('1 of 1 over 60 s by default; a .p95 metric aggregates its period by nearest-rank p95', () => {
    const result = evaluateCondition(
      latency,
      [sample('api.latency.p95', 400, 50), sample('api.latency.p95', 600, 10)],
      {
        now: NOW,
      },
    );
    assert.deepEqual(
      { n: result.rule.evaluationPeriods, m: result.rule.datapointsToAlarm, stat: result.rule.statistic },
      { n: 1, m: 1, stat: 'p95' },
    );
    assert.deepEqual(result.datapoints, [{ periodStart: '2026-11-21T09:59:00.000Z', value: 600, breaching: true }]);
    assert.equal(result.state, 'ALARM');
  });

  it('a db .avg metric is averaged: 150 and 260 ms average 205 > 200', () => {
    const db = conditionOf('database-query-time-200ms');
    const samples = [sample('db.query_time.avg', 150, 40), sample('db.query_time.avg', 260, 20)];
    const result = evaluateCondition(db, samples, { now: NOW });
    assert.equal(result.observed, 205);
    assert.equal(result.state, 'ALARM');
  });
});

describe('evaluateCondition: 3 of 5 with gaps under each treatMissingData', () => {
  // Datapoints oldest -> newest, one sample in the middle of each minute: X breaches (5 %), 0 does not (0.5 %), - missing.
  function pattern(p: string): MetricSample[] {
    const out: MetricSample[] = [];
    [...p].forEach((c, i) => {
      const secondsBack = (p.length - i) * 60 - 30;
      if (c === 'X') out.push(sample('api.error_rate', 5, secondsBack));
      if (c === '0') out.push(sample('api.error_rate', 0.5, secondsBack));
    });
    return out;
  }
  function state(p: string, treatMissingData: TreatMissingData, previousState?: 'OK' | 'ALARM') {
    return evaluateCondition(errorRate, pattern(p), {
      now: NOW,
      rule: { evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData },
      ...(previousState ? { previousState } : {}),
    }).state;
  }

  it('lays out five datapoints with nulls for missing periods', () => {
    const result = evaluateCondition(errorRate, pattern('X-0-X'), {
      now: NOW,
      rule: { evaluationPeriods: 5, datapointsToAlarm: 3 },
    });
    assert.deepEqual(
      result.datapoints.map((d) => [d.periodStart.slice(11, 16), d.value, d.breaching]),
      [
        ['09:55', 5, true],
        ['09:56', null, null],
        ['09:57', 0.5, false],
        ['09:58', null, null],
        ['09:59', 5, true],
      ],
    );
  });

  it('X-0-X: two breaching of three existing', () => {
    assert.equal(state('X-0-X', 'missing'), 'OK');
    assert.equal(state('X-0-X', 'ignore'), 'OK');
    assert.equal(state('X-0-X', 'notBreaching'), 'OK');
    assert.equal(state('X-0-X', 'breaching'), 'ALARM');
  });

  it('X-X-X: three breaching suffice under every treatment', () => {
    for (const t of ['missing', 'ignore', 'notBreaching', 'breaching'] as const)
      assert.equal(state('X-X-X', t), 'ALARM', t);
  });

  it('--X--: one existing breaching datapoint (the CloudWatch doc row "- - X - -")', () => {
    assert.equal(state('--X--', 'missing'), 'ALARM');
    assert.equal(state('--X--', 'ignore'), 'INSUFFICIENT_DATA');
    assert.equal(state('--X--', 'ignore', 'OK'), 'OK');
    assert.equal(state('--X--', 'notBreaching'), 'OK');
    assert.equal(state('--X--', 'breaching'), 'ALARM');
  });

  it('XX00X: no gaps, 3 of 5 breach -> ALARM; X000X -> OK', () => {
    assert.equal(state('XX00X', 'missing'), 'ALARM');
    assert.equal(state('X000X', 'missing'), 'OK');
    assert.equal(state('X000X', 'breaching'), 'OK');
  });

  it('no samples at all: INSUFFICIENT_DATA, kept state, ALARM, OK', () => {
    assert.equal(state('-----', 'missing'), 'INSUFFICIENT_DATA');
    assert.equal(state('-----', 'ignore', 'ALARM'), 'ALARM');
    assert.equal(state('-----', 'breaching'), 'ALARM');
    assert.equal(state('-----', 'notBreaching'), 'OK');
  });
});

describe('evaluateCondition: sustained, baseline, units, range', () => {
  it('CPU > 80 % sustained 5 min is 5 of 5 one-minute periods: ALARM only when all five breach', () => {
    assert.deepEqual(
      [ruleFor(cpu).evaluationPeriods, ruleFor(cpu).datapointsToAlarm, ruleFor(cpu, { period: 300 }).evaluationPeriods],
      [5, 5, 1],
    );
    const all = [0, 1, 2, 3, 4].map((k) => sample('cpu.utilization', 85, k * 60 + 30));
    assert.equal(evaluateCondition(cpu, all, { now: NOW }).state, 'ALARM');
    const oneAtThreshold = [0, 1, 2, 3].map((k) => sample('cpu.utilization', 85, k * 60 + 30));
    oneAtThreshold.push(sample('cpu.utilization', 80, 4 * 60 + 30));
    assert.equal(evaluateCondition(cpu, oneAtThreshold, { now: NOW }).state, 'OK');
    // A spike averaged away inside its minute does not breach: (95 + 60) / 2 = 77.5.
    const averaged = [...all.slice(0, 4), sample('cpu.utilization', 95, 250), sample('cpu.utilization', 60, 260)];
    assert.equal(evaluateCondition(cpu, averaged, { now: NOW }).state, 'OK');
  });

  it('memory > 2x normal compares with 2 x the baseline, and without a baseline is INSUFFICIENT_DATA', () => {
    const pre = [
      sample('memory.usage', 400, 7200),
      sample('memory.usage', 600, 7100),
      sample('cpu.utilization', 9, 7000),
    ];
    const baseline = captureBaseline(pre, 'memory.usage');
    assert.equal(baseline, 500);
    assert.equal(captureBaseline(pre, 'memory.usage', { before: new Date(NOW.getTime() - 7150 * 1000) }), 400);
    assert.equal(captureBaseline(pre, 'disk.usage'), undefined);
    const high = evaluateCondition(memory, [sample('memory.usage', 1001, 30)], { now: NOW, baseline });
    assert.deepEqual([high.state, high.threshold], ['ALARM', 1000]);
    assert.equal(evaluateCondition(memory, [sample('memory.usage', 1000, 30)], { now: NOW, baseline }).state, 'OK');
    const none = evaluateCondition(memory, [sample('memory.usage', 5000, 30)], { now: NOW });
    assert.deepEqual([none.state, none.threshold, none.datapoints[0]?.breaching], ['INSUFFICIENT_DATA', null, null]);
  });

  it('converts seconds to the milliseconds of the threshold; Percent is 0-100 and never rescaled', () => {
    const slow = evaluateCondition(latency, [sample('api.latency.p95', 0.6, 30, 'Seconds')], { now: NOW });
    assert.deepEqual([slow.state, slow.observed], ['ALARM', 600]);
    assert.equal(
      evaluateCondition(latency, [sample('api.latency.p95', 0.45, 30, 'Seconds')], { now: NOW }).state,
      'OK',
    );
    const ratio = evaluateCondition(errorRate, [sample('api.error_rate', 0.012, 30, 'Percent')], { now: NOW });
    assert.deepEqual([ratio.state, ratio.observed], ['OK', 0.012]);
    // A sample in a unit that cannot be converted is left out.
    const counted = evaluateCondition(latency, [sample('api.latency.p95', 900, 30, 'Count')], { now: NOW });
    assert.equal(counted.state, 'INSUFFICIENT_DATA');
  });

  it('empty samples: INSUFFICIENT_DATA by default, OK with notBreaching', () => {
    assert.equal(evaluateCondition(errorRate, [], { now: NOW }).state, 'INSUFFICIENT_DATA');
    assert.equal(
      evaluateCondition(errorRate, [], { now: NOW, rule: { treatMissingData: 'notBreaching' } }).state,
      'OK',
    );
  });

  it('ignores samples outside the evaluation range and other metrics; periods are [start, end) plus now itself', () => {
    const outside = [
      sample('api.error_rate', 9, 61),
      sample('api.error_rate', 9, -1),
      sample('api.error_rate.other', 9, 10),
      sample('system.availability', 9, 10),
    ];
    assert.equal(evaluateCondition(errorRate, outside, { now: NOW }).state, 'INSUFFICIENT_DATA');
    assert.equal(evaluateCondition(errorRate, [sample('api.error_rate', 9, 0)], { now: NOW }).state, 'ALARM');
    assert.equal(evaluateCondition(errorRate, [sample('api.error_rate', 9, 60)], { now: NOW }).state, 'ALARM');
    assert.equal(
      evaluateCondition(errorRate, [sample('api.error_rate', 9, 60.001)], { now: NOW }).state,
      'INSUFFICIENT_DATA',
    );
  });
});

describe('percentile (nearest rank)', () => {
  it('takes the value at rank ceil(0.95 n)', () => {
    const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    assert.equal(percentile([5], 95), 5);
    assert.equal(percentile([3, 1, 2], 95), 3);
    assert.equal(percentile(range(10), 95), 10);
    assert.equal(percentile(range(20), 95), 19);
    assert.equal(percentile(range(20), 50), 10);
    assert.equal(percentile([], 95), undefined);
  });
});

describe('evaluateTriggers and breaches on ToolBoxAI', () => {
  it('evaluates the six metric triggers in template order and returns those in ALARM', () => {
    const samples = [
      sample('api.error_rate', 2.5, 20),
      sample('system.availability', 99.5, 20),
      sample('api.latency.p95', 180, 20),
      sample('memory.usage', 900, 20),
    ];
    const all = evaluateTriggers(toolbox, samples, { now: NOW, baselines: { 'memory.usage': 400 } });
    assert.deepEqual(
      all.map((e) => [e.trigger.id, e.result.state]),
      [
        ['api-error-rate-1', 'ALARM'],
        ['system-availability-99', 'OK'],
        ['api-response-time-500ms-p95', 'OK'],
        ['database-query-time-200ms', 'INSUFFICIENT_DATA'],
        ['memory-usage-2x-normal', 'ALARM'],
        ['cpu-utilization-80-sustained', 'INSUFFICIENT_DATA'],
      ],
    );
    const fired = breaches(toolbox, samples, { now: NOW, baselines: { 'memory.usage': 400 } });
    assert.deepEqual(
      fired.map((e) => e.trigger.id),
      ['api-error-rate-1', 'memory-usage-2x-normal'],
    );
  });

  it('divides periods by the time scale: at 60x a minute-period lasts one second', () => {
    const twoSecondsAgo = [sample('api.error_rate', 2.5, 2)];
    assert.equal(breaches(toolbox, twoSecondsAgo, { now: NOW }).length, 1);
    assert.equal(breaches(toolbox, twoSecondsAgo, { now: NOW, timeScale: 60 }).length, 0);
    const scaled = breaches(toolbox, [sample('api.error_rate', 2.5, 0.5)], { now: NOW, timeScale: 60 });
    assert.deepEqual(
      scaled.map((e) => [e.trigger.id, e.result.rule.period]),
      [['api-error-rate-1', 1]],
    );
  });

  it('keeps M and N of the real period when it scales time: "sustained 5 minutes" stays 5 of 5', () => {
    const hot = [4.5, 3.5, 2.5, 1.5, 0.5].map((secondsAgo) => sample('cpu.utilization', 95, secondsAgo, 'Percent'));
    const cpuAt60x = evaluateTriggers(toolbox, hot, { now: NOW, timeScale: 60 }).find(
      (e) => e.trigger.id === 'cpu-utilization-80-sustained',
    );
    assert.equal(cpuAt60x?.result.rule.evaluationPeriods, 5);
    assert.equal(cpuAt60x?.result.rule.datapointsToAlarm, 5);
    assert.equal(cpuAt60x?.result.state, 'ALARM');
    // One scaled minute at 70 % among the five keeps it out of ALARM (before, N was 300 one-second periods).
    const fourOfFive = [...hot.slice(1), sample('cpu.utilization', 70, 4.5, 'Percent')];
    const cooler = evaluateTriggers(toolbox, fourOfFive, { now: NOW, timeScale: 60 });
    assert.notEqual(cooler.find((e) => e.trigger.id === 'cpu-utilization-80-sustained')?.result.state, 'ALARM');
  });
});

describe('a template states how a condition is evaluated', () => {
  const base = { metric: 'api.error_rate', comparison: '>', threshold: 1, unit: 'Percent' } as const;

  it('takes period, M of N and missing data from the condition, under any override', () => {
    const condition: MetricCondition = {
      ...base,
      periodSeconds: 300,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: 'breaching',
    };
    assert.deepEqual(ruleFor(condition), {
      period: 300,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      statistic: 'Average',
      treatMissingData: 'breaching',
      evaluationRange: 5,
    });
    assert.equal(ruleFor(condition, { treatMissingData: 'notBreaching' }).treatMissingData, 'notBreaching');
    // Two breaching five-minute datapoints and three missing ones: the missing ones breach too, so 5 of 5.
    const samples = [sample('api.error_rate', 2, 60), sample('api.error_rate', 2, 360)];
    assert.equal(evaluateCondition(condition, samples, { now: NOW }).state, 'ALARM');
    const lenient = { ...condition, treatMissingData: 'notBreaching' } as const;
    assert.equal(evaluateCondition(lenient, samples, { now: NOW }).state, 'OK');
  });

  it('refuses what CloudWatch could not evaluate, naming the field', () => {
    const refused = (condition: Record<string, unknown>) => {
      const result = MetricConditionSchema.safeParse({ ...base, ...condition });
      assert.equal(result.success, false, JSON.stringify(condition));
      return result.error?.issues[0]?.path.join('.');
    };
    assert.equal(refused({ evaluationPeriods: 2, datapointsToAlarm: 3 }), 'datapointsToAlarm');
    assert.equal(refused({ datapointsToAlarm: 2 }), 'datapointsToAlarm');
    assert.equal(refused({ periodSeconds: 90 }), 'periodSeconds');
    assert.equal(refused({ periodSeconds: 3600, evaluationPeriods: 25 }), 'evaluationPeriods');
    assert.equal(refused({ treatMissingData: 'zero' }), 'treatMissingData');
    assert.ok(MetricConditionSchema.safeParse({ ...base, periodSeconds: 3600, evaluationPeriods: 24 }).success);
  });
});

const immediate = toolbox.phases.flatMap((p) => p.windows ?? []).find((w) => w.id === 'immediate');
assert.ok(immediate);
const immediateItems = toolbox.phases.flatMap((p) => p.sections).find((s) => s.id === immediate.sectionId)?.items ?? [];

describe('evaluateMetricItems', () => {
  it('ticks metric items done / failed / pending with the figures as evidence', () => {
    const latencies = [100, 105, 110, 115, 120, 125, 128, 130, 133, 136, 140, 142];
    const samples = [
      ...latencies.map((v, i) => sample('api.latency.p95', v, 600 + i * 60)),
      sample('api.error_rate', 0.1, 300),
      sample('api.error_rate', 0.3, 200),
      sample('api.latency.p95', 999, -10),
    ];
    assert.deepEqual(evaluateMetricItems(immediateItems, samples, { now: NOW }), [
      { itemId: 'api-response-times', status: 'done', evidence: 'p95 142 ms over 12 samples (target < 200 ms)' },
      { itemId: 'error-rates', status: 'failed', evidence: 'avg 0.2 % over 2 samples (target < 0.1 %)' },
      {
        itemId: 'database-performance',
        status: 'pending',
        evidence: 'no samples of db.query_time.avg (target < 50 ms)',
      },
    ]);
    const later = evaluateMetricItems(immediateItems, samples, { now: NOW, from: new Date(NOW.getTime() - 250_000) });
    assert.deepEqual(later[1], {
      itemId: 'error-rates',
      status: 'failed',
      evidence: 'avg 0.3 % over 1 sample (target < 0.1 %)',
    });
    assert.equal(later[0]?.status, 'pending');
  });
});

describe('windowReport', () => {
  const from = new Date(NOW.getTime() - 2 * 3600 * 1000);
  const samples: MetricSample[] = [
    sample('api.latency.p95', 100, 3000),
    sample('api.latency.p95', 150, 2400),
    sample('api.latency.p95', 0.2, 1800, 'Seconds'),
    sample('api.latency.p95', 600, 1230),
    sample('db.query_time.avg', 40, 900),
    sample('db.query_time.avg', 60, 800),
    sample('api.error_rate', 0.05, 700),
    sample('api.latency.p95', 5000, 3 * 3600),
    sample('custom.queue_depth', 7, 100, 'Count'),
  ];
  const report = windowReport(toolbox, immediate, samples, { from, to: NOW, baselines: {} });

  it('gives count, min, avg, max and nearest-rank p95 per metric, sorted by name', () => {
    assert.deepEqual(
      report.metrics.map((m) => m.metric),
      [
        'api.error_rate',
        'api.latency.p95',
        'auth.success_rate',
        'cpu.utilization',
        'custom.queue_depth',
        'db.query_time.avg',
        'login.success_rate',
        'memory.usage',
        'session.success_rate',
        'system.availability',
      ],
    );
    const lat = report.metrics.find((m) => m.metric === 'api.latency.p95');
    assert.ok(lat);
    assert.deepEqual(
      [lat.unit, lat.count, lat.min, lat.avg, lat.max, lat.p95],
      ['Milliseconds', 4, 100, 262.5, 600, 600],
    );
    const cpuReport = report.metrics.find((m) => m.metric === 'cpu.utilization');
    assert.deepEqual([cpuReport?.count, cpuReport?.avg, cpuReport?.p95], [0, null, null]);
    assert.equal(report.metrics.find((m) => m.metric === 'custom.queue_depth')?.unit, 'Count');
  });

  it('lists the targets and the trigger with its breaching datapoint', () => {
    const lat = report.metrics.find((m) => m.metric === 'api.latency.p95');
    assert.deepEqual(
      lat?.targets.map((t) => [t.source, t.id, t.met, t.evidence]),
      [
        ['item', 'api-response-times', false, 'p95 600 ms over 4 samples (target < 200 ms)'],
        ['success-metric', 'api-latency-p95-200ms-target-142ms', false, 'p95 600 ms over 4 samples (target < 200 ms)'],
      ],
    );
    assert.deepEqual(lat?.triggers, [
      {
        triggerId: 'api-response-time-500ms-p95',
        title: 'API response time >500ms p95',
        condition: latency,
        threshold: 500,
        treatMissingData: 'missing',
        breaches: [{ periodStart: '2026-11-21T09:39:00.000Z', value: 600 }],
        breached: true,
      },
    ]);
    assert.deepEqual(report.breachedTriggers, ['api-response-time-500ms-p95']);
    const db = report.metrics.find((m) => m.metric === 'db.query_time.avg');
    assert.deepEqual(
      db?.targets.map((t) => [t.id, t.met]),
      [
        ['database-performance', false],
        ['database-queries-50ms-average', false],
      ],
    );
    assert.deepEqual(db?.triggers[0]?.breaches, []);
    assert.equal(db?.triggers[0]?.breached, false, 'samples under the threshold: no breach');
  });

  it('says which success metrics were met, not met, had no data or are qualitative', () => {
    const status = Object.fromEntries(report.successMetrics.map((m) => [m.id, m.status]));
    assert.equal(status['api-latency-p95-200ms-target-142ms'], 'not-met');
    assert.equal(status['error-rate-0-1-target-0-01'], 'met');
    assert.equal(status['database-queries-50ms-average'], 'not-met');
    assert.equal(status['system-availability-99-9-target-99-99'], 'no-data');
    assert.equal(status['user-satisfaction-no-critical-complaints'], 'not-measured');
    assert.equal(report.successMetrics.length, toolbox.successMetrics.length);
  });

  it('is deterministic: the order of the samples does not matter', () => {
    const shuffled = [...samples].reverse();
    const again = windowReport(toolbox, immediate, shuffled, { from, to: NOW, baselines: {} });
    assert.deepEqual(again, report);
    assert.equal(JSON.stringify(again), JSON.stringify(report));
  });
});
