// Infra tests of the stack watching itself: an Errors and a Throttles alarm per function, iterator age per stream
// consumer, executions per state machine, depth per failure queue, the API's 5xx and p99 latency, every alarm acting
// on the alarms topic under the health prefix, and the dashboard.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { healthAlarmPrefixOf, ShipgateObservability } from '../../lib/observability.ts';
import { ShipgateStack } from '../../lib/shipgate-stack.ts';
import { logicalIdIn, noBundling, propsOf, resourcesIn } from '../support/cdk.ts';

let stack: ShipgateStack;
let template: Template;

before(() => {
  stack = new ShipgateStack(noBundling(), 'Shipgate');
  template = Template.fromStack(stack);
});

const alarmType = 'AWS::CloudWatch::Alarm';
const alarms = (from: Template = template) => Object.values(resourcesIn(from, alarmType)).map(propsOf);
const ids = (type: string): string[] => Object.keys(resourcesIn(template, type));
const topicRef = () => ({ Ref: logicalIdIn(stack, stack.notifications.alarmsTopic.topicArn) });

/** The alarms on one metric of one dimension value. */
const alarmsOn = (namespace: string, metric: string, dimension: string, value: unknown, from = template) =>
  alarms(from).filter(
    (alarm) =>
      alarm.Namespace === namespace &&
      alarm.MetricName === metric &&
      JSON.stringify(alarm.Dimensions) === JSON.stringify([{ Name: dimension, Value: value }]),
  );

describe('function alarms', () => {
  test('every function in the template has one Errors and one Throttles alarm, from one error or throttle', () => {
    const functions = ids('AWS::Lambda::Function');
    // The API's routes, the workflow and escalation tasks, the notifier, the alarm rollback function, the monitor.
    assert.equal(functions.length, stack.api.functions.size + 5);
    for (const id of functions) {
      for (const metric of ['Errors', 'Throttles']) {
        const found = alarmsOn('AWS/Lambda', metric, 'FunctionName', { Ref: id });
        assert.equal(found.length, 1, `${metric} alarm of ${id}`);
        assert.equal(found[0]?.Statistic, 'Sum');
        assert.equal(found[0]?.Threshold, 1);
        assert.equal(found[0]?.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
        assert.equal(found[0]?.Period, 300);
      }
    }
    assert.equal(alarms().filter((alarm) => alarm.MetricName === 'Errors').length, functions.length);
    assert.equal(alarms().filter((alarm) => alarm.MetricName === 'Throttles').length, functions.length);
    template.hasResourceProperties(alarmType, {
      AlarmName: 'Shipgate.health-api-create-release-errors',
      MetricName: 'Errors',
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: { Ref: logicalIdIn(stack, stack.api.functions.get('create-release')?.functionName ?? '') },
        },
      ],
    });
    template.hasResourceProperties(alarmType, {
      AlarmName: 'Shipgate.health-alarm-rollback-throttles',
      MetricName: 'Throttles',
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: logicalIdIn(stack, stack.notifications.alarmFunction.functionName) } },
      ],
    });
  });

  test('each stream consumer has an iterator age alarm above five minutes', () => {
    const consumers = Object.values(resourcesIn(template, 'AWS::Lambda::EventSourceMapping')).map(
      (mapping) => propsOf(mapping).FunctionName,
    );
    const expected = [stack.notifications.notifier, stack.monitoring.monitor].map((fn) => ({
      Ref: logicalIdIn(stack, fn.functionName),
    }));
    assert.deepEqual(consumers, expected);
    for (const fn of expected) {
      template.hasResourceProperties(alarmType, {
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: fn }],
        Statistic: 'Maximum',
        Threshold: 300_000,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    assert.equal(alarms().filter((alarm) => alarm.MetricName === 'IteratorAge').length, 2);
  });
});

