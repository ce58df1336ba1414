// Opaque, validated pagination cursors over DynamoDB's LastEvaluatedKey.
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { ValidationFailed } from '../../core/errors.ts';

type Row = Record<string, NativeAttributeValue>;

/** Opaque cursors: the LastEvaluatedKey and the query it belongs to, base64url-encoded JSON. */
export function encodeCursor(key: Row | undefined, scope: string): string | undefined {
  return key ? Buffer.from(JSON.stringify({ s: scope, k: key })).toString('base64url') : undefined;
}

/** What each key attribute of a cursor must look like for the listing it claims to continue. */
export type KeyShape = Readonly<Record<string, (value: string) => boolean>>;

/**
 * Decodes a cursor and checks that it can only continue the listing it came from: same scope, same key
 * attributes, and key values of the rows that listing returns. DynamoDB refuses a start key of the wrong shape
 * with an error, so a forged cursor must be turned away here, as the client's mistake.
 */
export function decodeCursor(cursor: string | undefined, scope: string, shape: KeyShape): Row | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () => ValidationFailed.field('cursor', 'is not a cursor this listing returned');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof decoded !== 'object' || decoded === null) throw invalid();
  const { s, k } = decoded as { s?: unknown; k?: unknown };
  if (s !== scope || typeof k !== 'object' || k === null) throw invalid();
  const key = k as Record<string, unknown>;
  const names = Object.keys(key);
  const fits = (name: string) => {
    const value = key[name];
    const check = shape[name];
    return typeof value === 'string' && check !== undefined && check(value);
  };
  if (names.length !== Object.keys(shape).length || !names.every(fits)) throw invalid();
  return key as Row;
}

export const startsWithMore = (prefix: string) => (value: string) =>
  value.startsWith(prefix) && value.length > prefix.length;
export const nonEmpty = (value: string) => value.length > 0;
