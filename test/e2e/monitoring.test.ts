// Post-release monitoring through the local runtime: metric samples are evaluated against the template's rollback
// triggers during a window; a breach in the immediate window rolls the release back within one evaluation, a
// sample under the threshold does not, metric-backed items are ticked with the figures, and the report shows it,
// also in the notification sent when the window passes; a window that received no sample never passes silently.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, type Driver, drive, driver, eventTypes, localRuntimeForSuite, until } from '../support/drive.ts';
import { api, removeDataDir, startLocalProcess, tempDataDir } from '../support/local-process.ts';

describe('monitoring through the local runtime', () => {
  // 2 h last 20 s: room to send samples inside the immediate window.
  const runtime = localRuntimeForSuite({ SHIPGATE_TIME_SCALE: '360' });
  let d: Driver;
  let agent: string;
  before(() => {
    ({ d, agent } = runtime);
  });

  const push = (id: string, samples: unknown[]) =>
    api(d.local.url, 'POST', `/releases/${id}/metrics`, { token: agent, body: { samples } });

  async function monitoring(): Promise<string> {
    const release = await create(d, 'toolboxai-v1');
    await drive(d, release.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
    await until(d, release.id, 'the immediate window', (view) => view.waitingFor?.window === 'immediate');
    return release.id;
  }

  type Sent = { severity: string; subject: string; roles: string[]; text: { email: string; sms: string } };

  /** The `window.passed` notification of the release's first window, once it passes (2 h = 20 s here). */
  async function windowPassed(id: string): Promise<Sent> {
    const rm = await d.token(['release-manager']);
    const deadline = Date.now() + 40_000;
    for (;;) {
      const listed = await api(d.local.url, 'GET', `/releases/${id}/notifications?limit=100`, { token: rm });
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const passed = listed.body.items.find((item: { type: string }) => item.type === 'window.passed');
      if (passed) return passed;
      if (Date.now() > deadline) throw new Error('no window.passed notification');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('keeps monitoring on samples under the thresholds, ticks the metric items, and notifies the report', async () => {
    const id = await monitoring();
    const ok = await push(id, [
      { name: 'api.latency.p95', value: 142, unit: 'Milliseconds' },
      { name: 'api.error_rate', value: 0.01, unit: 'Percent' },
    ]);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.evaluated, true);
    assert.deepEqual(ok.body.breaches, []);
    const view = await until(d, id, 'the items ticked', (v) =>
      v.phases.some((phase) =>
        phase.sections.some((section) =>
          section.items.some((item) =>
            item.children?.some((child) => child.id === 'api-response-times' && child.status === 'done'),
          ),
        ),
      ),
    );
    assert.equal(view.status, 'MONITORING');

    // When the window passes, its notification carries the figures of the samples sent. Only latency and errors
    // were sent: the 4 other metrics the triggers watch had no data, which is a warning, not a clean pass.
    const passed = await windowPassed(id);
    assert.equal(passed.severity, 'warning');
    assert.match(passed.subject, /: window immediate passed with no data for 4 metrics$/);
    const email = passed.text.email;
    assert.ok(email.includes('  - api.latency.p95: 1 sample, min 142 ms, avg 142 ms, max 142 ms, p95 142 ms'), email);
    assert.ok(email.includes('  - api.error_rate: 1 sample, min 0.01 %, avg 0.01 %, max 0.01 %, p95 0.01 %'), email);
    assert.ok(email.includes('trigger API response time >500ms p95 (> 500 ms): not breached'), email);
    assert.match(email, new RegExp(`Full report: GET \\S*/releases/${id}/report`));
    assert.ok(email.includes('  - NO DATA for system.availability: trigger System availability <99%'), email);
    assert.match(passed.text.sms, /2h window passed: 2 metrics, 0 breaches, targets 4\/4 met, 4 without data\./);
    assert.ok(passed.text.sms.length <= 160, passed.text.sms);
  });

  it('does not let an automatic window pass silently when it received no sample at all', async () => {
    const id = await monitoring();
    const passed = await windowPassed(id);
    assert.equal(passed.severity, 'critical');
    assert.match(passed.subject, /^\[Shipgate\] CRITICAL .*: window immediate passed with NO DATA for any trigger$/);
    assert.ok(passed.roles.includes('release-manager'), passed.roles.join(', '));
    assert.ok(passed.text.email.includes('its automatic rollback could not have fired'), passed.text.email);
    assert.ok(passed.text.email.includes('do not take this window as a pass'), passed.text.email);
    assert.match(
      passed.text.sms,
      /^CRITICAL Shipgate: .*2h window passed: 0 metrics, 0 breaches, NO DATA for any trigger\./,
    );
    assert.ok(passed.text.sms.length <= 160, passed.text.sms);

    const report = await api(d.local.url, 'GET', `/releases/${id}/report`, { token: await d.token(['qa-lead']) });
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const immediate = report.body.windows.find((window: { windowId: string }) => window.windowId === 'immediate');
    assert.ok(immediate, JSON.stringify(report.body));
    assert.deepEqual(
      [immediate.passed, immediate.rollbackPolicy, immediate.unmonitored, immediate.attention],
      [true, 'automatic', true, 'critical'],
    );
    const watched = immediate.missingData
      .filter((gap: { triggers: unknown[] }) => gap.triggers.length > 0)
      .map((gap: { metric: string; effect: string }) => `${gap.metric}:${gap.effect}`);
    assert.deepEqual(watched, [
      'api.error_rate:warning',
      'api.latency.p95:warning',
      'cpu.utilization:warning',
      'db.query_time.avg:warning',
      'memory.usage:warning',
      'system.availability:warning',
    ]);
    assert.deepEqual(immediate.breachedTriggers, []);
  });

  it('rolls back an automatic window on no data when the template treats missing data as breaching', async () => {
    // ToolBoxAI, its availability trigger saying `treatMissingData: breaching`, imported as a template document.
    const rm = await d.token(['release-manager']);
    const toolbox = await api(d.local.url, 'GET', '/templates/toolboxai-v1', { token: rm });
    const { version: _v, builtIn: _b, ...document } = toolbox.body;
    document.rollback.triggers = document.rollback.triggers.map(
      (trigger: { id: string; condition?: Record<string, unknown> }) =>
        trigger.id === 'system-availability-99'
          ? { ...trigger, condition: { ...trigger.condition, treatMissingData: 'breaching' } }
          : trigger,
    );
    const imported = await api(d.local.url, 'POST', '/templates?id=toolbox-strict', { token: rm, body: document });
    assert.equal(imported.status, 201, JSON.stringify(imported.body).slice(0, 500));
    const release = await create(d, 'toolbox-strict');
    await drive(d, release.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
    // No sample is sent: the trigger's CloudWatch alarm counts the silence as breaching and rolls back.
    const rolling = await until(d, release.id, 'ROLLING_BACK', (view) => view.status === 'ROLLING_BACK');
    assert.equal(rolling.rollback?.trigger, 'system-availability-99');
    assert.match(rolling.rollback?.reason ?? '', /System availability <99%/);
    const types = await eventTypes(d, release.id);
    assert.ok(types.includes('rollback.requested') && !types.includes('window.passed'), types.join(', '));
  });

  it('rolls back within one evaluation when p95 latency breaches in the immediate window, and reports the breach', async () => {
    const id = await monitoring();
    const breach = await push(id, [{ name: 'api.latency.p95', value: 612, unit: 'Milliseconds' }]);
    assert.equal(breach.status, 200, JSON.stringify(breach.body));
    assert.equal(breach.body.rollbackPolicy, 'automatic');
    // The API evaluates before the (local) CloudWatch does, save when an alarm tick falls within this request.
    assert.ok(['requested', 'already-requested'].includes(breach.body.rollback), JSON.stringify(breach.body));
    assert.equal(breach.body.breaches[0].trigger, 'api-response-time-500ms-p95');
    assert.equal(breach.body.breaches[0].observed, 612);
    const rolling = await until(d, id, 'ROLLING_BACK', (view) => view.status === 'ROLLING_BACK');
    assert.equal(rolling.rollback?.trigger, 'api-response-time-500ms-p95');
    assert.match(rolling.rollback?.reason ?? '', /observed 612|\[612\.0 /);
    const types = await eventTypes(d, id);
    assert.ok(types.includes('rollback.requested') && types.includes('escalation.started'), types.join(', '));
    const report = await api(d.local.url, 'GET', `/releases/${id}/report`, { token: await d.token(['qa-lead']) });
    assert.equal(report.status, 200);
    const immediate = report.body.windows.find((window: { windowId: string }) => window.windowId === 'immediate');
    assert.ok(immediate, JSON.stringify(report.body));
    assert.ok(immediate.breachedTriggers.includes('api-response-time-500ms-p95'), JSON.stringify(immediate));
    const latency = immediate.metrics.find((metric: { metric: string }) => metric.metric === 'api.latency.p95');
    assert.equal(latency.max, 612);
  });

  it('refuses malformed samples with a problem naming the field', async () => {
    const id = await monitoring();
    const bad = await push(id, [{ name: 'API Latency', value: 'fast' }]);
    assert.equal(bad.status, 400);
    const fields = bad.body.errors.map((error: { field: string }) => error.field).sort();
    assert.deepEqual(fields, ['samples.0.name', 'samples.0.value']);
  });
});

describe('CloudWatch alarms through the local runtime', () => {
  let dataDir: string;
  let d: Driver;

  before(async () => {
    dataDir = tempDataDir();
    d = driver(await startLocalProcess(dataDir, { SHIPGATE_TIME_SCALE: '302400' }));
  });

  after(async () => {
    await d?.local.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  it('rolls back a release in production when an alarm it named goes into ALARM', async () => {
    const rm = await d.token(['release-manager']);
    const created = await api(d.local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'mantisdb-v1', name: 'MantisDB 1.0.1', version: '1.0.1', alarmNames: ['mantis-5xx'] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    const before = await api(d.local.url, 'POST', '/local/alarms', { token: rm, body: { alarmName: 'mantis-5xx' } });
    assert.equal(before.status, 200, JSON.stringify(before.body));
    assert.equal((await api(d.local.url, 'GET', `/releases/${id}`, { token: rm })).body.status, 'PRE_RELEASE');
    await drive(d, id, ['PRE_RELEASE']);
    await until(d, id, 'DEPLOYING', (view) => view.status === 'DEPLOYING');
    await api(d.local.url, 'POST', '/local/alarms', {
      token: rm,
      body: { alarmName: 'mantis-5xx', reason: 'Threshold Crossed: 5xx > 2%' },
    });
    const rolling = await until(d, id, 'ROLLING_BACK', (view) => view.status === 'ROLLING_BACK');
    assert.equal(rolling.rollback?.trigger, 'alarm:mantis-5xx');
    assert.match(rolling.rollback?.reason ?? '', /5xx > 2%/);
    const types = await eventTypes(d, id);
    assert.ok(types.includes('alarm.received'), 'the alarm before deployment is recorded');
    const missing = await api(d.local.url, 'POST', '/local/alarms', { token: rm, body: {} });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errors[0].field, 'alarmName');
  });
});