describe('execution alarms', () => {
  test('both state machines alarm on failed, timed-out and aborted executions', () => {
    const machines = ids('AWS::StepFunctions::StateMachine');
    assert.equal(machines.length, 2);
    for (const id of machines) {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        const found = alarmsOn('AWS/States', metric, 'StateMachineArn', { Ref: id });
        assert.equal(found.length, 1, `${metric} alarm of ${id}`);
        assert.equal(found[0]?.Statistic, 'Sum');
      }
    }
    // Cancels and resumes stop release executions by design: a burst within an hour alarms, one abort does not.
    template.hasResourceProperties(alarmType, {
      AlarmName: 'Shipgate.health-release-executions-aborted',
      MetricName: 'ExecutionsAborted',
      Dimensions: [
        { Name: 'StateMachineArn', Value: { Ref: logicalIdIn(stack, stack.workflow.stateMachine.stateMachineArn) } },
      ],
      Period: 3600,
      Threshold: 10,
    });
    template.hasResourceProperties(alarmType, {
      AlarmName: 'Shipgate.health-escalation-executions-aborted',
      Dimensions: [
        { Name: 'StateMachineArn', Value: { Ref: logicalIdIn(stack, stack.workflow.escalations.stateMachineArn) } },
      ],
      Period: 300,
      Threshold: 1,
    });
  });
});

describe('queue alarms', () => {
  test('every queue of the stack alarms as soon as it holds a message, keeping its state when SQS goes quiet', () => {
    const queues = ids('AWS::SQS::Queue');
    assert.equal(queues.length, 4);
    for (const id of queues) {
      const found = alarmsOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', {
        'Fn::GetAtt': [id, 'QueueName'],
      });
      assert.equal(found.length, 1, `depth alarm of ${id}`);
      assert.equal(found[0]?.Threshold, 0);
      assert.equal(found[0]?.ComparisonOperator, 'GreaterThanThreshold');
      assert.equal(found[0]?.Statistic, 'Maximum');
      assert.equal(found[0]?.TreatMissingData, 'ignore');
    }
  });
});

