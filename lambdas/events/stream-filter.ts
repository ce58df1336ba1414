// Which table stream records the notifier receives: new audit event rows. CDK sets this as the event source
// mapping's filter criteria; the local stream poller applies the same pattern.

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
