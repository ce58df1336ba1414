// Infra tests of the release workflow: each state machine CDK deploys (releases, escalations) runs its shared
// definition unchanged, is traced and logged without execution data, invokes its own function only, and each route
// gets the workflow access its route table entry names, without a dependency cycle.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HttpNoneAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { ESCALATION_FUNCTION, routes, WORKFLOW_FUNCTION } from '../../lambdas/functions/catalog.ts';
import {
  ROLLBACK_STEP_FAILED,
  ROLLBACK_TRIGGERED,
  WORKFLOW_FUNCTION_PLACEHOLDER,
  workflowDefinition,
} from '../../lambdas/workflow/definition.ts';
import { ESCALATION_FUNCTION_PLACEHOLDER, escalationDefinition } from '../../lambdas/workflow/escalation-definition.ts';
import { ShipgateApi } from '../../lib/api.ts';
import type { ShipgateFunction } from '../../lib/function.ts';
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

type AslValidator = (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
// asl-validator is CommonJS without type declarations.
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

/** The parts of an ASL Task state these tests read. */
interface TaskState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: { readonly FunctionName?: unknown };
  readonly TimeoutSecondsPath?: string;
  readonly TimeoutSeconds?: number;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly { readonly ErrorEquals: readonly string[]; readonly Next: string }[];
}

/** A retrier as these tests read it. */
interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly BackoffRate?: number;
  readonly MaxAttempts?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: string;
}

/** The workflow function's ARN as a deployed stack would substitute it. */
const functionArn = 'arn:aws:lambda:us-east-1:123456789012:function:Shipgate-workflow-0123456789AB';
/** The escalation function's ARN as a deployed stack would substitute it. */
const escalationFunctionArn = 'arn:aws:lambda:us-east-1:123456789012:function:Shipgate-escalation-0123456789AB';

const lambdaServiceErrors = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * Every Task of the definition retries the Lambda service errors and throttling with exponential backoff and full
 * jitter, in the limits AWS accepts (asl-validator does not check MaxDelaySeconds or JitterStrategy); only the
 * `waits`, whose timeout is their meaning, leave States.Timeout to their Catch.
 */
const assertRetries = (definition: unknown, waits: readonly string[]): void => {
  for (const [name, task] of Object.entries(tasksOf(definition))) {
    const retriers = task.Retry ?? [];
    const retried = retriers.flatMap((retry) => retry.ErrorEquals);
    for (const error of [...lambdaServiceErrors, 'ProvisionedThroughputExceededException', 'ThrottlingException']) {
      assert.ok(retried.includes(error), `${name} retries ${error}`);
    }
    assert.equal(retried.includes('States.Timeout'), !waits.includes(name), `${name}: States.Timeout retried`);
    assert.equal(new Set(retried).size, retried.length, `${name}: each error has one retrier`);
    assert.ok(!retried.includes('States.ALL') && !retried.includes('States.TaskFailed'), `${name}: no catch-all retry`);
    for (const retry of retriers) {
      assert.equal(retry.JitterStrategy, 'FULL', name);
      assert.ok(Number.isInteger(retry.IntervalSeconds) && (retry.IntervalSeconds ?? 0) >= 1, name);
      assert.ok((retry.BackoffRate ?? 0) > 1, name);
      assert.ok(Number.isInteger(retry.MaxAttempts) && (retry.MaxAttempts ?? 0) >= 1, name);
      assert.ok(Number.isInteger(retry.MaxDelaySeconds) && (retry.MaxDelaySeconds ?? 0) >= 1, name);
    }
    if (!waits.includes(name)) assert.ok((task.TimeoutSeconds ?? 0) > 30, `${name} times out after its function`);
  }
};

/**
 * Every Task but RecordFailure catches what its retries leave, last (after its specific catches), into a state
 * that leads to RecordFailure; RecordFailure ends in a Fail state either way.
 */
