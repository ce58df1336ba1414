// Failure paths shared by Shipgate's event-driven functions: encrypted dead-letter queues, the narrow grants with
// which Lambda (using a function's role) sends to one, and the table stream sources whose failed batches go there.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  EventSourceMapping,
  FilterCriteria,
  type IDestination,
  type IEventSourceDlq,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import type { ShipgateFunction } from './function.ts';
import { pinLogicalId } from './storage.ts';

/** What Lambda needs to poll a DynamoDB stream; all four act on the stream's ARN. */
export const streamReadActions = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
] as const;

/** Sending to a KMS-encrypted queue: SQS asks KMS for a data key with the sender's credentials. */
export const queueKeyActions = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/** Properties of {@link deadLetterQueue}. */
export interface DeadLetterQueueProps {
  /** Encrypts the queue (a customer-managed key, so that SNS and Lambda can be let to use it). */
  readonly key: IKey;
  /** The queue's logical id, pinned so that refactoring never replaces a queue holding failures. */
  readonly logicalId: string;
  /** What the queue holds, for the acknowledgement that it needs no dead-letter queue itself. */
  readonly purpose: string;
}

/** A dead-letter queue: encrypted with `key`, TLS-only, retained, keeping messages 14 days (the SQS maximum). */
export function deadLetterQueue(scope: Construct, id: string, props: DeadLetterQueueProps): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  pinLogicalId(queue, props.logicalId);
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      `This queue is itself a dead-letter destination: ${props.purpose}. A dead-letter queue of its own would only ` +
      'move the same messages one queue further.',
  });
  return queue;
}

/**
 * Lets Lambda, with the function's role, send failure records to the queue: sqs:SendMessage on it, and (for an
 * encrypted queue) GenerateDataKey and Decrypt on its key usable only through SQS. Neither `SqsDlq` nor
 * `SqsDestination` is used for this: their `grantSendMessages` adds GetQueueAttributes, GetQueueUrl and the wildcard
 * key actions `kms:GenerateDataKey*` and `kms:ReEncrypt*`, none of which sending a record uses.
 */
export function grantSendTo(fn: ShipgateFunction, queue: IQueue): void {
  Grant.addToPrincipal({ grantee: fn, actions: ['sqs:SendMessage'], resourceArns: [queue.queueArn] });
  const key = queue.encryptionMasterKey;
  if (key === undefined) return;
  const stack = Stack.of(fn);
  Grant.addToPrincipal({
    grantee: fn,
    actions: [...queueKeyActions],
    resourceArns: [key.keyArn],
    // The function never calls KMS itself; SQS does, when Lambda sends a record with the function's credentials.
    conditions: { StringEquals: { 'kms:ViaService': `sqs.${stack.region}.${stack.urlSuffix}` } },
  });
}

/**
 * The queue as the on-failure destination of a stream source or of asynchronous invocations, binding nothing but its
 * ARN (the grants are {@link grantSendTo}'s).
 */
export function queueDestination(queue: IQueue): IDestination & IEventSourceDlq {
  return { bind: () => ({ destination: queue.queueArn }) };
}

/**
 * The function's default policy, which Lambda checks when a mapping or an invoke configuration is created: what
 * depends on the grants of {@link grantSendTo} and {@link tableStreamSource} must wait for it.
 */
export function defaultPolicyOf(fn: ShipgateFunction): IConstruct {
  const policy = fn.role?.node.tryFindChild('DefaultPolicy');
  if (policy === undefined) throw new Error(`${fn.node.path} has no default policy for its grants`);
  return policy;
}

/** Properties of {@link tableStreamSource}. */
export interface TableStreamSourceProps {
  /** The function the records go to. */
  readonly target: ShipgateFunction;
  /** The table stream's ARN. */
  readonly streamArn: string;
  /** Lambda event filter patterns; a record passes when any one matches. */
  readonly filters: readonly Readonly<Record<string, unknown>>[];
  /** Where a batch that still fails after its retries is recorded (shard and sequence numbers). */
  readonly deadLetterQueue: IQueue;
  /**
   * Records a batch.
   * @default 10
   */
  readonly batchSize?: number;
}

/**
 * A filtered subscription of a function to a table's stream: from the oldest record the stream holds (so records
 * written while the mapping was created are sent), a failing record reported alone (batch item failures), the batch
 * halved around a failure (bisect), retried up to ten times and for at most a day (the stream keeps records 24
 * hours), and what still fails recorded in `deadLetterQueue`. Grants the stream's reading and the queue's sending to
 * the function's role, and creates the mapping after them (Lambda checks them when it creates it).
 */
export function tableStreamSource(scope: Construct, id: string, props: TableStreamSourceProps): EventSourceMapping {
  const { target, streamArn, deadLetterQueue: queue } = props;
  // Reading the stream of a table encrypted with its own key needs that key's Decrypt through DynamoDB, which
  // bindTable grants.
  Grant.addToPrincipal({ grantee: target, actions: [...streamReadActions], resourceArns: [streamArn] });
  grantSendTo(target, queue);
  const mapping = new EventSourceMapping(scope, id, {
    target,
    eventSourceArn: streamArn,
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: props.batchSize ?? 10,
    filters: props.filters.map((pattern) => FilterCriteria.filter(pattern)),
    reportBatchItemFailures: true,
    bisectBatchOnError: true,
    retryAttempts: 10,
    maxRecordAge: Duration.days(1),
    onFailure: queueDestination(queue),
  });
  mapping.node.addDependency(defaultPolicyOf(target));
  return mapping;
}
