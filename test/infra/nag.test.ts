// cdk-nag's AwsSolutions pack over the Shipgate stack, applied the way bin/shipgate.ts applies it: synthesis must
// succeed with nothing left unacknowledged, and every acknowledgement must be narrow and give its reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { App, Validations } from 'aws-cdk-lib';
import { FeaturePlan, UserPool } from 'aws-cdk-lib/aws-cognito';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { routes } from '../../lambdas/functions/catalog.ts';
import { applyNag } from '../../lib/nag.ts';
import { ShipgateStack, type ShipgateStackProps } from '../../lib/shipgate-stack.ts';

/** The parts of CDK's validation report (`validation-report.json` in the cloud assembly) these tests read. */
interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly {
      readonly ruleName: string;
      readonly severity: string;
      readonly violatingConstructs: readonly { readonly constructPath: string }[];
    }[];
  }[];
}

interface NagRun {
  readonly app: App;
  readonly stack: ShipgateStack;
  /** The synthesis error, if synthesis failed. */
  readonly error: unknown;
  /** Every finding the report lists, as `<severity> <rule> <construct path>`. */
  readonly findings: readonly string[];
}

/**
 * Synthesizes a Shipgate stack with the nag pack applied, after `extend` has had a chance to add to it. Bundling is
 * skipped: no rule reads function code, and the stack test already bundles every function.
 */
const synthWithNag = (props: ShipgateStackProps = {}, extend?: (stack: ShipgateStack) => void): NagRun => {
  // In-memory mode: a failed validation throws with the report in the error, rather than printing it to stderr.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:appMode': 'inmemory' } });
  applyNag(app);
  const stack = new ShipgateStack(app, 'Shipgate', props);
  extend?.(stack);
  let error: unknown;
  try {
    app.synth();
  } catch (caught) {
    error = caught;
  }
  const report = JSON.parse(readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  const findings = report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map((c) => `${violation.severity} ${violation.ruleName} ${c.constructPath}`),
    ),
  );
  return { app, stack, error, findings };
};

/** Every acknowledgement in the tree: the rule id, the path of the construct it sits on, and its reason. */
const acknowledgementsOf = (root: IConstruct): { id: string; path: string; reason: string }[] =>
  root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([qualified, reason]) => ({
          id: qualified.replace(/^annotation::/i, ''),
          path: construct.node.path,
          reason,
        })),
      ),
  );

