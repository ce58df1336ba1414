// Infra tests of monitoring: the monitor's stream source and dead-letter queue, its CloudWatch grants (the namespace it
// may put samples to, the alarms it may create and delete), its environment, and the alarm name prefix of a stack.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { MONITOR_RECORDS } from '../../lambdas/adapters/dynamodb/stream-records.ts';
import { releasesTable } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import { ALARM_EVENTS } from '../../lambdas/core/monitoring/alarm-use-cases.ts';
import { METRIC_NAMESPACE } from '../../lambdas/core/monitoring/alarms.ts';
import { MONITOR_FUNCTION } from '../../lambdas/functions/catalog.ts';
import { alarmPrefixOf, ShipgateMonitoring } from '../../lib/monitoring.ts';
import { ShipgateStack } from '../../lib/shipgate-stack.ts';
import { ShipgateStorage } from '../../lib/storage.ts';
import {
  listOf,
  logicalIdIn,
  noBundling,
  propsOf,
  type Resource,
  resourcesIn,
  type Statement,
} from '../support/cdk.ts';

/** Written out here rather than imported, so the test checks the code against the patterns. */
const sampleInserts = { eventName: ['INSERT'], dynamodb: { NewImage: { kind: { S: ['sample'] } } } };
const alarmEventInserts = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { kind: { S: ['event'] }, type: { S: [...ALARM_EVENTS] } } },
};

let stack: ShipgateStack;
let template: Template;

before(() => {
  stack = new ShipgateStack(noBundling(), 'Shipgate');
  template = Template.fromStack(stack);
});

const resourcesOf = (type: string, from: Template = template): Record<string, Resource> => resourcesIn(from, type);

const logicalIdOf = (ref: string, of: Stack = stack): string => logicalIdIn(of, ref);

const monitorId = (): string => logicalIdOf(stack.monitoring.monitor.functionName);
const queueId = (): string => logicalIdOf(stack.monitoring.deadLetterQueue.queueUrl);
const roleId = (): string => logicalIdOf(stack.monitoring.monitor.role?.roleName ?? '');

/** The IAM policies attached to the monitor's role, by logical id. */
const policiesOf = (from: Template = template, role: string = roleId()): [string, Statement[]][] =>
  Object.entries(resourcesOf('AWS::IAM::Policy', from))
    .filter(([, policy]) => (propsOf(policy).Roles as unknown[]).some((r) => isDeepStrictEqual(r, { Ref: role })))
    .map(([id, policy]) => [id, (propsOf(policy).PolicyDocument as { Statement: Statement[] }).Statement]);

const defaultPolicyId = (): string => {
  const policy = stack.monitoring.monitor.role?.node.tryFindChild('DefaultPolicy');
  assert.ok(policy);
  return stack.getLogicalId(policy.node.defaultChild as never);
};

const metricPolicyId = (): string => {
  const policy = stack.monitoring.node.tryFindChild('MetricDataPolicy');
  assert.ok(policy);
  return stack.getLogicalId(policy.node.defaultChild as never);
};

const mapping = (): Resource => {
  const all = Object.values(resourcesOf('AWS::Lambda::EventSourceMapping')).filter((m) =>
    isDeepStrictEqual(propsOf(m).FunctionName, { Ref: monitorId() }),
  );
  assert.equal(all.length, 1, "the monitor's one event source mapping");
  return all[0] as Resource;
};

const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });
const viaService = (service: string) => ({
  StringEquals: { 'kms:ViaService': join(`${service}.`, { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }) },
});
const alarmArn = (prefix: string) =>
  join(
    'arn:',
    { Ref: 'AWS::Partition' },
    ':cloudwatch:',
    { Ref: 'AWS::Region' },
    ':',
    { Ref: 'AWS::AccountId' },
    `:alarm:${prefix}-*`,
  );

/** IAM's `*` matching (any run of characters; this test's ARNs use no `?`). */
const iamMatches = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(value);

