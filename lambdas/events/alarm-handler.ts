// The alarms topic's subscriber: a CloudWatch alarm going into ALARM rolls back the releases watching it. A
// notification that is not an alarm is logged and dropped. A failure is thrown: SNS invokes the function
// asynchronously, so Lambda retries it twice, then sends it to the function's on-failure queue (an alarm SNS could
// not deliver at all goes to the subscription's dead-letter queue instead).
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { onAlarm } from '../core/monitoring/rollback-use-cases.ts';
import { ALARM_FUNCTION } from '../functions/catalog.ts';
import { defineFunction } from '../functions/define.ts';
import { lambdaHandler } from '../functions/lambda.ts';
import { logger } from '../functions/logger.ts';
import { alarmChangeOf } from './alarm-message.ts';

export const fn = defineFunction(ALARM_FUNCTION, ({ releases }) =>
  middy<SNSEvent, void>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      for (const record of event.Records) {
        const alarm = alarmChangeOf(record.Sns.Message);
        if (!alarm) {
          logger.warn('not a CloudWatch alarm notification; dropped', { messageId: record.Sns.MessageId });
          continue;
        }
        const outcomes = await onAlarm(releases, alarm);
        logger.info('alarm handled', { alarm: alarm.name, state: alarm.state, outcomes });
      }
    }),
);

export const handler = lambdaHandler(fn);