const assertFailuresRecorded = (definition: unknown): void => {
  const { States } = definition as { States: Record<string, { Type: string; Next?: string }> };
  for (const [name, task] of Object.entries(tasksOf(definition))) {
    const catches = task.Catch ?? [];
    const last = catches.at(-1);
    assert.deepEqual(last?.ErrorEquals, ['States.ALL'], `${name} catches the rest last`);
    if (name === 'RecordFailure') {
      assert.equal(States[last?.Next ?? '']?.Type, 'Fail');
      assert.equal(States[(task as { Next?: string }).Next ?? '']?.Type, 'Fail');
      continue;
    }
    assert.equal(States[last?.Next ?? '']?.Next, 'RecordFailure', `${name} records its failure`);
  }
};

let stack: ShipgateStack;
let template: Template;

before(() => {
  // Bundling is skipped: these tests read configuration only (the stack test bundles every function).
  stack = new ShipgateStack(noBundling(), 'Shipgate');
  template = Template.fromStack(stack);
});

const resourcesOf = (type: string): Record<string, Resource> => resourcesIn(template, type);

const logicalIdOf = (ref: string): string => logicalIdIn(stack, ref);

const stateMachineId = (): string => logicalIdOf(stack.workflow.stateMachine.stateMachineArn);
const workflowFunctionId = (): string => logicalIdOf(stack.workflow.function.functionName);
const escalationsId = (): string => logicalIdOf(stack.workflow.escalations.stateMachineArn);
const escalationFunctionId = (): string => logicalIdOf(stack.workflow.escalationFunction.functionName);

/** A state machine of the stack and the one function its definition may invoke. */
interface Machine {
  readonly stateMachineId: () => string;
  readonly functionId: () => string;
}
const release: Machine = { stateMachineId, functionId: workflowFunctionId };
const escalation: Machine = { stateMachineId: escalationsId, functionId: escalationFunctionId };

const stateMachineProps = (machine: Machine = release): Record<string, unknown> =>
  propsOf(resourcesOf('AWS::StepFunctions::StateMachine')[machine.stateMachineId()]);

/** Every statement of every policy attached to the role. */
const statementsOfRole = (roleId: string): Statement[] =>
  Object.values(resourcesOf('AWS::IAM::Policy'))
    .filter((policy) => (propsOf(policy).Roles as unknown[]).some((r) => isDeepStrictEqual(r, { Ref: roleId })))
    .flatMap((policy) => (propsOf(policy).PolicyDocument as { Statement: Statement[] }).Statement);

const statementsOf = (fn: ShipgateFunction): Statement[] => {
  assert.ok(fn.role);
  return statementsOfRole(logicalIdOf(fn.role.roleName));
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

/**
 * The definition CloudFormation would hand to Step Functions: the synthesized `DefinitionString` (a string, or an
 * `Fn::Join` around the machine's function's ARN) with each `DefinitionSubstitutions` entry, which must be that ARN,
 * replaced by `arn`. Any other reference fails the test: the definition may refer to nothing else.
 */
const renderDefinition = (arn: string, machine: Machine = release): unknown => {
  const props = stateMachineProps(machine);
  const functionRef = { 'Fn::GetAtt': [machine.functionId(), 'Arn'] };
  const render = (part: unknown): string => {
    if (typeof part === 'string') return part;
    assert.deepEqual(part, functionRef, 'the definition refers to its own function only');
    return arn;
  };
  const source = props.DefinitionString;
  let text =
    typeof source === 'object' && source !== null && 'Fn::Join' in source
      ? (source['Fn::Join'] as [string, unknown[]])[1].map(render).join((source['Fn::Join'] as [string])[0])
      : render(source);
  for (const [key, value] of Object.entries((props.DefinitionSubstitutions ?? {}) as Record<string, unknown>)) {
    text = text.replaceAll(`\${${key}}`, render(value));
  }
  assert.doesNotMatch(text, /\$\{[^}]*\}/, 'every placeholder of the definition is substituted');
  return JSON.parse(text);
};

