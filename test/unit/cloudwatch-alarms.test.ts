// The CloudWatch adapter against a fake client that records the commands: datapoints in batches CloudWatch accepts,
// alarms that say in CloudWatch's terms what the triggers say, deletes in chunks of 100.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  DeleteAlarmsCommandInput,
  PutMetricAlarmCommandInput,
  PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import {
  DeleteAlarmsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  ResourceNotFound,
} from '@aws-sdk/client-cloudwatch';
import type { CloudWatchSender } from '../../lambdas/adapters/cloudwatch/cloudwatch-alarms.ts';
import { CloudWatchMetricAlarms } from '../../lambdas/adapters/cloudwatch/cloudwatch-alarms.ts';
import type { AlarmSpec } from '../../lambdas/core/monitoring/alarms.ts';
import { alarmSpecs } from '../../lambdas/core/monitoring/alarms.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import type { Comparison } from '../../lambdas/core/template/template.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';

const NOW = new Date('2026-11-21T10:00:00.000Z');
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:shipgate-alarms';
const toolbox = findBuiltInTemplate('toolboxai-v1');
assert.ok(toolbox);
const specs = alarmSpecs('sg', { id: 'rel1', name: 'ToolBoxAI', version: '1.1.0' }, toolbox, {
  'memory.usage': 500,
}).alarms;

type Sent = PutMetricDataCommand | PutMetricAlarmCommand | DeleteAlarmsCommand;

/** Records every command; `fail` may throw for one, `delayMs` keeps calls in flight a while. */
function fakeClient(options: { fail?: (command: Sent) => unknown; delayMs?: number } = {}) {
  const sent: Sent[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client: CloudWatchSender = {
    async send(command) {
      sent.push(command);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
        const error = options.fail?.(command);
        if (error) throw error;
        return {};
      } finally {
        inFlight -= 1;
      }
    },
  };
  return {
    client,
    sent,
    maxInFlight: () => maxInFlight,
    data: () => sent.filter((c) => c instanceof PutMetricDataCommand).map((c) => c.input as PutMetricDataCommandInput),
    alarms: () =>
      sent.filter((c) => c instanceof PutMetricAlarmCommand).map((c) => c.input as PutMetricAlarmCommandInput),
    deletes: () => sent.filter((c) => c instanceof DeleteAlarmsCommand).map((c) => c.input as DeleteAlarmsCommandInput),
  };
}

function adapter(fake: ReturnType<typeof fakeClient>, namespace?: string) {
  return new CloudWatchMetricAlarms({ client: fake.client, namespace, alarmActions: [TOPIC], now: () => NOW });
}

const at = (msFromNow: number) => new Date(NOW.getTime() + msFromNow).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function alarmInput(fake: ReturnType<typeof fakeClient>, triggerId: string): PutMetricAlarmCommandInput {
  const input = fake.alarms().find((candidate) => candidate.AlarmName === `sg-rel1-${triggerId}`);
  assert.ok(input, `PutMetricAlarm for ${triggerId}`);
  return input;
}

