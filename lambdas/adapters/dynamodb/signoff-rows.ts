// Sign-off rows and signer guard rows (docs/data-model.md): how a sign-off is written without touching the header.
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import type { SignoffChange, StoredSignoff } from '../../core/ports.ts';
import type { TransactItems } from './transact.ts';

type Row = Record<string, NativeAttributeValue>;

export const signoffSk = (gate: string, role: string) => `R#SIGN#${gate}#${role}`;
/**
 * Outside `R#`, so the whole-release read never carries the guards: only writes use them. The gate comes first and
 * has no `#`, so any actor id keeps the key unique.
 */
export const signerSk = (gate: string, actorId: string) => `SIGNER#${gate}#${actorId}`;

/** The sign-off a row holds; a row written before rows had versions counts as version 1. */
export function signoffOf(row: Row): StoredSignoff {
  return {
    gate: row.gate,
    role: row.role,
    decision: row.decision,
    comment: row.comment,
    by: row.by,
    at: row.at,
    version: typeof row.version === 'number' ? row.version : 1,
  };
}

/** The condition that the role's row is still at the version the decision was made on. */
function versionCondition(expected: number) {
  if (expected === 0) return { ConditionExpression: 'attribute_not_exists(pk)' };
  return {
    // Version 1 also matches a row from before versions (it exists and has none), so such a row can be replaced.
    ConditionExpression:
      expected === 1
        ? '#version = :expected OR (attribute_exists(pk) AND attribute_not_exists(#version))'
        : '#version = :expected',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':expected': expected },
  };
}

/**
 * The writes of a sign-off, to go in one transaction with its event: the role's row, conditioned on its version,
 * and one guard row per claim. A guard `SIGNER#<gate>#<actor>` holds the role its person stands for at the gate,
 * or none; a claim is written only if the guard holds no role or this one. Two sign-offs by one person for two
 * roles both write that person's guard, so at most one lands; sign-offs by different people share no row.
 */
export function signoffWrites(table: string, pk: string, change: SignoffChange): TransactItems {
  const { signoff } = change;
  const row: Row = { pk, sk: signoffSk(signoff.gate, signoff.role), kind: 'signoff', ...signoff };
  return [
    { Put: { TableName: table, Item: row, ...versionCondition(change.expectedVersion) } },
    ...change.claims.map((claim) => ({
      Put: {
        TableName: table,
        Item: {
          pk,
          sk: signerSk(signoff.gate, claim.actorId),
          kind: 'signer',
          gate: signoff.gate,
          actorId: claim.actorId,
          ...(claim.stands ? { role: claim.role } : {}),
        },
        // A guard that does not exist has no role either: the first claim of a person at a gate writes it.
        ConditionExpression: 'attribute_not_exists(#role) OR #role = :role',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':role': claim.role },
      },
    })),
  ];
}
