// The monitoring use cases over an in-memory store and a MetricAlarms fake that keeps alarms as CloudWatch would:
// alarms exist exactly while a release is MONITORING, baselines come from pre-production samples, samples are put in
// the units of the template's conditions.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { MonitoringContext } from '../../lambdas/core/monitoring/alarm-use-cases.ts';
import { forwardSamples, reconcileAlarms } from '../../lambdas/core/monitoring/alarm-use-cases.ts';
import type { AlarmSpec } from '../../lambdas/core/monitoring/alarms.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import type { MetricAlarms } from '../../lambdas/core/ports.ts';
import type { Release } from '../../lambdas/core/release/release.ts';
import type { ReleaseStatus } from '../../lambdas/core/release/status.ts';
import type { Template } from '../../lambdas/core/template/template.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';
import { testTemplate } from '../support/fixtures.ts';
import { MemoryReleaseStore } from '../support/memory-store.ts';

const found = findBuiltInTemplate('toolboxai-v1');
assert.ok(found);
const toolbox: Template = found;
const PRODUCTION = '2026-11-21T10:00:00.000Z';
const ALL_NAMES = [
  'sg-rel1-api-error-rate-1',
  'sg-rel1-system-availability-99',
  'sg-rel1-api-response-time-500ms-p95',
  'sg-rel1-database-query-time-200ms',
  'sg-rel1-memory-usage-2x-normal',
  'sg-rel1-cpu-utilization-80-sustained',
];

/** Keeps alarms by name (a put replaces, a delete of a missing name is no error) and records every call. */
class RecordingAlarms implements MetricAlarms {
  readonly alarms = new Map<string, AlarmSpec>();
  readonly calls: string[] = [];
  readonly samples: { releaseId: string; samples: MetricSample[] }[] = [];

  async putSamples(releaseId: string, samples: readonly MetricSample[]) {
    this.calls.push(`putSamples ${releaseId} ${samples.length}`);
    this.samples.push({ releaseId, samples: [...samples] });
  }
  async putAlarms(alarms: readonly AlarmSpec[]) {
    this.calls.push(`putAlarms ${alarms.length}`);
    for (const alarm of alarms) this.alarms.set(alarm.name, alarm);
  }
  async deleteAlarms(names: readonly string[]) {
    this.calls.push(`deleteAlarms ${names.length}`);
    for (const name of names) this.alarms.delete(name);
  }
}

function releaseOf(status: ReleaseStatus, overrides: Partial<Release> = {}): Release {
  return {
    id: 'rel1',
    templateId: toolbox.id,
    templateName: toolbox.name,
    name: 'ToolBoxAI',
    version: '1.1.0',
    status,
    currentPhase: 'post-release-monitoring',
    stepIndex: 0,
    windowIndex: 0,
    productionStartedAt: PRODUCTION,
    revision: 1,
    createdAt: '2026-11-21T08:00:00.000Z',
    createdBy: { id: 'rita', name: 'rita', kind: 'user' },
    updatedAt: '2026-11-21T10:30:00.000Z',
    ...overrides,
  };
}

const memory = (value: number, at: string): MetricSample => ({ name: 'memory.usage', value, at });

