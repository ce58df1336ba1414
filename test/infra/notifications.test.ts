// Infra tests of notifications: both topics and their key, the notifier's stream source and dead-letter queue, the
// alarms topic's subscribers (the alarm rollback function with its failure paths, on-call contacts from context),
// and who may publish to or subscribe on which topic.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HttpNoneAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { AUDIT_EVENT_INSERTS } from '../../lambdas/adapters/dynamodb/stream-records.ts';
import { releasesTable, tables } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import { ALARM_FUNCTION, NOTIFIER_FUNCTION, routes, WORKFLOW_FUNCTION } from '../../lambdas/functions/catalog.ts';
import { ShipgateApi } from '../../lib/api.ts';
import { ShipgateFunction, type WorkflowBinding } from '../../lib/function.ts';
import { ShipgateNotifications } from '../../lib/notifications.ts';
import { ON_CALL_CONTEXT, parseOnCall } from '../../lib/on-call.ts';
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

/** Written out here rather than imported, so the test checks the code against the pattern. */
const auditEventInserts = { eventName: ['INSERT'], dynamodb: { NewImage: { kind: { S: ['event'] } } } };

const subscribeGrants = (topicId: string) => ({
  'sns:GetSubscriptionAttributes': [JSON.stringify({ 'Fn::Join': ['', [{ Ref: topicId }, ':*']] })],
  'sns:SetSubscriptionAttributes': [JSON.stringify({ 'Fn::Join': ['', [{ Ref: topicId }, ':*']] })],
  'sns:Subscribe': [JSON.stringify({ Ref: topicId })],
  'sns:Unsubscribe': [JSON.stringify({ 'Fn::Join': ['', [{ Ref: topicId }, ':*']] })],
});

