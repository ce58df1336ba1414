// The monitor function without AWS: stream records shaped as the table writes its rows, read into steps (samples
// grouped per release in stream order, one alarm reconciliation per release), run over the monitoring service with an
// in-memory store and a recording MetricAlarms; a failing step is reported by its first record and ends the batch.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { AlarmSpec } from '../../lambdas/core/monitoring/alarms.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import type { MetricAlarms } from '../../lambdas/core/ports.ts';
import type { Release } from '../../lambdas/core/release/release.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';
import { MemoryReleaseStore } from '../support/memory-store.ts';

// Loading the module reads the monitor's configuration, as at a cold start: configure it as the stack would, and
// keep the logger quiet.
Object.assign(process.env, {
  RELEASES_TABLE: 'shipgate-test',
  SHIPGATE_ALARM_PREFIX: 'sg',
  ALARMS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:alarms',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});
const { monitorHandler, monitorSteps, monitorUseCases } = await import('../../lambdas/events/monitor.ts');
const { sampleRow } = await import('../../lambdas/adapters/dynamodb/stream-records.ts');

const toolbox = findBuiltInTemplate('toolboxai-v1');
assert.ok(toolbox);
const AT = '2026-11-21T10:01:00.000Z';

let sequence = 100;
function record(row: Record<string, unknown>, eventName: 'INSERT' | 'MODIFY' | 'REMOVE' = 'INSERT'): DynamoDBRecord {
  sequence += 1;
  return {
    eventID: `e${sequence}`,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      SequenceNumber: String(sequence),
      NewImage: marshall(row, { removeUndefinedValues: true }) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
    },
  };
}

/** A sample row as the release store writes it. */
const sampleRecord = (releaseId: string, sample: MetricSample) =>
  record({
    pk: `REL#${releaseId}`,
    sk: `M#${sample.at}#${sample.name}#${sample.value}`,
    kind: 'sample',
    ...sample,
  });

/** An audit event row as the release store writes it. */
const eventRecord = (releaseId: string, type: string) =>
  record({
    pk: `REL#${releaseId}`,
    sk: `E#${sequence}`,
    kind: 'event',
    id: `evt${sequence}`,
    releaseId,
    type,
    at: AT,
    actor: { id: 'rita', name: 'rita', kind: 'user' },
    data: {},
  });

const seq = (r: DynamoDBRecord) => r.dynamodb?.SequenceNumber;

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'shipgate-monitor',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:shipgate-monitor',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/shipgate-monitor',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

const event = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

describe('sampleRow', () => {
  it('reads the release from pk and the sample from the attributes, unit or not', () => {
    const withUnit = sampleRecord('rel1', { name: 'api.latency.p95', value: 0.6, unit: 'Seconds', at: AT });
    const image = withUnit.dynamodb?.NewImage;
    assert.ok(image);
    assert.deepEqual(sampleRow(image), {
      releaseId: 'rel1',
      sample: { name: 'api.latency.p95', value: 0.6, unit: 'Seconds', at: AT },
    });
    const bare = sampleRecord('rel1', { name: 'api.error_rate', value: 3, at: AT }).dynamodb?.NewImage;
    assert.ok(bare);
    assert.deepEqual(sampleRow(bare), { releaseId: 'rel1', sample: { name: 'api.error_rate', value: 3, at: AT } });
  });

  it('keeps a number too large for a safe integer a number (unmarshalling would throw or make a BigInt)', () => {
    const row = sampleRow({
      pk: { S: 'REL#rel1' },
      kind: { S: 'sample' },
      name: { S: 'bytes.sum' },
      value: { N: '1.5e20' },
      at: { S: AT },
    });
    assert.ok('sample' in row);
    assert.equal(row.sample.value, 1.5e20);
  });

  it('says why a row is no sample: no release key, a missing field, an unknown unit', () => {
    const reasonOf = (row: Record<string, unknown>) => {
      const result = sampleRow(record(row).dynamodb?.NewImage ?? {});
      return 'reason' in result ? result.reason : undefined;
    };
    assert.match(reasonOf({ pk: 'CONTACT#1', kind: 'sample', name: 'a', value: 1, at: AT }) ?? '', /release key/);
    assert.match(reasonOf({ pk: 'REL#', kind: 'sample', name: 'a', value: 1, at: AT }) ?? '', /release key/);
    assert.match(reasonOf({ pk: 'REL#r', kind: 'sample', name: 'a', at: AT }) ?? '', /value/);
    assert.match(
      reasonOf({ pk: 'REL#r', kind: 'sample', name: 'a', value: 1, unit: 'Furlongs', at: AT }) ?? '',
      /Furlongs/,
    );
  });
});

describe('monitorSteps', () => {
  it('groups samples per release in stream order, each group where its first sample is', () => {
    const a1 = sampleRecord('relA', { name: 'x.avg', value: 1, at: AT });
    const b1 = sampleRecord('relB', { name: 'x.avg', value: 10, at: AT });
    const a2 = sampleRecord('relA', { name: 'y.avg', value: 2, at: AT });
    const a3 = sampleRecord('relA', { name: 'x.avg', value: 3, at: AT });
    const { steps, ignored } = monitorSteps([a1, b1, a2, a3]);
    assert.deepEqual(ignored, []);
    assert.deepEqual(
      steps.map((step) => [step.kind, step.releaseId, step.first]),
      [
        ['samples', 'relA', seq(a1)],
        ['samples', 'relB', seq(b1)],
      ],
    );
    const first = steps[0];
    assert.ok(first?.kind === 'samples');
    assert.deepEqual(
      first.samples.map((sample) => sample.value),
      [1, 2, 3],
    );
  });

  it('reconciles a release once per batch however many of its alarm events the batch holds', () => {
    const entered = eventRecord('relA', 'window.started');
    const sample = sampleRecord('relA', { name: 'x.avg', value: 1, at: AT });
    const left = eventRecord('relA', 'phase.entered');
    const other = eventRecord('relB', 'release.completed');
    const { steps } = monitorSteps([entered, sample, left, other]);
    assert.deepEqual(
      steps.map((step) => [step.kind, step.releaseId, step.first]),
      [
        ['alarms', 'relA', seq(entered)],
        ['samples', 'relA', seq(sample)],
        ['alarms', 'relB', seq(other)],
      ],
    );
  });

  it("skips what the monitor's filter does not pass: other events, updates, other rows", () => {
    const { steps, ignored } = monitorSteps([
      eventRecord('relA', 'item.updated'),
      record({ pk: 'REL#relA', sk: 'M#x', kind: 'sample', name: 'x.avg', value: 1, at: AT }, 'MODIFY'),
      record({ pk: 'REL#relA', sk: 'H', kind: 'release', status: 'MONITORING' }),
      { eventName: 'INSERT', dynamodb: { SequenceNumber: '1' } },
    ]);
    assert.deepEqual(steps, []);
    assert.deepEqual(ignored, []);
  });

  it('lists a sample row it cannot read as ignored, with its sequence number, and goes on', () => {
    const bad = record({ pk: 'REL#relA', sk: 'M#x', kind: 'sample', name: 'x.avg', at: AT });
    const good = sampleRecord('relA', { name: 'x.avg', value: 1, at: AT });
    const { steps, ignored } = monitorSteps([bad, good]);
    assert.deepEqual(
      ignored.map((entry) => entry.sequenceNumber),
      [seq(bad)],
    );
    assert.deepEqual(
      steps.map((step) => step.first),
      [seq(good)],
    );
  });
});

/** Keeps alarms by name and every datum put, like CloudWatch would. */
class RecordingAlarms implements MetricAlarms {
  readonly alarms = new Map<string, AlarmSpec>();
  readonly data: { releaseId: string; sample: MetricSample }[] = [];
  async putSamples(releaseId: string, samples: readonly MetricSample[]) {
    for (const sample of samples) this.data.push({ releaseId, sample });
  }
  async putAlarms(alarms: readonly AlarmSpec[]) {
    for (const alarm of alarms) this.alarms.set(alarm.name, alarm);
  }
  async deleteAlarms(names: readonly string[]) {
    for (const name of names) this.alarms.delete(name);
  }
}

function monitoringRelease(id: string): Release {
  assert.ok(toolbox);
  return {
    id,
    templateId: toolbox.id,
    templateName: toolbox.name,
    name: 'ToolBoxAI',
    version: '1.1.0',
    status: 'MONITORING',
    currentPhase: 'post-release-monitoring',
    stepIndex: 0,
    windowIndex: 0,
    productionStartedAt: '2026-11-21T10:00:00.000Z',
    revision: 1,
    createdAt: '2026-11-21T08:00:00.000Z',
    createdBy: { id: 'rita', name: 'rita', kind: 'user' },
    updatedAt: '2026-11-21T10:00:00.000Z',
  };
}

describe('monitor handler', () => {
  let store: MemoryReleaseStore;
  let alarms: RecordingAlarms;

  before(async () => {
    assert.ok(toolbox);
    store = new MemoryReleaseStore();
    alarms = new RecordingAlarms();
    await store.create(monitoringRelease('rel1'), toolbox, []);
    await store.saveSamples('rel1', [{ name: 'memory.usage', value: 300, at: '2026-11-21T09:59:00.000Z' }]);
  });

  it('puts the batch samples in their conditions units and the alarms of a release entering monitoring', async () => {
    const handler = monitorHandler(monitorUseCases({ store, alarms, alarmPrefix: 'sg' }));
    const result = await handler(
      event(
        sampleRecord('rel1', { name: 'api.latency.p95', value: 0.7, unit: 'Seconds', at: AT }),
        eventRecord('rel1', 'window.started'),
        sampleRecord('rel1', { name: 'api.error_rate', value: 0.2, at: AT }),
      ),
      context,
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.deepEqual(alarms.data, [
      { releaseId: 'rel1', sample: { name: 'api.latency.p95', value: 700, unit: 'Milliseconds', at: AT } },
      { releaseId: 'rel1', sample: { name: 'api.error_rate', value: 0.2, unit: 'Percent', at: AT } },
    ]);
    assert.equal(alarms.alarms.size, 6);
    assert.equal(alarms.alarms.get('sg-rel1-memory-usage-2x-normal')?.threshold, 600);
  });

  it('deletes them when an event of the batch finds the release out of monitoring', async () => {
    const stored = store.releases.get('rel1');
    assert.ok(stored);
    stored.release = { ...stored.release, status: 'CONFIRMING' };
    const handler = monitorHandler(monitorUseCases({ store, alarms, alarmPrefix: 'sg' }));
    const result = await handler(event(eventRecord('rel1', 'phase.entered')), context);
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.equal(alarms.alarms.size, 0);
  });

  it('reports the first record of the failing step and stops there', async () => {
    const calls: string[] = [];
    const handler = monitorHandler({
      async forwardSamples(releaseId, samples) {
        calls.push(`samples ${releaseId} ${samples.length}`);
        if (releaseId === 'relB') throw new Error('throttled');
        return samples.length;
      },
      async reconcileAlarms(releaseId) {
        calls.push(`alarms ${releaseId}`);
        return { releaseId, monitoring: false, put: [], deleted: [], skipped: [] };
      },
    });
    const a = sampleRecord('relA', { name: 'x.avg', value: 1, at: AT });
    const b1 = sampleRecord('relB', { name: 'x.avg', value: 1, at: AT });
    const alarmA = eventRecord('relA', 'rollback.started');
    const b2 = sampleRecord('relB', { name: 'x.avg', value: 2, at: AT });
    const alarmC = eventRecord('relC', 'release.completed');
    const result = await handler(event(a, b1, alarmA, b2, alarmC), context);
    assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: seq(b1) }] });
    assert.deepEqual(calls, ['samples relA 1', 'samples relB 2']);
  });

  it('fails the invocation when the failing record has no sequence number to report', async () => {
    const handler = monitorHandler({
      forwardSamples: () => Promise.reject(new Error('unavailable')),
      reconcileAlarms: () => Promise.reject(new Error('unavailable')),
    });
    const nameless = sampleRecord('relA', { name: 'x.avg', value: 1, at: AT });
    delete nameless.dynamodb?.SequenceNumber;
    await assert.rejects(handler(event(nameless), context), /unavailable/);
  });
});
