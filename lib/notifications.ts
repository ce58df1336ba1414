// Notifications: the release-events topic contacts subscribe to, the alarms topic CloudWatch alarms publish to, the
// key both are encrypted with, and the notifier, which turns new audit events read from the releases table's stream
// into recorded, published notifications, with a queue for the batches it could not get through.
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, Grant, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { EventSourceMapping, FilterCriteria, type IEventSourceDlq, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { releasesTable, type TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { AUDIT_EVENT_INSERTS } from '../lambdas/events/stream-filter.ts';
import { NOTIFIER_FUNCTION } from '../lambdas/http/routes.ts';
import { type PowertoolsLogLevel, ShipgateFunction } from './function.ts';
import { pinLogicalId } from './storage.ts';

/** Properties of {@link ShipgateNotifications}. */
export interface ShipgateNotificationsProps {
  /**
   * Finds the deployed table for a schema the notifier lists (usually `ShipgateStorage.table`). The releases table
   * must have a stream with new images (`ShipgateStorage` gives every table one).
   */
  readonly table: (schema: TableSchema) => ITable;
  /**
   * Retention of the notifier's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level of the notifier.
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;
}

/**
 * Every action a topic policy accepts (the Amazon SNS API permissions reference), so that none of them is served over
 * plain HTTP. `sns:*` is not used: a topic policy accepts these actions only.
 */
const topicPolicyActions = [
  'sns:AddPermission',
  'sns:DeleteTopic',
  'sns:GetDataProtectionPolicy',
  'sns:GetTopicAttributes',
  'sns:ListSubscriptionsByTopic',
  'sns:ListTagsForResource',
  'sns:Publish',
  'sns:PutDataProtectionPolicy',
  'sns:RemovePermission',
  'sns:SetTopicAttributes',
  'sns:Subscribe',
] as const;

/** What Lambda needs to poll a DynamoDB stream; all four act on the stream's ARN. */
const streamReadActions = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
] as const;

/** Sending to a KMS-encrypted queue: SQS asks KMS for a data key with the sender's credentials. */
const queueKeyActions = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');

/**
 * The two topics, both encrypted with one customer-managed key that rotates, TLS-only, retained with the key (a
 * replaced events topic would drop every contact's subscription), and the notifier with its stream source.
 *
 * The notifier reads the releases table's stream, filtered in Lambda to inserted audit event rows
 * (`AUDIT_EVENT_INSERTS`), ten records a batch from the oldest record on. A record it cannot publish is reported
 * alone (batch item failures), the batch is halved around a failure (bisect), retried up to ten times and for at most
 * a day (the stream keeps records 24 hours); what is still failing then goes to the dead-letter queue as a record
 * of the shard and sequence numbers, kept 14 days. The notifications themselves are recorded in the table before
 * they are published, so a failed one stays visible there with its error.
 */
export class ShipgateNotifications extends Construct {
  /** Encrypts both topics and the dead-letter queue. */
  readonly key: Key;
  /** Release events, with message attributes contacts filter on; the notifier publishes, contacts subscribe. */
  readonly eventsTopic: Topic;
  /** CloudWatch alarms of this account publish here; the rollback handler and on-call people subscribe. */
  readonly alarmsTopic: Topic;
  /** Consumes new audit events from the releases table's stream and publishes their notifications. */
  readonly notifier: ShipgateFunction;
  /** Where the stream source records a batch the notifier could not process within its retries. */
  readonly deadLetterQueue: Queue;
  /** The notifier's subscription to the releases table's stream. */
  readonly streamSource: EventSourceMapping;

  constructor(scope: Construct, id: string, props: ShipgateNotificationsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.key = new Key(this, 'Key', {
      description: 'Shipgate notifications: release-events and alarms topics, notification dead-letter queue',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An alarm action publishing to an encrypted topic has SNS use the key as CloudWatch: without this statement the
    // publish fails and the alarm notifies no one (the statement AWS documents for CloudWatch and encrypted topics).
    // Which topic CloudWatch may publish to, and for which account's alarms, is decided by the topic policy below;
    // the key serves these topics and the queue only, so CloudWatch can use it for nothing else.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    pinLogicalId(this.key, 'NotificationsKey');

    this.eventsTopic = this.createTopic('EventsTopic');
    this.alarmsTopic = this.createTopic('AlarmsTopic');
    this.alarmsTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.alarmsTopic.topicArn],
        // The confused-deputy guard: only alarms of this account and region, never another account's.
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pinLogicalId(this.deadLetterQueue, 'NotificationDeadLetterQueue');
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination: the on-failure destination of the notifier stream ' +
        'source, holding records of batches that failed all retries. A dead-letter queue of its own would only ' +
        'move the same records one queue further.',
    });

    this.notifier = new ShipgateFunction(this, NOTIFIER_FUNCTION.id, {
      entry: NOTIFIER_FUNCTION.entry,
      description: 'Shipgate notifier: records and publishes the notifications of new audit events',
      // A batch is up to ten events, each a few table writes and one publish per notification; the margin covers a
      // cold start and the SDK's retries. A timeout would fail the whole batch, not one record.
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      logLevel: props.logLevel,
    });
    for (const { table, access } of NOTIFIER_FUNCTION.tables) {
      this.notifier.bindTable(props.table(table), table, access);
    }
    this.notifier.bindNotifier(this.eventsTopic, 'publish');

    const releases = props.table(releasesTable);
    const streamArn = releases.tableStreamArn;
    if (streamArn === undefined) {
      throw new Error(`the ${releasesTable.logicalId} table has no stream for the notifier to read`);
    }
    // Lambda polls the stream and sends to the on-failure destination with the function's role. Reading the stream
    // of a table encrypted with its own key needs that key's Decrypt through DynamoDB, which bindTable has granted.
    Grant.addToPrincipal({ grantee: this.notifier, actions: [...streamReadActions], resourceArns: [streamArn] });
    Grant.addToPrincipal({
      grantee: this.notifier,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.deadLetterQueue.queueArn],
    });
    Grant.addToPrincipal({
      grantee: this.notifier,
      actions: [...queueKeyActions],
      resourceArns: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sqs.${stack.region}.${stack.urlSuffix}` } },
    });

    // Bound here rather than through `SqsDlq`, whose grant adds GetQueueAttributes, GetQueueUrl and wildcard key
    // actions that sending an invocation record never uses.
    const onFailure: IEventSourceDlq = { bind: () => ({ destination: this.deadLetterQueue.queueArn }) };
    this.streamSource = new EventSourceMapping(this, 'StreamSource', {
      target: this.notifier,
      eventSourceArn: streamArn,
      // From the oldest record the stream holds, so events written while the mapping was being created are sent.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 10,
      filters: [FilterCriteria.filter(AUDIT_EVENT_INSERTS)],
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 10,
      maxRecordAge: Duration.days(1),
      onFailure,
    });
    // Lambda checks the role's stream and queue permissions when the mapping is created.
    const policy = this.notifier.role?.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error(`${this.notifier.node.path} has no policy for its stream grants`);
    this.streamSource.node.addDependency(policy);
  }

  /**
   * Lets a function manage contacts' subscriptions of the release-events topic: what a route with
   * `notifier: 'subscribe'` gets (see `ShipgateFunction.bindNotifier`).
   */
  bindSubscriber(fn: ShipgateFunction): void {
    fn.bindNotifier(this.eventsTopic, 'subscribe');
  }

  /** Sets the base URL the links in messages point at (the API, or a UI in front of it). */
  linkTo(publicUrl: string): void {
    this.notifier.addEnvironment('SHIPGATE_PUBLIC_URL', publicUrl);
  }

  /** A retained, TLS-only topic encrypted with the notifications key, its logical id pinned to `id`. */
  private createTopic(id: string): Topic {
    const topic = new Topic(this, id, {
      // The sender name of emails ("Shipgate <no-reply@sns.amazonaws.com>") and the prefix of SMS texts.
      displayName: 'Shipgate',
      masterKey: this.key,
    });
    topic.applyRemovalPolicy(RemovalPolicy.RETAIN);
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyInsecureTransport',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: [...topicPolicyActions],
        resources: [topic.topicArn],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    pinLogicalId(topic, id);
    return topic;
  }
}
