// Infra tests: the synthesized Shipgate stack, checked property by property against the shared schema and routes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { App, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { releasesTable, tables } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import {
  ALARM_FUNCTION,
  ESCALATION_FUNCTION,
  MONITOR_FUNCTION,
  NOTIFIER_FUNCTION,
  type RouteDef,
  routes,
  WORKFLOW_FUNCTION,
} from '../../lambdas/functions/catalog.ts';
import type { ShipgateFunction } from '../../lib/function.ts';
import { ShipgateStack } from '../../lib/shipgate-stack.ts';
import { logicalIdIn, noBundling, propsOf, type Resource, resourcesIn, type Statement } from '../support/cdk.ts';

const readActions = ['dynamodb:GetItem', 'dynamodb:Query'];
const writeActions = [...readActions, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];
/** What polling a table's stream takes: the notifier's alone, on the stream (see the notifications test). */
const streamActions = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
];

let app: App;
let stack: ShipgateStack;
let template: Template;

before(() => {
  // Synthesized once: every function is bundled by esbuild, which is the slow part.
  app = new App();
  stack = new ShipgateStack(app, 'Shipgate');
  template = Template.fromStack(stack);
});

const resourcesOf = (type: string): Record<string, Resource> => resourcesIn(template, type);

const onlyResourceOf = (type: string): [string, Resource] => {
  const entries = Object.entries(resourcesOf(type));
  assert.equal(entries.length, 1, `expected one ${type}`);
  const [entry] = entries;
  assert.ok(entry);
  return entry;
};

/** The logical id CloudFormation gives a construct's resource, e.g. a function's. */
const logicalIdOf = (ref: string): string => logicalIdIn(stack, ref);

const functionOf = (route: RouteDef): ShipgateFunction => {
  const fn = stack.api.functions.get(route.id);
  assert.ok(fn, `no function for route ${route.id}`);
  return fn;
};

/** A deployed function with the handler it bundles and the tables it lists. */
interface Deployed {
  readonly id: string;
  readonly entry: string;
  readonly tables: RouteDef['tables'];
  readonly fn: ShipgateFunction;
}

/**
 * Every function of the stack: one per route, the workflow and escalation functions the state machines invoke, the
 * notifier, the alarm rollback function and the monitor.
 */
const deployedFunctions = (): Deployed[] => [
  ...routes.map((route) => ({ id: route.id, entry: route.entry, tables: route.tables, fn: functionOf(route) })),
  {
    id: WORKFLOW_FUNCTION.id,
    entry: WORKFLOW_FUNCTION.entry,
    tables: WORKFLOW_FUNCTION.tables,
    fn: stack.workflow.function,
  },
  {
    id: ESCALATION_FUNCTION.id,
    entry: ESCALATION_FUNCTION.entry,
    tables: ESCALATION_FUNCTION.tables,
    fn: stack.workflow.escalationFunction,
  },
  {
    id: NOTIFIER_FUNCTION.id,
    entry: NOTIFIER_FUNCTION.entry,
    tables: NOTIFIER_FUNCTION.tables,
    fn: stack.notifications.notifier,
  },
  {
    id: ALARM_FUNCTION.id,
    entry: ALARM_FUNCTION.entry,
    tables: ALARM_FUNCTION.tables,
    fn: stack.notifications.alarmFunction,
  },
  {
    id: MONITOR_FUNCTION.id,
    entry: MONITOR_FUNCTION.entry,
    tables: MONITOR_FUNCTION.tables,
    fn: stack.monitoring.monitor,
  },
];

/** Every IAM statement attached to the function's role. */
const statementsOf = (fn: ShipgateFunction): Statement[] => {
  assert.ok(fn.role);
  const role = logicalIdOf(fn.role.roleName);
  return Object.values(resourcesOf('AWS::IAM::Policy'))
    .filter((policy) => (propsOf(policy).Roles as unknown[]).some((r) => isDeepStrictEqual(r, { Ref: role })))
    .flatMap((policy) => (propsOf(policy).PolicyDocument as { Statement: Statement[] }).Statement);
};

const actionsOf = (statements: readonly Statement[], prefix: string): string[] =>
  statements
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]))
    .filter((action) => action.startsWith(prefix))
    .sort();

const expectedDynamoActions = ({ tables }: Pick<RouteDef, 'tables'>): string[] => {
  const accesses = tables.map((binding) => binding.access);
  if (accesses.includes('write')) return [...writeActions].sort();
  if (accesses.includes('read')) return [...readActions].sort();
  return [];
};

