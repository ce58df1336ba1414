// The Shipgate stack: stateful storage, authentication, the release workflow, notifications, monitoring and the
// stateless API composed into one deployable unit.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { CorsPreflightOptions } from 'aws-cdk-lib/aws-apigatewayv2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { releasesTable } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { ShipgateApi } from './api.ts';
import { ShipgateAuth, type ShipgateAuthProps } from './auth.ts';
import type { PowertoolsLogLevel } from './function.ts';
import { ShipgateMonitoring } from './monitoring.ts';
import { ShipgateNotifications } from './notifications.ts';
import { ShipgateObservability, type ShipgateObservabilityThresholds } from './observability.ts';
import { ON_CALL_CONTEXT, type OnCallContacts, parseOnCall } from './on-call.ts';
import { ShipgateStorage } from './storage.ts';
import { ShipgateWorkflow } from './workflow.ts';

/** Properties of {@link ShipgateStack}. */
export interface ShipgateStackProps extends StackProps {
  /**
   * Cognito settings: callback and logout URLs, domain prefix, token validity, MFA, threat protection.
   * @default - see `ShipgateAuthProps`
   */
  readonly auth?: ShipgateAuthProps;
  /**
   * Steady-state requests per second the API accepts.
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Requests the API accepts in a burst above the rate limit.
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Retention of every log group of the stack.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level of every function.
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;
  /**
   * CORS preflight settings of the API.
   * @default - CORS disabled
   */
  readonly cors?: CorsPreflightOptions;
  /**
   * The base URL the links in notifications point at, for a UI served in front of the API.
   * @default the API's URL
   */
  readonly publicUrl?: string;
  /**
   * On-call contacts subscribed to the alarms topic: every state change of every alarm acting on it reaches each
   * email address, phone number (SMS) and HTTPS URL (a paging tool). Checked at synthesis; see `OnCallContacts`.
   * @default the `shipgate:onCall` context value (a JSON object, in cdk.json or `-c`), else none
   */
  readonly onCall?: OnCallContacts;
  /**
   * Thresholds of the alarms the stack keeps on itself (functions, stream consumers, executions, failure queues,
   * the API); every one publishes to the alarms topic.
   * @default - see `ShipgateObservabilityThresholds`
   */
  readonly observability?: ShipgateObservabilityThresholds;
}

/** Everything Shipgate deploys. Environment-agnostic: account and region come from the deploying credentials. */
export class ShipgateStack extends Stack {
  readonly storage: ShipgateStorage;
  readonly auth: ShipgateAuth;
  readonly workflow: ShipgateWorkflow;
  readonly notifications: ShipgateNotifications;
  readonly monitoring: ShipgateMonitoring;
  readonly api: ShipgateApi;
  readonly observability: ShipgateObservability;

