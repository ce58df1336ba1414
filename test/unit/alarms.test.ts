// The CloudWatch alarms of a release's rollback triggers and its samples as datapoints, on ToolBoxAI's real template
// and small hand-made ones: thresholds, baselines, M of N, statistics, units, and names that fit CloudWatch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlarmSpec } from '../../lambdas/core/monitoring/alarms.ts';
import { alarmName, alarmNames, alarmSpecs, cloudWatchSamples } from '../../lambdas/core/monitoring/alarms.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import type { MetricCondition, Template } from '../../lambdas/core/template/template.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';
import { testTemplate } from '../support/fixtures.ts';

const found = findBuiltInTemplate('toolboxai-v1');
assert.ok(found);
const toolbox: Template = found;
const release = { id: '01JREL', name: 'ToolBoxAI', version: '1.1.0' };
const AT = '2026-11-21T10:00:00.000Z';

function byTrigger(alarms: readonly AlarmSpec[], triggerId: string): AlarmSpec {
  const alarm = alarms.find((candidate) => candidate.triggerId === triggerId);
  assert.ok(alarm, `an alarm for ${triggerId}`);
  return alarm;
}

/** A template whose only rollback triggers are these conditions (trigger ids t1, t2, ...). */
function withTriggers(...conditions: MetricCondition[]): Template {
  return testTemplate({
    rollback: {
      triggers: conditions.map((condition, i) => ({
        id: `t${i + 1}`,
        title: `trigger ${i + 1}`,
        category: 'metrics',
        condition,
        source: { line: 100 + i, text: `- trigger ${i + 1}` },
      })),
      procedure: [],
      validation: [],
    },
  });
}