describe('storage', () => {
  test('creates one table per schema, with the keys and indexes of the schema', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', tables.length);
    for (const schema of tables) {
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: {
          KeySchema: [
            { AttributeName: schema.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: schema.sortKey.name, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: schema.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
              { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: index.projection },
          })),
        },
      });
      const keyNames = [
        schema.partitionKey,
        schema.sortKey,
        ...schema.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
      ];
      const table = resourcesOf('AWS::DynamoDB::Table')[schema.logicalId];
      assert.ok(table, `table logical id is pinned to ${schema.logicalId}`);
      assert.deepEqual(
        table.Properties?.AttributeDefinitions,
        keyNames.map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
      );
      // DynamoDB removes expired rows (the Idempotency-Key records) itself: no function is granted a delete.
      assert.deepEqual(
        table.Properties?.TimeToLiveSpecification,
        schema.timeToLiveAttribute ? { AttributeName: schema.timeToLiveAttribute, Enabled: true } : undefined,
      );
    }
    assert.equal(releasesTable.timeToLiveAttribute, 'expiresAt');
  });

  test('tables are on-demand, point-in-time recoverable, deletion-protected and retained', () => {
    for (const [id, table] of Object.entries(resourcesOf('AWS::DynamoDB::Table'))) {
      assert.equal(table.DeletionPolicy, 'Retain', id);
      assert.equal(table.UpdateReplacePolicy, 'Retain', id);
      assert.equal(table.Properties?.BillingMode, 'PAY_PER_REQUEST', id);
      assert.equal(table.Properties?.DeletionProtectionEnabled, true, id);
      assert.deepEqual(table.Properties?.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true }, id);
      assert.equal(table.Properties?.TableName, undefined, `${id} has a hard-coded name`);
    }
  });

  test('tables refuse every request that does not arrive over TLS, and their policy grants nothing', () => {
    for (const schema of tables) {
      const policy = propsOf(resourcesOf('AWS::DynamoDB::Table')[schema.logicalId]).ResourcePolicy as {
        PolicyDocument: { Statement: Statement[] };
      };
      assert.deepEqual(policy.PolicyDocument.Statement, [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'dynamodb:*',
          Resource: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]);
    }
  });

  test('tables are encrypted with their own customer-managed key, which rotates and is retained', () => {
    for (const schema of tables) {
      const table = stack.storage.table(schema);
      assert.ok(table.encryptionKey);
      const keyId = logicalIdOf(table.encryptionKey.keyId);
      const key = resourcesOf('AWS::KMS::Key')[keyId];
      assert.ok(key);
      assert.equal(key.DeletionPolicy, 'Retain');
      assert.equal(key.UpdateReplacePolicy, 'Retain');
      assert.equal(key.Properties?.EnableKeyRotation, true);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      });
    }
  });
});

