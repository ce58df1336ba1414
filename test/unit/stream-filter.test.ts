// Which stream records the stream consumers get: the local predicates against hand-made records, and against the
// filter patterns CDK deploys (matched here by exact values, all these patterns use), so both agree.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AUDIT_EVENT_INSERTS,
  isAuditEventInsert,
  isMonitorRecord,
  MONITOR_RECORDS,
} from '../../lambdas/adapters/dynamodb/stream-records.ts';
import { ALARM_EVENTS } from '../../lambdas/core/monitoring/alarm-use-cases.ts';

type Image = Record<string, { S?: string }>;
type StreamRecord = { eventName?: string; dynamodb?: { NewImage?: Image } };

const insert = (image: Image, eventName = 'INSERT'): StreamRecord => ({ eventName, dynamodb: { NewImage: image } });
const sample = insert({ kind: { S: 'sample' }, pk: { S: 'REL#r1' }, name: { S: 'api.error_rate' } });
const eventOf = (type: string, eventName = 'INSERT') =>
  insert({ kind: { S: 'event' }, type: { S: type }, releaseId: { S: 'r1' } }, eventName);

/** Exact-value matching of a Lambda filter pattern: every key of the pattern matches, a leaf array lists the values. */
function matches(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.includes(value);
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, inner]) => matches(inner, (value as Record<string, unknown>)[key]));
}

const passesMonitorPatterns = (record: StreamRecord) => MONITOR_RECORDS.some((pattern) => matches(pattern, record));

describe('isMonitorRecord', () => {
  it('passes new sample rows', () => {
    assert.equal(isMonitorRecord(sample), true);
  });

  for (const type of ALARM_EVENTS) {
    it(`passes a new ${type} audit event`, () => {
      assert.equal(isMonitorRecord(eventOf(type)), true);
    });
  }

  it('does not pass audit events that never change alarms', () => {
    for (const type of ['item.updated', 'signoff.recorded', 'release.created', 'notification.published']) {
      assert.equal(isMonitorRecord(eventOf(type)), false, type);
    }
  });

  it('does not pass updates or removals, even of samples or alarm events', () => {
    assert.equal(isMonitorRecord({ ...sample, eventName: 'MODIFY' }), false);
    assert.equal(isMonitorRecord({ ...sample, eventName: 'REMOVE' }), false);
    assert.equal(isMonitorRecord(eventOf('window.started', 'MODIFY')), false);
  });

  it('does not pass other rows, an event without a type, or a record without an image', () => {
    assert.equal(isMonitorRecord(insert({ kind: { S: 'release' }, status: { S: 'MONITORING' } })), false);
    assert.equal(isMonitorRecord(insert({ kind: { S: 'event' } })), false);
    assert.equal(isMonitorRecord(insert({})), false);
    assert.equal(isMonitorRecord({ eventName: 'INSERT' }), false);
    assert.equal(isMonitorRecord({}), false);
  });

  it('agrees with the filter patterns the event source mapping deploys', () => {
    const records = [
      sample,
      { ...sample, eventName: 'MODIFY' },
      ...ALARM_EVENTS.map((type) => eventOf(type)),
      eventOf('item.updated'),
      eventOf('window.started', 'REMOVE'),
      insert({ kind: { S: 'release' } }),
      insert({ kind: { S: 'event' } }),
      { eventName: 'INSERT' },
    ];
    for (const record of records) {
      assert.equal(passesMonitorPatterns(record), isMonitorRecord(record), JSON.stringify(record));
    }
    assert.ok(records.some(passesMonitorPatterns) && !records.every(passesMonitorPatterns));
  });
});

describe('isAuditEventInsert', () => {
  it('passes every new audit event and nothing else, as its pattern does', () => {
    const records = [eventOf('item.updated'), eventOf('window.started'), eventOf('item.updated', 'MODIFY'), sample];
    assert.deepEqual(records.map(isAuditEventInsert), [true, true, false, false]);
    for (const record of records) assert.equal(matches(AUDIT_EVENT_INSERTS, record), isAuditEventInsert(record));
  });
});