describe('stream source', () => {
  test('the monitor reads the releases stream, filtered to new samples and the audit events that change alarms', () => {
    const props = propsOf(mapping());
    assert.deepEqual(props.EventSourceArn, { 'Fn::GetAtt': [releasesTable.logicalId, 'StreamArn'] });
    const { Filters } = props.FilterCriteria as { Filters: { Pattern: string }[] };
    const patterns: unknown[] = Filters.map((filter) => JSON.parse(filter.Pattern));
    assert.deepEqual(patterns, [sampleInserts, alarmEventInserts]);
    // The same patterns the local stream poller applies.
    assert.deepEqual(patterns, MONITOR_RECORDS);
  });

  test('batches of ten from the oldest record, failures reported per record, bisected, retried ten times for a day', () => {
    const props = propsOf(mapping());
    assert.equal(props.StartingPosition, 'TRIM_HORIZON');
    assert.equal(props.BatchSize, 10);
    assert.deepEqual(props.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.equal(props.BisectBatchOnFunctionError, true);
    assert.equal(props.MaximumRetryAttempts, 10);
    assert.equal(props.MaximumRecordAgeInSeconds, 24 * 60 * 60);
  });

  test('what still fails goes to its own encrypted, TLS-only, retained queue that keeps it 14 days', () => {
    assert.equal(queueId(), 'MonitorDeadLetterQueue');
    assert.deepEqual(propsOf(mapping()).DestinationConfig, {
      OnFailure: { Destination: { 'Fn::GetAtt': [queueId(), 'Arn'] } },
    });
    const queue = resourcesOf('AWS::SQS::Queue')[queueId()];
    assert.equal(queue?.DeletionPolicy, 'Retain');
    assert.equal(queue?.UpdateReplacePolicy, 'Retain');
    assert.deepEqual(propsOf(queue).KmsMasterKeyId, {
      'Fn::GetAtt': [logicalIdOf(stack.notifications.key.keyId), 'Arn'],
    });
    assert.equal(propsOf(queue).MessageRetentionPeriod, 14 * 24 * 60 * 60);
    const [policy, ...others] = Object.values(resourcesOf('AWS::SQS::QueuePolicy')).filter((p) =>
      (propsOf(p).Queues as unknown[]).some((q) => isDeepStrictEqual(q, { Ref: queueId() })),
    );
    assert.deepEqual(others, []);
    assert.deepEqual((propsOf(policy).PolicyDocument as { Statement: Statement[] }).Statement, [
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: { 'Fn::GetAtt': [queueId(), 'Arn'] },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  test('the mapping is created after the stream and queue grants Lambda checks when it creates it', () => {
    assert.ok(listOf(mapping().DependsOn ?? []).includes(defaultPolicyId()));
  });
});

describe('permissions', () => {
  test('its policies grant exactly: logs, traces, reading the table, the stream, its queue and its alarms', () => {
    const releases = { 'Fn::GetAtt': [releasesTable.logicalId, 'Arn'] };
    const notificationsKey = { 'Fn::GetAtt': [logicalIdOf(stack.notifications.key.keyId), 'Arn'] };
    const prefix = stack.monitoring.alarmPrefix;
    const policies = Object.fromEntries(policiesOf());
    assert.deepEqual(Object.keys(policies).sort(), [defaultPolicyId(), metricPolicyId()].sort());
    assert.deepEqual(policies[defaultPolicyId()], [
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: {
          'Fn::GetAtt': [stack.getLogicalId(stack.monitoring.monitor.logGroup.node.defaultChild as never), 'Arn'],
        },
      },
      { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
      {
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Effect: 'Allow',
        Resource: [
          releases,
          ...releasesTable.globalSecondaryIndexes.map((index) => join(releases, `/index/${index.indexName}`)),
        ],
      },
      {
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Condition: viaService('dynamodb'),
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [`${releasesTable.logicalId}Key`, 'Arn'] },
      },
      {
        // Alarms of this stack's prefix, acting on the alarms topic alone.
        Action: 'cloudwatch:PutMetricAlarm',
        Condition: {
          'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': [{ Ref: 'AlarmsTopic' }] },
        },
        Effect: 'Allow',
        Resource: alarmArn(prefix),
      },
      { Action: 'cloudwatch:DeleteAlarms', Effect: 'Allow', Resource: alarmArn(prefix) },
      {
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [releasesTable.logicalId, 'StreamArn'] },
      },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [queueId(), 'Arn'] } },
      {
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Condition: viaService('sqs'),
        Effect: 'Allow',
        Resource: notificationsKey,
      },
    ]);
    // PutMetricData supports no resource: `*`, in Shipgate's namespace only, in a policy that grants nothing else.
    assert.deepEqual(policies[metricPolicyId()], [
      {
        Action: 'cloudwatch:PutMetricData',
        Condition: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } },
        Effect: 'Allow',
        Resource: '*',
      },
    ]);
  });

  test('no DescribeAlarms, no tagging, no CloudWatch wildcard action, nothing on the topic', () => {
    const actions = policiesOf().flatMap(([, statements]) => statements.flatMap((s) => listOf(s.Action)));
    assert.deepEqual(actions.filter((a) => a.startsWith('cloudwatch:')).sort(), [
      'cloudwatch:DeleteAlarms',
      'cloudwatch:PutMetricAlarm',
      'cloudwatch:PutMetricData',
    ]);
    assert.deepEqual(
      actions.filter((a) => a.includes('*')),
      [],
    );
    assert.deepEqual(
      actions.filter((a) => a.startsWith('sns:') || a.startsWith('iam:')),
      [],
    );
  });

  test('the function waits for its PutMetricData policy, so its first batch may already put samples', () => {
    const fn = resourcesOf('AWS::Lambda::Function')[monitorId()];
    assert.ok(listOf(fn?.DependsOn ?? []).includes(metricPolicyId()));
  });

  test('the alarms topic lets CloudWatch alarms of this account publish, so the alarms it creates can act', () => {
    const policies = Object.values(resourcesOf('AWS::SNS::TopicPolicy')).filter((p) =>
      (propsOf(p).Topics as unknown[]).some((t) => isDeepStrictEqual(t, { Ref: 'AlarmsTopic' })),
    );
    const allows = policies.flatMap((p) =>
      (propsOf(p).PolicyDocument as { Statement: Statement[] }).Statement.filter((s) => s.Effect === 'Allow'),
    );
    assert.equal(allows.length, 1);
    assert.deepEqual(allows[0]?.Principal, { Service: 'cloudwatch.amazonaws.com' });
    assert.equal(allows[0]?.Action, 'sns:Publish');
    assert.deepEqual(allows[0]?.Condition?.StringEquals, { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
  });
});