describe('API alarms', () => {
  const dimensions = () => [
    { Name: 'ApiId', Value: { Ref: logicalIdIn(stack, stack.api.httpApi.apiId) } },
    { Name: 'Stage', Value: '$default' },
  ];

  test('5xx: five in five minutes', () => {
    template.hasResourceProperties(alarmType, {
      AlarmName: 'Shipgate.health-api-5xx',
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: dimensions(),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('p99 latency: above three seconds for three periods in a row', () => {
    template.hasResourceProperties(alarmType, {
      AlarmName: 'Shipgate.health-api-latency-p99',
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      Dimensions: dimensions(),
      ExtendedStatistic: 'p99',
      Statistic: Match.absent(),
      Threshold: 3000,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('every alarm', () => {
  test('is counted: two per function, two consumers, three per state machine, one per queue, two for the API', () => {
    const expected =
      2 * ids('AWS::Lambda::Function').length +
      ids('AWS::Lambda::EventSourceMapping').length +
      3 * ids('AWS::StepFunctions::StateMachine').length +
      ids('AWS::SQS::Queue').length +
      2;
    template.resourceCountIs(alarmType, expected);
    assert.equal(stack.observability.alarms.length, expected);
  });

  test('publishes ALARM and OK to the alarms topic, and nowhere else', () => {
    template.allResourcesProperties(alarmType, { AlarmActions: [topicRef()], OKActions: [topicRef()] });
    for (const alarm of alarms()) assert.equal(alarm.InsufficientDataActions, undefined);
  });

  test('is named <stack>.health-…, uniquely, and never under the rollback alarms prefix', () => {
    const names = alarms().map((alarm) => alarm.AlarmName);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) {
      assert.ok(typeof name === 'string' && name.startsWith('Shipgate.health-') && name.length <= 255, String(name));
      assert.ok(!name.startsWith(`${stack.monitoring.alarmPrefix}-`), name);
    }
  });

  test('treats missing data as not breaching, except the queues, and explains itself', () => {
    for (const alarm of alarms()) {
      const expected = alarm.Namespace === 'AWS/SQS' ? 'ignore' : 'notBreaching';
      assert.equal(alarm.TreatMissingData, expected, String(alarm.AlarmName));
      assert.ok(typeof alarm.AlarmDescription === 'string' && alarm.AlarmDescription.length > 10);
    }
  });

  test('follows the stack name and the thresholds given to the stack', () => {
    const other = new ShipgateStack(noBundling(), 'Other', {
      stackName: 'Shipgate-staging',
      observability: {
        functionErrors: 3,
        functionThrottles: 2,
        iteratorAge: Duration.minutes(15),
        releaseAborts: 25,
        serverErrors: 20,
        latencyP99: Duration.seconds(5),
      },
    });
    const otherTemplate = Template.fromStack(other);
    assert.equal(other.observability.alarmPrefix, healthAlarmPrefixOf('Shipgate-staging'));
    for (const alarm of alarms(otherTemplate)) {
      assert.match(String(alarm.AlarmName), /^Shipgate-staging\.health-/);
    }
    const thresholdOf = (name: string) =>
      alarms(otherTemplate).find((alarm) => alarm.AlarmName === `Shipgate-staging.health-${name}`)?.Threshold;
    assert.equal(thresholdOf('api-get-release-errors'), 3);
    assert.equal(thresholdOf('monitor-throttles'), 2);
    assert.equal(thresholdOf('notifier-iterator-age'), 900_000);
    assert.equal(thresholdOf('release-executions-aborted'), 25);
    assert.equal(thresholdOf('api-5xx'), 20);
    assert.equal(thresholdOf('api-latency-p99'), 5000);
  });

  test('a prefix under the rollback alarms prefix fails synthesis', () => {
    const clash = new ShipgateStack(noBundling(), 'Clash');
    assert.throws(
      () =>
        new ShipgateObservability(clash, 'Again', {
          api: clash.api,
          workflow: clash.workflow,
          notifications: clash.notifications,
          monitoring: clash.monitoring,
          alarmPrefix: `${clash.monitoring.alarmPrefix}-health`,
        }),
      /falls under the rollback alarms/,
    );
  });
});

describe('the alarm rollback function, which receives every health alarm', () => {
  test('changes nothing for an alarm no release names and without a ReleaseId dimension', async () => {
    // Imported here, so that work in progress on the handler fails this test alone.
    const { alarmChangeOf } = await import('../../lambdas/events/alarm-message.ts');
    const { onAlarm } = await import('../../lambdas/core/monitoring/rollback-use-cases.ts');
    const looked: string[] = [];
    // Anything but looking the alarm's name up (a load, a save, a workflow call) throws.
    const untouchable = (what: string) =>
      new Proxy({}, { get: (_, key) => assert.fail(`the rollback function used ${what}.${String(key)}`) });
    const store = new Proxy(untouchable('store'), {
      get: (target, key) =>
        key === 'releasesForAlarm'
          ? async (name: string) => {
              looked.push(name);
              return [];
            }
          : Reflect.get(target, key),
    });
    const ctx = new Proxy(untouchable('ctx'), {
      get: (target, key) => (key === 'store' ? store : Reflect.get(target, key)),
    });
    for (const name of alarms().map((alarm) => String(alarm.AlarmName))) {
      for (const state of ['ALARM', 'OK']) {
        const change = alarmChangeOf(
          JSON.stringify({
            AlarmName: name,
            NewStateValue: state,
            NewStateReason: 'Threshold Crossed: 1 datapoint [2.0] was greater than or equal to the threshold (1.0).',
            Trigger: { Dimensions: [{ name: 'FunctionName', value: 'Shipgate-notifier' }] },
          }),
        );
        assert.ok(change);
        assert.equal(change.releaseId, undefined);
        assert.deepEqual(await onAlarm(ctx as never, change), []);
      }
    }
    // Only the ALARM notifications are looked up; OK ones return at once.
    assert.equal(looked.length, stack.observability.alarms.length);
  });
});

describe('dashboard', () => {
  test('one dashboard, named by CloudFormation and output, with the API, function, stream, execution and queue graphs', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const [id, dashboard] = Object.entries(resourcesIn(template, 'AWS::CloudWatch::Dashboard'))[0] ?? [];
    assert.ok(id && dashboard);
    assert.equal(propsOf(dashboard).DashboardName, undefined);
    template.hasOutput('DashboardName', { Value: { Ref: id } });
    const body = JSON.stringify(propsOf(dashboard).DashboardBody);
    for (const title of [
      'Health alarms',
      'API requests',
      'API errors',
      'API latency',
      'API functions: errors',
      'API functions: throttles',
      'API functions: duration p99',
      'Workflow, notification and monitoring functions: errors',
      'Stream iterator age (ms)',
      'Executions failed, timed out, aborted',
      'Failure queue depths',
    ]) {
      assert.ok(body.includes(`\\"title\\":\\"${title}\\"`), title);
    }
    for (const metric of ['IteratorAge', 'ExecutionsFailed', 'ApproximateNumberOfMessagesVisible', 'Duration', '5xx']) {
      assert.ok(body.includes(`\\"${metric}\\"`), metric);
    }
  });
});
