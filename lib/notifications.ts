// Notifications: the release-events topic contacts subscribe to, the alarms topic CloudWatch alarms publish to, the
// key both are encrypted with, the notifier, which turns new audit events read from the releases table's stream
// into recorded, published notifications, with a queue for the batches it could not get through, and the alarm
// rollback function subscribed to the alarms topic, with a queue for the alarms SNS could not deliver to it.
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  AnyPrincipal,
  Effect,
  Grant,
  type IRole,
  Policy,
  PolicyStatement,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { EventSourceMapping, FilterCriteria, type IEventSourceDlq, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { releasesTable, type TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { AUDIT_EVENT_INSERTS } from '../lambdas/events/stream-filter.ts';
import { ALARM_FUNCTION, NOTIFIER_FUNCTION } from '../lambdas/http/routes.ts';
import { type PowertoolsLogLevel, ShipgateFunction, type WorkflowBinding } from './function.ts';
import { pinLogicalId } from './storage.ts';

/** Properties of {@link ShipgateNotifications}. */
export interface ShipgateNotificationsProps {
  /**
   * Finds the deployed table for a schema the notifier lists (usually `ShipgateStorage.table`). The releases table
   * must have a stream with new images (`ShipgateStorage` gives every table one).
   */
  readonly table: (schema: TableSchema) => ITable;
  /**
   * The release and escalation state machines the alarm rollback function answers and starts (usually
   * `ShipgateWorkflow`). Neither may depend on anything of this construct: the alarm function depends on them.
   */
  readonly workflow: WorkflowBinding;
  /**
   * Retention of the notifier's and the alarm rollback function's log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level of the notifier and the alarm rollback function.
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
const sns = new ServicePrincipal('sns.amazonaws.com');

/**
 * What the alarm rollback function reads of CloudWatch: the alarm that fired (its dimensions, its description),
 * and the state of the alarms a release names. The API reference of DescribeAlarms: composite alarms are returned
 * only to a permission scoped to `*`; an alarm a release names may be one.
 */
const alarmReadActions = ['cloudwatch:DescribeAlarms'] as const;

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
 *
 * The alarm rollback function is the alarms topic's one subscription made here (people subscribe on their own). An
 * alarm SNS cannot deliver to it within SNS's retries goes to the alarm dead-letter queue, kept 14 days.
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
  /** Subscribed to the alarms topic: rolls back, or proposes to roll back, the releases an alarm concerns. */
  readonly alarmFunction: ShipgateFunction;
  /** Where SNS puts an alarm it could not deliver to the alarm rollback function within its retries. */
  readonly alarmDeadLetterQueue: Queue;

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
    // SNS encrypts what it moves to the alarm dead-letter queue with this key, as itself: without this statement a
    // failed alarm delivery could not be kept either. Limited to SNS acting for this account's topics in this region
    // (the confused-deputy guard); naming the alarms topic itself would make the key depend on the topic, which
    // depends on the key.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowSnsToKeepUndeliveredMessagesInEncryptedQueues',
        principals: [sns],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'sns', resource: '*' }) },
        },
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

    this.deadLetterQueue = this.createDeadLetterQueue(
      'DeadLetterQueue',
      'NotificationDeadLetterQueue',
      'the on-failure destination of the notifier stream source, holding records of batches that failed all retries',
    );

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

    this.alarmDeadLetterQueue = this.createDeadLetterQueue(
      'AlarmDeadLetterQueue',
      'AlarmDeadLetterQueue',
      "the redrive destination of the alarm rollback function's subscription to the alarms topic, holding the " +
        'alarms SNS could not deliver to the function',
    );
    this.alarmFunction = this.createAlarmFunction(props);
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

  /**
   * The alarm rollback function: writes the releases table, answers the release workflow's callback tasks and
   * starts escalations (`bindWorkflow` with `respond`, what a `respond` route gets), reads alarms. Subscribed to the
   * alarms topic; what SNS cannot deliver to it goes to the alarm dead-letter queue. No cycle: the function depends
   * on the state machines, the table and its own policies; the subscription and the invoke permission on the topic
   * and the function; the queue on the key; the key on nothing of these.
   */
  private createAlarmFunction(props: ShipgateNotificationsProps): ShipgateFunction {
    const fn = new ShipgateFunction(this, ALARM_FUNCTION.id, {
      entry: ALARM_FUNCTION.entry,
      description: 'Shipgate alarm rollback: rolls back or proposes to roll back the releases an alarm concerns',
      // An alarm is a few table reads and writes, a DescribeAlarms call and a task response per release it
      // concerns; the margin covers a cold start and the SDK's retries.
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      logLevel: props.logLevel,
    });
    for (const { table, access } of ALARM_FUNCTION.tables) {
      fn.bindTable(props.table(table), table, access);
    }
    fn.bindWorkflow(props.workflow, 'respond');
    // A policy of its own, so that its `*` is acknowledged for this action alone (the default policy's `*`
    // acknowledgement is for X-Ray); the function is created after it, so its first alarm can already read alarms.
    const alarmRead = new Policy(this, 'AlarmReadPolicy', {
      roles: [this.roleOf(fn)],
      statements: [new PolicyStatement({ actions: [...alarmReadActions], resources: ['*'] })],
    });
    Validations.of(alarmRead).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:DescribeAlarms returns composite alarms only to a permission scoped to "*" (DescribeAlarms, ' +
        'CloudWatch API reference), and the alarms a release names may be composite. It only reads alarm ' +
        'definitions and states; this policy grants nothing else.',
    });
    fn.node.addDependency(alarmRead);
    this.alarmsTopic.addSubscription(new LambdaSubscription(fn, { deadLetterQueue: this.alarmDeadLetterQueue }));
    return fn;
  }

  /** The role of a function, which every ShipgateFunction has (it creates its own). */
  private roleOf(fn: ShipgateFunction): IRole {
    const role = fn.role;
    if (role === undefined) throw new Error(`${fn.node.path} has no role`);
    return role;
  }

  /**
   * A dead-letter queue: encrypted with the notifications key, TLS-only, retained, keeping messages 14 days, its
   * logical id pinned to `logicalId`. `purpose` says what it holds, for the acknowledgement that it needs none itself.
   */
  private createDeadLetterQueue(id: string, logicalId: string, purpose: string): Queue {
    const queue = new Queue(this, id, {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pinLogicalId(queue, logicalId);
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        `This queue is itself a dead-letter destination: ${purpose}. A dead-letter queue of its own would only ` +
        'move the same messages one queue further.',
    });
    return queue;
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
