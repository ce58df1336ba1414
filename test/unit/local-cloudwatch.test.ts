// The local CloudWatch stand-in alone, on mocked timers and clock: alarms evaluated with CloudWatch's semantics when
// they are put and once per scaled period on their timers (never when samples arrive), each state change published
// once, in CloudWatch's shape.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { AlarmSpec } from '../../lambdas/core/monitoring/alarms.ts';
import type { AlarmState } from '../../lambdas/core/monitoring/evaluation.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import { alarmChangeOf } from '../../lambdas/events/alarm-message.ts';
import { LocalMetricAlarms } from '../../local/cloudwatch.ts';

/** 2026-11-21T10:00:00Z: a whole minute, so the quoted datapoint times are easy to read. */
const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);
const RELEASE = '01RELEASE';
const ALL_STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

function spec(overrides: Partial<AlarmSpec> = {}): AlarmSpec {
  return {
    name: `shipgate-local-${RELEASE}-api-response-time-500ms-p95`,
    description: 'Shipgate rollback trigger "API response time >500ms p95"',
    releaseId: RELEASE,
    triggerId: 'api-response-time-500ms-p95',
    metric: 'api.latency.p95',
    statistic: 'p95',
    unit: 'Milliseconds',
    comparison: '>',
    threshold: 500,
    period: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: 'missing',
    ...overrides,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the published JSON is asserted field by field
type Message = any;

describe('LocalMetricAlarms', () => {
  let published: Message[];
  let cloudwatch: LocalMetricAlarms;

  /** A stand-in at 60x (a 60 s period lasts 1 s) that records what it publishes. */
  const start = (options: { actions?: readonly AlarmState[]; maxDatapoints?: number; timeScale?: number } = {}) => {
    cloudwatch = new LocalMetricAlarms({
      timeScale: options.timeScale ?? 60,
      actions: options.actions ?? ALL_STATES,
      ...(options.maxDatapoints ? { maxDatapoints: options.maxDatapoints } : {}),
      publish: (message) => {
        published.push(JSON.parse(message));
      },
    });
    return cloudwatch;
  };
  /** A tenth of a period (at 60x) ago: a sample as the stream delivers it, a moment after it was sent. */
  const at = () => new Date(Date.now() - 100).toISOString();
  const sample = (value: number, name = 'api.latency.p95'): MetricSample => ({
    name,
    value,
    unit: 'Milliseconds',
    at: at(),
  });
  const states = () => published.map((message) => message.NewStateValue);
  /**
   * Moves the clock period by period (a second each at 60x), firing the timers due. One tick() a period: mocked
   * timers run with the clock at the end of the tick() call, so each evaluation sees its own time.
   */
  const seconds = (count: number) => {
    for (let i = 0; i < count; i += 1) mock.timers.tick(1000);
  };
  /**
   * One period of alarms put at a whole second: half way through it the samples `make` returns are put (each
   * stamped a moment earlier), then it ends with the timers' tick, which evaluates them.
   */
  const period = async (make: () => MetricSample[], releaseId = RELEASE) => {
    mock.timers.tick(500);
    await cloudwatch.putSamples(releaseId, make());
    mock.timers.tick(500);
  };

  beforeEach(() => {
    published = [];
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: T0 });
  });

  afterEach(() => {
    cloudwatch?.close();
    mock.timers.reset();
  });

  it('evaluates on its timer, not when samples arrive: samples alone publish nothing until the next tick', async () => {
    const alarms = start();
    await alarms.putAlarms([spec()]);
    mock.timers.tick(500);
    await alarms.putSamples(RELEASE, [sample(612)]);
    await alarms.putSamples(RELEASE, [sample(700)]);
    assert.deepEqual(states(), [], 'breaching datapoints, but no tick yet: nothing published');
    assert.equal(alarms.list()[0]?.state, 'INSUFFICIENT_DATA');
    mock.timers.tick(499);
    assert.deepEqual(states(), [], 'still before the tick');
    mock.timers.tick(1);
    assert.deepEqual(states(), ['ALARM'], 'the tick a period after the put of the alarm');
    assert.equal(published[0].StateChangeTime, '2026-11-21T10:00:01.000+0000');
  });

  it('publishes each state change once, not on every evaluation, and keeps the state when an alarm is put again', async () => {
    const alarms = start();
    await alarms.putAlarms([spec()]);
    assert.deepEqual(states(), [], 'a new alarm without data stays INSUFFICIENT_DATA: no change to publish');
    assert.equal(alarms.list()[0]?.state, 'INSUFFICIENT_DATA');

    await period(() => [sample(612), sample(700)]);
    await alarms.putAlarms([spec()]);
    assert.deepEqual(states(), ['ALARM'], 'two breaching datapoints, a tick and a second put of the alarm: one change');
    assert.equal(published[0].OldStateValue, 'INSUFFICIENT_DATA');
    assert.equal(alarms.list()[0]?.state, 'ALARM', 'putting an existing alarm keeps its state');

    await period(() => [sample(900)]);
    assert.deepEqual(states(), ['ALARM'], 'a breaching datapoint in the next period: no change');

    seconds(1);
    assert.deepEqual(states(), ['ALARM', 'INSUFFICIENT_DATA'], 'the timer: the last period has no datapoint');
    await period(() => [sample(142)]);
    assert.deepEqual(states(), ['ALARM', 'INSUFFICIENT_DATA', 'OK']);
    assert.equal(published[2].OldStateValue, 'INSUFFICIENT_DATA');
    assert.match(published[2].NewStateReason, /^Threshold Crossed: 1 out of the last 1 datapoints \[142\.0 \(/);
    assert.match(published[2].NewStateReason, /was not greater than the threshold \(500\.0\)/);
  });

  it('goes into ALARM when M of the last N datapoints breach, and back to OK when fewer do', async () => {
    const alarms = start({ actions: ['ALARM', 'OK'] });
    await alarms.putAlarms([spec({ evaluationPeriods: 3, datapointsToAlarm: 2 })]);
    /** One datapoint in a period: the state the tick at its end evaluates to. */
    const next = async (value: number) => {
      await period(() => [sample(value)]);
      return alarms.list()[0]?.state;
    };
    assert.equal(await next(100), 'OK');
    assert.equal(await next(100), 'OK');
    assert.equal(await next(900), 'OK', '1 of the last 3 breaches');
    assert.equal(await next(900), 'ALARM', '2 of the last 3 breach');
    assert.equal(await next(100), 'ALARM', 'still 2 of the last 3');
    assert.equal(await next(100), 'OK', '1 of the last 3');
    assert.deepEqual(states(), ['OK', 'ALARM', 'OK']);
    assert.match(
      published[1].NewStateReason,
      /^Threshold Crossed: 2 out of the last 3 datapoints \[900\.0 .*, 900\.0 /,
    );
    assert.match(published[1].NewStateReason, /were greater than the threshold \(500\.0\) \(minimum 2 datapoints/);
  });

  it('moves on missing data by its timer alone, each scaled period', async () => {
    const alarms = start();
    await alarms.putAlarms([spec()]);
    await period(() => [sample(100)]);
    assert.deepEqual(states(), ['OK']);
    mock.timers.tick(999);
    assert.deepEqual(states(), ['OK'], 'no evaluation before the period ends');
    mock.timers.tick(1);
    assert.deepEqual(states(), ['OK', 'INSUFFICIENT_DATA'], 'no datapoint in the last period: missing');
    assert.match(published[1].NewStateReason, /^Insufficient Data: 1 datapoint was unknown\.$/);
    seconds(5);
    assert.equal(published.length, 2, 'no change, nothing more published');
  });

  it('evaluates an alarm at once when it is put: on the datapoints already there, or on missing data', async () => {
    const alarms = start();
    await alarms.putSamples(RELEASE, [sample(612)]);
    assert.deepEqual(states(), [], 'no alarm yet');
    await alarms.putAlarms([spec()]);
    assert.deepEqual(states(), ['ALARM'], 'the breaching datapoint put before the alarm');
    assert.equal(published[0].StateChangeTime, '2026-11-21T10:00:00.000+0000', 'at the put, not a period later');

    await alarms.putAlarms([spec({ name: 'breaching', metric: 'api.latency.p99', treatMissingData: 'breaching' })]);
    assert.deepEqual(states(), ['ALARM', 'ALARM'], 'missing data treated as breaching is ALARM without a sample');
    assert.equal(published[1].AlarmName, 'breaching');
  });

  it('publishes only the states that have an action: by default ALARM and OK, as the stack sets them', async () => {
    const alarms = new LocalMetricAlarms({
      timeScale: 60,
      publish: (message) => {
        published.push(JSON.parse(message));
      },
    });
    cloudwatch = alarms;
    await alarms.putAlarms([spec()]);
    await period(() => [sample(100)]);
    await period(() => [sample(900)]);
    seconds(1);
    assert.equal(alarms.list()[0]?.state, 'INSUFFICIENT_DATA', 'OK, ALARM, then missing data');
    assert.deepEqual(states(), ['OK', 'ALARM']);
  });

  it('stops evaluating deleted alarms; deleting a name that is not an alarm is fine', async () => {
    const alarms = start();
    const other = spec({ name: 'shipgate-local-01OTHER-x', releaseId: '01OTHER' });
    await alarms.putAlarms([spec(), other]);
    await period(() => [sample(100)]);
    assert.deepEqual(states(), ['OK']);
    await alarms.deleteAlarms([spec().name, 'shipgate-local-no-such-alarm']);
    assert.deepEqual(
      alarms.list().map((alarm) => alarm.name),
      [other.name],
    );
    seconds(5);
    await period(() => [sample(900)]);
    seconds(5);
    assert.deepEqual(states(), ['OK'], 'neither missing data nor a breach moves a deleted alarm');
  });

  it('publishes the JSON CloudWatch sends to SNS, which the alarm handler reads with the ReleaseId', async () => {
    const alarms = start({ actions: ['ALARM'] });
    await alarms.putAlarms([
      spec(),
      spec({
        name: `shipgate-local-${RELEASE}-api-error-rate-1`,
        triggerId: 'api-error-rate-1',
        metric: 'api.error_rate',
        statistic: 'Average',
        unit: 'Percent',
        threshold: 1,
      }),
    ]);
    await period(() => [sample(612), { name: 'api.error_rate', value: 2.5, unit: 'Percent', at: at() }]);
    assert.equal(published.length, 2);
    const latency = published.find((message) => message.Trigger.MetricName === 'api.latency.p95');
    const raw = JSON.stringify(latency);
    assert.deepEqual(alarmChangeOf(raw), {
      name: spec().name,
      state: 'ALARM',
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [612.0 (21/11/26 10:00:00)] was greater than the ' +
        'threshold (500.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition).',
      releaseId: RELEASE,
    });
    assert.equal(latency.AlarmDescription, spec().description);
    assert.equal(latency.OldStateValue, 'INSUFFICIENT_DATA');
    assert.equal(latency.StateChangeTime, '2026-11-21T10:00:01.000+0000', 'the tick a period after the put');
    assert.equal(latency.Region, 'local');
    assert.deepEqual(latency.Trigger, {
      MetricName: 'api.latency.p95',
      Namespace: 'Shipgate',
      StatisticType: 'ExtendedStatistic',
      ExtendedStatistic: 'p95',
      Unit: 'Milliseconds',
      Dimensions: [{ value: RELEASE, name: 'ReleaseId' }],
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 500,
      TreatMissingData: 'missing',
      EvaluateLowSampleCountPercentile: 'evaluate',
    });
    const errors = published.find((message) => message.Trigger.MetricName === 'api.error_rate');
    assert.equal(errors.Trigger.StatisticType, 'Statistic');
    assert.equal(errors.Trigger.Statistic, 'AVERAGE');
    assert.equal(errors.Trigger.ExtendedStatistic, undefined);
    assert.equal(errors.Trigger.EvaluateLowSampleCountPercentile, '');
    assert.equal(alarmChangeOf(JSON.stringify(errors))?.releaseId, RELEASE);
  });

  it('compares a baseline-relative alarm (no unit) with its effective threshold, datapoints as sent', async () => {
    const alarms = start();
    await alarms.putAlarms([
      spec({ name: 'memory', metric: 'memory.usage', statistic: 'Average', unit: undefined, threshold: 1000 }),
    ]);
    await period(() => [{ name: 'memory.usage', value: 900, at: at() }]);
    assert.equal(alarms.list()[0]?.state, 'OK', '900 is under 2 x a baseline of 500, not over a threshold of 2');
    assert.equal(alarms.list()[0]?.unit, null);
    await period(() => [{ name: 'memory.usage', value: 1200, at: at() }]);
    assert.equal(alarms.list()[0]?.state, 'ALARM');
  });

  it('keeps memory bounded: at most maxDatapoints per metric, and nothing past the retention', async () => {
    const sum = spec({ name: 'sum', metric: 'jobs.sum', statistic: 'Sum', unit: 'Count', threshold: 2.5 });
    const alarms = start({ maxDatapoints: 2 });
    await alarms.putAlarms([sum]);
    const job = (): MetricSample => ({ name: 'jobs.sum', value: 1, unit: 'Count', at: at() });
    mock.timers.tick(500);
    await alarms.putSamples(RELEASE, [job()]);
    mock.timers.tick(100);
    await alarms.putSamples(RELEASE, [job()]);
    mock.timers.tick(100);
    await alarms.putSamples(RELEASE, [job()]);
    mock.timers.tick(300);
    assert.equal(alarms.list()[0]?.state, 'OK', 'three in the period, the oldest dropped: a sum of 2');

    // At 60x the retention is 15 s (15 scaled minutes), longer than any alarm's range here (1 s).
    const late = spec({ name: 'late', period: 1200 });
    await period(() => [sample(900)]);
    seconds(16);
    await alarms.putSamples('01OTHER', [sample(100)]);
    await alarms.putAlarms([late]);
    assert.equal(
      alarms.list().find((alarm) => alarm.name === 'late')?.state,
      'INSUFFICIENT_DATA',
      'the breaching datapoint of 16 s ago was dropped, though the new alarm looks 20 s back',
    );
  });

  it('stops its timers on close', async () => {
    const alarms = start();
    await alarms.putAlarms([spec()]);
    await period(() => [sample(100)]);
    assert.deepEqual(states(), ['OK']);
    alarms.close();
    seconds(10);
    await period(() => [sample(900)]);
    assert.deepEqual(states(), ['OK'], 'no evaluation after close, of missing data or of a breach');
  });
});
