// Monitoring: the monitor function, which reads new metric samples and alarm-relevant audit events from the releases
// table's stream, puts the samples to CloudWatch and keeps the CloudWatch alarms of each release's rollback triggers
// while it is in post-release monitoring, with a queue for the batches it could not get through.
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MONITOR_RECORDS } from '../lambdas/adapters/dynamodb/stream-records.ts';
import { releasesTable, type TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { METRIC_NAMESPACE } from '../lambdas/core/monitoring/alarms.ts';
import { MONITOR_FUNCTION } from '../lambdas/functions/catalog.ts';
import { ENV } from '../lambdas/functions/environment.ts';
import { type PowertoolsLogLevel, ShipgateFunction, wildcardResourceFinding } from './function.ts';
import { deadLetterQueue, tableStreamSource } from './queues.ts';

/**
 * The alarm name prefix of a stack: its name, then `.rollback`. Alarm names are `<prefix>-<releaseId>-<triggerId>` and
 * the monitor may act on `<prefix>-*` alone. The `.` (which a stack name cannot hold) keeps the prefixes of two stacks
 * apart: with the bare name, `Shipgate-*` would also cover every alarm of a stack named `Shipgate-staging`.
 */
export const alarmPrefixOf = (stackName: string): string => `${stackName}.rollback`;

/** Properties of {@link ShipgateMonitoring}. */
export interface ShipgateMonitoringProps {
  /**
   * Finds the deployed table for a schema the monitor lists (usually `ShipgateStorage.table`). The releases table
   * must have a stream with new images (`ShipgateStorage` gives every table one).
   */
  readonly table: (schema: TableSchema) => ITable;
  /** The topic the alarms the monitor creates act on (usually `ShipgateNotifications.alarmsTopic`). */
  readonly alarmsTopic: ITopic;
  /** Encrypts the monitor's dead-letter queue (usually `ShipgateNotifications.key`). */
  readonly key: IKey;
  /**
   * Every alarm the monitor creates is named `<alarmPrefix>-<releaseId>-<triggerId>`; its grants cover those names
   * alone. Must be unique to the stack in its account and region, and no other stack's prefix followed by `-`.
   * @default alarmPrefixOf(the stack's name)
   */
  readonly alarmPrefix?: string;
  /**
   * The CloudWatch namespace the monitor puts samples to, and the only one it may put to.
   * @default METRIC_NAMESPACE ('Shipgate')
   */
  readonly namespace?: string;
  /**
   * Retention of the monitor's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level of the monitor.
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;
}

/**
 * The monitor and its stream source. It reads the releases table's stream, filtered in Lambda to `MONITOR_RECORDS`
 * (new metric samples, and the audit events after which a release's alarms may change), ten records a batch from the
 * oldest record on, with the notifier's failure handling: a failed record reported alone, bisection, ten retries for
 * at most a day, then a record of the batch in the monitor dead-letter queue, kept 14 days. Alarms are reconciled
 * against where the release stands, so a retried or reordered record changes nothing.
 *
 * Its CloudWatch grants: PutMetricData in its namespace only; PutMetricAlarm and DeleteAlarms on its prefix's alarms
 * only, and PutMetricAlarm only for alarms whose actions (if any) are the alarms topic. Nothing to read alarms, no
 * tagging (it passes no tags), nothing on the topic (CloudWatch publishes as itself, under the topic's policy).
 */
export class ShipgateMonitoring extends Construct {
  /** Puts samples to CloudWatch and keeps the alarms of releases in post-release monitoring. */
  readonly monitor: ShipgateFunction;
  /** The monitor's subscription to the releases table's stream. */
  readonly streamSource: EventSourceMapping;
  /** Where the stream source records a batch the monitor could not process within its retries. */
  readonly deadLetterQueue: Queue;
  /** The prefix of every alarm name the monitor creates. */
  readonly alarmPrefix: string;
  /** The CloudWatch namespace of the samples. */
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: ShipgateMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.alarmPrefix = props.alarmPrefix ?? alarmPrefixOf(stack.stackName);
    this.namespace = props.namespace ?? METRIC_NAMESPACE;

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      key: props.key,
      logicalId: 'MonitorDeadLetterQueue',
      purpose:
        'the on-failure destination of the monitor stream source, holding records of batches that failed all retries',
    });

    this.monitor = new ShipgateFunction(this, MONITOR_FUNCTION.id, {
      entry: MONITOR_FUNCTION.entry,
      description: 'Shipgate monitor: puts metric samples to CloudWatch and keeps the alarms of rollback triggers',
      // A batch is up to ten records: a sample is one PutMetricData call, an alarm event a release load, a samples
      // query and a PutMetricAlarm or DeleteAlarms call per trigger. PutMetricAlarm has a low request quota per
      // account and region, so the SDK may back off; a timeout would fail the whole batch, not one record.
      timeout: Duration.seconds(60),
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      environment: {
        [ENV.alarmPrefix]: this.alarmPrefix,
        [ENV.alarmsTopicArn]: props.alarmsTopic.topicArn,
        [ENV.metricNamespace]: this.namespace,
      },
    });
    this.monitor.bindNeeds(MONITOR_FUNCTION, { table: props.table }, 'ShipgateMonitoring');

    // PutMetricData supports no resource-level permission (the Service Authorization Reference lists no resource type
    // for it), so its Resource is `*`; the `cloudwatch:namespace` condition key keeps it to Shipgate's namespace, so
    // stolen credentials cannot write into another application's or an AWS namespace. A policy of its own, so that the
    // acknowledgement of its `*` covers this statement alone; the function waits for it.
    const metrics = new Policy(this, 'MetricDataPolicy', {
      roles: [this.monitor.role ?? fail(`${this.monitor.node.path} has no role`)],
      statements: [
        new PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': this.namespace } },
        }),
      ],
    });
    Validations.of(metrics).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData supports no resource-level permissions, so it needs Resource "*"; the statement ' +
        `is limited to the ${this.namespace} namespace by the cloudwatch:namespace condition key, and this policy ` +
        'grants nothing else.',
    });
    this.monitor.node.addDependency(metrics);

    // Alarms are named after releases created at run time: `<prefix>-*` is the narrowest ARN that covers them, and
    // covers this stack's alarms alone (see alarmPrefixOf). PutMetricAlarm and DeleteAlarms both take the alarm as
    // their resource. Creating an alarm with SNS actions needs no other permission: iam:CreateServiceLinkedRole is
    // needed only for EC2 and Systems Manager actions (PutMetricAlarm, CloudWatch API reference), and
    // cloudwatch:TagResource only when tags are given (Alarms and tagging, CloudWatch User Guide), which the monitor
    // never gives.
    const alarms = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${this.alarmPrefix}-*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    Grant.addToPrincipal({
      grantee: this.monitor,
      actions: ['cloudwatch:PutMetricAlarm'],
      resourceArns: [alarms],
      // The alarms it creates may act on the alarms topic and nothing else (no EC2, Auto Scaling or other topic
      // actions). ForAllValues holds for an alarm without actions too, which is harmless.
      conditions: { 'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': [props.alarmsTopic.topicArn] } },
    });
    Grant.addToPrincipal({ grantee: this.monitor, actions: ['cloudwatch:DeleteAlarms'], resourceArns: [alarms] });

    const streamArn = props.table(releasesTable).tableStreamArn;
    if (streamArn === undefined) {
      throw new Error(`the ${releasesTable.logicalId} table has no stream for the monitor to read`);
    }
    // Ten records a batch, as the notifier: a batch of alarm events makes many PutMetricAlarm calls, which CloudWatch
    // throttles early, and a larger batch would make a timeout (which fails the whole batch) likelier.
    this.streamSource = tableStreamSource(this, 'StreamSource', {
      target: this.monitor,
      streamArn,
      filters: MONITOR_RECORDS,
      deadLetterQueue: this.deadLetterQueue,
      batchSize: 10,
    });

    const policy = this.monitor.role?.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error(`${this.monitor.node.path}: its grants did not land on its own policy`);
    Validations.of(policy).acknowledge({
      id: wildcardResourceFinding(policy, alarms),
      reason:
        'PutMetricAlarm and DeleteAlarms act on alarms named after releases created at run time; ' +
        `\`alarm:${this.alarmPrefix}-*\` covers the alarms of this stack's rollback triggers and nothing else, and ` +
        'PutMetricAlarm is further limited to alarms whose actions are the alarms topic.',
    });
  }
}

function fail(message: string): never {
  throw new Error(message);
}