const viaService = (service: string) => ({
  StringEquals: {
    'kms:ViaService': { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
  },
});

/** State machines of another stack, for a `ShipgateNotifications` built without a `ShipgateWorkflow`. */
const importedWorkflow = (scope: Stack): WorkflowBinding => ({
  stateMachine: StateMachine.fromStateMachineArn(
    scope,
    'Release',
    'arn:aws:states:us-east-1:123456789012:stateMachine:release',
  ),
  escalations: StateMachine.fromStateMachineArn(
    scope,
    'Escalation',
    'arn:aws:states:us-east-1:123456789012:stateMachine:escalation',
  ),
});

let stack: ShipgateStack;
let template: Template;

before(() => {
  stack = new ShipgateStack(noBundling(), 'Shipgate');
  template = Template.fromStack(stack);
});

const resourcesOf = (type: string, from: Template = template): Record<string, Resource> => resourcesIn(from, type);

const logicalIdOf = (ref: string, of: Stack = stack): string => logicalIdIn(of, ref);

const eventsTopicId = (): string => logicalIdOf(stack.notifications.eventsTopic.topicArn);
const alarmsTopicId = (): string => logicalIdOf(stack.notifications.alarmsTopic.topicArn);
const keyId = (): string => logicalIdOf(stack.notifications.key.keyId);
const notifierId = (): string => logicalIdOf(stack.notifications.notifier.functionName);
const alarmFunctionId = (): string => logicalIdOf(stack.notifications.alarmFunction.functionName);
const alarmQueueId = (): string => logicalIdOf(stack.notifications.alarmDeadLetterQueue.queueUrl);
const failureQueueId = (): string => logicalIdOf(stack.notifications.alarmFailureQueue.queueUrl);

/** Every statement of every IAM policy attached to the function's role. */
const statementsOf = (fn: ShipgateFunction, from: Template = template, of: Stack = stack): Statement[] => {
  assert.ok(fn.role);
  const role = { Ref: logicalIdOf(fn.role.roleName, of) };
  return Object.values(resourcesOf('AWS::IAM::Policy', from))
    .filter((policy) => (propsOf(policy).Roles as unknown[]).some((r) => isDeepStrictEqual(r, role)))
    .flatMap((policy) => (propsOf(policy).PolicyDocument as { Statement: Statement[] }).Statement);
};

/** Each action with the prefix, mapped to the resources it is allowed on (as JSON, sorted). */
const grantsOf = (statements: readonly Statement[], prefix: string): Record<string, string[]> => {
  const grants: Record<string, string[]> = {};
  for (const statement of statements) {
    assert.equal(statement.Effect, 'Allow');
    for (const action of listOf(statement.Action).filter((a) => a.startsWith(prefix))) {
      grants[action] = [...(grants[action] ?? []), ...listOf(statement.Resource).map((r) => JSON.stringify(r))].sort();
    }
  }
  return grants;
};

const environmentOf = (fn: ShipgateFunction): Record<string, unknown> =>
  (
    propsOf(resourcesOf('AWS::Lambda::Function')[logicalIdOf(fn.functionName)]).Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;

/** The statements of the topic's policy (the one policy that names it). */
const topicPolicyOf = (topicId: string): Statement[] => {
  const policies = Object.values(resourcesOf('AWS::SNS::TopicPolicy')).filter((policy) =>
    (propsOf(policy).Topics as unknown[]).some((t) => isDeepStrictEqual(t, { Ref: topicId })),
  );
  assert.equal(policies.length, 1, `one policy for ${topicId}`);
  return (propsOf(policies[0]).PolicyDocument as { Statement: Statement[] }).Statement;
};

const keyPolicy = (): Statement[] =>
  (propsOf(resourcesOf('AWS::KMS::Key')[keyId()]).KeyPolicy as { Statement: Statement[] }).Statement;

/** The notifier's stream source (the monitor has one too: see the monitoring test). */
const eventSourceMapping = (): [string, Resource] => {
  const all = Object.entries(resourcesOf('AWS::Lambda::EventSourceMapping')).filter(([, mapping]) =>
    isDeepStrictEqual(propsOf(mapping).FunctionName, { Ref: notifierId() }),
  );
  assert.equal(all.length, 1, "the notifier's one event source mapping");
  const [entry] = all;
  assert.ok(entry);
  return entry;
};

describe('topics and key', () => {
  test('two topics, release events and alarms, pinned, retained, without hard-coded names', () => {
    assert.deepEqual(Object.keys(resourcesOf('AWS::SNS::Topic')).sort(), ['AlarmsTopic', 'EventsTopic']);
    assert.equal(eventsTopicId(), 'EventsTopic');
    assert.equal(alarmsTopicId(), 'AlarmsTopic');
    for (const [id, topic] of Object.entries(resourcesOf('AWS::SNS::Topic'))) {
      assert.equal(topic.DeletionPolicy, 'Retain', id);
      assert.equal(topic.UpdateReplacePolicy, 'Retain', id);
      assert.equal(topic.Properties?.TopicName, undefined, `${id} has a hard-coded name`);
    }
  });

  test('both topics are encrypted with the notifications key, which is customer-managed, rotates and is retained', () => {
    assert.equal(keyId(), 'NotificationsKey');
    for (const [id, topic] of Object.entries(resourcesOf('AWS::SNS::Topic'))) {
      assert.deepEqual(topic.Properties?.KmsMasterKeyId, { 'Fn::GetAtt': [keyId(), 'Arn'] }, id);
    }
    const key = resourcesOf('AWS::KMS::Key')[keyId()];
    assert.equal(key?.Properties?.EnableKeyRotation, true);
    assert.equal(key?.DeletionPolicy, 'Retain');
    assert.equal(key?.UpdateReplacePolicy, 'Retain');
    // Not the table's key: each key serves one purpose.
    assert.notEqual(keyId(), `${releasesTable.logicalId}Key`);
  });

  test('each topic refuses every topic action that does not arrive over TLS', () => {
    for (const topicId of [eventsTopicId(), alarmsTopicId()]) {
      const denials = topicPolicyOf(topicId).filter((statement) => statement.Effect === 'Deny');
      assert.equal(denials.length, 1, topicId);
      const [deny] = denials;
      assert.ok(deny);
      assert.deepEqual(deny.Principal, { AWS: '*' }, topicId);
      assert.deepEqual(deny.Resource, { Ref: topicId }, topicId);
      assert.deepEqual(deny.Condition, { Bool: { 'aws:SecureTransport': 'false' } }, topicId);
      for (const action of ['sns:Publish', 'sns:Subscribe', 'sns:SetTopicAttributes', 'sns:DeleteTopic']) {
        assert.ok(listOf(deny.Action).includes(action), `${topicId} denies ${action} without TLS`);
      }
    }
  });

  test('CloudWatch alarms of this account and region may publish to the alarms topic, and to nothing else', () => {
    const allows = topicPolicyOf(alarmsTopicId()).filter((statement) => statement.Effect === 'Allow');
    assert.deepEqual(allows, [
      {
        Sid: 'AllowCloudWatchAlarmsOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: alarmsTopicId() },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudwatch:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':alarm:*',
                ],
              ],
            },
          },
        },
      },
    ]);
    // The events topic's policy allows nobody: publishers and subscribers are granted through their roles.
    assert.deepEqual(
      topicPolicyOf(eventsTopicId()).filter((statement) => statement.Effect === 'Allow'),
      [],
    );
  });

  test('the key lets SNS of this account keep undelivered alarms in the encrypted dead-letter queue', () => {
    const forSns = keyPolicy().filter((statement) =>
      isDeepStrictEqual(statement.Principal, { Service: 'sns.amazonaws.com' }),
    );
    assert.deepEqual(forSns, [
      {
        Sid: 'AllowSnsToKeepUndeliveredMessagesInEncryptedQueues',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':sns:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':*',
                ],
              ],
            },
          },
        },
      },
    ]);
  });

  test('the key lets CloudWatch generate and decrypt data keys, so alarm actions can publish to an encrypted topic', () => {
    const forCloudWatch = keyPolicy().filter((statement) =>
      isDeepStrictEqual(statement.Principal, { Service: 'cloudwatch.amazonaws.com' }),
    );
    assert.equal(forCloudWatch.length, 1);
    const [statement] = forCloudWatch;
    assert.equal(statement?.Effect, 'Allow');
    assert.deepEqual(listOf(statement?.Action ?? []).sort(), ['kms:Decrypt', 'kms:GenerateDataKey*']);
    // Apart from it and SNS's, only the account's own statement (which makes IAM grants effective).
    const others = keyPolicy().filter(
      (s) => s !== statement && !isDeepStrictEqual(s.Principal, { Service: 'sns.amazonaws.com' }),
    );
    assert.equal(others.length, 1);
    assert.deepEqual(listOf(others[0]?.Action ?? []), ['kms:*']);
  });
});

