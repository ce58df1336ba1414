// Notifications: the release-events topic contacts subscribe to, the alarms topic CloudWatch alarms publish to, the
// key both are encrypted with, the notifier, which turns new audit events read from the releases table's stream
// into recorded, published notifications, with a queue for the batches it could not get through, and the alarms
// topic's subscribers: the alarm rollback function, with queues for the alarms SNS could not deliver to it and for
// those it failed on, and the on-call contacts given at deploy time.
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { EventInvokeConfig, type EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import {
  EmailSubscription,
  LambdaSubscription,
  SmsSubscription,
  UrlSubscription,
} from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUDIT_EVENT_INSERTS } from '../lambdas/adapters/dynamodb/stream-records.ts';
import { releasesTable, type TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { ALARM_FUNCTION, NOTIFIER_FUNCTION } from '../lambdas/functions/catalog.ts';
import { ENV } from '../lambdas/functions/environment.ts';
import { type PowertoolsLogLevel, ShipgateFunction, type WorkflowBinding } from './function.ts';
import { type OnCallContacts, parseOnCall } from './on-call.ts';
import { deadLetterQueue, defaultPolicyOf, grantSendTo, queueDestination, tableStreamSource } from './queues.ts';
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

const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
const sns = new ServicePrincipal('sns.amazonaws.com');

/**
 * How long an alarm may wait for the rollback function (throttled, or between Lambda's retries) before it goes to the
 * failure queue instead. Long enough to ride out a throttling spell, short enough that an operator looking at the
 * queue sees an alarm while its release is still likely to be in production.
 */
const alarmMaxEventAge = Duration.hours(6);

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
 * The alarms topic's subscribers are made here: the alarm rollback function, and the on-call contacts given at deploy
 * time ({@link ShipgateNotifications.subscribeOnCall}). An alarm SNS cannot deliver to the function, an email address
 * or a URL within SNS's retries goes to the alarm dead-letter queue (the SNS message as published). An alarm the
 * rollback function was invoked with but failed on, after Lambda's two retries or six hours, goes to the alarm failure
 * queue (Lambda's invocation record, with the SNS event as its request payload). Both keep messages 14 days.
 */
export class ShipgateNotifications extends Construct {
  /** Encrypts both topics and the dead-letter queues (also the monitor's). */
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
  /** Where SNS puts an alarm it could not deliver to a subscriber of the alarms topic within its retries. */
  readonly alarmDeadLetterQueue: Queue;
  /** Where Lambda records an alarm the rollback function failed on, after its retries or the maximum event age. */
  readonly alarmFailureQueue: Queue;

  constructor(scope: Construct, id: string, props: ShipgateNotificationsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.key = new Key(this, 'Key', {
      description:
        'Shipgate notifications: the release-events and alarms topics, and the failure queues of their consumers',
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

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      key: this.key,
      logicalId: 'NotificationDeadLetterQueue',
      purpose:
        'the on-failure destination of the notifier stream source, holding records of batches that failed all retries',
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
    this.notifier.bindNeeds(
      NOTIFIER_FUNCTION,
      { table: props.table, eventsTopic: this.eventsTopic },
      'ShipgateNotifications',
    );

    const streamArn = props.table(releasesTable).tableStreamArn;
    if (streamArn === undefined) {
      throw new Error(`the ${releasesTable.logicalId} table has no stream for the notifier to read`);
    }
    this.streamSource = tableStreamSource(this, 'StreamSource', {
      target: this.notifier,
      streamArn,
      filters: [AUDIT_EVENT_INSERTS],
      deadLetterQueue: this.deadLetterQueue,
    });

    this.alarmDeadLetterQueue = deadLetterQueue(this, 'AlarmDeadLetterQueue', {
      key: this.key,
      logicalId: 'AlarmDeadLetterQueue',
      purpose:
        "the redrive destination of the alarms topic's subscriptions (the alarm rollback function, on-call " +
        'contacts), holding the alarms SNS could not deliver',
    });
    this.alarmFailureQueue = deadLetterQueue(this, 'AlarmFailureQueue', {
      key: this.key,
      logicalId: 'AlarmFailureQueue',
      purpose:
        "the on-failure destination of the alarm rollback function's asynchronous invocations, holding the alarms " +
        'it failed on after its retries',
    });
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
    this.notifier.addEnvironment(ENV.publicUrl, publicUrl);
  }

  /**
   * Subscribes on-call contacts to the alarms topic, so they get every state change of every alarm acting on it:
   * each email address, phone number (SMS) and HTTPS URL one subscription, without a filter policy; email and HTTPS
   * subscriptions put what SNS cannot deliver in the alarm dead-letter queue. Checks the contacts first
   * ({@link parseOnCall}); `source` names where they came from in the error.
   */
  subscribeOnCall(contacts: OnCallContacts, source = 'onCall'): void {
    const { emails, phones, urls } = parseOnCall(contacts, source);
    const deadLetterQueue = this.alarmDeadLetterQueue;
    // Each subscription is named after its endpoint (by SNS subscriptions' own construct ids), so adding or removing
    // one contact never replaces another's subscription, which would ask the remaining people to confirm again.
    for (const email of emails) this.alarmsTopic.addSubscription(new EmailSubscription(email, { deadLetterQueue }));
    // No dead-letter queue for texts: CDK's SmsSubscription sets none, and SMS failures are carrier outcomes that SNS's
    // SMS delivery status logs (an account setting) record, not messages to redrive.
    for (const phone of phones) this.alarmsTopic.addSubscription(new SmsSubscription(phone));
    for (const url of urls) {
      this.alarmsTopic.addSubscription(
        new UrlSubscription(url, { protocol: SubscriptionProtocol.HTTPS, deadLetterQueue }),
      );
    }
  }

  /**
   * The alarm rollback function: writes the releases table, answers the release workflow's callback tasks and
   * starts escalations (`bindWorkflow` with `respond`, what a `respond` route gets). It reads nothing of CloudWatch:
   * the alarm's name, state, reason and ReleaseId dimension come in the SNS message. Subscribed to the alarms topic,
   * what SNS cannot deliver to it goes to the alarm dead-letter queue; SNS invokes it asynchronously, so an alarm it
   * fails on is retried twice by Lambda and then recorded in the alarm failure queue (not dropped). No cycle: the
   * function depends on the state machines, the table and its own policy; the subscription and the invoke
   * permission on the topic and the function; the queues on the key; the key on nothing of these.
   */
  private createAlarmFunction(props: ShipgateNotificationsProps): ShipgateFunction {
    const fn = new ShipgateFunction(this, ALARM_FUNCTION.id, {
      entry: ALARM_FUNCTION.entry,
      description: 'Shipgate alarm rollback: rolls back or proposes to roll back the releases an alarm concerns',
      // An alarm is a few table reads and writes and a task response per release it concerns; the margin covers a
      // cold start and the SDK's retries.
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      logLevel: props.logLevel,
    });
    fn.bindNeeds(ALARM_FUNCTION, { table: props.table, workflow: props.workflow }, 'ShipgateNotifications');
    grantSendTo(fn, this.alarmFailureQueue);
    const invokeConfig = new EventInvokeConfig(this, 'AlarmInvokeConfig', {
      function: fn,
      // Lambda's default, said here. Retrying is safe: an alarm is handled against where each release stands then,
      // so one a first attempt already rolled back is only recorded as alarmed again. Two retries a minute or two
      // apart ride out a brief DynamoDB or Step Functions error.
      retryAttempts: 2,
      maxEventAge: alarmMaxEventAge,
      onFailure: queueDestination(this.alarmFailureQueue),
    });
    // Lambda checks that the function's role may send to the destination when the configuration is created.
    invokeConfig.node.addDependency(defaultPolicyOf(fn));
    this.alarmsTopic.addSubscription(new LambdaSubscription(fn, { deadLetterQueue: this.alarmDeadLetterQueue }));
    return fn;
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
