// The notifier: consumes new audit events from the table's stream and records and publishes their notifications.
// A record that fails is reported alone (batch item failure), so the stream retries it and nothing else.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { auditEventOf, isAuditEventInsert } from '../adapters/dynamodb/stream-records.ts';
import { handleEvent } from '../core/notify/notification-use-cases.ts';
import { NOTIFIER_FUNCTION } from '../functions/catalog.ts';
import { defineFunction } from '../functions/define.ts';
import { lambdaHandler } from '../functions/lambda.ts';
import { logger } from '../functions/logger.ts';

export const fn = defineFunction(NOTIFIER_FUNCTION, ({ notifications }) =>
  middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
      for (const record of event.Records) {
        const image = record.dynamodb?.NewImage;
        if (!image || !isAuditEventInsert(record as Parameters<typeof isAuditEventInsert>[0])) continue;
        const audit = auditEventOf(image as Record<string, AttributeValue>);
        try {
          await handleEvent(notifications, audit);
        } catch (error) {
          logger.warn('notification not published yet; the stream retries it', {
            error: error instanceof Error ? error.message : String(error),
            releaseId: audit.releaseId,
            eventId: audit.id,
          });
          const id = record.dynamodb?.SequenceNumber;
          if (id) batchItemFailures.push({ itemIdentifier: id });
          // Later records of the same release wait for this one, so notifications keep their order.
          break;
        }
      }
      return { batchItemFailures };
    }),
);

export const handler = lambdaHandler(fn);
