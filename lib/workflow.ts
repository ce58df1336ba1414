// The release workflow: the workflow function and the Step Functions state machine that runs the shared definition,
// and the escalations it starts: the escalation function and the state machine that runs the escalation definition.
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { ESCALATION_FUNCTION, WORKFLOW_FUNCTION } from '../lambdas/functions/catalog.ts';
import { ENV } from '../lambdas/functions/environment.ts';
import { WORKFLOW_FUNCTION_PLACEHOLDER, workflowDefinition } from '../lambdas/workflow/definition.ts';
import { ESCALATION_FUNCTION_PLACEHOLDER, escalationDefinition } from '../lambdas/workflow/escalation-definition.ts';
import { type PowertoolsLogLevel, ShipgateFunction, taskResponseStatement } from './function.ts';

/** Properties of {@link ShipgateWorkflow}. */
export interface ShipgateWorkflowProps {
  /** Finds the deployed table for a schema the workflow and escalation functions list (usually `ShipgateStorage.table`). */
  readonly table: (schema: TableSchema) => ITable;
  /**
   * Retention of the functions' and the state machines' log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level of the workflow and escalation functions.
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;
}

/** The substitution key of a definition placeholder: `WorkflowFunctionArn` in `${WorkflowFunctionArn}`. */
const substitutionKey = (placeholder: string): string => {
  const key = /^\$\{(\w+)\}$/.exec(placeholder)?.[1];
  if (key === undefined) throw new Error(`${placeholder} is not a definition substitution`);
  return key;
};

/** What {@link taskStateMachine} builds: a state machine whose tasks invoke one function. */
interface TaskStateMachineProps {
  /** The ASL definition, with `placeholder` where the function's ARN goes. */
  readonly definition: unknown;
  readonly placeholder: string;
  /** The one function the definition's tasks invoke. */
  readonly fn: ShipgateFunction;
  readonly description: string;
  readonly logRetention: RetentionDays;
  /** Construct ids: of the log group, the role and the state machine (kept as deployed, so nothing is replaced). */
  readonly ids: { readonly logs: string; readonly role: string; readonly stateMachine: string };
}

/**
 * A STANDARD state machine running `definition` exactly as the local runtime runs it: CDK only substitutes the
 * function's ARN. Traced with X-Ray; every state transition is logged, without execution data. Its own role, whose
 * only grant besides tracing and log delivery is invoking `fn`.
 */
const taskStateMachine = (
  scope: Construct,
  props: TaskStateMachineProps,
): { stateMachine: StateMachine; logGroup: LogGroup } => {
  const logGroup = new LogGroup(scope, props.ids.logs, {
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // An own role, so that its only invoke grant is the one below (CDK adds the log delivery and X-Ray statements).
  const role = new Role(scope, props.ids.role, {
    assumedBy: new ServicePrincipal('states.amazonaws.com'),
    description: props.description,
  });
  // The definition invokes the unqualified function ARN only, so no version or alias (`:*`) is granted, unlike
  // `grantInvoke`, which adds them.
  role.addToPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.fn.functionArn] }));
  const stateMachine = new StateMachine(scope, props.ids.stateMachine, {
    stateMachineType: StateMachineType.STANDARD,
    definitionBody: DefinitionBody.fromString(JSON.stringify(props.definition)),
    definitionSubstitutions: { [substitutionKey(props.placeholder)]: props.fn.functionArn },
    role,
    tracingEnabled: true,
    logs: {
      destination: logGroup,
      // Every event, not only errors: without data an event is small, an execution makes few of them, and the
      // history of an execution that went wrong is what an operator needs (cdk-nag's AwsSolutions-SF1 asks the same).
      level: LogLevel.ALL,
      // Execution data is the release itself (ids, decisions, rollback causes typed by people, task tokens);
      // logs are diagnostics kept a month, while the release and its audit trail live in the encrypted table.
      // The events still show which state ran, when, and which error was caught.
      includeExecutionData: false,
    },
  });
  const statePolicy = role.node.tryFindChild('DefaultPolicy');
  if (statePolicy !== undefined) {
    Validations.of(statePolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and ' +
        'CloudWatch Logs delivery (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ' +
        'ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) support no ' +
        `resource-level permissions; the only other statement invokes the ${props.fn.node.id} function by its ARN.`,
    });
  }
  return { stateMachine, logGroup };
};

/** The role of a function, which every ShipgateFunction has (it creates its own). */
const roleOf = (fn: ShipgateFunction): IRole => {
  const role = fn.role;
  if (role === undefined) throw new Error(`${fn.node.path} has no role to grant task responses to`);
  return role;
};

