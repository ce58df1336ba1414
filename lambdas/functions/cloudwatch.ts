// The monitor's CloudWatch adapter, built from its configuration. Its own module, imported by the monitor alone, so
// no other function loads the CloudWatch client at a cold start.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricAlarms } from '../adapters/cloudwatch/cloudwatch-alarms.ts';
import type { MetricAlarms } from '../core/ports.ts';
import type { FunctionConfig } from './environment.ts';

/** CloudWatch for samples and alarms: the namespace and the alarms topic of the configuration. */
export function cloudWatchAlarms(config: FunctionConfig): MetricAlarms {
  if (!config.alarms) throw new Error('cloudWatchAlarms: the function has no alarms configuration');
  return new CloudWatchMetricAlarms({
    client: new CloudWatchClient({}),
    namespace: config.alarms.namespace,
    alarmActions: [config.alarms.topicArn],
  });
}
