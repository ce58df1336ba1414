// The alarm lifecycle through the local runtime, on the same code as in AWS: the monitor puts a release's rollback
// trigger alarms into the local CloudWatch when it enters monitoring, forwards its samples there, and deletes the
// alarms when it leaves monitoring; the local CloudWatch evaluates them on their timers, once per scaled period, and
// publishes state changes to the alarm handler. POST /metrics judges the same samples at once, so it decides first.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { create, type Driver, drive, eventTypes, localRuntimeForSuite, read, until } from '../support/drive.ts';
import { api } from '../support/local-process.ts';

const PREFIX = 'shipgate-local';

interface AlarmRow {
  name: string;
  releaseId: string;
  triggerId: string;
  metric: string;
  comparison: string;
  threshold: number;
  unit: string | null;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  state: string;
  reason: string;
  updatedAt: string;
}

/** toolboxai-v1's rollback triggers with a metric condition whose threshold is absolute. */
const ABSOLUTE_TRIGGERS = [
  { triggerId: 'api-error-rate-1', metric: 'api.error_rate', comparison: '>', threshold: 1, unit: 'Percent' },
  {
    triggerId: 'api-response-time-500ms-p95',
    metric: 'api.latency.p95',
    comparison: '>',
    threshold: 500,
    unit: 'Milliseconds',
  },
  {
    triggerId: 'cpu-utilization-80-sustained',
    metric: 'cpu.utilization',
    comparison: '>',
    threshold: 80,
    unit: 'Percent',
  },
  {
    triggerId: 'database-query-time-200ms',
    metric: 'db.query_time.avg',
    comparison: '>',
    threshold: 200,
    unit: 'Milliseconds',
  },
  {
    triggerId: 'system-availability-99',
    metric: 'system.availability',
    comparison: '<',
    threshold: 99,
    unit: 'Percent',
  },
];