describe('cdk-nag AwsSolutions', () => {
  test('the stack synthesizes with no unacknowledged finding, error or warning', () => {
    const { error, findings } = synthWithNag();
    assert.deepEqual(findings, []);
    assert.equal(error, undefined);
  });

  test('the acknowledgements that follow the MFA and threat-protection props keep it clean', () => {
    const { error, findings } = synthWithNag({ auth: { mfa: 'optional', threatProtection: false } });
    assert.deepEqual(findings, []);
    assert.equal(error, undefined);
  });

  test('an unacknowledged finding fails synthesis, even one of warning level', () => {
    // A pool that satisfies every rule but MFA (AwsSolutions-COG2, a warning).
    const { error, findings } = synthWithNag({}, (stack) => {
      new UserPool(stack, 'Unchecked', {
        featurePlan: FeaturePlan.PLUS,
        passwordPolicy: {
          minLength: 12,
          requireDigits: true,
          requireLowercase: true,
          requireSymbols: true,
          requireUppercase: true,
        },
      });
    });
    assert.deepEqual(findings, ['warning AwsSolutions-COG2 Shipgate/Unchecked/Resource']);
    assert.ok(error instanceof Error);
    assert.match(error.message, /AwsSolutions-COG2/);
  });

  test('each acknowledgement gives a reason and sits on the one kind of construct it is for', () => {
    const { stack } = synthWithNag();
    const acks = acknowledgementsOf(stack);
    assert.ok(acks.length > 0);
    for (const ack of acks) {
      assert.ok(ack.reason.trim().length >= 40, `${ack.id} on ${ack.path} has no written reason`);
    }
    // The two probes and the API's contract alone are open, and only their routes say so.
    assert.deepEqual(
      acks.filter((ack) => ack.id === 'AwsSolutions-APIG4').map((ack) => ack.path),
      [
        'Shipgate/Api/HttpApi/GET--health',
        'Shipgate/Api/HttpApi/GET--health--ready',
        'Shipgate/Api/HttpApi/GET--openapi.json',
      ],
    );
    // The X-Ray (and, for the state machines, log delivery) `*` is acknowledged on each role's own policy, never
    // higher up: every API function, the workflow and escalation functions, the notifier, the alarm function, the
    // monitor and both state machines; and PutMetricData's `*` on the monitor's policy that grants it alone.
    const star = acks.filter((ack) => ack.id === 'AwsSolutions-IAM5[Resource::*]').map((ack) => ack.path);
    assert.equal(star.length, stack.api.functions.size + 8);
    for (const ackPath of star) {
      assert.match(
        ackPath,
        /^Shipgate\/((Api\/[a-z-]+ServiceRole|Workflow\/(workflowServiceRole|escalationServiceRole|StateMachineRole|EscalationStateMachineRole)|Notifications\/(notifierServiceRole|alarm-rollbackServiceRole)|Monitoring\/monitorServiceRole)\/DefaultPolicy|Monitoring\/MetricDataPolicy)$/,
      );
    }
    assert.ok(star.includes('Shipgate/Notifications/alarm-rollbackServiceRole/DefaultPolicy'));
    assert.ok(star.includes('Shipgate/Monitoring/monitorServiceRole/DefaultPolicy'));
    assert.ok(star.includes('Shipgate/Monitoring/MetricDataPolicy'));
    assert.ok(star.includes('Shipgate/Workflow/workflowServiceRole/DefaultPolicy'));
    assert.ok(star.includes('Shipgate/Workflow/StateMachineRole/DefaultPolicy'));
    assert.ok(star.includes('Shipgate/Workflow/escalationServiceRole/DefaultPolicy'));
    assert.ok(star.includes('Shipgate/Workflow/EscalationStateMachineRole/DefaultPolicy'));
    assert.ok(star.includes('Shipgate/Notifications/notifierServiceRole/DefaultPolicy'));
    // Nothing reads alarms any more: the alarm function's DescribeAlarms policy is gone.
    assert.ok(!acks.some((ack) => ack.path.endsWith('AlarmReadPolicy')));
    // The executions wildcard, on the policy of each route that stops or describes executions and of the alarm
    // function (which answers the workflow as such a route does), and nowhere else.
    const stateMachine = stack.resolve(stack.workflow.stateMachine.stateMachineArn) as { Ref: string };
    const executions =
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:' +
      `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachine.Ref}"}]}]}:*]`;
    assert.deepEqual(
      acks.filter((ack) => ack.id === executions).map((ack) => ack.path),
      [
        'Shipgate/Notifications/alarm-rollbackServiceRole/DefaultPolicy',
        ...routes
          .filter((route) => route.workflow === 'respond')
          .map((route) => `Shipgate/Api/${route.id}ServiceRole/DefaultPolicy`),
      ],
    );
    // The subscriptions wildcard, on the policy of each route that manages subscriptions, and nowhere else.
    const eventsTopic = stack.resolve(stack.notifications.eventsTopic.topicArn) as { Ref: string };
    const subscriptions = `AwsSolutions-IAM5[Resource::<${eventsTopic.Ref}>:*]`;
    const subscribers = routes.filter((route) => route.notifier === 'subscribe');
    assert.ok(subscribers.length > 0);
    assert.deepEqual(
      acks.filter((ack) => ack.id === subscriptions).map((ack) => ack.path),
      subscribers.map((route) => `Shipgate/Api/${route.id}ServiceRole/DefaultPolicy`),
    );
    // The stream sources' and the alarms topic's failure queues are themselves dead-letter queues, so they need none
    // (SQS3); only they say so.
    assert.deepEqual(
      acks.filter((ack) => ack.id === 'AwsSolutions-SQS3').map((ack) => ack.path),
      [
        'Shipgate/Notifications/DeadLetterQueue',
        'Shipgate/Notifications/AlarmDeadLetterQueue',
        'Shipgate/Notifications/AlarmFailureQueue',
        'Shipgate/Monitoring/DeadLetterQueue',
      ],
    );
    // The monitor's alarms wildcard, on its own policy, and nowhere else.
    const alarms =
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:' +
      `${stack.monitoring.alarmPrefix}-*]`;
    assert.deepEqual(
      acks.filter((ack) => ack.id === alarms).map((ack) => ack.path),
      ['Shipgate/Monitoring/monitorServiceRole/DefaultPolicy'],
    );
    assert.deepEqual(
      [...new Set(acks.map((ack) => ack.id))].sort(),
      [
        'AwsSolutions-APIG4',
        'AwsSolutions-IAM5[Resource::*]',
        alarms,
        subscriptions,
        executions,
        'AwsSolutions-SQS3',
      ].sort(),
    );
  });

  test('on-call subscriptions of every kind leave the stack clean', () => {
    const { error, findings } = synthWithNag({
      onCall: { emails: ['oncall@example.com'], phones: ['+15555550100'], urls: ['https://events.example.com/hook'] },
    });
    assert.deepEqual(findings, []);
    assert.equal(error, undefined);
  });

  test('the subscriptions acknowledgement does not hide another wildcard on the same policy', () => {
    const route = routes.find((r) => r.notifier === 'subscribe');
    assert.ok(route);
    const { error, findings } = synthWithNag({}, (stack) => {
      stack.api.functions.get(route.id)?.addToRolePolicy(
        new PolicyStatement({
          actions: ['sns:Unsubscribe'],
          resources: ['arn:aws:sns:us-east-1:123456789012:other-topic:*'],
        }),
      );
    });
    assert.deepEqual(findings, [
      'error AwsSolutions-IAM5[Resource::arn:aws:sns:us-east-1:123456789012:other-topic:*] ' +
        `Shipgate/Api/${route.id}ServiceRole/DefaultPolicy/Resource`,
    ]);
    assert.ok(error instanceof Error);
  });

  test('the PutMetricData acknowledgement does not hide another wildcard on the same policy', () => {
    const { error, findings } = synthWithNag({}, (stack) => {
      const policy = stack.monitoring.node.tryFindChild('MetricDataPolicy');
      assert.ok(policy instanceof Policy);
      policy.addStatements(new PolicyStatement({ actions: ['cloudwatch:*'], resources: ['*'] }));
    });
    assert.deepEqual(findings, [
      'error AwsSolutions-IAM5[Action::cloudwatch:*] Shipgate/Monitoring/MetricDataPolicy/Resource',
    ]);
    assert.ok(error instanceof Error);
  });

  test("the alarms acknowledgement does not hide another stack's alarms on the same policy", () => {
    const { error, findings } = synthWithNag({}, (stack) => {
      stack.monitoring.monitor.addToRolePolicy(
        new PolicyStatement({
          actions: ['cloudwatch:DeleteAlarms'],
          resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:Other-*'],
        }),
      );
    });
    assert.deepEqual(findings, [
      'error AwsSolutions-IAM5[Resource::arn:aws:cloudwatch:us-east-1:123456789012:alarm:Other-*] ' +
        'Shipgate/Monitoring/monitorServiceRole/DefaultPolicy/Resource',
    ]);
    assert.ok(error instanceof Error);
  });

  test('the executions acknowledgement does not hide another wildcard on the same policy', () => {
    const route = routes.find((r) => r.workflow === 'respond');
    assert.ok(route);
    const { error, findings } = synthWithNag({}, (stack) => {
      stack.api.functions.get(route.id)?.addToRolePolicy(
        new PolicyStatement({
          actions: ['states:DescribeStateMachine'],
          resources: ['arn:aws:states:us-east-1:123456789012:stateMachine:*'],
        }),
      );
    });
    assert.deepEqual(findings, [
      'error AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:123456789012:stateMachine:*] ' +
        `Shipgate/Api/${route.id}ServiceRole/DefaultPolicy/Resource`,
    ]);
    assert.ok(error instanceof Error);
  });
});
