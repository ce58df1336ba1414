// One TransactWriteItems call, with a lost condition or a conflicting transaction said as the domain's StaleVersion.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { StaleVersion } from '../../core/errors.ts';
import { maybeCarriedOut } from '../outage.ts';
import { noteWrite, requestMark } from './request-store.ts';

export type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/**
 * Writes every item or none; a condition that no longer holds throws StaleVersion with `conflict` as its message.
 * Inside a request that sent an Idempotency-Key, the transaction also marks the key's record: the change and the
 * knowledge that it was made are one write.
 */
export async function transactWrite(
  doc: DynamoDBDocumentClient,
  items: TransactItems,
  conflict: string,
): Promise<void> {
  try {
    const mark = requestMark();
    await doc.send(new TransactWriteCommand({ TransactItems: mark ? [...items, mark] : items }));
    noteWrite('stored');
  } catch (error) {
    if (error instanceof TransactionCanceledException) {
      const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
      if (codes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')) {
        throw new StaleVersion(conflict, { reasons: codes });
      }
    }
    // Sent, but its answer lost: the transaction may have been written all the same.
    if (maybeCarriedOut(error)) noteWrite('uncertain');
    throw error;
  }
}
