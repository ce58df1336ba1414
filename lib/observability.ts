// The stack watching itself: CloudWatch alarms on Shipgate's own functions, state machines, failure queues and API,
// all acting on the alarms topic so on-call hears of them, and a dashboard of the same signals.
import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ShipgateApi } from './api.ts';
import type { ShipgateFunction } from './function.ts';
import type { ShipgateMonitoring } from './monitoring.ts';
import type { ShipgateNotifications } from './notifications.ts';
import type { ShipgateWorkflow } from './workflow.ts';

/**
 * The name prefix of a stack's health alarms: its name, then `.health`. Like the rollback alarms' `.rollback` (see
 * `alarmPrefixOf`), the `.` (which a stack name cannot hold) keeps two stacks apart, and `.health-` never matches the
 * monitor's `<stack>.rollback-*` grant, so the monitor can neither create nor delete these alarms.
 */
export const healthAlarmPrefixOf = (stackName: string): string => `${stackName}.health`;

/** The thresholds a team tunes: the `observability` property of `ShipgateStack` takes the same. */
export interface ShipgateObservabilityThresholds {
  /**
   * Errors (thrown or timed-out invocations) of one function in five minutes that raise its alarm. One: Shipgate's
   * traffic is low and an error is a release step, a notification or an alarm not handled on the first attempt.
   * @default 1
   */
  readonly functionErrors?: number;
  /**
   * Throttled invocations of one function in five minutes that raise its alarm. Shipgate reserves no concurrency, so
   * any throttle means the account's concurrency is used up and releases wait on other workloads.
   * @default 1
   */
  readonly functionThrottles?: number;
  /**
   * The age of the oldest stream record a stream consumer is at that raises its alarm. The stream keeps records 24
   * hours and a poison batch is retried for up to a day: past five minutes, notifications (pages among them) and
   * rollback alarms lag behind the releases.
   * @default Duration.minutes(5)
   */
  readonly iteratorAge?: Duration;
  /**
   * Release executions aborted in an hour that raise the alarm. Cancelling a release stops its execution and
   * resuming one stops the superseded one, so aborts are normal; a burst means something else is stopping them
   * (a script, a console user, a resume loop). A bulk resume after a definition change may trip it; it clears in an
   * hour. Nothing in Shipgate stops an escalation, so any escalation abort raises the escalation alarm.
   * @default 10
   */
  readonly releaseAborts?: number;
  /**
   * 5xx responses of the API in five minutes that raise its alarm: a burst, not one failed request (that one is in
   * the access log and the function's log).
   * @default 5
   */
  readonly serverErrors?: number;
  /**
   * p99 latency of the API (API Gateway's `Latency`, which includes the function) above which, for three five-minute
   * periods in a row, the alarm is raised. Routes are a few DynamoDB calls; three seconds is several cold starts'
   * worth, and three periods keep one slow cold start in a quiet period from paging anyone.
   * @default Duration.seconds(3)
   */
  readonly latencyP99?: Duration;
}

/** Properties of {@link ShipgateObservability}. */
export interface ShipgateObservabilityProps extends ShipgateObservabilityThresholds {
  /** The API: its stage's metrics and its per-route functions. */
  readonly api: ShipgateApi;
  /** The release and escalation state machines and their task functions. */
  readonly workflow: ShipgateWorkflow;
  /** The notifier, the alarm rollback function, their failure queues, and the alarms topic every alarm acts on. */
  readonly notifications: ShipgateNotifications;
  /** The monitor and its dead-letter queue; its alarm prefix is checked not to cover the health alarms. */
  readonly monitoring: ShipgateMonitoring;
  /**
   * Every alarm is named `<alarmPrefix>-<what>-<metric>`. Must not start with the rollback alarms' prefix.
   * @default healthAlarmPrefixOf(the stack's name)
   */
  readonly alarmPrefix?: string;
}

/** A function to watch, under the label its alarms and dashboard lines use. */
interface Watched {
  readonly label: string;
  readonly fn: ShipgateFunction;
}

/** Alarms are evaluated on five-minute periods: the least CloudWatch bills as a standard alarm, and quick enough. */
const period = Duration.minutes(5);
const nameMax = 255;

/**
 * Alarms on every Shipgate function's `Errors` and `Throttles`, the stream consumers' `IteratorAge`, both state
 * machines' failed, timed-out and aborted executions, every failure queue holding a message, and the API's 5xx
 * count and p99 latency; each publishes ALARM and OK to the alarms topic. Plus a dashboard of the same signals.
 *
 * The alarm rollback function receives these alarms too (it subscribes to the topic): an alarm no release names and
 * without a ReleaseId dimension concerns no release, so it looks the name up, finds none and changes nothing.
 */