describe('stream source', () => {
  test('the releases table has a stream of new images; each table has the stream its schema names', () => {
    assert.deepEqual(propsOf(resourcesOf('AWS::DynamoDB::Table')[releasesTable.logicalId]).StreamSpecification, {
      StreamViewType: 'NEW_IMAGE',
    });
    for (const schema of tables) {
      assert.deepEqual(
        propsOf(resourcesOf('AWS::DynamoDB::Table')[schema.logicalId]).StreamSpecification,
        schema.stream === undefined ? undefined : { StreamViewType: schema.stream },
        schema.logicalId,
      );
    }
  });

  test('the notifier reads the releases stream, filtered to inserted audit event rows', () => {
    const [, mapping] = eventSourceMapping();
    const props = propsOf(mapping);
    assert.deepEqual(props.FunctionName, { Ref: notifierId() });
    assert.deepEqual(props.EventSourceArn, { 'Fn::GetAtt': [releasesTable.logicalId, 'StreamArn'] });
    const { Filters } = props.FilterCriteria as { Filters: { Pattern: string }[] };
    assert.equal(Filters.length, 1);
    const pattern: unknown = JSON.parse(Filters[0]?.Pattern ?? 'null');
    assert.deepEqual(pattern, auditEventInserts);
    // The same pattern the local stream poller applies.
    assert.deepEqual(pattern, AUDIT_EVENT_INSERTS);
  });

  test('batches of ten from the oldest record, failures reported per record, bisected, retried ten times for a day', () => {
    const props = propsOf(eventSourceMapping()[1]);
    assert.equal(props.StartingPosition, 'TRIM_HORIZON');
    assert.equal(props.BatchSize, 10);
    assert.deepEqual(props.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.equal(props.BisectBatchOnFunctionError, true);
    assert.equal(props.MaximumRetryAttempts, 10);
    assert.equal(props.MaximumRecordAgeInSeconds, 24 * 60 * 60);
  });

  test('what still fails goes to an encrypted, TLS-only, retained queue that keeps it 14 days', () => {
    const [, mapping] = eventSourceMapping();
    const queueId = logicalIdOf(stack.notifications.deadLetterQueue.queueUrl);
    assert.equal(queueId, 'NotificationDeadLetterQueue');
    assert.deepEqual(propsOf(mapping).DestinationConfig, {
      OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    });
    const queue = resourcesOf('AWS::SQS::Queue')[queueId];
    assert.equal(queue?.DeletionPolicy, 'Retain');
    assert.equal(queue?.UpdateReplacePolicy, 'Retain');
    assert.deepEqual(propsOf(queue).KmsMasterKeyId, { 'Fn::GetAtt': [keyId(), 'Arn'] });
    assert.equal(propsOf(queue).MessageRetentionPeriod, 14 * 24 * 60 * 60);
    assert.equal(propsOf(queue).QueueName, undefined);
    const [policy] = Object.values(resourcesOf('AWS::SQS::QueuePolicy')).filter((p) =>
      (propsOf(p).Queues as unknown[]).some((q) => isDeepStrictEqual(q, { Ref: queueId })),
    );
    const statements = (propsOf(policy).PolicyDocument as { Statement: Statement[] }).Statement;
    assert.deepEqual(statements, [
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  test('the mapping is created after the grants Lambda checks when it creates it', () => {
    const [, mapping] = eventSourceMapping();
    const role = stack.notifications.notifier.role;
    assert.ok(role);
    const [policyId] = Object.entries(resourcesOf('AWS::IAM::Policy')).find(([, policy]) =>
      (propsOf(policy).Roles as unknown[]).some((r) => isDeepStrictEqual(r, { Ref: logicalIdOf(role.roleName) })),
    ) ?? [undefined];
    assert.ok(policyId);
    assert.ok(listOf(mapping.DependsOn ?? []).includes(policyId));
  });
});

describe('notifier', () => {
  test('runs the notifier handler with 30 s, the releases table, the events topic and the public URL', () => {
    const notifier = propsOf(resourcesOf('AWS::Lambda::Function')[notifierId()]);
    assert.equal(notifier.Timeout, 30);
    const env = environmentOf(stack.notifications.notifier);
    assert.deepEqual(env.EVENTS_TOPIC_ARN, { Ref: eventsTopicId() });
    for (const { table } of NOTIFIER_FUNCTION.tables) assert.deepEqual(env[table.envVar], { Ref: table.logicalId });
    // Links in messages point at the API unless a public URL is given.
    assert.deepEqual(env.SHIPGATE_PUBLIC_URL, stack.resolve(stack.api.url));
    const other = new ShipgateStack(noBundling(), 'Other', { publicUrl: 'https://shipgate.example.com/' });
    const otherNotifier = Template.fromStack(other).findResources('AWS::Lambda::Function', {
      Properties: { Description: propsOf(resourcesOf('AWS::Lambda::Function')[notifierId()]).Description },
    });
    const [only] = Object.values(otherNotifier) as Resource[];
    assert.equal(
      (propsOf(only).Environment as { Variables: Record<string, unknown> }).Variables.SHIPGATE_PUBLIC_URL,
      'https://shipgate.example.com/',
    );
  });

  test('may publish to the events topic only, using the key only through SNS (and SQS for the queue)', () => {
    const statements = statementsOf(stack.notifications.notifier);
    assert.deepEqual(grantsOf(statements, 'sns:'), { 'sns:Publish': [JSON.stringify({ Ref: eventsTopicId() })] });
    const onKey = statements.filter((s) => isDeepStrictEqual(s.Resource, { 'Fn::GetAtt': [keyId(), 'Arn'] }));
    assert.deepEqual(
      onKey.map((s) => ({ actions: listOf(s.Action).sort(), condition: s.Condition })),
      [
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], condition: viaService('sns') },
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], condition: viaService('sqs') },
      ],
    );
  });

  test('may read the releases stream and send to the dead-letter queue, and nothing else of either', () => {
    const statements = statementsOf(stack.notifications.notifier);
    const stream = JSON.stringify({ 'Fn::GetAtt': [releasesTable.logicalId, 'StreamArn'] });
    const dynamo = grantsOf(statements, 'dynamodb:');
    for (const action of [
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]) {
      assert.deepEqual(dynamo[action], [stream], action);
    }
    const queue = JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(stack.notifications.deadLetterQueue.queueUrl), 'Arn'] });
    assert.deepEqual(grantsOf(statements, 'sqs:'), { 'sqs:SendMessage': [queue] });
  });

  test('the notifications key: the notifier through SNS and SQS, the alarm function and monitor through SQS alone', () => {
    const key = JSON.stringify({ 'Fn::GetAtt': [keyId(), 'Arn'] });
    const alarms = JSON.stringify({ Ref: alarmsTopicId() });
    const roleOf = (fn: ShipgateFunction) => ({ Ref: logicalIdOf(fn.role?.roleName ?? '') });
    const queueSenders = [stack.notifications.alarmFunction, stack.monitoring.monitor];
    for (const fn of queueSenders) {
      const onKey = statementsOf(fn).filter((s) => JSON.stringify(s.Resource) === key);
      assert.deepEqual(
        onKey.map((s) => ({ actions: listOf(s.Action).sort(), condition: s.Condition })),
        [{ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], condition: viaService('sqs') }],
        fn.node.path,
      );
    }
    for (const [id, policy] of Object.entries(resourcesOf('AWS::IAM::Policy'))) {
      const text = JSON.stringify(propsOf(policy).PolicyDocument);
      const roles = propsOf(policy).Roles as unknown[];
      const of = (fn: ShipgateFunction) => roles.some((r) => isDeepStrictEqual(r, roleOf(fn)));
      // The alarms topic appears in one policy: the monitor's, as the one action its alarms may have.
      if (!of(stack.monitoring.monitor)) assert.ok(!text.includes(alarms), `${id} names the alarms topic`);
      if (![stack.notifications.notifier, ...queueSenders].some(of)) {
        assert.ok(!text.includes(key), `${id} uses the notifications key`);
      }
    }
  });
});