describe('alarmSpecs', () => {
  const { alarms, skipped } = alarmSpecs('sg', release, toolbox, { 'memory.usage': 512 });

  it('gives one alarm per trigger with a metric condition, in template order, named <prefix>-<release>-<trigger>', () => {
    assert.deepEqual(
      alarms.map((alarm) => alarm.name),
      [
        'sg-01JREL-api-error-rate-1',
        'sg-01JREL-system-availability-99',
        'sg-01JREL-api-response-time-500ms-p95',
        'sg-01JREL-database-query-time-200ms',
        'sg-01JREL-memory-usage-2x-normal',
        'sg-01JREL-cpu-utilization-80-sustained',
      ],
    );
    assert.deepEqual(skipped, []);
    for (const alarm of alarms) assert.equal(alarm.releaseId, '01JREL');
  });

  it('carries the condition: metric, comparison, threshold, unit, period 60 s, 1 of 1, missing data missing', () => {
    assert.deepEqual(byTrigger(alarms, 'api-error-rate-1'), {
      ...byTrigger(alarms, 'api-error-rate-1'),
      metric: 'api.error_rate',
      statistic: 'Average',
      comparison: '>',
      threshold: 1,
      unit: 'Percent',
      period: 60,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'missing',
    });
    const availability = byTrigger(alarms, 'system-availability-99');
    assert.equal(availability.comparison, '<');
    assert.equal(availability.threshold, 99);
  });

  it('uses the statistic of the metric name: p95 for .p95, Average for .avg', () => {
    const latency = byTrigger(alarms, 'api-response-time-500ms-p95');
    assert.equal(latency.statistic, 'p95');
    assert.equal(latency.unit, 'Milliseconds');
    assert.equal(latency.threshold, 500);
    assert.equal(byTrigger(alarms, 'database-query-time-200ms').statistic, 'Average');
  });

  it('turns "sustained" into M of N one-minute periods', () => {
    const cpu = byTrigger(alarms, 'cpu-utilization-80-sustained');
    assert.equal(cpu.evaluationPeriods, 5);
    assert.equal(cpu.datapointsToAlarm, 5);
    assert.equal(cpu.period, 60);
    const three = alarmSpecs(
      'sg',
      release,
      withTriggers({ metric: 'queue.depth.max', comparison: '>=', threshold: 10, unit: 'Count', sustainedMinutes: 3 }),
      {},
    ).alarms;
    assert.equal(three[0]?.evaluationPeriods, 3);
    assert.equal(three[0]?.datapointsToAlarm, 3);
    assert.equal(three[0]?.statistic, 'Maximum');
  });

  it('fixes a baseline-relative threshold at the multiple times the baseline, without a unit', () => {
    const memory = byTrigger(alarms, 'memory-usage-2x-normal');
    assert.equal(memory.threshold, 1024);
    assert.equal(memory.unit, undefined);
    assert.match(memory.description, /2x the baseline 512/);
  });

  it('skips a baseline-relative trigger without a baseline, saying why', () => {
    const none = alarmSpecs('sg', release, toolbox, {});
    assert.equal(none.alarms.length, 5);
    assert.equal(
      none.alarms.find((alarm) => alarm.triggerId === 'memory-usage-2x-normal'),
      undefined,
    );
    assert.equal(none.skipped.length, 1);
    assert.equal(none.skipped[0]?.triggerId, 'memory-usage-2x-normal');
    assert.match(none.skipped[0]?.reason ?? '', /memory\.usage/);
    // A baseline of 0 gives no usable multiple either: the trigger never fires on a guess.
    assert.equal(
      alarmSpecs('sg', release, toolbox, { 'memory.usage': 0 }).skipped[0]?.triggerId,
      'memory-usage-2x-normal',
    );
  });

  it('reads a fractional percentile from the name as CloudWatch writes it (p99_9 -> p99.9)', () => {
    const { alarms: p999 } = alarmSpecs(
      'sg',
      release,
      withTriggers({ metric: 'api.latency.p99_9', comparison: '>', threshold: 2, unit: 'Seconds' }),
      {},
    );
    assert.equal(p999[0]?.statistic, 'p99.9');
    assert.equal(p999[0]?.unit, 'Seconds');
  });

  it('describes the alarm for people and keeps the description within 1024 characters', () => {
    const latency = byTrigger(alarms, 'api-response-time-500ms-p95');
    assert.match(latency.description, /ToolBoxAI 1\.1\.0 \(01JREL\)/);
    assert.match(latency.description, /p95 of api\.latency\.p95 > 500 ms/);
    const long = withTriggers({ metric: 'x.avg', comparison: '>', threshold: 1, unit: 'None' });
    const trigger = long.rollback.triggers[0];
    assert.ok(trigger);
    const huge = { ...long, rollback: { ...long.rollback, triggers: [{ ...trigger, title: 'a'.repeat(2000) }] } };
    assert.equal(alarmSpecs('sg', release, huge, {}).alarms[0]?.description.length, 1024);
  });

  it('gives the same alarms for the same release, template and baselines', () => {
    assert.deepEqual(alarmSpecs('sg', release, toolbox, { 'memory.usage': 512 }).alarms, alarms);
  });
});

describe('alarmSpecs with the evaluation a template states', () => {
  it("puts the condition's own period, M of N and missing-data treatment on the alarm", () => {
    const template = withTriggers({
      metric: 'api.error_rate',
      comparison: '>',
      threshold: 1,
      unit: 'Percent',
      periodSeconds: 300,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: 'breaching',
    });
    const alarm = byTrigger(alarmSpecs('sg', release, template, {}).alarms, 't1');
    assert.deepEqual(
      [alarm.period, alarm.evaluationPeriods, alarm.datapointsToAlarm, alarm.treatMissingData],
      [300, 5, 3, 'breaching'],
    );
    assert.match(alarm.description, /3 of 5 periods of 300 s/);
  });
});

describe('alarmName', () => {
  it('is <prefix>-<release>-<trigger> when that fits in 255 characters', () => {
    assert.equal(alarmName('shipgate-prod', '01JREL', 'api-error-rate-1'), 'shipgate-prod-01JREL-api-error-rate-1');
    const exact = alarmName('p', 'r', 't'.repeat(251));
    assert.equal(exact.length, 255);
    assert.equal(exact, `p-r-${'t'.repeat(251)}`);
  });

  it('keeps the start of a longer name and ends it with a stable hash of the whole, 255 characters in all', () => {
    const name = alarmName('sg', '01JREL', 'x'.repeat(300));
    assert.equal(name.length, 255);
    assert.ok(name.startsWith('sg-01JREL-xxx'), 'the prefix stays first, so the stack grant on <prefix>-* covers it');
    assert.match(name, /-[0-9a-f]{8}$/);
    assert.equal(alarmName('sg', '01JREL', 'x'.repeat(300)), name);
  });

  it('tells apart long names that differ only beyond the cut', () => {
    const a = alarmName('sg', '01JREL', `${'x'.repeat(300)}-a`);
    const b = alarmName('sg', '01JREL', `${'x'.repeat(300)}-b`);
    assert.notEqual(a, b);
    assert.equal(a.slice(0, 246), b.slice(0, 246));
  });
});

