// The one Lambda function construct: every Shipgate function gets its defaults (runtime, bundling, tracing, logs)
// here, and its access to a table, the workflow or the release-events topic through one `bind*` call each, so no
// function is wired differently from the others.
import { createRequire } from 'node:module';
import path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  LogLevel as EsbuildLogLevel,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct, IConstruct } from 'constructs';
import type { TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';
import type { Subscription } from '../lambdas/core/notify/notification.ts';
import type { FunctionDef, NotifierAccess, TableAccess } from '../lambdas/functions/catalog.ts';
import { ENV } from '../lambdas/functions/environment.ts';

/** The repository root: handler entries are resolved against it, so synthesis does not depend on the cwd. */
export const projectRoot = path.resolve(import.meta.dirname, '..');

/** Powertools log levels. */
export type PowertoolsLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** DynamoDB actions of each access level; `write` adds its actions to `read`'s (see `TableAccess`). */
const readActions = ['dynamodb:GetItem', 'dynamodb:Query'] as const;
const writeActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'] as const;
// The split aws-cdk-lib's own table grants use (reading a CMK-encrypted table needs Decrypt, writing more), with
// its `ReEncrypt*` and `GenerateDataKey*` spelled out: no wildcard action, and no key-pair generation, which
// DynamoDB never asks for.
const keyReadActions = ['kms:Decrypt', 'kms:DescribeKey'] as const;
const keyWriteActions = [
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
] as const;
/**
 * What a function may do with the release workflow through `bindWorkflow` (see `WorkflowAccess` of the catalog;
 * `task` is the state machine's own function, which `ShipgateWorkflow` grants itself).
 */
export type BoundWorkflowAccess = 'start' | 'respond';

/**
 * Answering a callback task: success when a wait is satisfied, failure on a rollback. SendTaskHeartbeat is left out:
 * no task of the definition sets a heartbeat, so nothing ever needs to send one.
 *
 * The Service Authorization Reference lists no resource type for the SendTask* actions, which would mean `*`
 * only; but Step Functions authorizes a callback against the state machine whose execution issued the token (an
 * AccessDenied names `...:stateMachine:<name>`), and aws-cdk-lib's own `grantTaskResponse` scopes these actions to
 * the state machine ARN. The narrower grant is used: a function can answer the tokens of this state machine only.
 */
const taskResponseActions = ['states:SendTaskSuccess', 'states:SendTaskFailure'] as const;

/** The statement that lets a principal answer the callback tasks of `stateMachine`'s executions. */
export const taskResponseStatement = (stateMachine: IStateMachine): PolicyStatement =>
  new PolicyStatement({ actions: [...taskResponseActions], resources: [stateMachine.stateMachineArn] });

/** The state machines a function with workflow access is bound to (`ShipgateWorkflow` is one). */
export interface WorkflowBinding {
  /** The release state machine: one execution per release. */
  readonly stateMachine: IStateMachine;
  /** The escalation state machine: one execution per escalation (paging the levels of a contact chain). */
  readonly escalations: IStateMachine;
}

/**
 * What a function may do with the escalation state machine. `start`: start escalations. `respond`: `start` plus
 * answer the acknowledgement tasks they wait on.
 */
export type EscalationAccess = 'start' | 'respond';

/** Execution actions of `respond`, on the state machine's executions (`execution:<name>:*`). */
const executionActions = ['states:StopExecution', 'states:DescribeExecution'] as const;

/**
 * The id of cdk-nag's AwsSolutions-IAM5 finding for a resource ARN that ends in `*`, as cdk-nag spells it: the
 * resolved ARN flattened, `Ref` as `<LogicalId>`, `Fn::GetAtt` as `<LogicalId.Attribute>`, `Fn::Join` joined, and any
 * other intrinsic as its JSON. Acknowledging this exact id leaves every other wildcard of the policy reported.
 */
export const wildcardResourceFinding = (scope: IConstruct, arn: string): string => {
  const flatten = (node: unknown): string => {
    if (typeof node === 'string') return node;
    if (typeof node === 'object' && node !== null) {
      if ('Ref' in node) return `<${flatten(node.Ref)}>`;
      if ('Fn::GetAtt' in node && Array.isArray(node['Fn::GetAtt'])) {
        const [resource, attribute] = node['Fn::GetAtt'] as unknown[];
        return `<${flatten(resource)}.${flatten(attribute)}>`;
      }
      if ('Fn::Join' in node && Array.isArray(node['Fn::Join'])) {
        const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
        return parts.map(flatten).join(delimiter);
      }
    }
    return JSON.stringify(node);
  };
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(arn))}]`;
};

/**
 * Managing a contact's subscriptions. The Service Authorization Reference lists Subscribe with the topic as required
 * resource (and the `sns:Protocol` and `sns:Endpoint` condition keys); Unsubscribe, GetSubscriptionAttributes and
 * SetSubscriptionAttributes name a subscription in the request, whose ARN is the topic's ARN followed by
 * `:<subscription id>`, so `<topic ARN>:*` matches exactly the subscriptions of that topic. The dependent action
 * iam:PassRole of Subscribe and SetSubscriptionAttributes is left out: it only hands SNS a delivery role (Firehose
 * subscriptions, delivery status logging), which contacts never use.
 */
const subscribeActions = ['sns:Subscribe'] as const;
const subscriptionActions = [
  'sns:Unsubscribe',
  'sns:GetSubscriptionAttributes',
  'sns:SetSubscriptionAttributes',
] as const;

/**
 * The protocols a contact subscribes with, keyed like `Subscription['protocol']` so that a protocol added to the
 * notification model fails compilation here until it is granted. Subscribing a phone number (`sms`) needs no other
 * permission; whether SNS then delivers the texts depends on the account's SMS settings (sandbox, origination
 * identities, spending limit), which are set per account and region at deploy time, not by this stack.
 */
const subscriptionProtocols: Readonly<Record<Subscription['protocol'], true>> = { email: true, sms: true };

/**
 * Publishing to a KMS-encrypted topic: what the SNS documentation asks of a publisher, as SNS calls KMS with the
 * publisher's credentials. `GenerateDataKey*` spelled out as the one variant SNS uses: it never asks for key pairs
 * or for a data key without its plaintext.
 */
const topicKeyActions = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/** What the Lambda service needs to write a function's logs into the function's own group. */
const logActions = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;

// ESM output still bundles CommonJS dependencies that call `require`; this gives them one.
const esmRequireBanner =
  "import { createRequire as __shipgateCreateRequire } from 'node:module'; const require = __shipgateCreateRequire(import.meta.url);";

/**
 * NodejsFunction falls back to bundling in Docker when it cannot find esbuild; Shipgate synthesizes offline and
 * without Docker, so a missing esbuild must fail here with the fix, not later as a Docker error.
 */
const assertLocalEsbuild = (): void => {
  try {
    createRequire(import.meta.url).resolve('esbuild/package.json');
  } catch {
    throw new Error('esbuild is not installed: run `npm ci` (Shipgate bundles functions locally, never in Docker).');
  }
};

/** The deployed resources a function's catalog needs are bound to (see `ShipgateFunction.bindNeeds`). */
export interface FunctionResources {
  /** Finds the deployed table for a schema a function lists (usually `ShipgateStorage.table`). */
  readonly table: (schema: TableSchema) => ITable;
  /** For `workflow: 'start' | 'respond'`. */
  readonly workflow?: WorkflowBinding | undefined;
  /** For `escalations: 'start'`. */
  readonly escalations?: IStateMachine | undefined;
  /** For `notifier`: the release-events topic. */
  readonly eventsTopic?: ITopic | undefined;
}

/** Properties of a {@link ShipgateFunction}. */
export interface ShipgateFunctionProps
  extends Omit<
    NodejsFunctionProps,
    | 'entry'
    | 'runtime'
    | 'architecture'
    | 'tracing'
    | 'logGroup'
    | 'logRetention'
    | 'logRetentionRole'
    | 'logRetentionRetryOptions'
    | 'projectRoot'
    | 'depsLockFilePath'
    | 'role'
  > {
  /** The handler module, absolute or relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /**
   * How long the function's log group keeps events. Applied to an explicit log group, not through the legacy
   * `logRetention` custom resource.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group when the function is removed. Logs are diagnostics, not state (the audit trail
   * lives in DynamoDB), and the group's name is generated, so a retained group would only be an orphan.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Powertools logger level (`POWERTOOLS_LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;
}

