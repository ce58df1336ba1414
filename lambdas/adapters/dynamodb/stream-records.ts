// The table's stream records, read: which records each stream consumer receives (the notifier new audit event
// rows, the monitor new metric samples and the audit events that may change a release's alarms), and the domain
// values those rows hold. CDK sets the patterns as the event source mappings' filter criteria; the local stream
// poller applies the same patterns. Consumers get audit events and samples, never rows.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ALARM_EVENTS } from '../../core/monitoring/alarm-use-cases.ts';
import type { MetricSample } from '../../core/monitoring/samples.ts';
import type { AuditEvent } from '../../core/release/release.ts';
import { MetricUnit } from '../../core/template/template.ts';

/** A Lambda event filter pattern (the syntax of EventBridge patterns, on the stream record). */
export const AUDIT_EVENT_INSERTS = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { kind: { S: ['event'] } } },
} as const;

/** Whether a stream record passes AUDIT_EVENT_INSERTS (exact-value matching is all the pattern uses). */
export function isAuditEventInsert(record: {
  readonly eventName?: string | undefined;
  readonly dynamodb?: { readonly NewImage?: Readonly<Record<string, { readonly S?: string | undefined }>> | undefined };
}): boolean {
  return (
    AUDIT_EVENT_INSERTS.eventName.includes(record.eventName as 'INSERT') &&
    AUDIT_EVENT_INSERTS.dynamodb.NewImage.kind.S.includes(record.dynamodb?.NewImage?.kind?.S as 'event')
  );
}

/** New metric sample rows (`kind: sample`, written once per distinct sample). */
export const SAMPLE_INSERTS = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { kind: { S: ['sample'] } } },
} as const;

/** New audit events after which the monitor reconciles a release's alarms (ALARM_EVENTS). */
export const ALARM_EVENT_INSERTS = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { kind: { S: ['event'] }, type: { S: [...ALARM_EVENTS] } } },
} as const;

/** The monitor's filter: either pattern (Lambda ORs the filters of a mapping). */
export const MONITOR_RECORDS = [SAMPLE_INSERTS, ALARM_EVENT_INSERTS] as const;

type StreamRecordLike = {
  readonly eventName?: string | undefined;
  readonly dynamodb?: { readonly NewImage?: Readonly<Record<string, { readonly S?: string | undefined }>> | undefined };
};

/** Whether a stream record passes MONITOR_RECORDS (exact-value matching is all the patterns use). */
export function isMonitorRecord(record: StreamRecordLike): boolean {
  if (record.eventName !== 'INSERT') return false;
  const image = record.dynamodb?.NewImage;
  const kind = image?.kind?.S;
  if (kind === 'sample') return true;
  return kind === 'event' && (ALARM_EVENTS as readonly (string | undefined)[]).includes(image?.type?.S);
}

type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

const RELEASE_KEY = 'REL#';

/** The release id of a row's partition key `REL#<id>`, if it is one. */
const releaseOfKey = (pk: string | undefined): string | undefined =>
  pk?.startsWith(RELEASE_KEY) && pk.length > RELEASE_KEY.length ? pk.slice(RELEASE_KEY.length) : undefined;

/** The audit event an audit event row holds (see the release store's event rows). */
export function auditEventOf(image: Record<string, AttributeValue>): AuditEvent {
  const row = unmarshall(image);
  return { id: row.id, releaseId: row.releaseId, type: row.type, at: row.at, actor: row.actor, data: row.data ?? {} };
}

/**
 * The sample a sample row holds (see the release store's saveSamples: `pk` REL#<id>, attributes name, value, unit?,
 * at), or why it holds none. The value is read from its number string rather than unmarshalled, so a large one stays
 * a number instead of becoming a BigInt or an error.
 */
export function sampleRow(image: Image): { releaseId: string; sample: MetricSample } | { reason: string } {
  const releaseId = releaseOfKey(image.pk?.S);
  if (!releaseId) return { reason: 'no release key' };
  const name = image.name?.S;
  const at = image.at?.S;
  const value = image.value?.N === undefined ? Number.NaN : Number(image.value.N);
  if (!name || !at || Number.isNaN(value)) return { reason: 'not a sample (name, value and at are required)' };
  const unit = image.unit?.S;
  if (unit === undefined) return { releaseId, sample: { name, value, at } };
  const parsed = MetricUnit.safeParse(unit);
  if (!parsed.success) return { reason: `unknown unit ${unit}` };
  return { releaseId, sample: { name, value, unit: parsed.data, at } };
}

/** What a stream record means to the monitor, with the record's sequence number. */
export type MonitorRecord = { readonly sequenceNumber?: string | undefined } & (
  | { readonly kind: 'sample'; readonly releaseId: string; readonly sample: MetricSample }
  | { readonly kind: 'event'; readonly releaseId: string }
  | { readonly kind: 'unreadable'; readonly reason: string }
);

/**
 * A stream record as the monitor reads it: a new sample, an audit event after which a release's alarms may change,
 * or a record that passed the filter but holds no row the monitor can read (it would not read better on a retry).
 * Undefined for a record the monitor's filter does not pass: not its business.
 */
export function monitorRecordOf(record: DynamoDBRecord): MonitorRecord | undefined {
  const image = record.dynamodb?.NewImage;
  if (!image || !isMonitorRecord(record as StreamRecordLike)) return undefined;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (image.kind?.S === 'sample') {
    const row = sampleRow(image);
    return 'reason' in row
      ? { kind: 'unreadable', sequenceNumber, reason: row.reason }
      : { kind: 'sample', sequenceNumber, ...row };
  }
  const releaseId = image.releaseId?.S || releaseOfKey(image.pk?.S);
  if (!releaseId) return { kind: 'unreadable', sequenceNumber, reason: 'audit event without a release id' };
  return { kind: 'event', sequenceNumber, releaseId };
}