describe('CloudWatchMetricAlarms.putSamples', () => {
  it('puts each sample as one datum with the ReleaseId dimension, its time, value and unit (None without one)', async () => {
    const fake = fakeClient();
    await adapter(fake).putSamples('rel1', [
      { name: 'api.latency.p95', value: 600, unit: 'Milliseconds', at: at(-60_000) },
      { name: 'memory.usage', value: 512.5, at: at(-30_000) },
    ]);
    assert.deepEqual(fake.data(), [
      {
        Namespace: 'Shipgate',
        MetricData: [
          {
            MetricName: 'api.latency.p95',
            Dimensions: [{ Name: 'ReleaseId', Value: 'rel1' }],
            Timestamp: new Date(at(-60_000)),
            Value: 600,
            Unit: 'Milliseconds',
          },
          {
            MetricName: 'memory.usage',
            Dimensions: [{ Name: 'ReleaseId', Value: 'rel1' }],
            Timestamp: new Date(at(-30_000)),
            Value: 512.5,
            Unit: 'None',
          },
        ],
      },
    ]);
  });

  it('uses the configured namespace, and Shipgate when it is unset or empty', async () => {
    const sample: MetricSample = { name: 'x.avg', value: 1, at: at(0) };
    for (const [namespace, expected] of [
      ['Acme/Releases', 'Acme/Releases'],
      [undefined, 'Shipgate'],
      ['', 'Shipgate'],
    ] as const) {
      const fake = fakeClient();
      await adapter(fake, namespace).putSamples('rel1', [sample]);
      assert.equal(fake.data()[0]?.Namespace, expected);
    }
  });

  it('sends at most 500 data per call, in order', async () => {
    const fake = fakeClient();
    const samples = Array.from({ length: 1201 }, (_, i) => ({ name: 'x.avg', value: i, at: at(-i * 1000) }));
    await adapter(fake).putSamples('rel1', samples);
    const calls = fake.data();
    assert.deepEqual(
      calls.map((call) => call.MetricData?.length),
      [500, 500, 201],
    );
    assert.deepEqual(
      calls.flatMap((call) => call.MetricData?.map((datum) => datum.Value)),
      samples.map((sample) => sample.value),
    );
  });

  it('leaves out what CloudWatch rejects: over two weeks old, over two hours ahead, unparsable times, bad values', async () => {
    const fake = fakeClient();
    await adapter(fake).putSamples('rel1', [
      { name: 'kept.old', value: 1, at: at(-13 * DAY) },
      { name: 'kept.ahead', value: 1, at: at(HOUR) },
      { name: 'kept.zero', value: 0, at: at(0) },
      { name: 'kept.negative', value: -2.5, at: at(0) },
      { name: 'dropped.old', value: 1, at: at(-15 * DAY) },
      { name: 'dropped.ahead', value: 1, at: at(3 * HOUR) },
      { name: 'dropped.time', value: 1, at: 'yesterday' },
      { name: 'dropped.nan', value: Number.NaN, at: at(0) },
      { name: 'dropped.infinity', value: Number.POSITIVE_INFINITY, at: at(0) },
      { name: 'dropped.huge', value: 2 ** 361, at: at(0) },
      { name: 'dropped.tiny', value: 2 ** -361, at: at(0) },
    ]);
    assert.deepEqual(
      fake.data()[0]?.MetricData?.map((datum) => datum.MetricName),
      ['kept.old', 'kept.ahead', 'kept.zero', 'kept.negative'],
    );
  });

  it('calls nothing when nothing is left', async () => {
    const fake = fakeClient();
    await adapter(fake).putSamples('rel1', [{ name: 'x.avg', value: 1, at: at(-20 * DAY) }]);
    await adapter(fake).putSamples('rel1', []);
    assert.deepEqual(fake.sent, []);
  });
});