/**
 * A Shipgate Lambda function: Node.js 24 on ARM64, ESM bundled locally by esbuild with source maps, X-Ray tracing,
 * its own log group, and Powertools configured. Its role starts empty (no AWS managed policy): it may write to its
 * own log group and send traces, and gains table access only through `bindTable`, workflow access only through
 * `bindWorkflow`, topic access only through `bindNotifier`.
 */
export class ShipgateFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ShipgateFunctionProps) {
    assertLocalEsbuild();
    const { entry, logRetention, logRemovalPolicy, logLevel, bundling, environment, ...rest } = props;
    // Created before super() so it can be passed in; scoped to the parent with a derived id for the same reason.
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // An own role instead of the default one, which carries the AWSLambdaBasicExecutionRole managed policy: that
    // policy lets a function create log groups and write to every log group of the account.
    const role = new Role(scope, `${id}ServiceRole`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Shipgate function ${id}`,
    });
    // The group's ARN attribute ends in `:*`, which covers its log streams and nothing else.
    Grant.addToPrincipal({ grantee: role, actions: [...logActions], resourceArns: [logGroup.logGroupArn] });
    const bundlingDefaults: BundlingOptions = {
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      target: 'node24',
      mainFields: ['module', 'main'],
      banner: esmRequireBanner,
      minify: true,
      sourceMap: true,
      // Stack traces only need the mappings; the sources would double the asset for nothing.
      sourcesContent: false,
      // `cdk synth --quiet` should stay quiet: esbuild speaks only when something is wrong.
      logLevel: EsbuildLogLevel.WARNING,
    };
    super(scope, id, {
      memorySize: 512,
      timeout: Duration.seconds(10),
      ...rest,
      entry: path.resolve(projectRoot, entry),
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      bundling: { ...bundlingDefaults, ...bundling },
      environment: {
        // Without it the source maps are bundled but stack traces still point into the minified file.
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'shipgate',
        POWERTOOLS_LOG_LEVEL: logLevel ?? 'INFO',
        ...environment,
      },
    });
    // Tracing.ACTIVE has put its X-Ray statement into the role's default policy (the one the log grant created);
    // that statement's `*` is acknowledged on this policy alone, not on the function or the stack.
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy !== undefined) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so X-Ray tracing ' +
          'needs Resource "*"; every other statement of this policy names its resources (asserted by the infra tests).',
      });
    }
  }

  /**
   * Binds what the function's catalog entry needs: each table with its access, the workflow (`start`, `respond`),
   * the escalations (`start`) and the release-events topic, each through its `bind*` call. The state machines' own
   * task functions (`task`) and the monitor's CloudWatch grants are bound by the constructs that own those resources
   * (`ShipgateWorkflow`, `ShipgateMonitoring`), whose grants need policies of their own.
   */
  bindNeeds(def: FunctionDef, resources: FunctionResources, owner = 'the construct'): void {
    const what = 'method' in def ? 'route' : 'function';
    const missing = (need: string, value: string, resource: string) =>
      new Error(`${what} ${def.id} sets ${need} '${value}' but ${owner} has no ${resource}`);
    for (const { table, access } of def.tables) this.bindTable(resources.table(table), table, access);
    if (def.workflow === 'start' || def.workflow === 'respond') {
      this.bindWorkflow(resources.workflow ?? fail(missing('workflow', def.workflow, 'workflow')), def.workflow);
    }
    if (def.escalations === 'start') {
      const escalations = resources.escalations ?? fail(missing('escalations', 'start', 'escalation state machine'));
      this.bindEscalations(escalations, 'start');
    }
    if (def.notifier !== undefined) {
      this.bindNotifier(resources.eventsTopic ?? fail(missing('notifier', def.notifier, 'eventsTopic')), def.notifier);
    }
  }

  /**
   * Gives the function a table: sets the table name in `schema.envVar` and grants exactly what `access` allows.
   * `read`: GetItem and Query on the table and on each of the schema's indexes by name. `write`: `read` plus
   * PutItem, UpdateItem and ConditionCheckItem on the table (indexes cannot be written). Plus, when the table uses a
   * KMS key, the key actions of that access, usable only through DynamoDB (`kms:ViaService`).
   */
  bindTable(table: ITable, schema: TableSchema, access: TableAccess): void {
    this.addEnvironment(schema.envVar, table.tableName);
    // Each index by name rather than `index/*`: an index added later gets no reader until the schema names it.
    const indexArns = schema.globalSecondaryIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`);
    Grant.addToPrincipal({ grantee: this, actions: [...readActions], resourceArns: [table.tableArn, ...indexArns] });
    if (access === 'write') {
      Grant.addToPrincipal({ grantee: this, actions: [...writeActions], resourceArns: [table.tableArn] });
    }
    if (table.encryptionKey !== undefined) {
      const stack = Stack.of(this);
      Grant.addToPrincipal({
        grantee: this,
        actions: [...keyReadActions, ...(access === 'write' ? keyWriteActions : [])],
        resourceArns: [table.encryptionKey.keyArn],
        // The function never calls KMS itself; DynamoDB does on its behalf. Stolen credentials cannot use the key
        // directly to decrypt or encrypt anything.
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.${stack.urlSuffix}` } },
      });
    }
  }

  /**
   * Gives the function the release workflow: sets `STATE_MACHINE_ARN` and grants what `access` allows on the release
   * state machine. `start`: StartExecution. `respond`: `start` plus StopExecution and DescribeExecution on its
   * executions (`execution:<name>:*`), and SendTaskSuccess and SendTaskFailure (see `taskResponseActions`); and, as
   * answering a release can page people or stop paging them (requesting a rollback starts an escalation,
   * acknowledging one answers its token), the escalations with `respond` access (see `bindEscalations`).
   */
  bindWorkflow(workflow: WorkflowBinding, access: BoundWorkflowAccess): void {
    const { stateMachine } = workflow;
    this.addEnvironment(ENV.stateMachineArn, stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(this);
    if (access !== 'respond') return;
    const executions = stateMachine.grantExecution(this, ...executionActions);
    this.addToRolePolicy(taskResponseStatement(stateMachine));
    // Executions are named after releases, which do not exist at deploy time: the `:*` after the state machine's own
    // name is the narrowest ARN that covers them. That finding alone is acknowledged, on the policy that holds it.
    const policy = this.role?.node.tryFindChild('DefaultPolicy');
    const [statement] = executions.principalStatements;
    const [executionArn] = statement?.resources ?? [];
    if (policy === undefined || executionArn === undefined) {
      throw new Error(`${this.node.path}: the execution grant did not land on the function's own policy`);
    }
    Validations.of(policy).acknowledge({
      id: wildcardResourceFinding(policy, executionArn),
      reason:
        'StopExecution and DescribeExecution act on executions, which are named after releases created at run time; ' +
        '`execution:<this state machine>:*` covers the executions of this one state machine and nothing else.',
    });
    this.bindEscalations(workflow.escalations, 'respond');
  }

  /**
   * Gives the function the escalation state machine: sets `ESCALATION_STATE_MACHINE_ARN` and grants what `access`
   * allows. `start`: StartExecution on it (the workflow function pages level 1 of an overdue gate). `respond`:
   * `start` plus SendTaskSuccess and SendTaskFailure on it (an acknowledgement answers the escalation's token).
   * Neither stops or describes escalations: an escalation ends by its own definition once it is answered.
   *
   * Both grants land on the function's default policy, which its function resource depends on: the escalation state
   * machine must therefore not depend on this function (it invokes the escalation function only).
   */
  bindEscalations(escalations: IStateMachine, access: EscalationAccess): void {
    this.addEnvironment(ENV.escalationStateMachineArn, escalations.stateMachineArn);
    escalations.grantStartExecution(this);
    if (access === 'respond') this.addToRolePolicy(taskResponseStatement(escalations));
  }

  /**
   * Gives the function the release-events topic: sets `EVENTS_TOPIC_ARN` and grants exactly what `access` allows.
   * `publish`: Publish on the topic, plus GenerateDataKey and Decrypt on its key when it has one, usable only through
   * SNS (`kms:ViaService`). `subscribe`: Subscribe on the topic for the protocols contacts use (email, SMS), and
   * Unsubscribe, GetSubscriptionAttributes and SetSubscriptionAttributes on the topic's subscriptions (`<topic>:*`);
   * no key access, since subscribing never encrypts or decrypts a message.
   */
  bindNotifier(eventsTopic: ITopic, access: NotifierAccess): void {
    this.addEnvironment(ENV.eventsTopicArn, eventsTopic.topicArn);
    if (access === 'publish') {
      Grant.addToPrincipal({ grantee: this, actions: ['sns:Publish'], resourceArns: [eventsTopic.topicArn] });
      if (eventsTopic.masterKey !== undefined) {
        const stack = Stack.of(this);
        Grant.addToPrincipal({
          grantee: this,
          actions: [...topicKeyActions],
          resourceArns: [eventsTopic.masterKey.keyArn],
          // The function never calls KMS itself; SNS does on its behalf when it publishes.
          conditions: { StringEquals: { 'kms:ViaService': `sns.${stack.region}.${stack.urlSuffix}` } },
        });
      }
      return;
    }
    Grant.addToPrincipal({
      grantee: this,
      actions: [...subscribeActions],
      resourceArns: [eventsTopic.topicArn],
      // Only people's endpoints: stolen credentials cannot subscribe a URL, a queue or a function of theirs.
      conditions: { StringEquals: { 'sns:Protocol': Object.keys(subscriptionProtocols) } },
    });
    // Subscriptions are created at run time, one per contact endpoint: `<topic>:*` is the narrowest ARN that covers
    // them, and covers the subscriptions of this one topic only. That finding alone is acknowledged.
    const subscriptions = `${eventsTopic.topicArn}:*`;
    Grant.addToPrincipal({ grantee: this, actions: [...subscriptionActions], resourceArns: [subscriptions] });
    const policy = this.role?.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) {
      throw new Error(`${this.node.path}: the subscription grant did not land on the function's own policy`);
    }
    Validations.of(policy).acknowledge({
      id: wildcardResourceFinding(policy, subscriptions),
      reason:
        'Unsubscribe, GetSubscriptionAttributes and SetSubscriptionAttributes act on subscriptions, which are created ' +
        "at run time for each contact's email address or phone number; `<events topic ARN>:*` covers the " +
        'subscriptions of that one topic and nothing else.',
    });
  }
}

function fail(error: Error): never {
  throw error;
}
