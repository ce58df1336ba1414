// The release workflow: the workflow function and the Step Functions state machine that runs the shared definition.
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { WORKFLOW_FUNCTION } from '../lambdas/http/routes.ts';
import { WORKFLOW_FUNCTION_PLACEHOLDER, workflowDefinition } from '../lambdas/workflow/definition.ts';
import { type PowertoolsLogLevel, ShipgateFunction, taskResponseStatement } from './function.ts';

/** Properties of {@link ShipgateWorkflow}. */
export interface ShipgateWorkflowProps {
  /** Finds the deployed table for a schema the workflow function lists (usually `ShipgateStorage.table`). */
  readonly table: (schema: TableSchema) => ITable;
  /**
   * Retention of the workflow function's and the state machine's log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level of the workflow function.
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;
}

/** The substitution key of `WORKFLOW_FUNCTION_PLACEHOLDER`: `WorkflowFunctionArn` in `${WorkflowFunctionArn}`. */
const functionArnKey = ((): string => {
  const key = /^\$\{(\w+)\}$/.exec(WORKFLOW_FUNCTION_PLACEHOLDER)?.[1];
  if (key === undefined) throw new Error(`${WORKFLOW_FUNCTION_PLACEHOLDER} is not a definition substitution`);
  return key;
})();

/**
 * One STANDARD execution per release (a release waits for days; Express executions end after five minutes), running
 * `workflowDefinition()` exactly as the local runtime runs it: CDK only substitutes the workflow function's ARN.
 * Traced with X-Ray; every state transition is logged, without execution data.
 */
export class ShipgateWorkflow extends Construct {
  /** The function the Decide and Await tasks invoke. */
  readonly function: ShipgateFunction;
  readonly stateMachine: StateMachine;
  /** Where the state machine logs its events. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ShipgateWorkflowProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.function = new ShipgateFunction(this, WORKFLOW_FUNCTION.id, {
      entry: WORKFLOW_FUNCTION.entry,
      description: 'Shipgate release workflow: decides what a release waits for and stores task tokens',
      // Each task is one short DynamoDB transaction; the margin covers a cold start and the SDK's retries.
      timeout: Duration.seconds(30),
      logRetention,
      logLevel: props.logLevel,
      environment: {
        // Real time in AWS; the local runtime runs the same handler faster than real time.
        SHIPGATE_TIME_SCALE: '1',
      },
    });
    for (const { table, access } of WORKFLOW_FUNCTION.tables) {
      this.function.bindTable(props.table(table), table, access);
    }

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role, so that its only invoke grant is the one below (CDK adds the log delivery and X-Ray statements).
    const role = new Role(this, 'StateMachineRole', {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
      description: 'Shipgate release state machine',
    });
    // The definition invokes the unqualified function ARN only, so no version or alias (`:*`) is granted, unlike
    // `grantInvoke`, which adds them.
    role.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
    );
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(JSON.stringify(workflowDefinition())),
      definitionSubstitutions: { [functionArnKey]: this.function.functionArn },
      role,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        // Every event, not only errors: without data an event is small, a release makes few of them, and the
        // history of a release that went wrong is what an operator needs (cdk-nag's AwsSolutions-SF1 asks the same).
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
          'resource-level permissions; the only other statement invokes the workflow function by its ARN.',
      });
    }

    // The workflow function may answer a callback task itself (say, a wait that ended before its token was stored).
    // Granted through a policy of its own: in the function's default policy, the state machine's ARN would make the
    // function depend on the state machine, whose definition depends on the function, a cycle CloudFormation
    // refuses. For the same reason the function gets no STATE_MACHINE_ARN: answering a task needs its token only.
    const functionRole = this.function.role;
    if (functionRole === undefined)
      throw new Error(`${this.function.node.path} has no role to grant task responses to`);
    new Policy(this, 'TaskResponsePolicy', {
      roles: [functionRole],
      statements: [taskResponseStatement(this.stateMachine)],
    });
  }
}