/**
 * The release workflow: one STANDARD execution per release (a release waits for days; Express executions end after
 * five minutes), running `workflowDefinition()`; and the escalations it starts: one STANDARD execution per
 * escalation (it waits for an acknowledgement as long as a template says), running `escalationDefinition()`. Each
 * state machine invokes its own function, so that the workflow function may start escalations without a cycle.
 */
export class ShipgateWorkflow extends Construct {
  /** The function the Decide and Await tasks invoke. */
  readonly function: ShipgateFunction;
  readonly stateMachine: StateMachine;
  /** Where the state machine logs its events. */
  readonly logGroup: LogGroup;
  /** The function the escalation state machine's Page and AwaitAcknowledgement tasks invoke. */
  readonly escalationFunction: ShipgateFunction;
  /** The escalation state machine: pages the levels of a contact chain until someone acknowledges. */
  readonly escalations: StateMachine;
  /** Where the escalation state machine logs its events. */
  readonly escalationLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ShipgateWorkflowProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    // Escalations first: the workflow function starts them.
    this.escalationFunction = new ShipgateFunction(this, ESCALATION_FUNCTION.id, {
      entry: ESCALATION_FUNCTION.entry,
      description: 'Shipgate escalations: pages a level of a contact chain and stores the acknowledgement task token',
      // Each task is one short DynamoDB transaction and a publish; the margin covers a cold start and SDK retries.
      timeout: Duration.seconds(30),
      logRetention,
      logLevel: props.logLevel,
      environment: {
        // Real time in AWS; the local runtime runs the same handler faster than real time.
        [ENV.timeScale]: '1',
      },
    });
    this.escalationFunction.bindNeeds(ESCALATION_FUNCTION, { table: props.table }, 'ShipgateWorkflow');
    const escalations = taskStateMachine(this, {
      definition: escalationDefinition(),
      placeholder: ESCALATION_FUNCTION_PLACEHOLDER,
      fn: this.escalationFunction,
      description: 'Shipgate escalation state machine',
      logRetention,
      ids: { logs: 'EscalationLogs', role: 'EscalationStateMachineRole', stateMachine: 'EscalationStateMachine' },
    });
    this.escalations = escalations.stateMachine;
    this.escalationLogGroup = escalations.logGroup;
    // The escalation function answers its own tokens (an acknowledgement that arrived before the token was stored,
    // a chain with nobody left to page). Not in its default policy, for the cycle described below.
    new Policy(this, 'EscalationTaskResponsePolicy', {
      roles: [roleOf(this.escalationFunction)],
      statements: [taskResponseStatement(this.escalations)],
    });

    this.function = new ShipgateFunction(this, WORKFLOW_FUNCTION.id, {
      entry: WORKFLOW_FUNCTION.entry,
      description: 'Shipgate release workflow: decides what a release waits for and stores task tokens',
      // Each task is one short DynamoDB transaction; the margin covers a cold start and the SDK's retries.
      timeout: Duration.seconds(30),
      logRetention,
      logLevel: props.logLevel,
      environment: {
        // Real time in AWS; the local runtime runs the same handler faster than real time.
        [ENV.timeScale]: '1',
      },
    });
    // An overdue gate pages level 1 (`escalations: 'start'`). No cycle: the workflow function depends on the
    // escalation state machine, which depends on the escalation function only.
    this.function.bindNeeds(
      WORKFLOW_FUNCTION,
      { table: props.table, escalations: this.escalations },
      'ShipgateWorkflow',
    );

    const release = taskStateMachine(this, {
      definition: workflowDefinition(),
      placeholder: WORKFLOW_FUNCTION_PLACEHOLDER,
      fn: this.function,
      description: 'Shipgate release state machine',
      logRetention,
      ids: { logs: 'Logs', role: 'StateMachineRole', stateMachine: 'StateMachine' },
    });
    this.stateMachine = release.stateMachine;
    this.logGroup = release.logGroup;

    // The workflow function may answer a callback task itself (say, a wait that ended before its token was stored).
    // Granted through a policy of its own: in the function's default policy, the state machine's ARN would make the
    // function depend on the state machine, whose definition depends on the function, a cycle CloudFormation
    // refuses. For the same reason the function gets no STATE_MACHINE_ARN: answering a task needs its token only.
    new Policy(this, 'TaskResponsePolicy', {
      roles: [roleOf(this.function)],
      statements: [taskResponseStatement(this.stateMachine)],
    });
  }
}
