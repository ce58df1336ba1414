// The composition root of the monitor function alone: CloudWatch is imported here, not in the shared composition
// root, so no other function loads its client at a cold start.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricAlarms } from '../adapters/cloudwatch/cloudwatch-alarms.ts';
import { DynamoReleaseStore } from '../adapters/dynamodb/release-store.ts';
import { type MonitoringService, makeMonitoringService } from '../core/monitoring/alarm-use-cases.ts';
import type { MetricAlarms } from '../core/ports.ts';
import { dynamoClient } from '../http/composition.ts';
import { readReleasesConfig } from '../http/config.ts';

let monitoring: MonitoringService | undefined;
let metricAlarmsOverride: MetricAlarms | undefined;

/**
 * Replaces CloudWatch with another MetricAlarms: the local runtime's stand-in, which keeps metrics and alarms in
 * process with CloudWatch's alarm semantics. Must be called before the first monitoringService() call.
 */
export function useMetricAlarms(alarms: MetricAlarms): void {
  metricAlarmsOverride = alarms;
}

/**
 * The monitoring service of this container (the monitor function's): samples go to CloudWatch in the
 * SHIPGATE_METRIC_NAMESPACE namespace, alarms are named after SHIPGATE_ALARM_PREFIX and act on ALARMS_TOPIC_ARN.
 */
export function monitoringService(): MonitoringService {
  if (!monitoring) {
    const config = readReleasesConfig(process.env);
    const prefix = process.env.SHIPGATE_ALARM_PREFIX;
    const topicArn = process.env.ALARMS_TOPIC_ARN;
    if (!prefix || (!metricAlarmsOverride && !topicArn)) {
      throw new Error(
        'Shipgate configuration is incomplete: SHIPGATE_ALARM_PREFIX and ALARMS_TOPIC_ARN must be set for the ' +
          'monitor: deploy with the Shipgate stack, or run `npm start`',
      );
    }
    const alarms =
      metricAlarmsOverride ??
      new CloudWatchMetricAlarms({
        client: new CloudWatchClient({}),
        namespace: process.env.SHIPGATE_METRIC_NAMESPACE,
        alarmActions: [topicArn ?? ''],
      });
    monitoring = makeMonitoringService({
      store: new DynamoReleaseStore({ client: dynamoClient(), tableName: config.releasesTable }),
      alarms,
      alarmPrefix: prefix,
    });
  }
  return monitoring;
}
