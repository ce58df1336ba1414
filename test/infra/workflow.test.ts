// Infra tests of the release workflow: the state machine CDK deploys runs the shared definition unchanged, is traced
// and logged without execution data, invokes the workflow function only, and each route gets the workflow access its
// route table entry names.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HttpNoneAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { routes, WORKFLOW_FUNCTION } from '../../lambdas/http/routes.ts';
import {
  ROLLBACK_STEP_FAILED,
  ROLLBACK_TRIGGERED,
  WORKFLOW_FUNCTION_PLACEHOLDER,
  workflowDefinition,
} from '../../lambdas/workflow/definition.ts';
import { ShipgateApi } from '../../lib/api.ts';
import type { ShipgateFunction } from '../../lib/function.ts';
import { ShipgateStack } from '../../lib/shipgate-stack.ts';
import { ShipgateStorage } from '../../lib/storage.ts';

type AslValidator = (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
// asl-validator is CommonJS without type declarations.
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The parts of an ASL Task state these tests read. */
interface TaskState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: { readonly FunctionName?: unknown };
  readonly TimeoutSecondsPath?: string;
  readonly Retry?: readonly { readonly ErrorEquals: readonly string[] }[];
  readonly Catch?: readonly { readonly ErrorEquals: readonly string[]; readonly Next: string }[];
}

/** The workflow function's ARN as a deployed stack would substitute it. */
const functionArn = 'arn:aws:lambda:us-east-1:123456789012:function:Shipgate-workflow-0123456789AB';

const lambdaServiceErrors = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

let stack: ShipgateStack;
let template: Template;

before(() => {
  // Bundling is skipped: these tests read configuration only (the stack test bundles every function).
  stack = new ShipgateStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Shipgate');
  template = Template.fromStack(stack);
});

const resourcesOf = (type: string): Record<string, Resource> =>
  template.findResources(type) as Record<string, Resource>;

const propsOf = (resource: Resource | undefined): Record<string, unknown> => {
  assert.ok(resource, 'resource exists');
  return resource.Properties ?? {};
};

const logicalIdOf = (ref: string): string => {
  const resolved: unknown = stack.resolve(ref);
  assert.ok(typeof resolved === 'object' && resolved !== null && 'Ref' in resolved && typeof resolved.Ref === 'string');
  return resolved.Ref;
};

const stateMachineId = (): string => logicalIdOf(stack.workflow.stateMachine.stateMachineArn);
const workflowFunctionId = (): string => logicalIdOf(stack.workflow.function.functionName);
const stateMachineProps = (): Record<string, unknown> =>
  propsOf(resourcesOf('AWS::StepFunctions::StateMachine')[stateMachineId()]);

/** Every statement of every policy attached to the role. */
const statementsOfRole = (roleId: string): Statement[] =>
  Object.values(resourcesOf('AWS::IAM::Policy'))
    .filter((policy) => (propsOf(policy).Roles as unknown[]).some((r) => isDeepStrictEqual(r, { Ref: roleId })))
    .flatMap((policy) => (propsOf(policy).PolicyDocument as { Statement: Statement[] }).Statement);

const statementsOf = (fn: ShipgateFunction): Statement[] => {
  assert.ok(fn.role);
  return statementsOfRole(logicalIdOf(fn.role.roleName));
};

const listOf = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

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
 * `Fn::Join` around the workflow function's ARN) with each `DefinitionSubstitutions` entry, which must be that ARN,
 * replaced by `arn`. Any other reference fails the test: the definition may refer to nothing else.
 */
const renderDefinition = (arn: string): unknown => {
  const props = stateMachineProps();
  const functionRef = { 'Fn::GetAtt': [workflowFunctionId(), 'Arn'] };
  const render = (part: unknown): string => {
    if (typeof part === 'string') return part;
    assert.deepEqual(part, functionRef, 'the definition refers to the workflow function only');
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
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    assert.equal(props.StateMachineType, 'STANDARD');
    assert.deepEqual(props.TracingConfiguration, { Enabled: true });
    assert.equal(props.StateMachineName, undefined);
  });

  test('logs every event to its own log group kept a month, without execution data', () => {
    const logging = stateMachineProps().LoggingConfiguration as {
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
    // No function logs there.
    for (const fn of Object.values(resourcesOf('AWS::Lambda::Function'))) {
      assert.notDeepEqual(propsOf(fn).LoggingConfig, { LogGroup: { Ref: logGroupId } });
    }
  });

  test('every Task invokes the workflow function through the Lambda integration', () => {
    const tasks = tasksOf(renderDefinition(functionArn));
    assert.deepEqual(Object.keys(tasks).sort(), ['Await', 'Decide']);
    assert.equal(tasks.Decide?.Resource, 'arn:aws:states:::lambda:invoke');
    assert.equal(tasks.Await?.Resource, 'arn:aws:states:::lambda:invoke.waitForTaskToken');
    for (const [name, task] of Object.entries(tasks)) {
      assert.equal(task.Parameters?.FunctionName, functionArn, name);
    }
  });

  test('Decide and Await retry the Lambda service errors', () => {
    const definition = renderDefinition(functionArn);
    for (const name of ['Decide', 'Await']) {
      const retried = (taskOf(definition, name).Retry ?? []).flatMap((retry) => retry.ErrorEquals);
      for (const error of lambdaServiceErrors) assert.ok(retried.includes(error), `${name} retries ${error}`);
    }
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
  });
});

