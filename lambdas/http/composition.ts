// The composition root: builds each service once per container from configuration and real adapters.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { builtInTemplates, findBuiltInTemplate } from '../../templates/index.ts';
import { DynamoNotificationStore } from '../adapters/dynamodb/notification-store.ts';
import { DynamoReleaseStore } from '../adapters/dynamodb/release-store.ts';
import { StepFunctionsWorkflow } from '../adapters/sfn/step-functions-workflow.ts';
import { SnsNotifier } from '../adapters/sns/sns-notifier.ts';
import { systemClock, ulidIds } from '../adapters/system.ts';
import { makeNotificationsService, type NotificationsService } from '../core/notify/use-cases.ts';
import type { Notifier, TemplateCatalog, WorkflowEngine } from '../core/ports.ts';
import { makeReleasesService, type ReleasesService } from '../core/release/use-cases.ts';
import { makeTemplatesService, type TemplatesService } from '../core/template/use-cases.ts';
import { readReleasesConfig } from './config.ts';
import { logger } from './logger.ts';

export const templateCatalog: TemplateCatalog = { list: () => builtInTemplates, get: findBuiltInTemplate };

let releases: ReleasesService | undefined;
let templates: TemplatesService | undefined;
let notifications: NotificationsService | undefined;
let notifierOverride: Notifier | undefined;
let dynamo: DynamoDBClient | undefined;

/** One DynamoDB client per container, shared by every store. */
export const dynamoClient = (): DynamoDBClient => {
  dynamo ??= new DynamoDBClient({});
  return dynamo;
};

/**
 * Replaces SNS delivery with another Notifier: the local runtime's, which delivers to an outbox and SMTP. Must be
 * called before the first notificationsService() call; in Lambda nobody calls it.
 */
export function useNotifier(notifier: Notifier): void {
  notifierOverride = notifier;
}

/** Read-only functions are given no state machine; reaching for it there is a wiring bug, said plainly. */
const noWorkflow: WorkflowEngine = {
  start: () => Promise.reject(new Error('this function is not wired to the release workflow')),
  succeed: () => Promise.reject(new Error('this function is not wired to the release workflow')),
  fail: () => Promise.reject(new Error('this function is not wired to the release workflow')),
  stop: () => Promise.reject(new Error('this function is not wired to the release workflow')),
  startEscalation: () => Promise.reject(new Error('this function is not wired to the escalation state machine')),
};

/**
 * How a function takes part in release workflows: `api` functions start executions and answer task tokens (a
 * missing STATE_MACHINE_ARN fails their init); the state machine's own task function only answers the tokens it
 * is handed; read-only functions take no part.
 */
export type WorkflowRole = 'api' | 'task' | 'none';

/** The releases service of this container; the first call reads configuration and creates the SDK clients. */
export function releasesService(options: { readonly workflow?: WorkflowRole } = {}): ReleasesService {
  if (!releases) {
    const role = options.workflow ?? 'none';
    const config = readReleasesConfig(process.env, { needsWorkflow: role === 'api' });
    const store = new DynamoReleaseStore({ client: dynamoClient(), tableName: config.releasesTable });
    const workflow =
      role === 'none' && !config.stateMachineArn
        ? noWorkflow
        : new StepFunctionsWorkflow({
            client: new SFNClient({}),
            stateMachineArn: config.stateMachineArn,
            escalationStateMachineArn: process.env.ESCALATION_STATE_MACHINE_ARN,
          });
    releases = makeReleasesService({
      store,
      templates: templateCatalog,
      clock: systemClock,
      ids: ulidIds(),
      workflow,
      timeScale: config.timeScale,
      onWorkflowError: (error, context) =>
        logger.warn('the workflow was not told of a saved change', { error, ...context }),
    });
  }
  return releases;
}

/** The notifications service of this container; functions that publish or subscribe get EVENTS_TOPIC_ARN. */
export function notificationsService(): NotificationsService {
  if (!notifications) {
    const config = readReleasesConfig(process.env);
    const topicArn = process.env.EVENTS_TOPIC_ARN;
    const notifier =
      notifierOverride ??
      (topicArn
        ? new SnsNotifier({ client: new SNSClient({}), topicArn })
        : {
            publish: () => Promise.reject(new Error('this function is not wired to the release-events topic')),
            subscribe: () => Promise.reject(new Error('this function is not wired to the release-events topic')),
            unsubscribe: () => Promise.reject(new Error('this function is not wired to the release-events topic')),
            refresh: (contact) => Promise.resolve([...contact.subscriptions]),
          });
    const tableName = config.releasesTable;
    notifications = makeNotificationsService({
      releases: new DynamoReleaseStore({ client: dynamoClient(), tableName }),
      store: new DynamoNotificationStore({ client: dynamoClient(), tableName }),
      notifier,
      clock: systemClock,
      ids: ulidIds(),
      publicUrl: process.env.SHIPGATE_PUBLIC_URL,
    });
  }
  return notifications;
}

export function templatesService(): TemplatesService {
  templates ??= makeTemplatesService(templateCatalog);
  return templates;
}