/** Samples every trigger's metric stays clear of; memory 900 is under 2 x a baseline of 500. */
const HEALTHY = [
  { name: 'api.error_rate', value: 0.02, unit: 'Percent' },
  { name: 'system.availability', value: 99.95, unit: 'Percent' },
  { name: 'api.latency.p95', value: 142, unit: 'Milliseconds' },
  { name: 'db.query_time.avg', value: 31, unit: 'Milliseconds' },
  { name: 'cpu.utilization', value: 42, unit: 'Percent' },
  { name: 'memory.usage', value: 900 },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the local CloudWatch through the local runtime', () => {
  // 2 h last 60 s: the immediate window (automatic rollback) outlasts each test. An alarm's 60 s period lasts 1 s
  // (a scaled period is at least 1 s).
  const runtime = localRuntimeForSuite({ SHIPGATE_TIME_SCALE: '120' });
  let d: Driver;
  let agent: string;
  before(() => {
    ({ d, agent } = runtime);
  });

  const push = async (id: string, samples: unknown[]) => {
    const response = await api(d.local.url, 'POST', `/releases/${id}/metrics`, { token: agent, body: { samples } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response;
  };

  const eventsOf = async (id: string): Promise<{ type: string; data: Record<string, unknown> }[]> => {
    const response = await api(d.local.url, 'GET', `/releases/${id}/events?limit=200`, {
      token: await d.token(['release-manager']),
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.items;
  };

  const alarmsOf = async (id: string): Promise<AlarmRow[]> => {
    const response = await api(d.local.url, 'GET', `/local/alarms?releaseId=${id}`, {
      token: await d.token(['release-manager']),
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.items as AlarmRow[];
  };

  /** Polls GET /local/alarms until `test` holds (the monitor reads the stream a moment after the write). */
  async function alarmsUntil(id: string, what: string, test: (alarms: AlarmRow[]) => boolean): Promise<AlarmRow[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const alarms = await alarmsOf(id);
      if (test(alarms)) return alarms;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(alarms)}`);
      await sleep(50);
    }
  }

  /** Drives a new release into its immediate monitoring window, sending `before` first (its baseline samples). */
  async function monitoring(before: unknown[] = []): Promise<string> {
    const release = await create(d, 'toolboxai-v1');
    if (before.length > 0) await push(release.id, before);
    await drive(d, release.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
    const view = await until(d, release.id, 'the immediate window', (v) => v.waitingFor?.window === 'immediate');
    assert.equal(view.status, 'MONITORING');
    return release.id;
  }

  const expectedAbsolute = (id: string) =>
    ABSOLUTE_TRIGGERS.map((trigger) => ({ name: `${PREFIX}-${id}-${trigger.triggerId}`, ...trigger }));

  const shape = (alarms: AlarmRow[]) =>
    alarms.map(({ name, triggerId, metric, comparison, threshold, unit }) => ({
      name,
      triggerId,
      metric,
      comparison,
      threshold,
      unit,
    }));

  /**
   * Sends healthy samples every 250 ms until every alarm of the release is OK, then for 2 s more (two scaled
   * periods and the sustained CPU alarm's whole range); returns every state each alarm was seen in.
   */
  async function keepHealthy(id: string): Promise<Map<string, Set<string>>> {
    const seen = new Map<string, Set<string>>();
    const deadline = Date.now() + 20_000;
    let settledAt: number | undefined;
    while (settledAt === undefined || Date.now() - settledAt < 2000) {
      await push(id, HEALTHY);
      const alarms = await alarmsOf(id);
      for (const alarm of alarms) {
        const states = seen.get(alarm.name) ?? new Set<string>();
        states.add(alarm.state);
        seen.set(alarm.name, states);
      }
      if (settledAt === undefined && alarms.length > 0 && alarms.every((alarm) => alarm.state === 'OK')) {
        settledAt = Date.now();
      }
      if (Date.now() > deadline) throw new Error(`the alarms did not all go OK: ${JSON.stringify(alarms)}`);
      await sleep(250);
    }
    return seen;
  }

  it('without baseline samples: an alarm per absolute trigger, none for memory; healthy samples keep them OK; a breach rolls back and the alarms go', async () => {
    const id = await monitoring();

    // (a) One alarm per trigger with a metric condition, with the template's thresholds; "memory > 2x normal" has no
    // baseline (nothing was sent before production deployment), so it has no alarm.
    const alarms = await alarmsUntil(id, 'the alarms', (found) => found.length >= ABSOLUTE_TRIGGERS.length);
    assert.deepEqual(shape(alarms), expectedAbsolute(id));
    const cpu = alarms.find((alarm) => alarm.triggerId === 'cpu-utilization-80-sustained');
    assert.equal(cpu?.evaluationPeriods, 5, 'sustained 5 minutes: 5 one-minute periods');
    assert.equal(cpu?.datapointsToAlarm, 5);

    // (b) Samples under every threshold: the alarms go OK and stay out of ALARM; the release keeps monitoring.
    const seen = await keepHealthy(id);
    for (const [name, states] of seen) assert.ok(!states.has('ALARM'), `${name} went into ALARM: ${[...states]}`);
    assert.equal((await alarmsOf(id)).length, ABSOLUTE_TRIGGERS.length);
    assert.equal((await read(d, id)).status, 'MONITORING');
    const types = await eventTypes(d, id);
    assert.ok(!types.includes('rollback.requested') && !types.includes('alarm.received'), types.join(', '));

    // (c) A p95 latency breach: POST /metrics judges the sample at once and is the first to roll the release back,
    // naming the template's trigger, as in AWS: the alarm on the same datapoint is evaluated on its timer, up to a
    // period later. The rollback also takes the release out of monitoring, so its alarms are deleted.
    const latencyAlarm = `${PREFIX}-${id}-api-response-time-500ms-p95`;
    const breach = await push(id, [{ name: 'api.latency.p95', value: 612, unit: 'Milliseconds' }]);
    // 'already-requested' only when the alarm's tick fell in the few milliseconds between the monitor forwarding the
    // sample and this request's own rollback: then the alarm rolled back first, under the same trigger.
    assert.ok(['requested', 'already-requested'].includes(breach.body.rollback), JSON.stringify(breach.body));
    assert.deepEqual(
      breach.body.breaches.map((found: { trigger: string }) => found.trigger),
      ['api-response-time-500ms-p95'],
    );
    const rolling = await until(d, id, 'the rollback', (v) => v.status === 'ROLLING_BACK');
    assert.equal(rolling.rollback?.trigger, 'api-response-time-500ms-p95', JSON.stringify(rolling.rollback));
    await alarmsUntil(id, 'the alarms to be deleted', (found) => found.length === 0);

    // The deletion usually comes before the alarm's next tick, so it never sees the datapoint (as in AWS). When its
    // tick comes first, its ALARM finds the rollback under way: only an alarm.received on the record, never a
    // second rollback.
    const events = await eventsOf(id);
    const requested = events.filter((event) => event.type === 'rollback.requested');
    assert.deepEqual(
      requested.map((event) => event.data.trigger),
      ['api-response-time-500ms-p95'],
    );
    for (const event of events.filter((found) => found.type === 'alarm.received')) {
      assert.equal(event.data.alarm, latencyAlarm, JSON.stringify(event));
      assert.equal(event.data.during, 'rollback', JSON.stringify(event));
      assert.match(String(event.data.reason), /^Threshold Crossed: 1 out of the last 1 datapoints \[612\.0 /);
    }
  });

  it('with samples before production deployment: the memory alarm at 2x their average; a rollback deletes the alarms', async () => {
    // Sent in PRE_RELEASE, before production deployment: the baseline is their average, 500.
    const id = await monitoring([
      { name: 'memory.usage', value: 400 },
      { name: 'memory.usage', value: 600 },
    ]);

    // (a) The relative trigger gets an alarm too, at 2 x 500, compared with memory samples as sent (no unit).
    const alarms = await alarmsUntil(id, 'the alarms', (found) => found.length >= ABSOLUTE_TRIGGERS.length + 1);
    const memory = { name: `${PREFIX}-${id}-memory-usage-2x-normal`, triggerId: 'memory-usage-2x-normal' };
    const expected = [
      ...expectedAbsolute(id),
      { ...memory, metric: 'memory.usage', comparison: '>', threshold: 1000, unit: null },
    ].sort((a, b) => (a.name < b.name ? -1 : 1));
    assert.deepEqual(shape(alarms), expected);

    // (b) Memory at 900 is over the trigger's raw threshold (2) but under 2 x the baseline: OK with the others.
    const seen = await keepHealthy(id);
    for (const [name, states] of seen) assert.ok(!states.has('ALARM'), `${name} went into ALARM: ${[...states]}`);
    assert.ok(seen.get(memory.name)?.has('OK'), 'the memory alarm was evaluated, and OK');
    assert.equal((await read(d, id)).status, 'MONITORING');

    // (c) The release manager rolls back: once the release has left monitoring, its alarms are gone.
    const rollback = await api(d.local.url, 'POST', `/releases/${id}/rollback`, {
      token: await d.token(['release-manager']),
      body: { reason: 'customers report slowness' },
    });
    assert.equal(rollback.status, 200, JSON.stringify(rollback.body));
    await until(d, id, 'the rollback', (v) => v.status === 'ROLLING_BACK');
    await alarmsUntil(id, 'the alarms to be deleted', (found) => found.length === 0);
  });

  it('a breach only CloudWatch sees: the alarm goes into ALARM on its tick and the alarm handler rolls back, naming the trigger', async () => {
    const id = await monitoring();
    await alarmsUntil(id, 'the alarms', (found) => found.length >= ABSOLUTE_TRIGGERS.length);

    // A datapoint stamped 2 s ahead, as from an agent whose clock runs ahead: POST /metrics does not judge it yet
    // (samples after its `now` are left out), CloudWatch keeps it (it takes datapoints up to 2 h ahead), and the
    // alarm's first tick at or past its time counts it (that tick is less than a period after it). The 2 s give the
    // monitor time to forward it before then.
    const ahead = new Date(Date.now() + 2000).toISOString();
    const sent = await push(id, [{ name: 'api.latency.p95', value: 612, unit: 'Milliseconds', at: ahead }]);
    assert.equal(sent.body.evaluated, true, JSON.stringify(sent.body));
    assert.deepEqual(sent.body.breaches, [], 'the API has not judged the datapoint');
    assert.equal(sent.body.rollback, undefined);
    assert.equal((await read(d, id)).status, 'MONITORING');

    // The ALARM reaches the alarm handler, which rolls back: the alarm is Shipgate's own for the trigger, so the
    // rollback names the trigger, as the API's evaluation would.
    const rolling = await until(d, id, 'the rollback by the alarm', (v) => v.status === 'ROLLING_BACK');
    assert.equal(rolling.rollback?.trigger, 'api-response-time-500ms-p95', JSON.stringify(rolling.rollback));
    // In words: the trigger, what CloudWatch observed, the threshold and the window.
    assert.match(
      rolling.rollback?.reason ?? '',
      /^API response time >500ms p95: observed 612 \(threshold 500\) during .+, seen by CloudWatch$/,
    );
    await alarmsUntil(id, 'the alarms to be deleted', (found) => found.length === 0);
  });
});