export class ShipgateObservability extends Construct {
  /** The prefix of every alarm name here. */
  readonly alarmPrefix: string;
  /** Every alarm this construct creates. */
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  readonly #topic: ITopic;
  readonly #alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ShipgateObservabilityProps) {
    super(scope, id);
    this.alarmPrefix = props.alarmPrefix ?? healthAlarmPrefixOf(Stack.of(this).stackName);
    if (`${this.alarmPrefix}-`.startsWith(`${props.monitoring.alarmPrefix}-`)) {
      throw new Error(
        `alarm prefix ${this.alarmPrefix} falls under the rollback alarms' ${props.monitoring.alarmPrefix}-*`,
      );
    }
    this.#topic = props.notifications.alarmsTopic;
    const { api, workflow, notifications, monitoring } = props;

    const apiFunctions: Watched[] = [...api.functions].map(([route, fn]) => ({ label: `api-${route}`, fn }));
    const eventFunctions: Watched[] = [
      workflow.function,
      workflow.escalationFunction,
      notifications.notifier,
      notifications.alarmFunction,
      monitoring.monitor,
    ].map((fn) => ({ label: fn.node.id, fn }));
    // Errors: thrown errors and timeouts. A stream consumer's partly failed batch (batch item failures) is no error;
    // its iterator age and dead-letter queue show it instead.
    for (const { label, fn } of [...apiFunctions, ...eventFunctions]) {
      this.alarm(`${label}-errors`, fn.metricErrors({ period }), {
        threshold: props.functionErrors ?? 1,
        description: `Function ${fn.node.path} threw or timed out; its log group has the error.`,
      });
      this.alarm(`${label}-throttles`, fn.metricThrottles({ period }), {
        threshold: props.functionThrottles ?? 1,
        description: `Function ${fn.node.path} was throttled: the account's Lambda concurrency is used up.`,
      });
    }

    const consumers: Watched[] = [notifications.notifier, monitoring.monitor].map((fn) => ({ label: fn.node.id, fn }));
    for (const { label, fn } of consumers) {
      this.alarm(`${label}-iterator-age`, iteratorAgeOf(fn), {
        threshold: (props.iteratorAge ?? Duration.minutes(5)).toMilliseconds(),
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
        description:
          `Function ${fn.node.path} is behind on the releases table's stream (a failing batch being retried, or ` +
          'throttling); records still failing after a day go to its dead-letter queue.',
      });
    }

    const machines: { label: string; machine: IStateMachine; aborts: number; abortPeriod: Duration }[] = [
      // Aborts of releases are counted over an hour: see `releaseAborts`.
      {
        label: 'release',
        machine: workflow.stateMachine,
        aborts: props.releaseAborts ?? 10,
        abortPeriod: Duration.hours(1),
      },
      { label: 'escalation', machine: workflow.escalations, aborts: 1, abortPeriod: period },
    ];
    for (const { label, machine, aborts, abortPeriod } of machines) {
      // A failed execution is a release whose rollback failed (the definition's RollbackFailed state) or a task
      // that failed past its retries: each one is a release or an escalation stuck.
      this.alarm(`${label}-executions-failed`, machine.metricFailed({ period }), {
        threshold: 1,
        description: `A ${label} execution failed: its execution history names the state and the error.`,
      });
      // No execution timeout is set (a STANDARD execution ends after a year at the latest), so one is an anomaly.
      this.alarm(`${label}-executions-timed-out`, machine.metricTimedOut({ period }), {
        threshold: 1,
        description: `A ${label} execution timed out.`,
      });
      this.alarm(`${label}-executions-aborted`, machine.metricAborted({ period: abortPeriod }), {
        threshold: aborts,
        description: `Executions of the ${label} state machine were stopped: ${aborts} or more in ${abortPeriod.toHumanString()}.`,
      });
    }

    const queues: { label: string; queue: IQueue; holds: string }[] = [
      { label: 'notifier-dlq', queue: notifications.deadLetterQueue, holds: 'audit-event batches not published' },
      {
        label: 'monitor-dlq',
        queue: monitoring.deadLetterQueue,
        holds: 'sample and alarm-event batches not processed',
      },
      { label: 'alarm-dlq', queue: notifications.alarmDeadLetterQueue, holds: 'alarms SNS could not deliver' },
      {
        label: 'alarm-failures',
        queue: notifications.alarmFailureQueue,
        holds: 'alarms the rollback function failed on',
      },
    ];
    for (const { label, queue, holds } of queues) {
      // Any message is a failure that exhausted its retries. Missing data keeps the state: SQS stops reporting a
      // queue six hours after it was last active even while it holds messages, and "not breaching" would then
      // report OK about a queue still holding failures. An empty queue never used stays INSUFFICIENT_DATA.
      this.alarm(`${label}-depth`, depthOf(queue), {
        threshold: 0,
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
        missing: TreatMissingData.IGNORE,
        description: `Queue ${queue.node.path} holds ${holds}; redrive or inspect them.`,
      });
    }

