// compose(): the one place where the adapters and use-case contexts of a function are built, from its catalog entry
// and its configuration. In Lambda the real AWS adapters are built; the local runtime and tests hand theirs in.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { builtInTemplates, findBuiltInTemplate } from '../../templates/index.ts';
import { DynamoNotificationStore } from '../adapters/dynamodb/notification-store.ts';
import { DynamoReleaseStore } from '../adapters/dynamodb/release-store.ts';
import { DynamoRequestStore } from '../adapters/dynamodb/request-store.ts';
import { DynamoTemplateStore } from '../adapters/dynamodb/template-store.ts';
import { StepFunctionsWorkflow } from '../adapters/sfn/step-functions-workflow.ts';
import { SnsNotifier } from '../adapters/sns/sns-notifier.ts';
import { systemClock, ulidIds } from '../adapters/system.ts';
import type { MonitoringContext } from '../core/monitoring/alarm-use-cases.ts';
import type { NotificationContext } from '../core/notify/notification-use-cases.ts';
import type { Clock, MetricAlarms, Notifier, TemplateCatalog, WorkflowEngine } from '../core/ports.ts';
import { type ReleaseContext, releaseContext } from '../core/release/context.ts';
import type { RequestLedger } from '../core/requests.ts';
import type { TemplateContext } from '../core/template/library.ts';
import type { FunctionNeeds } from './catalog.ts';
import type { FunctionConfig } from './environment.ts';
import { logger } from './logger.ts';

/** Adapters handed in instead of the ones compose() would build: the local runtime's stand-ins, or a test's. */
export interface Adapters {
  /** The DynamoDB client every store uses (the local runtime's points at DynamoDB Local). */
  readonly dynamodb?: DynamoDBClient | undefined;
  /** Delivers notifications and manages contacts' subscriptions (SNS in AWS; the local notifier locally). */
  readonly notifier?: Notifier | undefined;
  /** Keeps samples and alarms with CloudWatch's semantics (CloudWatch in AWS; the local stand-in locally). */
  readonly metricAlarms?: MetricAlarms | undefined;
  readonly clock?: Clock | undefined;
}

/** What the functions that serve templates get. */
interface TemplateServices {
  /** The built-in and imported templates, in their versions. */
  readonly templates: TemplateContext;
}

/** The contexts of the use cases of a function with a table. */
interface TableServices {
  readonly releases: ReleaseContext;
  readonly notifications: NotificationContext;
  /** The records of the Idempotency-Keys callers send with their writes. */
  readonly requests: RequestLedger;
}

/** The context of the monitor's use cases. */
interface AlarmServices {
  readonly monitoring: MonitoringContext;
}

/** What compose() builds for a function with these needs: its types say what a handler may use. */
export type Services<N extends FunctionNeeds> = (N extends { readonly templates: 'read' | 'write' }
  ? TemplateServices
  : unknown) &
  (N['tables'] extends readonly [] ? unknown : TableServices) &
  (N extends { readonly alarms: 'manage' } ? AlarmServices : unknown);

/** The built-in templates. */
export const templateCatalog: TemplateCatalog = { list: () => builtInTemplates, get: findBuiltInTemplate };

let sharedDynamo: DynamoDBClient | undefined;

/** One DynamoDB client per container, shared by every store. */
const dynamoClient = (): DynamoDBClient => {
  // The SDK waits for a response without limit by default: a database that stops answering would hold a request
  // until the function times out. Bounded, an outage is a 503 the caller can retry within a few seconds.
  sharedDynamo ??= new DynamoDBClient({ requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } });
  return sharedDynamo;
};

/** A port a function's needs do not include: reaching for it is a wiring bug, said plainly. */
const unwired = (what: string) => () => Promise.reject(new Error(`this function is not wired to ${what}`));

const noWorkflow: WorkflowEngine = {
  start: unwired('the release workflow'),
  succeed: unwired('the release workflow'),
  fail: unwired('the release workflow'),
  stop: unwired('the release workflow'),
  startEscalation: unwired('the escalation state machine'),
};

/** Without the topic, a contact's subscriptions are shown as last recorded; nothing can be sent or subscribed. */
const noNotifier: Notifier = {
  publish: unwired('the release-events topic'),
  subscribe: unwired('the release-events topic'),
  unsubscribe: unwired('the release-events topic'),
  refresh: (contact) => Promise.resolve([...contact.subscriptions]),
};

function workflowOf(needs: FunctionNeeds, config: FunctionConfig): WorkflowEngine {
  if (!needs.workflow && !needs.escalations) return noWorkflow;
  return new StepFunctionsWorkflow({
    client: new SFNClient({}),
    stateMachineArn: config.stateMachineArn,
    escalationStateMachineArn: config.escalationStateMachineArn,
  });
}

function notifierOf(needs: FunctionNeeds, config: FunctionConfig): Notifier {
  if (!needs.notifier || !config.eventsTopicArn) return noNotifier;
  return new SnsNotifier({ client: new SNSClient({}), topicArn: config.eventsTopicArn });
}

/** The release and notification contexts over a function's table. */
function tableServices(
  needs: FunctionNeeds,
  config: FunctionConfig,
  adapters: Adapters,
  tableName: string,
): TableServices & { store: DynamoReleaseStore; templates: TemplateContext } {
  const client = adapters.dynamodb ?? dynamoClient();
  const clock = adapters.clock ?? systemClock;
  const store = new DynamoReleaseStore({ client, tableName });
  const templateStore = new DynamoTemplateStore({ client, tableName });
  const releases = releaseContext({
    store,
    templates: templateCatalog,
    templateStore,
    clock,
    ids: ulidIds(),
    workflow: workflowOf(needs, config),
    timeScale: config.timeScale,
    onWorkflowError: (error, context) =>
      logger.warn('the workflow was not told of a saved change', { error, ...context }),
  });
  const notifications: NotificationContext = {
    releases: store,
    store: new DynamoNotificationStore({ client, tableName }),
    notifier: adapters.notifier ?? notifierOf(needs, config),
    clock,
    ids: ulidIds(),
    publicUrl: config.publicUrl,
  };
  const templates: TemplateContext = { builtIns: templateCatalog, store: templateStore, clock };
  const requests = new DynamoRequestStore({ client, tableName, clock });
  return { store, releases, notifications, requests, templates };
}

/**
 * Builds the services of a function with `needs` and `config` (see readConfig): the stores over its table, the
 * workflow it may start or answer, the notifier and metric alarms it may use. `adapters` replace what would be built;
 * the metric alarms are always handed in (the monitor brings CloudWatch itself, the local runtime its stand-in).
 */
export function compose<N extends FunctionNeeds>(
  needs: N,
  config: FunctionConfig,
  adapters: Adapters = {},
): Services<N> {
  // TypeScript cannot follow a runtime branch into a conditional type: each return below is the branch of Services<N>
  // that its condition selects (templates if asked; a table: its contexts; alarms: the monitor's too).
  const built = (services: Partial<TemplateServices & TableServices & AlarmServices>) => services as Services<N>;
  if (config.releasesTable === undefined) return built({});
  const { store, templates, ...table } = tableServices(needs, config, adapters, config.releasesTable);
  const common: Partial<TemplateServices> = needs.templates ? { templates } : {};
  if (!needs.alarms) return built({ ...common, ...table });
  if (!adapters.metricAlarms || !config.alarms) {
    throw new Error('this function needs CloudWatch alarms, and none were given to compose()');
  }
  const monitoring: MonitoringContext = { store, alarms: adapters.metricAlarms, alarmPrefix: config.alarms.prefix };
  return built({ ...common, ...table, monitoring });
}