describe('state machine role', () => {
  test('is assumed by Step Functions only and carries no managed policy', () => {
    const role = stack.workflow.stateMachine.role;
    assert.ok(role);
    const props = propsOf(resourcesOf('AWS::IAM::Role')[logicalIdOf(role.roleName)]);
    assert.equal(props.ManagedPolicyArns, undefined);
    assert.deepEqual(props.AssumeRolePolicyDocument, {
      Version: '2012-10-17',
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' } }],
    });
  });

  test('may invoke the workflow function and nothing else, with no version or alias wildcard', () => {
    const role = stack.workflow.stateMachine.role;
    assert.ok(role);
    const statements = statementsOfRole(logicalIdOf(role.roleName));
    assert.deepEqual(grantsOf(statements, 'lambda:'), {
      'lambda:InvokeFunction': [JSON.stringify({ 'Fn::GetAtt': [workflowFunctionId(), 'Arn'] })],
    });
    // Every other statement is tracing or log delivery, on "*" (see the stack test): no other resource is named.
    for (const statement of statements) {
      if (listOf(statement.Action).some((action) => action.startsWith('lambda:'))) continue;
      assert.equal(statement.Resource, '*');
      for (const action of listOf(statement.Action)) assert.match(action, /^(logs|xray):/);
    }
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
    const fn = propsOf(resourcesOf('AWS::Lambda::Function')[workflowFunctionId()]);
    const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.equal(env.STATE_MACHINE_ARN, undefined);
    const stateMachine = JSON.stringify({ Ref: stateMachineId() });
    assert.deepEqual(grantsOf(statementsOf(stack.workflow.function), 'states:'), {
      'states:SendTaskFailure': [stateMachine],
      'states:SendTaskSuccess': [stateMachine],
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
    const expected = {
      none: {},
      start: { 'states:StartExecution': [stateMachine] },
      respond: {
        'states:DescribeExecution': [executions],
        'states:SendTaskFailure': [stateMachine],
        'states:SendTaskSuccess': [stateMachine],
        'states:StartExecution': [stateMachine],
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
      assert.deepEqual(grantsOf(statementsOf(fn), 'states:'), expected[route.workflow ?? 'none'], route.id);
    }
    // Both kinds of access are in use, so both branches above were checked.
    assert.ok(routes.some((route) => route.workflow === 'start'));
    assert.ok(routes.some((route) => route.workflow === 'respond'));
  });

  test('a route that needs the workflow fails synthesis when the API is given no state machine', () => {
    const other = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Other');
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

describe('template', () => {
  test("the task-response grant is not among the workflow function's dependencies, which would close a cycle", () => {
    // Template.fromStack (in `before`) already refuses a template with a dependency cycle; this names the one the
    // workflow could have: function -> its policy -> state machine -> function.
    const policies = Object.entries(resourcesOf('AWS::IAM::Policy')).filter(([, policy]) =>
      (propsOf(policy).PolicyDocument as { Statement: Statement[] }).Statement.some((statement) =>
        listOf(statement.Action).includes('states:SendTaskSuccess'),
      ),
    );
    const fn = resourcesOf('AWS::Lambda::Function')[workflowFunctionId()];
    assert.ok(fn);
    const dependsOn = listOf(fn.DependsOn ?? []);
    assert.ok(dependsOn.length > 0, 'the function depends on its role and default policy');
    const role = stack.workflow.function.role;
    assert.ok(role);
    const roleRef = { Ref: logicalIdOf(role.roleName) };
    const [grant] = policies.filter(([, policy]) =>
      (propsOf(policy).Roles as unknown[]).some((r) => isDeepStrictEqual(r, roleRef)),
    );
    assert.ok(grant, 'a policy grants the workflow function task responses');
    assert.ok(!dependsOn.includes(grant[0]), `${grant[0]} is a dependency of the workflow function`);
    // The other half of the would-be cycle: the state machine refers to the function.
    assert.deepEqual(stateMachineProps().DefinitionSubstitutions, {
      WorkflowFunctionArn: { 'Fn::GetAtt': [workflowFunctionId(), 'Arn'] },
    });
  });
});