describe('alarmNames', () => {
  it('names every metric trigger, a baseline-relative one too (it may have an alarm from an earlier put)', () => {
    const names = alarmNames('sg', release, toolbox);
    assert.equal(names.length, 6);
    assert.ok(names.includes('sg-01JREL-memory-usage-2x-normal'));
    assert.ok(!names.some((name) => name.includes('database-connectivity-issues')), 'qualitative triggers have none');
    assert.deepEqual(
      names,
      alarmSpecs('sg', release, toolbox, { 'memory.usage': 1 }).alarms.map((alarm) => alarm.name),
    );
  });

  it('is empty for a template without metric triggers', () => {
    assert.deepEqual(alarmNames('sg', release, testTemplate()), []);
  });
});

describe('cloudWatchSamples', () => {
  const sample = (name: string, value: number, unit?: MetricSample['unit']): MetricSample =>
    unit === undefined ? { name, value, at: AT } : { name, value, unit, at: AT };

  it('puts a latency in seconds in the milliseconds of its condition', () => {
    assert.deepEqual(cloudWatchSamples(toolbox, [sample('api.latency.p95', 0.6, 'Seconds')]), [
      sample('api.latency.p95', 600, 'Milliseconds'),
    ]);
  });

  it("gives a sample without a unit its condition's unit, so an alarm with that unit sees it", () => {
    assert.deepEqual(cloudWatchSamples(toolbox, [sample('db.query_time.avg', 180)]), [
      sample('db.query_time.avg', 180, 'Milliseconds'),
    ]);
  });

  it('keeps as sent a metric no condition names, a unit that does not convert, and a baseline-relative metric', () => {
    const kept = [
      sample('custom.queue_depth', 3, 'Seconds'),
      sample('api.error_rate', 0.5, 'Seconds'),
      sample('memory.usage', 700, 'Count'),
      sample('memory.usage', 700),
    ];
    assert.deepEqual(cloudWatchSamples(toolbox, kept), kept);
  });

  it('uses the first absolute condition on the metric: triggers before success metrics', () => {
    const template = {
      ...withTriggers({ metric: 'job.duration.avg', comparison: '>', threshold: 2, unit: 'Seconds' }),
      successMetrics: [
        {
          id: 'fast-jobs',
          title: 'Fast jobs',
          category: 'performance',
          condition: {
            metric: 'job.duration.avg',
            comparison: '<' as const,
            threshold: 500,
            unit: 'Milliseconds' as const,
          },
          source: { line: 200, text: '- fast jobs' },
        },
      ],
    };
    assert.deepEqual(cloudWatchSamples(template, [sample('job.duration.avg', 1500, 'Milliseconds')]), [
      sample('job.duration.avg', 1.5, 'Seconds'),
    ]);
  });

  it('keeps the order and time of the samples', () => {
    const input = [
      { name: 'api.latency.p95', value: 0.2, unit: 'Seconds' as const, at: '2026-11-21T10:00:01.000Z' },
      { name: 'api.error_rate', value: 0.3, at: '2026-11-21T10:00:00.000Z' },
    ];
    const out = cloudWatchSamples(toolbox, input);
    assert.deepEqual(
      out.map((s) => [s.name, s.at]),
      input.map((s) => [s.name, s.at]),
    );
    assert.deepEqual(input[0], {
      name: 'api.latency.p95',
      value: 0.2,
      unit: 'Seconds',
      at: '2026-11-21T10:00:01.000Z',
    });
  });
});
