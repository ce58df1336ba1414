// The local runtime as a library: DynamoDB Local on disk, the tables from the CDK schema, the local issuer and the
// gateway in front of the same handlers, stream pollers feeding the stream consumers, and in-process stand-ins for
// SNS delivery and CloudWatch alarms. `local/main.ts` is its command line.

import './log-level.ts';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, SNSEvent } from 'aws-lambda';
import { isAuditEventInsert, isMonitorRecord } from '../lambdas/adapters/dynamodb/stream-records.ts';
import { tables } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { reconcileAlarms } from '../lambdas/core/monitoring/alarm-use-cases.ts';
import { resumeInFlight } from '../lambdas/core/workflow/workflow-use-cases.ts';
import {
  ALARM_FUNCTION,
  ESCALATION_FUNCTION,
  type FunctionDef,
  MONITOR_FUNCTION,
  NOTIFIER_FUNCTION,
  ROUTES,
  WORKFLOW_FUNCTION,
} from '../lambdas/functions/catalog.ts';
import { type Adapters, compose } from '../lambdas/functions/compose.ts';
import type { FunctionModule, LambdaHandler } from '../lambdas/functions/define.ts';
import { ENV, readConfig } from '../lambdas/functions/environment.ts';
import { workflowDefinition } from '../lambdas/workflow/definition.ts';
import { escalationDefinition } from '../lambdas/workflow/escalation-definition.ts';
import { LocalMetricAlarms } from './cloudwatch.ts';
import { superviseDynamoDbLocal } from './dynamodb-supervisor.ts';
import { createFaultSwitch } from './faults.ts';
import { type Handler, lambdaContext, startGateway } from './gateway.ts';
import { acquireInstanceLock, updateInstanceLock } from './instance-lock.ts';
import { type LocalIssuer, loadOrCreateIssuer } from './issuer.ts';
import { AlarmsQuery, OutboxQuery, PlayAlarmBody, parseLocal } from './local-routes.ts';
import { createLocalNotifier } from './notifier.ts';
import { startSfnEndpoint } from './sfn-endpoint.ts';
import { startStreamPoller } from './stream-poller.ts';
import { ensureTables } from './tables.ts';
import { createLocalWorkflowEngine } from './workflow-engine.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalRuntimeOptions {
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  /** How much faster than real time monitoring windows and waits pass (3600: an hour a second). @default 1 */
  readonly timeScale?: number;
  /** An SMTP server (smtp://host:port) the local notifier also sends email to. */
  readonly smtpUrl?: string | undefined;
  /** Where DynamoDB Local keeps its data, the issuer its key, and the lock its pid file. */
  readonly dataDir: string;
  /** Test-only: reads `<dataDir>/faults.json` at each fault point (see local/faults.ts). @default false */
  readonly faultInjection?: boolean;
  readonly log: (line: string) => void;
}

export interface LocalRuntime {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly dynamodbEndpoint: string;
  readonly issuer: LocalIssuer;
  readonly timeScale: number;
  /** Releases whose workflow was resumed at start. */
  readonly resumed: readonly string[];
  stop(): Promise<void>;
}

/** The names the local definitions invoke their task functions by (in AWS: their ARNs, substituted by CDK). */
const LOCAL_WORKFLOW_FUNCTION = 'shipgate-local-workflow';
const LOCAL_ESCALATION_FUNCTION = 'shipgate-local-escalation';
const LOCAL_ESCALATION_STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:shipgate-local-escalation';

const LOCAL_REGION = 'us-east-1';
/** The local stack's alarm name prefix. */
const LOCAL_ALARM_PREFIX = 'shipgate-local';
const LOCAL_ALARMS_TOPIC_ARN = 'arn:aws:sns:local:000000000000:shipgate-alarms';
/** The local release-events topic: the local notifier delivers what is published to it. */
const LOCAL_EVENTS_TOPIC_ARN = 'arn:aws:sns:local:000000000000:shipgate-events';

