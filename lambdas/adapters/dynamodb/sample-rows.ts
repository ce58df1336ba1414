// Metric sample rows (docs/data-model.md): one row per distinct sample, a batch written in one transaction.
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { ValidationFailed } from '../../core/errors.ts';
import type { MetricSample } from '../../core/monitoring/samples.ts';
import { MAX_SAMPLES_PER_BATCH } from '../../core/ports.ts';
import type { TransactItems } from './transact.ts';

type Row = Record<string, NativeAttributeValue>;

/**
 * Keyed by time, metric and value: samples sort by time across metrics (a window is one range query), and a sample
 * sent twice overwrites itself instead of counting twice.
 */
export const sampleSk = (sample: MetricSample) => `M#${sample.at}#${sample.name}#${sample.value}`;

/** The bounds of a range query over the sample rows taken in [from, to]. */
export const sampleRange = (range: { readonly from?: string; readonly to?: string }) => ({
  from: `M#${range.from ?? ''}`,
  to: `M#${range.to ?? '~'}~`,
});

export const sampleOf = (row: Row): MetricSample => ({ name: row.name, value: row.value, unit: row.unit, at: row.at });

/**
 * The Puts of a batch, for one TransactWriteItems: all of it is stored or none. A sample repeated in the batch is
 * put once (a transaction may not touch one row twice). Unconditional, so a batch sent again lands again, changing
 * nothing: overwriting a row is no INSERT on the stream, which is all the monitor forwards.
 */
export function sampleWrites(table: string, pk: string, samples: readonly MetricSample[]): TransactItems {
  const rows = new Map<string, Row>();
  for (const sample of samples) {
    const sk = sampleSk(sample);
    rows.set(sk, { pk, sk, kind: 'sample', ...sample });
  }
  if (rows.size > MAX_SAMPLES_PER_BATCH) {
    throw ValidationFailed.field(
      'samples',
      `holds ${rows.size} samples; a batch is stored whole or not at all, in one transaction of at most ` +
        `${MAX_SAMPLES_PER_BATCH}: send more in several requests`,
    );
  }
  return [...rows.values()].map((Item) => ({ Put: { TableName: table, Item } }));
}