describe('environment', () => {
  test('the table, the alarm prefix, the alarms topic and the namespace; 60 s; nothing of the workflow', () => {
    const props = propsOf(resourcesOf('AWS::Lambda::Function')[monitorId()]);
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.deepEqual(env[releasesTable.envVar], { Ref: releasesTable.logicalId });
    assert.equal(env.SHIPGATE_ALARM_PREFIX, 'Shipgate.rollback');
    assert.deepEqual(env.ALARMS_TOPIC_ARN, { Ref: 'AlarmsTopic' });
    assert.equal(env.SHIPGATE_METRIC_NAMESPACE, METRIC_NAMESPACE);
    assert.equal(env.STATE_MACHINE_ARN, undefined);
    assert.equal(env.EVENTS_TOPIC_ARN, undefined);
    assert.equal(props.Timeout, 60);
    assert.equal(MONITOR_FUNCTION.entry, 'lambdas/events/monitor.ts');
  });

  test('the outputs name the namespace, the prefix and the dead-letter queue', () => {
    template.hasOutput('MetricNamespace', { Value: METRIC_NAMESPACE });
    template.hasOutput('AlarmNamePrefix', { Value: 'Shipgate.rollback' });
    template.hasOutput('MonitorDeadLetterQueueUrl', { Value: { Ref: queueId() } });
  });
});

