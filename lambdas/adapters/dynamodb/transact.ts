// One TransactWriteItems call, with a lost condition or a conflicting transaction said as the domain's StaleVersion.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { StaleVersion } from '../../core/errors.ts';

export type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/** Writes every item or none; a condition that no longer holds throws StaleVersion with `conflict` as its message. */
export async function transactWrite(
  doc: DynamoDBDocumentClient,
  items: TransactItems,
  conflict: string,
): Promise<void> {
  try {
    await doc.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (error instanceof TransactionCanceledException) {
      const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
      if (codes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')) {
        throw new StaleVersion(conflict, { reasons: codes });
      }
    }
    throw error;
  }
}