  constructor(scope: Construct, id: string, props: ShipgateStackProps = {}) {
    super(scope, id, {
      description: 'Shipgate: release checklists as running, auditable processes',
      ...props,
      // Stack tags, which CloudFormation propagates to every resource that supports tags.
      tags: { app: 'shipgate', ...props.tags },
    });
    this.storage = new ShipgateStorage(this, 'Storage');
    this.auth = new ShipgateAuth(this, 'Auth', props.auth);
    this.workflow = new ShipgateWorkflow(this, 'Workflow', {
      table: (schema) => this.storage.table(schema),
      logRetention: props.logRetention,
      logLevel: props.logLevel,
    });
    this.notifications = new ShipgateNotifications(this, 'Notifications', {
      table: (schema) => this.storage.table(schema),
      workflow: this.workflow,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
    });
    // The property, else the context: values given with `-c` arrive as strings, which parseOnCall reads as JSON. Either
    // is checked at synthesis, the error naming where it came from, so a typo in an address fails `cdk synth`.
    this.notifications.subscribeOnCall(
      props.onCall ?? parseOnCall(this.node.tryGetContext(ON_CALL_CONTEXT), `context ${ON_CALL_CONTEXT}`),
      'onCall',
    );
    this.monitoring = new ShipgateMonitoring(this, 'Monitoring', {
      table: (schema) => this.storage.table(schema),
      alarmsTopic: this.notifications.alarmsTopic,
      key: this.notifications.key,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
    });
    this.api = new ShipgateApi(this, 'Api', {
      table: (schema) => this.storage.table(schema),
      authorizer: this.auth.authorizer,
      workflow: this.workflow,
      eventsTopic: this.notifications.eventsTopic,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      cors: props.cors,
    });
    this.notifications.linkTo(props.publicUrl ?? this.api.url);
    // Last: it watches what the constructs above created.
    this.observability = new ShipgateObservability(this, 'Observability', {
      ...props.observability,
      api: this.api,
      workflow: this.workflow,
      notifications: this.notifications,
      monitoring: this.monitoring,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Shipgate API' });
    new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', {
      value: this.auth.client.userPoolClientId,
      description: 'App client for people (authorization code with PKCE)',
    });
    new CfnOutput(this, 'MachineClientId', {
      value: this.auth.machineClient.userPoolClientId,
      description: 'App client for machines (client credentials); its secret is in the Cognito console or API',
    });
    new CfnOutput(this, 'TokenEndpoint', {
      value: this.auth.tokenEndpoint,
      description: 'OAuth 2.0 token endpoint for the client-credentials grant',
    });
    new CfnOutput(this, 'ReleasesTableName', { value: this.storage.table(releasesTable).tableName });
    new CfnOutput(this, 'StateMachineArn', {
      value: this.workflow.stateMachine.stateMachineArn,
      description: 'The release state machine (one execution per release)',
    });
    new CfnOutput(this, 'EscalationStateMachineArn', {
      value: this.workflow.escalations.stateMachineArn,
      description: 'The escalation state machine (one execution per escalation: pages each level until acknowledged)',
    });
    new CfnOutput(this, 'EventsTopicArn', {
      value: this.notifications.eventsTopic.topicArn,
      description: 'Release events: contacts subscribe here by email or SMS (through the API, with filter policies)',
    });
    new CfnOutput(this, 'AlarmsTopicArn', {
      value: this.notifications.alarmsTopic.topicArn,
      description:
        'Alarm actions of CloudWatch alarms publish here; the rollback function and on-call contacts subscribe, and ' +
        'teams may subscribe their own paging tools',
    });
    new CfnOutput(this, 'MetricNamespace', {
      value: this.monitoring.namespace,
      description: 'The CloudWatch namespace of release metric samples (dimension ReleaseId)',
    });
    new CfnOutput(this, 'AlarmNamePrefix', {
      value: this.monitoring.alarmPrefix,
      description: 'Alarms of rollback triggers are named <prefix>-<releaseId>-<triggerId>',
    });
    new CfnOutput(this, 'MonitorDeadLetterQueueUrl', {
      value: this.monitoring.deadLetterQueue.queueUrl,
      description: 'Records of sample and alarm-event batches the monitor could not process within its retries',
    });
    new CfnOutput(this, 'AlarmFailureQueueUrl', {
      value: this.notifications.alarmFailureQueue.queueUrl,
      description: 'Alarms the rollback function failed on after its retries (Lambda invocation records)',
    });
    new CfnOutput(this, 'NotificationDeadLetterQueueUrl', {
      value: this.notifications.deadLetterQueue.queueUrl,
      description: 'Records of audit-event batches the notifier could not publish within its retries',
    });
    new CfnOutput(this, 'AlarmRollbackFunctionName', {
      value: this.notifications.alarmFunction.functionName,
      description:
        'Subscribed to the alarms topic: rolls back, or proposes to roll back, the releases an alarm concerns',
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.observability.dashboard.dashboardName,
      description: `The CloudWatch dashboard of the service; its alarms are named ${this.observability.alarmPrefix}-*`,
    });
  }
}