describe('monitoring service', () => {
  let store: MemoryReleaseStore;
  let alarms: RecordingAlarms;
  let monitoring: MonitoringContext;

  beforeEach(() => {
    store = new MemoryReleaseStore();
    alarms = new RecordingAlarms();
    monitoring = { store, alarms, alarmPrefix: 'sg' };
  });

  /** Puts the release in the store, with samples saved before and after production deployment started. */
  async function given(release: Release, template: Template = toolbox, samples: MetricSample[] = []) {
    await store.create(release, template, []);
    if (samples.length > 0) await store.saveSamples(release.id, samples);
  }

  describe('reconcileAlarms', () => {
    it('puts one alarm per metric trigger while the release is MONITORING', async () => {
      await given(releaseOf('MONITORING'), toolbox, [
        memory(400, '2026-11-21T09:50:00.000Z'),
        memory(600, '2026-11-21T09:55:00.000Z'),
      ]);
      const done = await reconcileAlarms(monitoring, 'rel1');
      assert.equal(done.monitoring, true);
      assert.deepEqual([...alarms.alarms.keys()], ALL_NAMES);
      assert.deepEqual(done.deleted, []);
      assert.deepEqual(done.skipped, []);
      assert.deepEqual(alarms.calls, ['putAlarms 6']);
    });

    it('fixes a baseline-relative threshold from the samples received before production deployment only', async () => {
      await given(releaseOf('MONITORING'), toolbox, [
        memory(400, '2026-11-21T09:50:00.000Z'),
        memory(600, '2026-11-21T09:55:00.000Z'),
        // During monitoring: the very memory the trigger watches, not part of "normal".
        memory(5000, '2026-11-21T10:05:00.000Z'),
      ]);
      await reconcileAlarms(monitoring, 'rel1');
      const alarm = alarms.alarms.get('sg-rel1-memory-usage-2x-normal');
      assert.equal(alarm?.threshold, 1000, '2 x the average 500 of the two pre-production samples');
      assert.equal(alarm?.unit, undefined);
    });

    it('skips a baseline-relative trigger without pre-production samples and deletes its alarm from before', async () => {
      await given(releaseOf('MONITORING'), toolbox, [memory(500, '2026-11-21T09:55:00.000Z')]);
      await reconcileAlarms(monitoring, 'rel1');
      assert.ok(alarms.alarms.has('sg-rel1-memory-usage-2x-normal'));

      // Same release, now without a baseline (the samples are gone): the alarm must not outlive its reason.
      const stored = store.releases.get('rel1');
      assert.ok(stored);
      stored.samples = [memory(500, '2026-11-21T10:05:00.000Z')];
      const done = await reconcileAlarms(monitoring, 'rel1');
      assert.deepEqual(
        done.skipped.map((skip) => skip.triggerId),
        ['memory-usage-2x-normal'],
      );
      assert.deepEqual(done.deleted, ['sg-rel1-memory-usage-2x-normal']);
      assert.equal(alarms.alarms.has('sg-rel1-memory-usage-2x-normal'), false);
      assert.equal(alarms.alarms.size, 5);
    });

    it('gets no baseline before production deployment started', async () => {
      await given(releaseOf('MONITORING', { productionStartedAt: undefined }), toolbox, [
        memory(500, '2026-11-21T09:55:00.000Z'),
      ]);
      const done = await reconcileAlarms(monitoring, 'rel1');
      assert.deepEqual(
        done.skipped.map((skip) => skip.triggerId),
        ['memory-usage-2x-normal'],
      );
      assert.equal(done.put.length, 5);
    });

    for (const status of [
      'CONFIRMING',
      'COMPLETED',
      'ROLLING_BACK',
      'ROLLED_BACK',
      'CANCELLED',
      'DEPLOYING',
    ] as const) {
      it(`deletes every alarm of the release once it is ${status}`, async () => {
        await given(releaseOf('MONITORING'), toolbox, [memory(500, '2026-11-21T09:55:00.000Z')]);
        await reconcileAlarms(monitoring, 'rel1');
        assert.equal(alarms.alarms.size, 6);
        const stored = store.releases.get('rel1');
        assert.ok(stored);
        stored.release = releaseOf(status);
        const done = await reconcileAlarms(monitoring, 'rel1');
        assert.equal(done.monitoring, false);
        assert.deepEqual(done.deleted, ALL_NAMES);
        assert.deepEqual(done.put, []);
        assert.equal(alarms.alarms.size, 0);
        assert.deepEqual(alarms.calls, ['putAlarms 6', 'deleteAlarms 6']);
      });
    }

    it('deletes the names again when asked again (a missing alarm is no error), and puts nothing', async () => {
      await given(releaseOf('COMPLETED'));
      await reconcileAlarms(monitoring, 'rel1');
      await reconcileAlarms(monitoring, 'rel1');
      assert.deepEqual(alarms.calls, ['deleteAlarms 6', 'deleteAlarms 6']);
    });

    it('calls nothing for a template without metric triggers', async () => {
      await given(releaseOf('MONITORING', { templateId: 'test-template' }), testTemplate());
      const done = await reconcileAlarms(monitoring, 'rel1');
      assert.equal(done.monitoring, true);
      assert.deepEqual(alarms.calls, []);
    });

    it('does nothing for a release that does not exist', async () => {
      const done = await reconcileAlarms(monitoring, 'nope');
      assert.deepEqual(done, { releaseId: 'nope', monitoring: false, put: [], deleted: [], skipped: [] });
      assert.deepEqual(alarms.calls, []);
    });
  });

  describe('forwardSamples', () => {
    it("puts the samples in the units of the template's conditions, in order", async () => {
      await given(releaseOf('MONITORING'));
      const sent: MetricSample[] = [
        { name: 'api.latency.p95', value: 0.6, unit: 'Seconds', at: '2026-11-21T10:01:00.000Z' },
        { name: 'api.error_rate', value: 0.4, at: '2026-11-21T10:01:01.000Z' },
        { name: 'custom.thing', value: 7, unit: 'Seconds', at: '2026-11-21T10:01:02.000Z' },
      ];
      assert.equal(await forwardSamples(monitoring, 'rel1', sent), 3);
      assert.deepEqual(alarms.samples, [
        {
          releaseId: 'rel1',
          samples: [
            { name: 'api.latency.p95', value: 600, unit: 'Milliseconds', at: '2026-11-21T10:01:00.000Z' },
            { name: 'api.error_rate', value: 0.4, unit: 'Percent', at: '2026-11-21T10:01:01.000Z' },
            { name: 'custom.thing', value: 7, unit: 'Seconds', at: '2026-11-21T10:01:02.000Z' },
          ],
        },
      ]);
    });

    it('drops the samples of a release that does not exist, and calls nothing for none', async () => {
      assert.equal(await forwardSamples(monitoring, 'nope', [memory(1, PRODUCTION)]), 0);
      await given(releaseOf('MONITORING'));
      assert.equal(await forwardSamples(monitoring, 'rel1', []), 0);
      assert.deepEqual(alarms.calls, []);
    });
  });
});
