// The Shipgate stack: stateful storage, authentication, the release workflow, notifications and the stateless API
// composed into one deployable unit.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { CorsPreflightOptions } from 'aws-cdk-lib/aws-apigatewayv2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { releasesTable } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { ShipgateApi } from './api.ts';
import { ShipgateAuth, type ShipgateAuthProps } from './auth.ts';
import type { PowertoolsLogLevel } from './function.ts';
import { ShipgateNotifications } from './notifications.ts';
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
}

/** Everything Shipgate deploys. Environment-agnostic: account and region come from the deploying credentials. */
export class ShipgateStack extends Stack {
  readonly storage: ShipgateStorage;
  readonly auth: ShipgateAuth;
  readonly workflow: ShipgateWorkflow;
  readonly notifications: ShipgateNotifications;
  readonly api: ShipgateApi;

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
      description: 'Alarm actions of CloudWatch alarms publish here; on-call people and the rollback handler subscribe',
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
  }
}