const tasksOf = (definition: unknown): Record<string, TaskState> => {
  const { States } = definition as { States: Record<string, TaskState> };
  return Object.fromEntries(Object.entries(States).filter(([, state]) => state.Type === 'Task'));
};

const taskOf = (definition: unknown, name: string): TaskState => {
  const task = tasksOf(definition)[name];
  assert.ok(task, `the definition has a Task state ${name}`);
  return task;
};

/** The machine logs every event, without execution data, to a log group of its own kept a month. */
const assertLogging = (machine: Machine): void => {
  const logging = stateMachineProps(machine).LoggingConfiguration as {
    Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }[];
    IncludeExecutionData: boolean;
    Level: string;
  };
  assert.equal(logging.IncludeExecutionData, false);
  assert.equal(logging.Level, 'ALL');
  assert.equal(logging.Destinations.length, 1);
  const [destination] = logging.Destinations;
  assert.ok(destination);
  const [logGroupId, attribute] = destination.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'];
  assert.equal(attribute, 'Arn');
  const logGroup = propsOf(resourcesOf('AWS::Logs::LogGroup')[logGroupId]);
  assert.equal(logGroup.RetentionInDays, 30);
  assert.equal(logGroup.LogGroupName, undefined);
  // No function and no other state machine logs there.
  for (const fn of Object.values(resourcesOf('AWS::Lambda::Function'))) {
    assert.notDeepEqual(propsOf(fn).LoggingConfig, { LogGroup: { Ref: logGroupId } });
  }
  for (const [id, other] of Object.entries(resourcesOf('AWS::StepFunctions::StateMachine'))) {
    if (id === machine.stateMachineId()) continue;
    assert.doesNotMatch(JSON.stringify(propsOf(other).LoggingConfiguration), new RegExp(`"${logGroupId}"`), id);
  }
};

const assertStepFunctionsRole = (stateMachine: StateMachine): void => {
  const role = stateMachine.role;
  assert.ok(role);
  const props = propsOf(resourcesOf('AWS::IAM::Role')[logicalIdOf(role.roleName)]);
  assert.equal(props.ManagedPolicyArns, undefined);
  assert.deepEqual(props.AssumeRolePolicyDocument, {
    Version: '2012-10-17',
    Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' } }],
  });
};

/** The state machine's role may invoke the function and nothing else; every other statement is tracing or logs. */
const assertInvokesOnly = (stateMachine: StateMachine, functionId: string): void => {
  const role = stateMachine.role;
  assert.ok(role);
  const statements = statementsOfRole(logicalIdOf(role.roleName));
  assert.deepEqual(grantsOf(statements, 'lambda:'), {
    'lambda:InvokeFunction': [JSON.stringify({ 'Fn::GetAtt': [functionId, 'Arn'] })],
  });
  // Every other statement is tracing or log delivery, on "*" (see the stack test): no other resource is named.
  for (const statement of statements) {
    if (listOf(statement.Action).some((action) => action.startsWith('lambda:'))) continue;
    assert.equal(statement.Resource, '*');
    for (const action of listOf(statement.Action)) assert.match(action, /^(logs|xray):/);
  }
};