describe('routes', () => {
  test('a subscribe route gets EVENTS_TOPIC_ARN and exactly the subscription actions; no other route any SNS', () => {
    const subscribers = routes.filter((route) => route.notifier === 'subscribe');
    assert.ok(subscribers.length > 0, 'some route manages subscriptions');
    for (const route of routes) {
      const fn = stack.api.functions.get(route.id);
      assert.ok(fn, route.id);
      const statements = statementsOf(fn);
      if (route.notifier === 'subscribe') {
        assert.deepEqual(grantsOf(statements, 'sns:'), subscribeGrants(eventsTopicId()), route.id);
        assert.deepEqual(environmentOf(fn).EVENTS_TOPIC_ARN, { Ref: eventsTopicId() }, route.id);
        // People's endpoints only: no URL, queue or function of someone else's can be subscribed.
        const [subscribe] = statements.filter((s) => listOf(s.Action).includes('sns:Subscribe'));
        assert.deepEqual(subscribe?.Condition, { StringEquals: { 'sns:Protocol': ['email', 'sms'] } }, route.id);
      } else {
        assert.deepEqual(grantsOf(statements, 'sns:'), {}, route.id);
        assert.equal(environmentOf(fn).EVENTS_TOPIC_ARN, undefined, route.id);
      }
    }
    assert.deepEqual(grantsOf(statementsOf(stack.workflow.function), 'sns:'), {}, WORKFLOW_FUNCTION.id);
  });

  test('a route that manages subscriptions fails synthesis when the API is given no events topic', () => {
    const other = new Stack(noBundling(), 'Other');
    const storage = new ShipgateStorage(other, 'Storage');
    const route = routes.find((r) => r.notifier !== undefined);
    assert.ok(route);
    assert.throws(
      () =>
        new ShipgateApi(other, 'Api', {
          table: (schema) => storage.table(schema),
          authorizer: new HttpNoneAuthorizer(),
          routes: [route],
        }),
      new RegExp(`route ${route.id} sets notifier`),
    );
  });

  test('bindSubscriber gives a function what a subscribe route gets', () => {
    const other = new Stack(noBundling(), 'Other');
    const storage = new ShipgateStorage(other, 'Storage');
    const notifications = new ShipgateNotifications(other, 'Notifications', {
      table: (s) => storage.table(s),
      workflow: importedWorkflow(other),
    });
    const fn = new ShipgateFunction(other, 'Importer', { entry: 'lambdas/http/handlers/health.ts' });
    notifications.bindSubscriber(fn);
    const otherTemplate = Template.fromStack(other);
    const topicId = logicalIdOf(notifications.eventsTopic.topicArn, other);
    assert.deepEqual(grantsOf(statementsOf(fn, otherTemplate, other), 'sns:'), subscribeGrants(topicId));
  });

  test('the notifier needs a releases table with a stream', () => {
    const other = new Stack(noBundling(), 'Other');
    const withoutStream = new Table(other, 'Releases', {
      partitionKey: { name: releasesTable.partitionKey.name, type: AttributeType.STRING },
      sortKey: { name: releasesTable.sortKey.name, type: AttributeType.STRING },
    });
    assert.throws(
      () =>
        new ShipgateNotifications(other, 'Notifications', {
          table: () => withoutStream,
          workflow: importedWorkflow(other),
        }),
      /has no stream for the notifier/,
    );
  });
});

