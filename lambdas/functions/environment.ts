// The environment of Shipgate's functions: every variable's name, and one schema per need, read once and typed at
// cold start. CDK sets these names (lib/function.ts), the local runtime sets them for its in-process functions, and
// compose() reads nothing else from the environment.
import { z } from 'zod';
import { releasesTable } from '../adapters/dynamodb/table-schema.ts';
import type { FunctionNeeds } from './catalog.ts';

/** The name of every environment variable a Shipgate function reads. */
export const ENV = {
  /** The releases table's name (the table schema owns the name, so CDK and the local tables agree on it). */
  releasesTable: releasesTable.envVar,
  /** The release state machine, for functions that start or answer its executions. */
  stateMachineArn: 'STATE_MACHINE_ARN',
  /** The escalation state machine, for functions that start or answer escalations. */
  escalationStateMachineArn: 'ESCALATION_STATE_MACHINE_ARN',
  /** The release-events topic, for the notifier and the functions that subscribe contacts. */
  eventsTopicArn: 'EVENTS_TOPIC_ARN',
  /** The topic the alarms the monitor creates act on. */
  alarmsTopicArn: 'ALARMS_TOPIC_ARN',
  /** Every alarm the monitor creates is named `<prefix>-<releaseId>-<triggerId>`. */
  alarmPrefix: 'SHIPGATE_ALARM_PREFIX',
  /** The CloudWatch namespace the monitor puts samples to. */
  metricNamespace: 'SHIPGATE_METRIC_NAMESPACE',
  /** Base URL links in notifications point at. */
  publicUrl: 'SHIPGATE_PUBLIC_URL',
  /** How much faster than real time waits pass: 1 in AWS, more in the local runtime. */
  timeScale: 'SHIPGATE_TIME_SCALE',
} as const;

/** The configuration of one function: only what its needs ask for is set. */
export interface FunctionConfig {
  readonly releasesTable?: string | undefined;
  readonly stateMachineArn?: string | undefined;
  readonly escalationStateMachineArn?: string | undefined;
  readonly eventsTopicArn?: string | undefined;
  readonly alarms?:
    | { readonly prefix: string; readonly topicArn: string; readonly namespace?: string | undefined }
    | undefined;
  readonly publicUrl?: string | undefined;
  readonly timeScale: number;
}

const notSet = 'is not set: deploy with the Shipgate stack, or run `npm start`';
const required = z.string({ message: notSet }).min(1, notSet);
const optional = z.string().min(1).optional();

const Common = z.object({
  [ENV.timeScale]: z.coerce.number().positive('must be a positive number').optional(),
  [ENV.publicUrl]: optional,
});
const Tables = z.object({ [ENV.releasesTable]: required });
const Workflow = z.object({ [ENV.stateMachineArn]: required });
const Escalations = z.object({ [ENV.escalationStateMachineArn]: required });
const Notifier = z.object({ [ENV.eventsTopicArn]: required });
const Alarms = z.object({
  [ENV.alarmPrefix]: required,
  [ENV.alarmsTopicArn]: required,
  [ENV.metricNamespace]: optional,
});

/** Which parts of the environment a function's needs ask for. */
export function envNeeds(needs: FunctionNeeds) {
  return {
    tables: needs.tables.length > 0,
    workflow: needs.workflow === 'start' || needs.workflow === 'respond',
    escalations: needs.workflow === 'respond' || needs.escalations === 'start',
    notifier: needs.notifier !== undefined,
    alarms: needs.alarms !== undefined,
  };
}

/**
 * Reads and checks the environment a function's needs ask for, and nothing else. A missing or malformed variable
 * throws, naming each one, so a misconfigured function fails at its cold start, never inside a request.
 */
export function readConfig(needs: FunctionNeeds, env: Readonly<Record<string, string | undefined>>): FunctionConfig {
  const wanted = envNeeds(needs);
  const problems: string[] = [];
  const read = <T>(schema: z.ZodType<T>, asked: boolean): T | undefined => {
    if (!asked) return undefined;
    const result = schema.safeParse(env);
    if (result.success) return result.data;
    problems.push(...result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
    return undefined;
  };
  const common = read(Common, true);
  const tables = read(Tables, wanted.tables);
  const workflow = read(Workflow, wanted.workflow);
  const escalations = read(Escalations, wanted.escalations);
  const notifier = read(Notifier, wanted.notifier);
  const alarms = read(Alarms, wanted.alarms);
  if (problems.length > 0) throw new Error(`Shipgate configuration is incomplete: ${problems.join('; ')}`);
  return {
    releasesTable: tables?.[ENV.releasesTable],
    stateMachineArn: workflow?.[ENV.stateMachineArn],
    escalationStateMachineArn: escalations?.[ENV.escalationStateMachineArn],
    eventsTopicArn: notifier?.[ENV.eventsTopicArn],
    alarms: alarms && {
      prefix: alarms[ENV.alarmPrefix],
      topicArn: alarms[ENV.alarmsTopicArn],
      namespace: alarms[ENV.metricNamespace],
    },
    publicUrl: common?.[ENV.publicUrl],
    timeScale: common?.[ENV.timeScale] ?? 1,
  };
}