describe('CloudWatchMetricAlarms.putAlarms', () => {
  it('puts one alarm per spec on the release metric, with its name, description and rule', async () => {
    const fake = fakeClient();
    await adapter(fake).putAlarms(specs);
    assert.equal(fake.alarms().length, 6);
    const spec = specs.find((candidate) => candidate.triggerId === 'api-error-rate-1');
    assert.ok(spec);
    assert.deepEqual(alarmInput(fake, 'api-error-rate-1'), {
      AlarmName: 'sg-rel1-api-error-rate-1',
      AlarmDescription: spec.description,
      Namespace: 'Shipgate',
      MetricName: 'api.error_rate',
      Dimensions: [{ Name: 'ReleaseId', Value: 'rel1' }],
      Statistic: 'Average',
      Unit: 'Percent',
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
      ActionsEnabled: true,
      AlarmActions: [TOPIC],
      OKActions: [TOPIC],
    });
  });

  it('uses ExtendedStatistic for a percentile and Statistic otherwise, never both', async () => {
    const fake = fakeClient();
    await adapter(fake).putAlarms(specs);
    const latency = alarmInput(fake, 'api-response-time-500ms-p95');
    assert.equal(latency.ExtendedStatistic, 'p95');
    assert.equal(latency.EvaluateLowSampleCountPercentile, 'evaluate');
    assert.equal('Statistic' in latency, false);
    const query = alarmInput(fake, 'database-query-time-200ms');
    assert.equal(query.Statistic, 'Average');
    assert.equal('ExtendedStatistic' in query, false);
    assert.equal('EvaluateLowSampleCountPercentile' in query, false);
  });

  it('maps each comparison onto its CloudWatch operator', async () => {
    const base = specs[0];
    assert.ok(base);
    const expected: Record<Comparison, string> = {
      '>': 'GreaterThanThreshold',
      '>=': 'GreaterThanOrEqualToThreshold',
      '<': 'LessThanThreshold',
      '<=': 'LessThanOrEqualToThreshold',
    };
    const fake = fakeClient();
    const comparisons = Object.keys(expected) as Comparison[];
    await adapter(fake).putAlarms(comparisons.map((comparison) => ({ ...base, name: comparison, comparison })));
    for (const comparison of comparisons) {
      const input = fake.alarms().find((candidate) => candidate.AlarmName === comparison);
      assert.equal(input?.ComparisonOperator, expected[comparison], comparison);
    }
  });

  it('omits the unit of a baseline-relative alarm and puts its fixed threshold', async () => {
    const fake = fakeClient();
    await adapter(fake).putAlarms(specs);
    const memory = alarmInput(fake, 'memory-usage-2x-normal');
    assert.equal('Unit' in memory, false);
    assert.equal(memory.Threshold, 1000);
  });

  it('puts M of N and the treatment of missing data as the spec says', async () => {
    const fake = fakeClient();
    const base = specs[0];
    assert.ok(base);
    const spec: AlarmSpec = { ...base, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: 'breaching' };
    await adapter(fake).putAlarms([spec]);
    const input = fake.alarms()[0];
    assert.equal(input?.EvaluationPeriods, 5);
    assert.equal(input?.DatapointsToAlarm, 3);
    assert.equal(input?.TreatMissingData, 'breaching');
    const cpu = fakeClient();
    await adapter(cpu).putAlarms(specs);
    assert.equal(alarmInput(cpu, 'cpu-utilization-80-sustained').EvaluationPeriods, 5);
    assert.equal(alarmInput(cpu, 'cpu-utilization-80-sustained').DatapointsToAlarm, 5);
  });

  it('keeps at most two PutMetricAlarm calls in flight, and still tries every alarm when one fails', async () => {
    const fake = fakeClient({
      delayMs: 5,
      fail: (command) =>
        command instanceof PutMetricAlarmCommand && command.input.AlarmName === specs[1]?.name
          ? new Error('Throttling')
          : undefined,
    });
    await assert.rejects(adapter(fake).putAlarms(specs), /Throttling/);
    assert.equal(fake.maxInFlight(), 2);
    assert.deepEqual(
      fake.alarms().map((input) => input.AlarmName),
      specs.map((spec) => spec.name),
    );
  });

  it('calls nothing for no alarms', async () => {
    const fake = fakeClient();
    await adapter(fake).putAlarms([]);
    assert.deepEqual(fake.sent, []);
  });
});

describe('CloudWatchMetricAlarms.deleteAlarms', () => {
  const names = Array.from({ length: 250 }, (_, i) => `sg-rel1-t${i}`);

  it('deletes in calls of at most 100 names', async () => {
    const fake = fakeClient();
    await adapter(fake).deleteAlarms(names);
    const calls = fake.deletes();
    assert.deepEqual(
      calls.map((call) => call.AlarmNames?.length),
      [100, 100, 50],
    );
    assert.deepEqual(
      calls.flatMap((call) => call.AlarmNames),
      names,
    );
  });

  it('counts ResourceNotFound as done (a name that is no alarm is no error) and goes on', async () => {
    const fake = fakeClient({
      fail: () => new ResourceNotFound({ message: 'alarm not found', $metadata: {} }),
    });
    await adapter(fake).deleteAlarms(names);
    assert.equal(fake.deletes().length, 3);
  });

  it('fails on any other error', async () => {
    const fake = fakeClient({ fail: () => Object.assign(new Error('denied'), { name: 'AccessDenied' }) });
    await assert.rejects(adapter(fake).deleteAlarms(['sg-rel1-t1']), /denied/);
  });

  it('calls nothing for no names', async () => {
    const fake = fakeClient();
    await adapter(fake).deleteAlarms([]);
    assert.deepEqual(fake.sent, []);
  });
});