/** An alarm notification (the alarm's JSON) as the alarms topic delivers it to its subscriber: an SNS event. */
function alarmEvent(message: string): SNSEvent {
  const alarm = JSON.parse(message) as { AlarmName?: unknown; NewStateValue?: unknown };
  // CloudWatch's subject, e.g. `ALARM: "name" in US East (N. Virginia)`; SNS subjects are at most 100 characters.
  const subject = `${String(alarm.NewStateValue)}: "${String(alarm.AlarmName)}" in local`.slice(0, 100);
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${LOCAL_ALARMS_TOPIC_ARN}:local`,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: LOCAL_ALARMS_TOPIC_ARN,
          Subject: subject,
          Message: message,
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: '',
          SigningCertUrl: '',
          UnsubscribeUrl: '',
          MessageAttributes: {},
        },
      },
    ],
  };
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const lock = await acquireInstanceLock(dataDir);
  const cleanups: (() => Promise<void>)[] = [() => lock.release()];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    // Supervised: a JVM that dies is started again on the same port and data, so the endpoint below never changes.
    const dynamodb = await superviseDynamoDbLocal({ dbPath: join(dataDir, 'dynamodb'), report: options.log });
    cleanups.push(() => dynamodb.stop());
    const faults = createFaultSwitch({ enabled: options.faultInjection ?? false, dataDir, log: options.log });

    // The handlers read their configuration from the environment at import, exactly as in Lambda; the SDK picks
    // the DynamoDB Local endpoint from AWS_ENDPOINT_URL_DYNAMODB, so no handler code knows it runs locally.
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    const client = new DynamoDBClient({ region: LOCAL_REGION, endpoint: dynamodb.endpoint });
    try {
      Object.assign(process.env, await ensureTables(client, tables));
    } finally {
      client.destroy();
    }

    // Notifications: SNS delivery is replaced by the local notifier (an outbox a person can read, and SMTP when
    // configured). CloudWatch: the local stand-in keeps the samples and alarms the monitor puts, evaluates them on the
    // same scaled clock as monitoring windows, and publishes state changes to the alarm handler, one at a time.
    const timeScale = options.timeScale ?? 1;
    const notifier = createLocalNotifier({ dataDir, smtpUrl: options.smtpUrl, log: options.log });
    cleanups.push(() => notifier.close());
    // Where SNS would refuse a publish, a fault test makes the local delivery refuse it.
    const publishing: typeof notifier = {
      ...notifier,
      publish: async (notification) => {
        faults.check('notifyPublish', { releaseId: notification.releaseId, type: notification.type });
        return notifier.publish(notification);
      },
    };
    let deliverAlarm: (message: string) => Promise<void> = async () => undefined;
    let deliveries = Promise.resolve();
    const cloudwatch = new LocalMetricAlarms({
      timeScale,
      log: options.log,
      publish: (message) => {
        deliveries = deliveries
          .then(() => deliverAlarm(message))
          .catch((error: unknown) =>
            options.log(`alarm handler failed: ${error instanceof Error ? error.message : String(error)}`),
          );
      },
    });
    cleanups.push(async () => {
      cloudwatch.close();
      await deliveries;
    });
    /** What the local runtime hands every function instead of SNS delivery and CloudWatch. */
    const adapters: Adapters = { notifier: publishing, metricAlarms: cloudwatch };

    // The release workflow: the shared definition run by aws-local-stepfunctions, its task function the same
    // module Lambda runs, and a Step Functions endpoint the handlers' SDK client reaches via AWS_ENDPOINT_URL_SFN.
    let workflowHandler: LambdaHandler | undefined;
    const engine = createLocalWorkflowEngine({
      definition: workflowDefinition(LOCAL_WORKFLOW_FUNCTION),
      // Time is scaled once, by the core rules that compute every timeout (SHIPGATE_TIME_SCALE below); the
      // definition has no Wait state of its own to scale.
      timeScale: 1,
      resolveHandler: (name) =>
        name === LOCAL_WORKFLOW_FUNCTION && workflowHandler
          ? (payload) => {
              // Where the Lambda service would fail an invocation, a fault test makes the local one fail.
              const task = (payload ?? {}) as { releaseId?: unknown; action?: unknown };
              faults.check('workflowTask', { releaseId: String(task.releaseId), action: String(task.action) });
              return (workflowHandler as LambdaHandler)(
                payload,
                lambdaContext(WORKFLOW_FUNCTION.id, randomUUID(), 30_000),
              );
            }
          : undefined,
    });
    cleanups.push(async () => engine.close());
    let escalationHandler: LambdaHandler | undefined;
    const escalations = createLocalWorkflowEngine({
      definition: escalationDefinition(LOCAL_ESCALATION_FUNCTION),
      stateMachineArn: LOCAL_ESCALATION_STATE_MACHINE,
      timeScale: 1,
      resolveHandler: (name) =>
        name === LOCAL_ESCALATION_FUNCTION && escalationHandler
          ? (payload) =>
              (escalationHandler as LambdaHandler)(payload, lambdaContext(ESCALATION_FUNCTION.id, randomUUID(), 30_000))
          : undefined,
    });
    cleanups.push(async () => escalations.close());
    const sfn = await startSfnEndpoint({ engines: [engine, escalations] });
    cleanups.push(() => sfn.close());
    // The functions read their configuration from the environment when their modules load, as in Lambda. The
    // topics are named for the configuration's sake: the adapters above stand in for what is published to them.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SFN: sfn.endpoint,
      [ENV.stateMachineArn]: engine.stateMachineArn,
      [ENV.escalationStateMachineArn]: escalations.stateMachineArn,
      [ENV.timeScale]: String(timeScale),
      [ENV.eventsTopicArn]: LOCAL_EVENTS_TOPIC_ARN,
      [ENV.alarmsTopicArn]: LOCAL_ALARMS_TOPIC_ARN,
      // The monitor names its alarms `<prefix>-<releaseId>-<triggerId>`.
      [ENV.alarmPrefix]: LOCAL_ALARM_PREFIX,
    });
    const servicesOf = <D extends FunctionDef>(def: D) => compose(def, readConfig(def, process.env), adapters);
    /** A function's handler over the local adapters: its module, as Lambda loads its bundle, built with them. */
    const load = async (def: FunctionDef): Promise<LambdaHandler> => {
      const module = (await import(pathToFileURL(`${REPO_ROOT}/${def.entry}`).href)) as {
        fn?: FunctionModule<FunctionDef, LambdaHandler>;
      };
      if (module.fn?.def.id !== def.id) throw new Error(`${def.entry} does not define the function ${def.id}`);
      return module.fn.build(servicesOf(def));
    };
    workflowHandler = await load(WORKFLOW_FUNCTION);
    escalationHandler = await load(ESCALATION_FUNCTION);

    // A stream consumer: the same module Lambda runs, fed by a poller of the table's stream with the filter of its
    // event source mapping and checkpoints of its own.
    const consumeStream = async (
      fn: FunctionDef,
      filter: (record: Parameters<typeof isMonitorRecord>[0]) => boolean,
    ): Promise<void> => {
      const handler = (await load(fn)) as (
        event: DynamoDBStreamEvent,
        context: Context,
      ) => Promise<DynamoDBBatchResponse>;
      const poller = await startStreamPoller({
        name: fn.id,
        endpoint: dynamodb.endpoint,
        region: LOCAL_REGION,
        tableName: String(process.env[ENV.releasesTable]),
        dataDir,
        filter: (record) => filter(record as Parameters<typeof isMonitorRecord>[0]),
        handler: (event) => handler(event, lambdaContext(fn.id, randomUUID(), 30_000)),
        log: options.log,
      });
      cleanups.push(() => poller.stop());
    };
    await consumeStream(NOTIFIER_FUNCTION, isAuditEventInsert);

    // Alarm notifications: the alarm handler is the same module Lambda runs, handed each message in the SNS event
    // the alarms topic delivers in AWS, whether the local CloudWatch published it or POST /local/alarms played it.
    const alarmHandler = (await load(ALARM_FUNCTION)) as (event: SNSEvent, context: Context) => Promise<void>;
    deliverAlarm = (message: string) =>
      alarmHandler(alarmEvent(message), lambdaContext(ALARM_FUNCTION.id, randomUUID(), 30_000));

    // The monitor: the same module Lambda runs (samples to CloudWatch, alarms kept while a release is in
    // monitoring), fed by a second stream poller with the monitor mapping's filter and checkpoints of its own.
    await consumeStream(MONITOR_FUNCTION, isMonitorRecord);

    const raiseAlarm = async ({ body }: { body: unknown }) => {
      const input = parseLocal(PlayAlarmBody, body ?? {}, 'body');
      const message = {
        AlarmName: input.alarmName,
        NewStateValue: input.state,
        NewStateReason: input.reason ?? 'raised locally',
        Trigger: input.releaseId ? { Dimensions: [{ name: 'ReleaseId', value: input.releaseId }] } : {},
      };
      await deliverAlarm(JSON.stringify(message));
      return { delivered: true, alarm: message };
    };

    const issuer = await loadOrCreateIssuer(dataDir);
    const gateway = await startGateway({
      port: options.port,
      issuer,
      log: options.log,
      handlerFor: (route) => load(route) as Promise<Handler>,
      // Who may call them is the permission table's word, as for every route of the stack.
      localRoutes: [
        { method: 'POST', path: '/local/alarms', action: { kind: 'play-alarm' }, handle: raiseAlarm },
        {
          method: 'GET',
          path: '/local/alarms',
          action: { kind: 'read' },
          handle: async ({ query }) => ({ items: cloudwatch.list(parseLocal(AlarmsQuery, query, 'query')) }),
        },
        {
          // The outbox shows contacts' addresses and numbers: readable by those who may manage contacts.
          method: 'GET',
          path: '/notifications',
          action: { kind: 'manage-contacts' },
          handle: async ({ query }) => ({ items: await notifier.list(parseLocal(OutboxQuery, query, 'query')) }),
        },
      ],
    });
    cleanups.push(() => gateway.close());
    await updateInstanceLock(dataDir, { port: gateway.port });

    // Executions live in memory: every release still in flight gets a resuming execution, at its stored wait.
    const resumed = await resumeInFlight(servicesOf(ROUTES.resumeRelease).releases);
    // The local CloudWatch starts empty and the monitor's checkpoints skip the events already handled: the releases
    // in monitoring get their alarms put again (the others' are deleted, which changes nothing).
    const { monitoring } = servicesOf(MONITOR_FUNCTION);
    for (const id of resumed) {
      await reconcileAlarms(monitoring, id).catch((error: unknown) =>
        options.log(`alarms of ${id} not restored: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
    return {
      url: gateway.url,
      port: gateway.port,
      dataDir,
      dynamodbEndpoint: dynamodb.endpoint,
      issuer,
      timeScale,
      resumed,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