describe('alarm prefix', () => {
  test("follows the stack's name, and its grant covers no alarm of a stack whose name extends it", () => {
    const staging = new ShipgateStack(noBundling(), 'Staging', { stackName: 'Shipgate-staging' });
    assert.equal(staging.monitoring.alarmPrefix, 'Shipgate-staging.rollback');
    const prodGrant = `${alarmPrefixOf('Shipgate')}-*`;
    const stagingAlarm = `${staging.monitoring.alarmPrefix}-01JABCDEFGHJKMNPQRSTVWXYZ0-error-rate`;
    assert.ok(!iamMatches(prodGrant, stagingAlarm), `${prodGrant} covers ${stagingAlarm}`);
    assert.ok(iamMatches(prodGrant, 'Shipgate.rollback-01JABCDEFGHJKMNPQRSTVWXYZ0-error-rate'));
    // With the bare stack name as prefix, it would.
    assert.ok(iamMatches('Shipgate-*', 'Shipgate-staging-01JABCDEFGHJKMNPQRSTVWXYZ0-error-rate'));
    const env = (
      propsOf(
        resourcesOf('AWS::Lambda::Function', Template.fromStack(staging))[
          logicalIdOf(staging.monitoring.monitor.functionName, staging)
        ],
      ).Environment as { Variables: Record<string, unknown> }
    ).Variables;
    assert.equal(env.SHIPGATE_ALARM_PREFIX, 'Shipgate-staging.rollback');
  });

  test('a given prefix and namespace reach the environment and the grants alike', () => {
    const other = new Stack(noBundling(), 'Other');
    const storage = new ShipgateStorage(other, 'Storage');
    const topic = new Topic(other, 'Alarms');
    const monitoring = new ShipgateMonitoring(other, 'Monitoring', {
      table: (schema) => storage.table(schema),
      alarmsTopic: topic,
      key: new Key(other, 'Key'),
      alarmPrefix: 'team-a',
      namespace: 'TeamA/Releases',
    });
    const otherTemplate = Template.fromStack(other);
    const fnId = logicalIdOf(monitoring.monitor.functionName, other);
    const env = (
      propsOf(resourcesOf('AWS::Lambda::Function', otherTemplate)[fnId]).Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    assert.equal(env.SHIPGATE_ALARM_PREFIX, 'team-a');
    assert.equal(env.SHIPGATE_METRIC_NAMESPACE, 'TeamA/Releases');
    assert.deepEqual(env.ALARMS_TOPIC_ARN, { Ref: logicalIdOf(topic.topicArn, other) });
    const role = logicalIdOf(monitoring.monitor.role?.roleName ?? '', other);
    const cloudwatch = policiesOf(otherTemplate, role)
      .flatMap(([, statements]) => statements)
      .filter((s) => listOf(s.Action).some((a) => a.startsWith('cloudwatch:')))
      .map((s) => ({ action: s.Action, resource: s.Resource, condition: s.Condition }))
      .sort((x, y) => String(x.action).localeCompare(String(y.action)));
    assert.deepEqual(cloudwatch, [
      { action: 'cloudwatch:DeleteAlarms', resource: alarmArn('team-a'), condition: undefined },
      {
        action: 'cloudwatch:PutMetricAlarm',
        resource: alarmArn('team-a'),
        condition: {
          'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': [{ Ref: logicalIdOf(topic.topicArn, other) }] },
        },
      },
      {
        action: 'cloudwatch:PutMetricData',
        resource: '*',
        condition: { StringEquals: { 'cloudwatch:namespace': 'TeamA/Releases' } },
      },
    ]);
  });
});