/** A function's environment variables as synthesized. */
const envOf = (fn: ShipgateFunction): Record<string, unknown> =>
  (
    propsOf(resourcesOf('AWS::Lambda::Function')[logicalIdOf(fn.functionName)]).Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;

describe('state machine', () => {
  test('deploys the shared definition unchanged: only the workflow function ARN is substituted', () => {
    // Synthesized with the placeholder in place, and with the function's ARN as its only substitution.
    assert.deepEqual(stateMachineProps().DefinitionSubstitutions, {
      [WORKFLOW_FUNCTION_PLACEHOLDER.slice(2, -1)]: { 'Fn::GetAtt': [workflowFunctionId(), 'Arn'] },
    });
    assert.deepEqual(renderDefinition(functionArn), workflowDefinition(functionArn));
  });

  test('the rendered definition is valid Amazon States Language', () => {
    const definition = renderDefinition(functionArn);
    // The validator annotates what it checks, so it gets a copy.
    const result = aslValidator(structuredClone(definition), { checkArn: true, checkPaths: true });
    assert.ok(result.isValid, result.errorsText('\n'));
    // The validator does catch a broken definition: a transition to a state that does not exist.
    const broken = structuredClone(definition) as { States: Record<string, { Next?: string }> };
    const decide = broken.States.Decide;
    assert.ok(decide);
    decide.Next = 'Nowhere';
    assert.equal(aslValidator(broken).isValid, false);
  });

  test('is a STANDARD state machine, traced with X-Ray, with no hard-coded name', () => {
    const props = stateMachineProps();
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    assert.equal(props.StateMachineType, 'STANDARD');
    assert.deepEqual(props.TracingConfiguration, { Enabled: true });
    assert.equal(props.StateMachineName, undefined);
  });

  test('logs every event to its own log group kept a month, without execution data', () => {
    assertLogging(release);
  });

  test('every Task invokes the workflow function through the Lambda integration', () => {
    const tasks = tasksOf(renderDefinition(functionArn));
    assert.deepEqual(Object.keys(tasks).sort(), ['Await', 'Decide', 'RecordFailure']);
    assert.equal(tasks.Decide?.Resource, 'arn:aws:states:::lambda:invoke');
    assert.equal(tasks.Await?.Resource, 'arn:aws:states:::lambda:invoke.waitForTaskToken');
    for (const [name, task] of Object.entries(tasks)) {
      assert.equal(task.Parameters?.FunctionName, functionArn, name);
    }
  });

  test('every Task retries transient errors with backoff and jitter; only Await leaves States.Timeout alone', () => {
    assertRetries(renderDefinition(functionArn), ['Await']);
  });

  test('every Task catches what its retries leave into RecordFailure, which ends in a Fail state', () => {
    assertFailuresRecorded(renderDefinition(functionArn));
  });

  test('Await times out by a path and catches the timeout and both rollback errors into existing states', () => {
    const definition = renderDefinition(functionArn);
    const { States } = definition as { States: Record<string, unknown> };
    const wait = taskOf(definition, 'Await');
    assert.match(wait.TimeoutSecondsPath ?? '', /^\$\./);
    const catches = wait.Catch ?? [];
    for (const error of ['States.Timeout', ROLLBACK_TRIGGERED, ROLLBACK_STEP_FAILED]) {
      const handler = catches.find((c) => c.ErrorEquals.includes(error));
      assert.ok(handler, `Await catches ${error}`);
      assert.ok(handler.Next in States, `${error} goes to ${handler.Next}`);
    }
    // The specific catches come first, in their order, and the catch-all after them.
    assert.deepEqual(
      catches.map((c) => c.Next),
      ['TimedOut', 'RollbackTriggered', 'RollbackStepFailed', 'AwaitFailed'],
    );
  });
});

describe('state machine role', () => {
  test('is assumed by Step Functions only and carries no managed policy', () => {
    assertStepFunctionsRole(stack.workflow.stateMachine);
  });

  test('may invoke the workflow function and nothing else, with no version or alias wildcard', () => {
    assertInvokesOnly(stack.workflow.stateMachine, workflowFunctionId());
  });
});

describe('workflow function', () => {
  test('runs the workflow handler with 30 s, real time, and write access to the releases table', () => {
    const fn = propsOf(resourcesOf('AWS::Lambda::Function')[workflowFunctionId()]);
    assert.equal(fn.Timeout, 30);
    const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.equal(env.SHIPGATE_TIME_SCALE, '1');
    for (const { table } of WORKFLOW_FUNCTION.tables) assert.deepEqual(env[table.envVar], { Ref: table.logicalId });
    assert.deepEqual(grantsOf(statementsOf(stack.workflow.function), 'dynamodb:')['dynamodb:PutItem'], [
      JSON.stringify({ 'Fn::GetAtt': ['Releases', 'Arn'] }),
    ]);
  });

  test('answers callback tasks of this state machine only, and is not told its ARN (a dependency cycle)', () => {
    const env = envOf(stack.workflow.function);
    assert.equal(env.STATE_MACHINE_ARN, undefined);
    const stateMachine = JSON.stringify({ Ref: stateMachineId() });
    const escalations = JSON.stringify({ Ref: escalationsId() });
    assert.deepEqual(grantsOf(statementsOf(stack.workflow.function), 'states:'), {
      'states:SendTaskFailure': [stateMachine],
      'states:SendTaskSuccess': [stateMachine],
      'states:StartExecution': [escalations],
    });
  });

  test('starts escalations (an overdue gate pages level 1): told their state machine, may start it only', () => {
    assert.deepEqual(envOf(stack.workflow.function).ESCALATION_STATE_MACHINE_ARN, { Ref: escalationsId() });
    const starts = statementsOf(stack.workflow.function).filter((statement) =>
      listOf(statement.Action).includes('states:StartExecution'),
    );
    assert.deepEqual(
      starts.map((statement) => statement.Resource),
      [{ Ref: escalationsId() }],
    );
  });
});

describe('escalation state machine', () => {
  test('deploys the shared escalation definition unchanged: only the escalation function ARN is substituted', () => {
    assert.deepEqual(stateMachineProps(escalation).DefinitionSubstitutions, {
      [ESCALATION_FUNCTION_PLACEHOLDER.slice(2, -1)]: { 'Fn::GetAtt': [escalationFunctionId(), 'Arn'] },
    });
    assert.deepEqual(renderDefinition(escalationFunctionArn, escalation), escalationDefinition(escalationFunctionArn));
  });

  test('the rendered definition is valid Amazon States Language', () => {
    const definition = renderDefinition(escalationFunctionArn, escalation);
    const result = aslValidator(structuredClone(definition), { checkArn: true, checkPaths: true });
    assert.ok(result.isValid, result.errorsText('\n'));
    const broken = structuredClone(definition) as { States: Record<string, { Next?: string }> };
    const page = broken.States.Page;
    assert.ok(page);
    page.Next = 'Nowhere';
    assert.equal(aslValidator(broken).isValid, false);
  });

  test('is a STANDARD state machine, traced with X-Ray, with no hard-coded name', () => {
    const props = stateMachineProps(escalation);
    assert.notEqual(escalationsId(), stateMachineId());
    assert.equal(props.StateMachineType, 'STANDARD');
    assert.deepEqual(props.TracingConfiguration, { Enabled: true });
    assert.equal(props.StateMachineName, undefined);
  });

  test('logs every event to its own log group kept a month, without execution data', () => {
    assertLogging(escalation);
  });

  test('every Task invokes the escalation function through the Lambda integration', () => {
    const tasks = tasksOf(renderDefinition(escalationFunctionArn, escalation));
    assert.deepEqual(Object.keys(tasks).sort(), ['AwaitAcknowledgement', 'Page', 'RecordFailure']);
    assert.equal(tasks.Page?.Resource, 'arn:aws:states:::lambda:invoke');
    assert.equal(tasks.AwaitAcknowledgement?.Resource, 'arn:aws:states:::lambda:invoke.waitForTaskToken');
    for (const [name, task] of Object.entries(tasks)) {
      assert.equal(task.Parameters?.FunctionName, escalationFunctionArn, name);
    }
  });

  test('every Task retries transient errors; only AwaitAcknowledgement leaves States.Timeout alone', () => {
    assertRetries(renderDefinition(escalationFunctionArn, escalation), ['AwaitAcknowledgement']);
  });

  test('every Task catches what its retries leave into RecordFailure: an escalation never loops on a failure', () => {
    assertFailuresRecorded(renderDefinition(escalationFunctionArn, escalation));
  });

  test('AwaitAcknowledgement times out by a path and catches the timeout into an existing state', () => {
    const definition = renderDefinition(escalationFunctionArn, escalation);
    const { States } = definition as { States: Record<string, unknown> };
    const wait = taskOf(definition, 'AwaitAcknowledgement');
    assert.match(wait.TimeoutSecondsPath ?? '', /^\$\./);
    const handler = (wait.Catch ?? []).find((c) => c.ErrorEquals.includes('States.Timeout'));
    assert.ok(handler, 'AwaitAcknowledgement catches States.Timeout');
    assert.ok(handler.Next in States, `States.Timeout goes to ${handler.Next}`);
    assert.deepEqual(
      (wait.Catch ?? []).map((c) => c.Next),
      ['Unacknowledged', 'Acknowledged', 'AwaitAcknowledgementFailed'],
    );
  });

  test('its role is assumed by Step Functions only and carries no managed policy', () => {
    assertStepFunctionsRole(stack.workflow.escalations);
    assert.notEqual(stack.workflow.escalations.role, stack.workflow.stateMachine.role);
  });

  test('its role may invoke the escalation function and nothing else, with no version or alias wildcard', () => {
    assertInvokesOnly(stack.workflow.escalations, escalationFunctionId());
  });
});

describe('escalation function', () => {
  test('runs the escalation handler with 30 s, real time, and write access to the releases table', () => {
    const fn = propsOf(resourcesOf('AWS::Lambda::Function')[escalationFunctionId()]);
    assert.equal(fn.Timeout, 30);
    const env = envOf(stack.workflow.escalationFunction);
    assert.equal(env.SHIPGATE_TIME_SCALE, '1');
    for (const { table } of ESCALATION_FUNCTION.tables) assert.deepEqual(env[table.envVar], { Ref: table.logicalId });
    assert.deepEqual(grantsOf(statementsOf(stack.workflow.escalationFunction), 'dynamodb:')['dynamodb:PutItem'], [
      JSON.stringify({ 'Fn::GetAtt': ['Releases', 'Arn'] }),
    ]);
  });

  test('answers the tasks of escalations only, and is told no state machine ARN (it needs none)', () => {
    const env = envOf(stack.workflow.escalationFunction);
    assert.equal(env.STATE_MACHINE_ARN, undefined);
    assert.equal(env.ESCALATION_STATE_MACHINE_ARN, undefined);
    const escalations = JSON.stringify({ Ref: escalationsId() });
    assert.deepEqual(grantsOf(statementsOf(stack.workflow.escalationFunction), 'states:'), {
      'states:SendTaskFailure': [escalations],
      'states:SendTaskSuccess': [escalations],
    });
  });
});

describe('routes', () => {
  test('a route with workflow access gets STATE_MACHINE_ARN and exactly the states actions of that access', () => {
    const stateMachine = JSON.stringify({ Ref: stateMachineId() });
    const executions = JSON.stringify({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':states:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':execution:',
          { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: stateMachineId() }] }] },
          ':*',
        ],
      ],
    });
    const escalations = JSON.stringify({ Ref: escalationsId() });
    // Sorted like `grantsOf` sorts: a `Ref` to either state machine.
    const both = [stateMachine, escalations].sort();
    const expected = {
      none: {},
      start: { 'states:StartExecution': [stateMachine] },
      // Acknowledging answers an escalation's token; requesting a rollback starts an escalation. Escalations are
      // never stopped or described: they end by their own definition.
      respond: {
        'states:DescribeExecution': [executions],
        'states:SendTaskFailure': both,
        'states:SendTaskSuccess': both,
        'states:StartExecution': both,
        'states:StopExecution': [executions],
      },
    };
    const functions = resourcesOf('AWS::Lambda::Function');
    for (const route of routes) {
      const fn = stack.api.functions.get(route.id);
      assert.ok(fn, route.id);
      const env = (
        propsOf(functions[logicalIdOf(fn.functionName)]).Environment as { Variables: Record<string, unknown> }
      ).Variables;
      assert.deepEqual(
        env.STATE_MACHINE_ARN,
        route.workflow === undefined ? undefined : { Ref: stateMachineId() },
        route.id,
      );
      assert.deepEqual(
        env.ESCALATION_STATE_MACHINE_ARN,
        route.workflow === 'respond' ? { Ref: escalationsId() } : undefined,
        route.id,
      );
      assert.deepEqual(grantsOf(statementsOf(fn), 'states:'), expected[route.workflow ?? 'none'], route.id);
    }
    // Both kinds of access are in use, so both branches above were checked.
    assert.ok(routes.some((route) => route.workflow === 'start'));
    assert.ok(routes.some((route) => route.workflow === 'respond'));
    // The acknowledgement route answers escalations.
    assert.equal(routes.find((route) => route.id === 'acknowledge-release')?.workflow, 'respond');
  });

  test('a route that needs the workflow fails synthesis when the API is given no state machine', () => {
    const other = new Stack(noBundling(), 'Other');
    const storage = new ShipgateStorage(other, 'Storage');
    const route = routes.find((r) => r.workflow !== undefined);
    assert.ok(route);
    assert.throws(
      () =>
        new ShipgateApi(other, 'Api', {
          table: (schema) => storage.table(schema),
          authorizer: new HttpNoneAuthorizer(),
          routes: [route],
        }),
      new RegExp(`route ${route.id} sets workflow`),
    );
  });
});

