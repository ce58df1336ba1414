// Which table stream records the stream consumers receive: the notifier new audit event rows, the monitor new
// metric samples and the audit events that may change a release's alarms. CDK sets these as the event source
// mappings' filter criteria; the local stream poller applies the same patterns.
import { ALARM_EVENTS } from '../core/monitoring/alarm-use-cases.ts';

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