describe('functions', () => {
  test('one function per route plus the workflow, escalation, notifier, alarm and monitor functions, each bundling its handler as ESM', () => {
    assert.deepEqual([...stack.api.functions.keys()].sort(), routes.map((route) => route.id).sort());
    template.resourceCountIs('AWS::Lambda::Function', routes.length + 5);
    assert.equal(deployedFunctions().length, routes.length + 5);
    for (const { id, entry, fn } of deployedFunctions()) {
      const asset = fn.node.tryFindChild('Code');
      assert.ok(asset instanceof Asset, `${id} has a bundled code asset`);
      const bundle = path.join(app.outdir, asset.assetPath);
      const code = readFileSync(path.join(bundle, 'index.mjs'), 'utf8');
      assert.match(code, /^import \{ createRequire as \w+ \} from 'node:module'; const require = /);
      const map = JSON.parse(readFileSync(path.join(bundle, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      assert.ok(
        map.sources.some((source) => source.endsWith(entry)),
        `${id} bundles ${entry}: ${map.sources.join(', ')}`,
      );
    }
  });

  test('every function runs Node.js 24 on arm64 with active tracing, source maps and Powertools', () => {
    const functions = Object.entries(resourcesOf('AWS::Lambda::Function'));
    assert.ok(functions.length >= routes.length);
    // The state machines' tasks, the notifier's batches and alarms get more time: a Step Functions, a stream or an
    // SNS retry costs more than an HTTP one.
    const longer = [
      stack.workflow.function,
      stack.workflow.escalationFunction,
      stack.notifications.notifier,
      stack.notifications.alarmFunction,
    ].map((f) => logicalIdOf(f.functionName));
    for (const [id, fn] of functions) {
      const props = fn.Properties ?? {};
      const runtime = String(props.Runtime);
      const version = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
      assert.ok(version >= 22, `${id} runs ${runtime}`);
      assert.equal(runtime, 'nodejs24.x', id);
      assert.deepEqual(props.Architectures, ['arm64'], id);
      assert.deepEqual(props.TracingConfig, { Mode: 'Active' }, id);
      assert.equal(props.Handler, 'index.handler', id);
      assert.equal(props.MemorySize, 512, id);
      // The monitor most: its alarm events make PutMetricAlarm calls, which CloudWatch throttles early.
      const monitor = logicalIdOf(stack.monitoring.monitor.functionName);
      assert.equal(props.Timeout, id === monitor ? 60 : longer.includes(id) ? 30 : 10, id);
      assert.equal(props.FunctionName, undefined, `${id} has a hard-coded name`);
      const variables = (props.Environment as { Variables: Record<string, unknown> }).Variables;
      assert.equal(variables.NODE_OPTIONS, '--enable-source-maps', id);
      assert.equal(variables.POWERTOOLS_SERVICE_NAME, 'shipgate', id);
      assert.equal(variables.POWERTOOLS_LOG_LEVEL, 'INFO', id);
    }
  });

  test('every function logs to its own log group with a one-month retention', () => {
    const logGroups = resourcesOf('AWS::Logs::LogGroup');
    const seen = new Set<string>();
    for (const [id, fn] of Object.entries(resourcesOf('AWS::Lambda::Function'))) {
      const config = fn.Properties?.LoggingConfig as { LogGroup: { Ref: string } } | undefined;
      assert.ok(config, `${id} has no explicit log group`);
      const logGroup = logGroups[config.LogGroup.Ref];
      assert.ok(logGroup, `${id} logs to a log group of the stack`);
      assert.equal(logGroup.Properties?.RetentionInDays, 30, id);
      assert.equal(logGroup.Properties?.LogGroupName, undefined, id);
      assert.ok(!seen.has(config.LogGroup.Ref), `${id} shares its log group`);
      seen.add(config.LogGroup.Ref);
    }
    // The legacy `logRetention` prop would add a custom resource and a function of its own.
    template.resourceCountIs('Custom::LogRetention', 0);
  });

  test('a function that uses a table gets its name through the schema env var; others do not', () => {
    const functions = resourcesOf('AWS::Lambda::Function');
    for (const deployed of deployedFunctions()) {
      const fn = functions[logicalIdOf(deployed.fn.functionName)];
      const env = (propsOf(fn).Environment as { Variables: Record<string, unknown> }).Variables;
      for (const schema of tables) {
        const bound = deployed.tables.some((binding) => binding.table.logicalId === schema.logicalId);
        assert.deepEqual(
          env[schema.envVar],
          bound ? { Ref: schema.logicalId } : undefined,
          `${deployed.id} ${schema.envVar}`,
        );
      }
    }
  });
});

describe('permissions', () => {
  test('each function is granted exactly the DynamoDB actions of the access it lists; the stream consumers read the stream', () => {
    const streamConsumers: ShipgateFunction[] = [stack.notifications.notifier, stack.monitoring.monitor];
    for (const deployed of deployedFunctions()) {
      const actions = actionsOf(statementsOf(deployed.fn), 'dynamodb:');
      const onTable = actions.filter((action) => !streamActions.includes(action));
      assert.deepEqual(onTable, expectedDynamoActions(deployed), deployed.id);
      assert.deepEqual(
        actions.filter((action) => streamActions.includes(action)),
        streamConsumers.includes(deployed.fn) ? [...streamActions].sort() : [],
        deployed.id,
      );
    }
  });

  test('reads reach the table and each of its indexes by name; writes reach the table only', () => {
    for (const schema of tables) {
      const tableArn = { 'Fn::GetAtt': [schema.logicalId, 'Arn'] };
      const indexArns = schema.globalSecondaryIndexes.map((index) => ({
        'Fn::Join': ['', [tableArn, `/index/${index.indexName}`]],
      }));
      // The same resources in any order (the CLI's policy minimization sorts them).
      const sorted = (resources: unknown[]) => resources.map((r) => JSON.stringify(r)).sort();
      for (const deployed of deployedFunctions().filter((d) => d.tables.some((b) => b.table === schema))) {
        for (const statement of statementsOf(deployed.fn)) {
          const actions = actionsOf([statement], 'dynamodb:');
          if (actions.length === 0 || actions.every((action) => streamActions.includes(action))) continue;
          const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
          if (actions.includes('dynamodb:PutItem')) {
            assert.deepEqual(resources, [tableArn], `${deployed.id} writes beyond the table`);
            assert.deepEqual(actions, writeActions.filter((a) => !readActions.includes(a)).sort());
          } else {
            assert.deepEqual(sorted(resources), sorted([tableArn, ...indexArns]), `${deployed.id} reads`);
          }
        }
      }
    }
  });

  test('each function gets the table key actions its access needs, no wildcard, only through DynamoDB', () => {
    const viaDynamoDb = {
      StringEquals: {
        'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
      },
    };
    const tableKey = { 'Fn::GetAtt': [`${releasesTable.logicalId}Key`, 'Arn'] };
    for (const deployed of deployedFunctions()) {
      const withKey = statementsOf(deployed.fn).filter((st) => actionsOf([st], 'kms:').length > 0);
      // The notifier also uses the notifications key, through SNS and SQS, the alarm function and the monitor through
      // SQS, for their failure queues (see the notifications test); no other function uses any key but the table's.
      const statements = withKey.filter((st) => isDeepStrictEqual(st.Resource, tableKey));
      const queueSenders: ShipgateFunction[] = [
        stack.notifications.notifier,
        stack.notifications.alarmFunction,
        stack.monitoring.monitor,
      ];
      if (!queueSenders.includes(deployed.fn)) assert.deepEqual(withKey, statements, deployed.id);
      const access = expectedDynamoActions(deployed);
      if (access.length === 0) {
        assert.deepEqual(statements, [], deployed.id);
        continue;
      }
      assert.equal(statements.length, 1, deployed.id);
      const [statement] = statements;
      assert.ok(statement);
      assert.deepEqual(statement.Condition, viaDynamoDb, deployed.id);
      const expected = access.includes('dynamodb:PutItem')
        ? [
            'kms:Decrypt',
            'kms:DescribeKey',
            'kms:Encrypt',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
          ]
        : ['kms:Decrypt', 'kms:DescribeKey'];
      assert.deepEqual(actionsOf([statement], 'kms:'), expected, deployed.id);
    }
  });

  test('function roles carry no managed policy and may write logs only to their own log group', () => {
    const roles = resourcesOf('AWS::IAM::Role');
    for (const { id, fn } of deployedFunctions()) {
      assert.ok(fn.role);
      const role = propsOf(roles[logicalIdOf(fn.role.roleName)]);
      assert.equal(role.ManagedPolicyArns, undefined, id);
      assert.deepEqual(role.AssumeRolePolicyDocument, {
        Version: '2012-10-17',
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
      });
      const config = propsOf(resourcesOf('AWS::Lambda::Function')[logicalIdOf(fn.functionName)]).LoggingConfig as {
        LogGroup: { Ref: string };
      };
      const logs = statementsOf(fn).filter((statement) => actionsOf([statement], 'logs:').length > 0);
      assert.deepEqual(
        logs,
        [
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [config.LogGroup.Ref, 'Arn'] },
          },
        ],
        id,
      );
    }
  });

  test('only X-Ray, log delivery and PutMetricData act on every resource ("*"): none has a narrower scope', () => {
    const stateMachineRoles = [stack.workflow.stateMachine, stack.workflow.escalations].map((stateMachine) => {
      assert.ok(stateMachine.role);
      return { Ref: logicalIdOf(stateMachine.role.roleName) };
    });
    let stateMachinePolicies = 0;
    for (const [id, policy] of Object.entries(resourcesOf('AWS::IAM::Policy'))) {
      const { PolicyDocument, Roles } = propsOf(policy) as {
        PolicyDocument: { Statement: Statement[] };
        Roles: unknown[];
      };
      const ofStateMachine = Roles.some((role) => stateMachineRoles.some((sm) => isDeepStrictEqual(role, sm)));
      if (ofStateMachine) stateMachinePolicies += 1;
      const onEverything = PolicyDocument.Statement.filter((statement) =>
        (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).some(
          (resource) => typeof resource === 'string' && resource.includes('*'),
        ),
      );
      // Policy minimization may merge these statements or not; the actions they allow are what counts.
      assert.deepEqual(
        actionsOf(onEverything, ''),
        ofStateMachine
          ? // What Step Functions needs to trace executions and to deliver their logs to CloudWatch Logs.
            [
              'logs:CreateLogDelivery',
              'logs:DeleteLogDelivery',
              'logs:DescribeLogGroups',
              'logs:DescribeResourcePolicies',
              'logs:GetLogDelivery',
              'logs:ListLogDeliveries',
              'logs:PutResourcePolicy',
              'logs:UpdateLogDelivery',
              'xray:GetSamplingRules',
              'xray:GetSamplingTargets',
              'xray:PutTelemetryRecords',
              'xray:PutTraceSegments',
            ]
          : onEverything.length === 0
            ? []
            : actionsOf(onEverything, 'cloudwatch:').length > 0
              ? // The monitor's policy of its own: PutMetricData has no resource (its namespace is a condition).
                ['cloudwatch:PutMetricData']
              : ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
        id,
      );
    }
    assert.equal(stateMachinePolicies, 2);
  });

  test('no policy in the stack allows deleting, scanning, or any wildcard action', () => {
    const forbidden = ['dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:BatchWriteItem'];
    for (const [id, policy] of Object.entries(resourcesOf('AWS::IAM::Policy'))) {
      const { Statement } = propsOf(policy).PolicyDocument as { Statement: Statement[] };
      for (const action of actionsOf(Statement, '')) {
        assert.ok(!forbidden.includes(action), `${id} allows ${action}`);
        assert.ok(!action.includes('*'), `${id} allows the wildcard action ${action}`);
      }
    }
  });
});

describe('api', () => {
  test('one route per entry of the route table, proxied to that route’s function with payload 2.0', () => {
    const all = resourcesOf('AWS::ApiGatewayV2::Route');
    assert.equal(Object.keys(all).length, routes.length);
    const integrations = resourcesOf('AWS::ApiGatewayV2::Integration');
    for (const route of routes) {
      const routeKey = `${route.method} ${route.path}`;
      const found = Object.values(all).filter((r) => r.Properties?.RouteKey === routeKey);
      assert.equal(found.length, 1, routeKey);
      const target = stack.resolve(found[0]?.Properties?.Target) as { 'Fn::Join': [string, [string, { Ref: string }]] };
      const integration = integrations[target['Fn::Join'][1][1].Ref];
      assert.ok(integration, `${routeKey} targets an integration`);
      assert.equal(integration.Properties?.IntegrationType, 'AWS_PROXY');
      assert.equal(integration.Properties?.PayloadFormatVersion, '2.0');
      assert.deepEqual(integration.Properties?.IntegrationUri, {
        'Fn::GetAtt': [logicalIdOf(functionOf(route).functionName), 'Arn'],
      });
    }
  });

  test('authenticated routes use the JWT authorizer; unauthenticated ones use none', () => {
    const [authorizerId] = onlyResourceOf('AWS::ApiGatewayV2::Authorizer');
    for (const route of routes) {
      const routeKey = `${route.method} ${route.path}`;
      template.hasResourceProperties(
        'AWS::ApiGatewayV2::Route',
        route.authenticated
          ? { RouteKey: routeKey, AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } }
          : { RouteKey: routeKey, AuthorizationType: 'NONE', AuthorizerId: Match.absent() },
      );
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /health', AuthorizationType: 'NONE' });
  });

  test('the probes (GET /health, GET /health/ready) and GET /openapi.json are the only routes without a token', () => {
    const open = Object.values(resourcesOf('AWS::ApiGatewayV2::Route'))
      .filter((route) => route.Properties?.AuthorizationType !== 'JWT')
      .map((route) => route.Properties?.RouteKey);
    assert.deepEqual(open.sort(), ['GET /health', 'GET /health/ready', 'GET /openapi.json']);
  });

  test('the JWT authorizer trusts tokens the user pool issues to the people client and to the machine client', () => {
    const [, authorizer] = onlyResourceOf('AWS::ApiGatewayV2::Authorizer');
    assert.equal(authorizer.Properties?.AuthorizerType, 'JWT');
    assert.deepEqual(authorizer.Properties?.IdentitySource, ['$request.header.Authorization']);
    assert.deepEqual(authorizer.Properties?.JwtConfiguration, {
      Issuer: stack.resolve(stack.auth.userPool.userPoolProviderUrl),
      Audience: [
        { Ref: logicalIdOf(stack.auth.client.userPoolClientId) },
        { Ref: logicalIdOf(stack.auth.machineClient.userPoolClientId) },
      ],
    });
    assert.deepEqual(stack.resolve(stack.auth.userPool.userPoolProviderUrl), {
      'Fn::GetAtt': [logicalIdOf(stack.auth.userPool.userPoolId), 'ProviderURL'],
    });
  });

  test('the default stage auto-deploys, is throttled and writes JSON access logs to a retained-for-a-month group', () => {
    const [, stage] = onlyResourceOf('AWS::ApiGatewayV2::Stage');
    assert.equal(stage.Properties?.StageName, '$default');
    assert.equal(stage.Properties?.AutoDeploy, true);
    assert.deepEqual(stage.Properties?.DefaultRouteSettings, { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const logs = stage.Properties?.AccessLogSettings as {
      DestinationArn: { 'Fn::GetAtt': [string, string] };
      Format: string;
    };
    const logGroup = resourcesOf('AWS::Logs::LogGroup')[logs.DestinationArn['Fn::GetAtt'][0]];
    assert.equal(logGroup?.Properties?.RetentionInDays, 30);
    const format = JSON.parse(logs.Format) as Record<string, string>;
    assert.equal(format.requestId, '$context.requestId');
    assert.equal(format.status, '$context.status');
    // No personal data and no credentials: no client address, no user agent, no header (the token is one).
    for (const variable of Object.values(format)) {
      assert.doesNotMatch(variable, /sourceIp|userAgent|header|authorization/i, variable);
    }
  });

  test('CORS is off by default', () => {
    const [, api] = onlyResourceOf('AWS::ApiGatewayV2::Api');
    assert.equal(api.Properties?.ProtocolType, 'HTTP');
    assert.equal(api.Properties?.CorsConfiguration, undefined);
  });
});

describe('stack', () => {
  test('is environment-agnostic and tagged app=shipgate', () => {
    assert.ok(Token.isUnresolved(stack.account));
    assert.ok(Token.isUnresolved(stack.region));
    assert.deepEqual(stack.tags.tagValues(), { app: 'shipgate' });
  });

  test('outputs the API URL, the user pool, both client ids, the token endpoint, the table and the state machines', () => {
    // The notifications outputs are checked by the notifications test.
    template.hasOutput('ApiUrl', { Value: stack.resolve(stack.api.url) });
    template.hasOutput('UserPoolId', { Value: { Ref: logicalIdOf(stack.auth.userPool.userPoolId) } });
    template.hasOutput('UserPoolClientId', { Value: { Ref: logicalIdOf(stack.auth.client.userPoolClientId) } });
    template.hasOutput('MachineClientId', { Value: { Ref: logicalIdOf(stack.auth.machineClient.userPoolClientId) } });
    template.hasOutput('TokenEndpoint', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: logicalIdOf(stack.auth.domain.domainName) },
            '.auth.',
            { Ref: 'AWS::Region' },
            '.amazoncognito.com/oauth2/token',
          ],
        ],
      },
    });
    template.hasOutput('ReleasesTableName', { Value: { Ref: 'Releases' } });
    template.hasOutput('StateMachineArn', { Value: { Ref: logicalIdOf(stack.workflow.stateMachine.stateMachineArn) } });
    template.hasOutput('EscalationStateMachineArn', {
      Value: { Ref: logicalIdOf(stack.workflow.escalations.stateMachineArn) },
    });
    assert.notDeepEqual(
      stack.resolve(stack.workflow.escalations.stateMachineArn),
      stack.resolve(stack.workflow.stateMachine.stateMachineArn),
    );
  });

  test('props reach the stage and the log groups', () => {
    // Bundling is skipped for this second stack: only its configuration is under test.
    const other = new ShipgateStack(noBundling(), 'Other', {
      throttlingRateLimit: 5,
      throttlingBurstLimit: 10,
      logRetention: RetentionDays.ONE_WEEK,
      logLevel: 'DEBUG',
    });
    const otherTemplate = Template.fromStack(other);
    otherTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
    for (const logGroup of Object.values(otherTemplate.findResources('AWS::Logs::LogGroup'))) {
      assert.equal(logGroup.Properties?.RetentionInDays, 7);
    }
    otherTemplate.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: 'DEBUG' }) },
    });
  });
});