describe('alarm rollback function', () => {
  test('is the one subscription of the alarms topic, a Lambda subscription to the alarm function', () => {
    const subscriptions = Object.values(resourcesOf('AWS::SNS::Subscription')).filter((s) =>
      isDeepStrictEqual(propsOf(s).TopicArn, { Ref: alarmsTopicId() }),
    );
    assert.equal(subscriptions.length, 1);
    const [subscription] = subscriptions;
    assert.equal(propsOf(subscription).Protocol, 'lambda');
    assert.deepEqual(propsOf(subscription).Endpoint, { 'Fn::GetAtt': [alarmFunctionId(), 'Arn'] });
    // SNS may invoke it, from the alarms topic only; nothing else has an invoke permission on it.
    const permissions = Object.values(resourcesOf('AWS::Lambda::Permission')).filter((p) =>
      isDeepStrictEqual(propsOf(p).FunctionName, { 'Fn::GetAtt': [alarmFunctionId(), 'Arn'] }),
    );
    assert.deepEqual(
      permissions.map((p) => ({ ...propsOf(p) })),
      [
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [alarmFunctionId(), 'Arn'] },
          Principal: 'sns.amazonaws.com',
          SourceArn: { Ref: alarmsTopicId() },
        },
      ],
    );
    // No function subscribes to the events topic: contacts do, at run time.
    assert.deepEqual(
      Object.values(resourcesOf('AWS::SNS::Subscription')).filter((s) =>
        isDeepStrictEqual(propsOf(s).TopicArn, { Ref: eventsTopicId() }),
      ),
      [],
    );
  });

  test('what SNS cannot deliver goes to an encrypted, TLS-only, retained queue that only the alarms topic may fill', () => {
    assert.equal(alarmQueueId(), 'AlarmDeadLetterQueue');
    const [subscription] = Object.values(resourcesOf('AWS::SNS::Subscription')).filter((s) =>
      isDeepStrictEqual(propsOf(s).TopicArn, { Ref: alarmsTopicId() }),
    );
    assert.deepEqual(propsOf(subscription).RedrivePolicy, {
      deadLetterTargetArn: { 'Fn::GetAtt': [alarmQueueId(), 'Arn'] },
    });
    const queue = resourcesOf('AWS::SQS::Queue')[alarmQueueId()];
    assert.equal(queue?.DeletionPolicy, 'Retain');
    assert.equal(queue?.UpdateReplacePolicy, 'Retain');
    assert.deepEqual(propsOf(queue).KmsMasterKeyId, { 'Fn::GetAtt': [keyId(), 'Arn'] });
    assert.equal(propsOf(queue).MessageRetentionPeriod, 14 * 24 * 60 * 60);
    const policies = Object.values(resourcesOf('AWS::SQS::QueuePolicy')).filter((p) =>
      (propsOf(p).Queues as unknown[]).some((q) => isDeepStrictEqual(q, { Ref: alarmQueueId() })),
    );
    assert.equal(policies.length, 1);
    const statements = (propsOf(policies[0]).PolicyDocument as { Statement: Statement[] }).Statement;
    const queueArn = { 'Fn::GetAtt': [alarmQueueId(), 'Arn'] };
    assert.deepEqual(statements, [
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: queueArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: alarmsTopicId() } } },
      },
    ]);
  });

  test('writes the table, answers the workflow as a respond route does, sends to its failure queue, and nothing else', () => {
    const fn = stack.notifications.alarmFunction;
    const statements = statementsOf(fn);
    const releases = JSON.stringify({ 'Fn::GetAtt': [releasesTable.logicalId, 'Arn'] });
    const dynamo = grantsOf(statements, 'dynamodb:');
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']) {
      assert.deepEqual(dynamo[action], [releases], action);
    }
    assert.deepEqual(
      Object.keys(dynamo).sort(),
      ['ConditionCheckItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'].map((a) => `dynamodb:${a}`),
    );
    // Exactly the Step Functions grants of a `respond` route.
    const respond = routes.find((route) => route.workflow === 'respond');
    assert.ok(respond);
    const routeFn = stack.api.functions.get(respond.id);
    assert.ok(routeFn);
    const states = grantsOf(statements, 'states:');
    assert.deepEqual(states, grantsOf(statementsOf(routeFn), 'states:'));
    const release = JSON.stringify({ Ref: logicalIdOf(stack.workflow.stateMachine.stateMachineArn) });
    const escalations = JSON.stringify({ Ref: logicalIdOf(stack.workflow.escalations.stateMachineArn) });
    assert.deepEqual(Object.keys(states).sort(), [
      'states:DescribeExecution',
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
      'states:StartExecution',
      'states:StopExecution',
    ]);
    assert.deepEqual(states['states:StartExecution'], [release, escalations].sort());
    assert.deepEqual(states['states:SendTaskSuccess'], [release, escalations].sort());
    assert.deepEqual(states['states:SendTaskFailure'], [release, escalations].sort());
    assert.equal(states['states:StopExecution']?.length, 1);
    assert.match(states['states:StopExecution']?.[0] ?? '', /:execution:/);
    // Its failure queue, to send failure records to, and nothing else of SQS.
    const failureQueue = JSON.stringify({ 'Fn::GetAtt': [failureQueueId(), 'Arn'] });
    assert.deepEqual(grantsOf(statements, 'sqs:'), { 'sqs:SendMessage': [failureQueue] });
    // Nothing of CloudWatch (the alarm comes in the message), no topic, no deletion.
    const services = new Set(statements.flatMap((s) => listOf(s.Action)).map((action) => action.split(':')[0]));
    assert.deepEqual([...services].sort(), ['dynamodb', 'kms', 'logs', 'sqs', 'states', 'xray']);
    assert.equal(grantsOf(statements, 'sns:')['sns:Publish'], undefined);
    assert.equal(dynamo['dynamodb:DeleteItem'], undefined);
    const tableKey = JSON.stringify({ 'Fn::GetAtt': [`${releasesTable.logicalId}Key`, 'Arn'] });
    const notificationsKey = JSON.stringify({ 'Fn::GetAtt': [keyId(), 'Arn'] });
    assert.deepEqual(grantsOf(statements, 'kms:')['kms:GenerateDataKey'], [notificationsKey, tableKey].sort());
    for (const [action, resources] of Object.entries(grantsOf(statements, 'kms:'))) {
      if (action !== 'kms:GenerateDataKey' && action !== 'kms:Decrypt') assert.deepEqual(resources, [tableKey]);
    }
    // Every policy of its role is its default policy: no policy of its own for DescribeAlarms any more.
    const policies = Object.entries(resourcesOf('AWS::IAM::Policy')).filter(([, policy]) =>
      (propsOf(policy).Roles as unknown[]).some((r) =>
        isDeepStrictEqual(r, { Ref: logicalIdOf(fn.role?.roleName ?? '') }),
      ),
    );
    assert.equal(policies.length, 1);
  });

  test('no policy of the stack reads alarms, or allows any CloudWatch action by wildcard', () => {
    for (const [id, policy] of Object.entries(resourcesOf('AWS::IAM::Policy'))) {
      const actions = (propsOf(policy).PolicyDocument as { Statement: Statement[] }).Statement.flatMap((s) =>
        listOf(s.Action),
      );
      assert.ok(!actions.includes('cloudwatch:DescribeAlarms'), `${id} reads alarms`);
      assert.deepEqual(
        actions.filter((action) => action.startsWith('cloudwatch:') && action.includes('*')),
        [],
        id,
      );
    }
  });

  test('an alarm it fails on is retried twice, for at most six hours, then recorded in its failure queue', () => {
    const configs = Object.values(resourcesOf('AWS::Lambda::EventInvokeConfig'));
    assert.equal(configs.length, 1);
    const [config] = configs;
    assert.deepEqual(propsOf(config), {
      FunctionName: { Ref: alarmFunctionId() },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 60 * 60,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failureQueueId(), 'Arn'] } } },
    });
    // Lambda checks the role may send to the destination when the configuration is created.
    const role = stack.notifications.alarmFunction.role;
    assert.ok(role);
    const [policyId] = Object.entries(resourcesOf('AWS::IAM::Policy')).find(([, policy]) =>
      (propsOf(policy).Roles as unknown[]).some((r) => isDeepStrictEqual(r, { Ref: logicalIdOf(role.roleName) })),
    ) ?? [undefined];
    assert.ok(policyId);
    assert.ok(listOf(config?.DependsOn ?? []).includes(policyId));
  });

  test('its failure queue is encrypted, TLS-only, retained, keeps 14 days, and is not the SNS dead-letter queue', () => {
    assert.equal(failureQueueId(), 'AlarmFailureQueue');
    assert.notEqual(failureQueueId(), alarmQueueId());
    const queue = resourcesOf('AWS::SQS::Queue')[failureQueueId()];
    assert.equal(queue?.DeletionPolicy, 'Retain');
    assert.equal(queue?.UpdateReplacePolicy, 'Retain');
    assert.deepEqual(propsOf(queue).KmsMasterKeyId, { 'Fn::GetAtt': [keyId(), 'Arn'] });
    assert.equal(propsOf(queue).MessageRetentionPeriod, 14 * 24 * 60 * 60);
    const policies = Object.values(resourcesOf('AWS::SQS::QueuePolicy')).filter((p) =>
      (propsOf(p).Queues as unknown[]).some((q) => isDeepStrictEqual(q, { Ref: failureQueueId() })),
    );
    assert.equal(policies.length, 1);
    // The function's role sends to it; no service principal may.
    assert.deepEqual((propsOf(policies[0]).PolicyDocument as { Statement: Statement[] }).Statement, [
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: { 'Fn::GetAtt': [failureQueueId(), 'Arn'] },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  test('gets the table and the state machines by environment, no topic, 30 s', () => {
    const env = environmentOf(stack.notifications.alarmFunction);
    assert.deepEqual(env[releasesTable.envVar], { Ref: releasesTable.logicalId });
    assert.deepEqual(env.STATE_MACHINE_ARN, { Ref: logicalIdOf(stack.workflow.stateMachine.stateMachineArn) });
    assert.deepEqual(env.ESCALATION_STATE_MACHINE_ARN, {
      Ref: logicalIdOf(stack.workflow.escalations.stateMachineArn),
    });
    assert.equal(env.EVENTS_TOPIC_ARN, undefined);
    assert.equal(propsOf(resourcesOf('AWS::Lambda::Function')[alarmFunctionId()]).Timeout, 30);
    assert.equal(ALARM_FUNCTION.entry, 'lambdas/events/alarm-handler.ts');
  });
});

describe('outputs', () => {
  test('the alarm rollback function', () => {
    template.hasOutput('AlarmRollbackFunctionName', { Value: { Ref: alarmFunctionId() } });
  });

  test('the events topic, the alarms topic and the dead-letter queue', () => {
    template.hasOutput('EventsTopicArn', { Value: { Ref: eventsTopicId() } });
    template.hasOutput('AlarmsTopicArn', { Value: { Ref: alarmsTopicId() } });
    template.hasOutput('NotificationDeadLetterQueueUrl', {
      Value: { Ref: logicalIdOf(stack.notifications.deadLetterQueue.queueUrl) },
    });
  });

  test("the alarm function's failure queue", () => {
    template.hasOutput('AlarmFailureQueueUrl', { Value: { Ref: failureQueueId() } });
  });
});

describe('on-call subscribers', () => {
  const onCall = {
    emails: ['oncall@example.com', 'sre.lead@example.org'],
    phones: ['+4915112345678'],
    urls: ['https://events.pager.example.com/integration/abc123/enqueue'],
  };

  /** The alarms topic's subscriptions of a stack synthesized with this context, but the alarm function's. */
  const onCallOf = (context: Record<string, unknown>, props = {}) => {
    const other = new ShipgateStack(noBundling(context), 'Other', props);
    const topic = { Ref: logicalIdOf(other.notifications.alarmsTopic.topicArn, other) };
    return Object.values(resourcesOf('AWS::SNS::Subscription', Template.fromStack(other)))
      .map((subscription) => propsOf(subscription))
      .filter((props) => isDeepStrictEqual(props.TopicArn, topic) && props.Protocol !== 'lambda')
      .map(({ TopicArn: _, ...rest }) => rest)
      .sort((a, b) => String(a.Endpoint).localeCompare(String(b.Endpoint)));
  };

  const redrive = { deadLetterTargetArn: { 'Fn::GetAtt': ['AlarmDeadLetterQueue', 'Arn'] } };
  const expected = [
    { Protocol: 'sms', Endpoint: '+4915112345678' },
    { Protocol: 'https', Endpoint: onCall.urls[0], RedrivePolicy: redrive },
    { Protocol: 'email', Endpoint: 'oncall@example.com', RedrivePolicy: redrive },
    { Protocol: 'email', Endpoint: 'sre.lead@example.org', RedrivePolicy: redrive },
  ];

  test('none by default: the alarm function is the only subscriber', () => {
    assert.deepEqual(
      Object.values(resourcesOf('AWS::SNS::Subscription'))
        .filter((subscription) => isDeepStrictEqual(propsOf(subscription).TopicArn, { Ref: alarmsTopicId() }))
        .map((subscription) => propsOf(subscription).Protocol),
      ['lambda'],
    );
  });

  test('each email, phone and HTTPS URL of the context is one unfiltered subscription of the alarms topic', () => {
    // Unfiltered: on-call people get every state change of every alarm. Undeliverable emails and pages are kept.
    assert.deepEqual(onCallOf({ [ON_CALL_CONTEXT]: onCall }), expected);
  });

  test('the context may be given as a JSON string, as `cdk -c` passes it', () => {
    assert.deepEqual(onCallOf({ [ON_CALL_CONTEXT]: JSON.stringify(onCall) }), expected);
  });

  test('the stack property wins over the context', () => {
    assert.deepEqual(onCallOf({ [ON_CALL_CONTEXT]: onCall }, { onCall: { emails: ['only@example.com'] } }), [
      { Protocol: 'email', Endpoint: 'only@example.com', RedrivePolicy: redrive },
    ]);
  });

  test('a subscription is named after its endpoint, so removing one contact keeps the others', () => {
    const ids = (contacts: object) => {
      const other = new ShipgateStack(noBundling({ [ON_CALL_CONTEXT]: contacts }), 'Other');
      return Object.entries(resourcesOf('AWS::SNS::Subscription', Template.fromStack(other)))
        .filter(([, subscription]) => propsOf(subscription).Protocol === 'email')
        .map(([id, subscription]) => `${id} ${String(propsOf(subscription).Endpoint)}`);
    };
    const both = ids({ emails: ['a@example.com', 'b@example.com'] });
    const one = ids({ emails: ['b@example.com'] });
    assert.equal(both.length, 2);
    assert.deepEqual(
      one,
      both.filter((entry) => entry.endsWith(' b@example.com')),
    );
  });

  test('an invalid context fails synthesis with an error naming the key and the entry', () => {
    const cases: [unknown, RegExp][] = [
      [{ emails: ['not-an-address'] }, /context shipgate:onCall: emails\[0\] "not-an-address" is not an email/],
      [{ phones: ['0151 1234567'] }, /context shipgate:onCall: phones\[0\] "0151 1234567" is not an E\.164/],
      [{ phones: ['+49151123456789012'] }, /phones\[0\] .* is not an E\.164/],
      [{ urls: ['http://pager.example.com/hook'] }, /context shipgate:onCall: urls\[0\] .* is not an HTTPS URL/],
      [{ urls: ['pager.example.com/hook'] }, /urls\[0\] .* is not a URL/],
      [{ email: ['oncall@example.com'] }, /context shipgate:onCall: unknown key "email"/],
      [{ emails: 'oncall@example.com' }, /context shipgate:onCall: emails must be a list of strings/],
      [{ emails: ['a@example.com', 'a@example.com'] }, /emails\[1\] "a@example.com" is listed twice/],
      [['oncall@example.com'], /context shipgate:onCall: must be an object/],
      ['{"emails": [', /context shipgate:onCall: is not valid JSON/],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => onCallOf({ [ON_CALL_CONTEXT]: value }), message, JSON.stringify(value));
    }
  });

  test('an invalid stack property fails synthesis naming the property', () => {
    assert.throws(() => onCallOf({}, { onCall: { phones: ['12345'] } }), /^Error: onCall: phones\[0\] "12345"/);
  });

  test('parseOnCall accepts nothing as no contacts and fills the missing lists', () => {
    assert.deepEqual(parseOnCall(undefined), { emails: [], phones: [], urls: [] });
    assert.deepEqual(parseOnCall({ phones: ['+15555550100'] }), { emails: [], phones: ['+15555550100'], urls: [] });
  });
});