/** The resources `node` refers to: `Ref`, `Fn::GetAtt` and `${Name}` of `Fn::Sub`, pseudo parameters left out. */
const referencesIn = (node: unknown, into = new Set<string>()): Set<string> => {
  if (Array.isArray(node)) {
    for (const item of node) referencesIn(item, into);
  } else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref' && typeof value === 'string') into.add(value);
      else if (key === 'Fn::GetAtt' && Array.isArray(value) && typeof value[0] === 'string') into.add(value[0]);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? value[0] : value;
        if (typeof text === 'string') for (const [, name] of text.matchAll(/\$\{([\w]+)[.}]/g)) into.add(name ?? '');
        referencesIn(value, into);
      } else referencesIn(value, into);
    }
  }
  for (const name of into) if (name.startsWith('AWS::')) into.delete(name);
  return into;
};

/** What each resource depends on, the way CloudFormation orders them: its references and its `DependsOn`. */
const dependenciesOf = (resources: Record<string, Resource>): Map<string, string[]> =>
  new Map(
    Object.entries(resources).map(([id, resource]) => [
      id,
      [...referencesIn(resource.Properties), ...listOf(resource.DependsOn ?? [])].filter((dep) => dep in resources),
    ]),
  );

/** A dependency cycle among the resources, as the ids along it, or undefined when there is none. */
const cycleIn = (resources: Record<string, Resource>): string[] | undefined => {
  const dependencies = dependenciesOf(resources);
  const done = new Set<string>();
  const visit = (id: string, trail: string[]): string[] | undefined => {
    const seen = trail.indexOf(id);
    if (seen >= 0) return [...trail.slice(seen), id];
    if (done.has(id)) return undefined;
    for (const dep of dependencies.get(id) ?? []) {
      const cycle = visit(dep, [...trail, id]);
      if (cycle !== undefined) return cycle;
    }
    done.add(id);
    return undefined;
  };
  for (const id of dependencies.keys()) {
    const cycle = visit(id, []);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
};

/** Whether `from` depends on `to`, directly or through other resources. */
const dependsOn = (resources: Record<string, Resource>, from: string, to: string): boolean => {
  const dependencies = dependenciesOf(resources);
  const seen = new Set<string>();
  const queue = [from];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const dep of dependencies.get(id) ?? []) {
      if (dep === to) return true;
      if (!seen.has(dep)) {
        seen.add(dep);
        queue.push(dep);
      }
    }
  }
  return false;
};

