// Imported templates in the releases table: a head row per id (latest version, archived, what the list shows) and
// each version as gzip chunks under it, so a checklist of any size DynamoDB's 400 KB item limit allows in total is
// read back in one Query, and written with its head in one transaction (nothing half-saved).
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationFailed } from '../../core/errors.ts';
import type { StoredTemplate, TemplateHead, TemplateStore } from '../../core/ports.ts';
import { Template } from '../../core/template/template.ts';
import { type TransactItems, transactWrite } from './transact.ts';

type Row = Record<string, NativeAttributeValue>;

/** Bytes of compressed template per chunk row: well under the 400 KB item limit, keys and attributes included. */
export const CHUNK_BYTES = 300 * 1024;
/** A transaction holds at most 100 actions and 4 MB: the head and up to 12 chunks (3.6 MB compressed) fit both. */
const MAX_CHUNKS = 12;

const pk = (templateId: string) => `TPL#${templateId}`;
const HEAD = 'HEAD';
const versionPrefix = (version: number) => `V#${String(version).padStart(8, '0')}#`;
const chunkSk = (version: number, index: number) => `${versionPrefix(version)}${String(index).padStart(3, '0')}`;
/** Heads are listed from the byCreated index: gsi2pk TEMPLATES, gsi2sk the id. */
const ALL_TEMPLATES = 'TEMPLATES';

export interface DynamoTemplateStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const headRow = (head: TemplateHead): Row => ({
  pk: pk(head.id),
  sk: HEAD,
  kind: 'template-head',
  ...head,
  gsi2pk: ALL_TEMPLATES,
  gsi2sk: head.id,
});

function headOf(row: Row): TemplateHead {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? '',
    phases: row.phases ?? [],
    roles: row.roles ?? [],
    latestVersion: row.latestVersion,
    archived: row.archived === true,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  };
}

/** The condition on the head that makes a write land only on the version the writer saw. */
const headCondition = (expectedLatest: number) =>
  expectedLatest === 0
    ? { ConditionExpression: 'attribute_not_exists(pk)' }
    : {
        ConditionExpression: '#latest = :expected',
        ExpressionAttributeNames: { '#latest': 'latestVersion' },
        ExpressionAttributeValues: { ':expected': expectedLatest },
      };

export class DynamoTemplateStore implements TemplateStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: DynamoTemplateStoreOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.#table = options.tableName;
  }

  async getHead(templateId: string): Promise<TemplateHead | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { pk: pk(templateId), sk: HEAD }, ConsistentRead: true }),
    );
    return Item ? headOf(Item) : undefined;
  }

  async getVersion(templateId: string, version: number): Promise<StoredTemplate | undefined> {
    const rows: Row[] = [];
    let start: Record<string, NativeAttributeValue> | undefined;
    do {
      const page = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :version)',
          ExpressionAttributeValues: { ':pk': pk(templateId), ':version': versionPrefix(version) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      rows.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const first = rows[0];
    if (!first) return undefined;
    if (rows.length !== first.chunks) {
      throw new Error(`template ${templateId} version ${version} has ${rows.length} of ${first.chunks} chunks`);
    }
    const zipped = Buffer.concat(rows.map((row) => Buffer.from(row.data as Uint8Array)));
    const template = Template.parse(JSON.parse(gunzipSync(zipped).toString('utf8')));
    return { template, version, createdAt: first.createdAt, createdBy: first.createdBy };
  }

  async saveVersion(stored: StoredTemplate, head: TemplateHead, expectedLatest: number): Promise<void> {
    const zipped = gzipSync(JSON.stringify(stored.template));
    const count = Math.max(1, Math.ceil(zipped.length / CHUNK_BYTES));
    if (count > MAX_CHUNKS) {
      throw ValidationFailed.field(
        'body',
        `makes a template of ${zipped.length} bytes compressed; the most a version holds is ${MAX_CHUNKS * CHUNK_BYTES}`,
      );
    }
    const chunks: TransactItems = Array.from({ length: count }, (_, index) => ({
      Put: {
        TableName: this.#table,
        Item: {
          pk: pk(head.id),
          sk: chunkSk(stored.version, index),
          kind: 'template-chunk',
          version: stored.version,
          chunks: count,
          data: zipped.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES),
          createdAt: stored.createdAt,
          createdBy: stored.createdBy,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    }));
    await this.#transact([
      { Put: { TableName: this.#table, Item: headRow(head), ...headCondition(expectedLatest) } },
      ...chunks,
    ]);
  }

  async saveHead(head: TemplateHead, expectedLatest: number): Promise<void> {
    await this.#transact([{ Put: { TableName: this.#table, Item: headRow(head), ...headCondition(expectedLatest) } }]);
  }

  async listHeads(): Promise<TemplateHead[]> {
    const heads: TemplateHead[] = [];
    let start: Record<string, NativeAttributeValue> | undefined;
    do {
      const page = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: 'byCreated',
          KeyConditionExpression: 'gsi2pk = :all',
          ExpressionAttributeValues: { ':all': ALL_TEMPLATES },
          ExclusiveStartKey: start,
        }),
      );
      heads.push(...(page.Items ?? []).map(headOf));
      start = page.LastEvaluatedKey;
    } while (start);
    return heads;
  }

  async #transact(items: TransactItems): Promise<void> {
    await transactWrite(this.#doc, items, 'another import to this template landed first');
  }
}