    const { stage } = api;
    this.alarm('api-5xx', stage.metricServerError({ period }), {
      threshold: props.serverErrors ?? 5,
      description: "The Shipgate API answered 5xx; the access log and the route functions' logs have the errors.",
    });
    this.alarm('api-latency-p99', stage.metricLatency({ period, statistic: Stats.p(99) }), {
      threshold: (props.latencyP99 ?? Duration.seconds(3)).toMilliseconds(),
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      description: 'The Shipgate API is slow: p99 latency above the threshold for fifteen minutes.',
    });

    this.alarms = this.#alarms;
    this.dashboard = this.createDashboard({ api, apiFunctions, eventFunctions, consumers, machines, queues });
  }

  /**
   * An alarm named `<prefix>-<suffix>` that publishes ALARM and OK to the alarms topic (OK so that whoever was paged
   * hears it cleared). One period unless said; missing data is "not breaching" unless said: no invocations, requests
   * or executions means nothing failed.
   */
  private alarm(
    suffix: string,
    metric: IMetric,
    options: {
      readonly threshold: number;
      readonly description: string;
      readonly comparison?: ComparisonOperator;
      readonly evaluationPeriods?: number;
      readonly missing?: TreatMissingData;
    },
  ): Alarm {
    const alarmName = `${this.alarmPrefix}-${suffix}`;
    if (alarmName.length > nameMax) throw new Error(`alarm name ${alarmName} is over ${nameMax} characters`);
    const alarm = new Alarm(this, suffix, {
      alarmName,
      alarmDescription: options.description,
      metric,
      threshold: options.threshold,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.#topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.#alarms.push(alarm);
    return alarm;
  }

  /** One dashboard for the service: alarm states, then the API, the functions, the streams, executions and queues. */
  private createDashboard(parts: {
    readonly api: ShipgateApi;
    readonly apiFunctions: readonly Watched[];
    readonly eventFunctions: readonly Watched[];
    readonly consumers: readonly Watched[];
    readonly machines: readonly { label: string; machine: IStateMachine }[];
    readonly queues: readonly { label: string; queue: IQueue }[];
  }): Dashboard {
    // No name: CloudFormation names it after the stack and the construct, so two stacks never collide.
    const dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const { stage } = parts.api;
    // An alarm status widget lists at most 100 alarms.
    for (let at = 0; at < this.#alarms.length; at += 100) {
      dashboard.addWidgets(
        new AlarmStatusWidget({ title: 'Health alarms', alarms: this.#alarms.slice(at, at + 100), width: 24 }),
      );
    }
    dashboard.addWidgets(
      graph('API requests', [stage.metricCount({ period, label: 'requests' })]),
      graph('API errors', [
        stage.metricServerError({ period, label: '5xx' }),
        stage.metricClientError({ period, label: '4xx' }),
      ]),
      graph('API latency', [
        stage.metricLatency({ period, statistic: Stats.p(50), label: 'p50' }),
        stage.metricLatency({ period, statistic: Stats.p(99), label: 'p99' }),
        stage.metricIntegrationLatency({ period, statistic: Stats.p(99), label: 'integration p99' }),
      ]),
    );
    for (const [group, watched] of [
      ['API functions', parts.apiFunctions],
      ['Workflow, notification and monitoring functions', parts.eventFunctions],
    ] as const) {
      dashboard.addWidgets(
        graph(
          `${group}: errors`,
          watched.map(({ label, fn }) => fn.metricErrors({ period, label })),
        ),
        graph(
          `${group}: throttles`,
          watched.map(({ label, fn }) => fn.metricThrottles({ period, label })),
        ),
        graph(
          `${group}: duration p99`,
          watched.map(({ label, fn }) => fn.metricDuration({ period, statistic: Stats.p(99), label })),
        ),
      );
    }
    dashboard.addWidgets(
      graph(
        'Stream iterator age (ms)',
        parts.consumers.map(({ label, fn }) => iteratorAgeOf(fn, label)),
      ),
      graph(
        'Executions failed, timed out, aborted',
        parts.machines.flatMap(({ label, machine }) => [
          machine.metricFailed({ period, label: `${label} failed` }),
          machine.metricTimedOut({ period, label: `${label} timed out` }),
          machine.metricAborted({ period, label: `${label} aborted` }),
        ]),
      ),
      graph(
        'Failure queue depths',
        parts.queues.map(({ label, queue }) => depthOf(queue, label)),
      ),
    );
    return dashboard;
  }
}

/** The age of the oldest record of a stream consumer's last batch: the maximum is how far behind it is. */
const iteratorAgeOf = (fn: ShipgateFunction, label?: string): Metric =>
  fn.metric('IteratorAge', { period, statistic: Stats.MAXIMUM, ...(label ? { label } : {}) });

/** Messages a queue holds, the most seen in the period. */
const depthOf = (queue: IQueue, label?: string): Metric =>
  queue.metricApproximateNumberOfMessagesVisible({ period, statistic: Stats.MAXIMUM, ...(label ? { label } : {}) });

/** A third of the dashboard's width. */
const graph = (title: string, left: IMetric[]): GraphWidget => new GraphWidget({ title, left, width: 8, height: 6 });