/** The policy, not the function's default one, that lets the function answer the tasks of the state machine. */
const taskResponsePolicyOf = (fn: ShipgateFunction): string => {
  const role = fn.role;
  assert.ok(role);
  const roleRef = { Ref: logicalIdOf(role.roleName) };
  const grants = Object.entries(resourcesOf('AWS::IAM::Policy')).filter(
    ([, policy]) =>
      (propsOf(policy).Roles as unknown[]).some((r) => isDeepStrictEqual(r, roleRef)) &&
      (propsOf(policy).PolicyDocument as { Statement: Statement[] }).Statement.some((statement) =>
        listOf(statement.Action).includes('states:SendTaskSuccess'),
      ),
  );
  assert.equal(grants.length, 1, `one policy grants ${fn.node.path} task responses`);
  const [grant] = grants;
  assert.ok(grant);
  return grant[0];
};

describe('template', () => {
  test('has no dependency cycle; the check finds one that a task-response grant on a default policy would close', () => {
    const resources = template.toJSON().Resources as Record<string, Resource>;
    assert.equal(cycleIn(resources), undefined);
    // The escalation function depending on its task-response grant closes function -> grant -> escalation state
    // machine -> function: the check names it.
    const broken = structuredClone(resources);
    const fn = broken[escalationFunctionId()];
    assert.ok(fn);
    const grant = taskResponsePolicyOf(stack.workflow.escalationFunction);
    broken[escalationFunctionId()] = { ...fn, DependsOn: [...listOf(fn.DependsOn ?? []), grant] };
    const cycle = cycleIn(broken);
    assert.ok(cycle, 'the check finds the cycle');
    for (const id of [escalationFunctionId(), grant, escalationsId()]) assert.ok(cycle.includes(id), id);
  });

  test('the workflow function starts escalations, whose state machine never depends on the workflow function', () => {
    const resources = template.toJSON().Resources as Record<string, Resource>;
    assert.ok(dependsOn(resources, workflowFunctionId(), escalationsId()));
    assert.ok(!dependsOn(resources, escalationsId(), workflowFunctionId()));
    assert.ok(!dependsOn(resources, escalationsId(), stateMachineId()));
    // The escalation state machine refers to the escalation function only.
    assert.deepEqual(stateMachineProps(escalation).DefinitionSubstitutions, {
      EscalationFunctionArn: { 'Fn::GetAtt': [escalationFunctionId(), 'Arn'] },
    });
  });

  test("the task-response grants are not among their functions' dependencies, which would close a cycle", () => {
    // Template.fromStack (in `before`) already refuses a template with a dependency cycle; this names the ones the
    // workflow could have: function -> its policy -> state machine -> function, for either state machine.
    for (const [fn, machine] of [
      [stack.workflow.function, release],
      [stack.workflow.escalationFunction, escalation],
    ] as const) {
      const resource = resourcesOf('AWS::Lambda::Function')[machine.functionId()];
      assert.ok(resource);
      const deps = listOf(resource.DependsOn ?? []);
      assert.ok(deps.length > 0, 'the function depends on its role and default policy');
      const grant = taskResponsePolicyOf(fn);
      assert.ok(!deps.includes(grant), `${grant} is a dependency of ${fn.node.path}`);
      // The other half of the would-be cycle: the state machine refers to the function.
      assert.ok(
        dependsOn(
          template.toJSON().Resources as Record<string, Resource>,
          machine.stateMachineId(),
          machine.functionId(),
        ),
      );
    }
    assert.deepEqual(stateMachineProps().DefinitionSubstitutions, {
      WorkflowFunctionArn: { 'Fn::GetAtt': [workflowFunctionId(), 'Arn'] },
    });
  });
});
