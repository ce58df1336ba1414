// The RequestLedger port on DynamoDB: one row per caller and Idempotency-Key (docs/idempotency.md). A request claims
// its key with a conditional put; every transaction it then writes also marks the row `applied` (transact.ts), so a
// change and its mark are one write; its 2xx answer is kept on the row for 24 hours, and TTL removes the row later.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { NativeAttributeValue, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Clock } from '../../core/ports.ts';
import type {
  Claim,
  ClaimOutcome,
  KeyedRequest,
  RequestLedger,
  StoredResponse,
  WriteTrace,
} from '../../core/requests.ts';
import { KEY_LIFETIME_SECONDS } from '../../core/requests.ts';

type Row = Record<string, NativeAttributeValue>;

const SK = 'REQUEST';
const requestPk = (id: string) => `REQUEST#${id}`;

/** A claimed request's record, as the transactions it writes must mark it. */
interface ActiveClaim extends Claim {
  readonly table: string;
  readonly at: () => string;
}

/** The write request being served: its claim, when it sent a key, and what its writes did. */
interface Scope {
  readonly claim?: ActiveClaim | undefined;
  readonly trace: WriteTrace;
}

const active = new AsyncLocalStorage<Scope>();

/** Notes what a write of the request being served did (nothing outside a request). */
export function noteWrite(outcome: 'stored' | 'uncertain'): void {
  const trace = active.getStore()?.trace;
  if (trace) trace[outcome] = true;
}

/**
 * The write that marks the running request's record `applied`, for the transaction being written; none outside a
 * claimed request. Conditioned on the claim: an attempt whose claim was taken over writes nothing at all.
 */
export function requestMark(): NonNullable<TransactWriteCommandInput['TransactItems']>[number] | undefined {
  const claim = active.getStore()?.claim;
  if (!claim) return undefined;
  return {
    Update: {
      TableName: claim.table,
      Key: { pk: requestPk(claim.id), sk: SK },
      UpdateExpression: 'SET #state = :applied, appliedAt = if_not_exists(appliedAt, :at)',
      ConditionExpression: '#claim = :token AND (#state = :running OR #state = :applied)',
      ExpressionAttributeNames: { '#state': 'state', '#claim': 'claim' },
      ExpressionAttributeValues: {
        ':applied': 'applied',
        ':running': 'running',
        ':token': claim.token,
        ':at': claim.at(),
      },
    },
  };
}

/** Answers bigger than this are kept without their body (a DynamoDB item holds at most 400 KB). */
const MAX_KEPT_BODY_BYTES = 300 * 1024;

export interface DynamoRequestStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly clock: Clock;
}

export class DynamoRequestStore implements RequestLedger {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;

  constructor(options: DynamoRequestStoreOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.#table = options.tableName;
    this.#clock = options.clock;
  }

  async claim(request: KeyedRequest): Promise<ClaimOutcome> {
    const id = createHash('sha256').update(`${request.scope}\n${request.key}`).digest('base64url');
    const token = randomUUID();
    const now = this.#clock.now();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            pk: requestPk(id),
            sk: SK,
            kind: 'request',
            state: 'running',
            claim: token,
            scope: request.scope,
            key: request.key,
            method: request.method,
            path: request.path,
            fingerprint: request.fingerprint,
            createdAt: now.toISOString(),
            leaseUntil: now.getTime() + request.leaseMs,
            expiresAt: nowSeconds + KEY_LIFETIME_SECONDS,
          },
          // Free: never used, expired (TTL removes rows late), freed by an error answer, or held by an attempt of
          // the same request whose function has surely ended.
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR #state = :released OR ' +
            '(#state = :running AND leaseUntil < :now AND fingerprint = :fingerprint)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':nowSeconds': nowSeconds,
            ':now': now.getTime(),
            ':released': 'released',
            ':running': 'running',
            ':fingerprint': request.fingerprint,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', claim: { id, token } };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const row = error.Item ? (unmarshall(error.Item) as Row) : await this.#read(id);
      // Gone between the put and the read: expired and removed by TTL just now. Claim it again.
      if (!row) return this.claim(request);
      return this.#outcome(row, request, now);
    }
  }

  within<T>(claim: Claim | undefined, trace: WriteTrace, work: () => Promise<T>): Promise<T> {
    const held = claim ? { ...claim, table: this.#table, at: () => this.#clock.now().toISOString() } : undefined;
    return active.run({ claim: held, trace }, work);
  }

  async complete(claim: Claim, response: StoredResponse): Promise<void> {
    const kept = Buffer.byteLength(response.body) <= MAX_KEPT_BODY_BYTES;
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: requestPk(claim.id), sk: SK },
          UpdateExpression: 'SET #state = :completed, #response = :response, completedAt = :at',
          ConditionExpression: '#claim = :token AND (#state = :running OR #state = :applied)',
          ExpressionAttributeNames: { '#state': 'state', '#claim': 'claim', '#response': 'response' },
          ExpressionAttributeValues: {
            ':completed': 'completed',
            ':running': 'running',
            ':applied': 'applied',
            ':token': claim.token,
            ':at': this.#clock.now().toISOString(),
            ':response': {
              statusCode: response.statusCode,
              headers: response.headers,
              body: kept ? response.body : undefined,
              bodyOmitted: kept ? undefined : true,
            },
          },
        }),
      );
    } catch (error) {
      // Taken over after this attempt's lease: the newer attempt keeps its own answer.
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }

  async release(claim: Claim): Promise<'released' | 'applied'> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: requestPk(claim.id), sk: SK },
          UpdateExpression: 'SET #state = :released',
          ConditionExpression: '#claim = :token AND #state = :running',
          ExpressionAttributeNames: { '#state': 'state', '#claim': 'claim' },
          ExpressionAttributeValues: { ':released': 'released', ':running': 'running', ':token': claim.token },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'released';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const row = error.Item ? (unmarshall(error.Item) as Row) : await this.#read(claim.id);
      return row?.claim === claim.token && row.state === 'applied' ? 'applied' : 'released';
    }
  }

  async #read(id: string): Promise<Row | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { pk: requestPk(id), sk: SK }, ConsistentRead: true }),
    );
    return Item;
  }

  #outcome(row: Row, request: KeyedRequest, now: Date): ClaimOutcome {
    if (row.fingerprint !== request.fingerprint) {
      return { kind: 'reused', method: String(row.method), path: String(row.path) };
    }
    if (row.state === 'completed') {
      const response = row.response as { statusCode: number; headers: Record<string, string>; body?: string };
      return {
        kind: 'replay',
        response: {
          statusCode: response.statusCode,
          headers: response.headers ?? {},
          body:
            response.body ??
            JSON.stringify({ note: 'the first answer to this key was too large to keep; read the resource instead' }),
        },
      };
    }
    const left = Number(row.leaseUntil) - now.getTime();
    // Its change stored, the first request may still be answering: only once its lease is over is its answer lost.
    if (row.state === 'applied' && left <= 0) return { kind: 'applied', appliedAt: String(row.appliedAt) };
    return { kind: 'in-progress', retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) };
  }
}
