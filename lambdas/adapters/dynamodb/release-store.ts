// The ReleaseStore port on DynamoDB: one partition per release, conditional writes, transactions with the audit trail.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { NativeAttributeValue, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { StaleVersion } from '../../core/errors.ts';
import type { MetricSample } from '../../core/monitoring/samples.ts';
import type { Page, PageQuery, ReleaseStore, SignoffChange, StoredSignoff } from '../../core/ports.ts';
import type { AuditEvent, ItemState, Release, ReleaseAggregate } from '../../core/release/release.ts';
import { signoffKey } from '../../core/release/release.ts';
import type { ReleaseStatus } from '../../core/release/status.ts';
import type { Template } from '../../core/template/template.ts';
import { decodeCursor, encodeCursor, type KeyShape, nonEmpty, startsWithMore } from './cursor.ts';
import { sampleOf, sampleRange, sampleWrites } from './sample-rows.ts';
import { signoffOf, signoffWrites } from './signoff-rows.ts';
import type { IndexSchema } from './table-schema.ts';
import { releasesTable } from './table-schema.ts';
import { type TransactItems, transactWrite } from './transact.ts';

type Row = Record<string, NativeAttributeValue>;

// Key layout (docs/data-model.md): every row of a release shares pk; the release's state rows sort under `R#`,
// its audit events under `E#`, so one Query with begins_with reads either without the other.
const pk = (releaseId: string) => `REL#${releaseId}`;
const META = 'R#META';
/** The task tokens live in rows of their own, so no header write can lose them; each names the wait it is for. */
const TASK = 'R#TASK';
const ESCALATION_TASK = 'R#TASK#ESCALATION';
const TEMPLATE = 'R#TEMPLATE';
const itemSk = (itemId: string) => `R#ITEM#${itemId}`;
const eventSk = (eventId: string) => `E#${eventId}`;
const ALL_RELEASES = 'RELEASES';
const byStatusPk = (status: ReleaseStatus) => `STATUS#${status}`;

function index(name: string): IndexSchema {
  const found = releasesTable.globalSecondaryIndexes.find((candidate) => candidate.indexName === name);
  if (!found) throw new Error(`the releases table schema has no index ${name}`);
  return found;
}
const byStatus = index('byStatus');
const byCreated = index('byCreated');

export interface DynamoReleaseStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

function metaRow(release: Release): Row {
  const order = `${release.createdAt}#${release.id}`;
  return {
    pk: pk(release.id),
    sk: META,
    kind: 'release',
    ...release,
    gsi1pk: byStatusPk(release.status),
    gsi1sk: order,
    gsi2pk: ALL_RELEASES,
    gsi2sk: order,
  };
}

function releaseOf(row: Row): Release {
  return {
    id: row.id,
    templateId: row.templateId,
    templateVersion: row.templateVersion ?? 1,
    templateName: row.templateName,
    name: row.name,
    version: row.version,
    description: row.description,
    plannedAt: row.plannedAt,
    status: row.status,
    currentPhase: row.currentPhase,
    stepIndex: row.stepIndex ?? 0,
    windowIndex: row.windowIndex ?? 0,
    wait: row.wait,
    executionId: row.executionId,
    rollback: row.rollback,
    escalation: row.escalation,
    productionStartedAt: row.productionStartedAt,
    alarmNames: row.alarmNames,
    rollbackProposal: row.rollbackProposal,
    workflowFailure: row.workflowFailure,
    revision: row.revision,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    updatedAt: row.updatedAt,
  };
}

const eventRow = (event: AuditEvent): Row => ({
  pk: pk(event.releaseId),
  sk: eventSk(event.id),
  kind: 'event',
  ...event,
});

function eventOf(row: Row): AuditEvent {
  return { id: row.id, releaseId: row.releaseId, type: row.type, at: row.at, actor: row.actor, data: row.data ?? {} };
}

function itemOf(row: Row): ItemState {
  return {
    itemId: row.itemId,
    status: row.status,
    evidence: row.evidence,
    reason: row.reason,
    version: row.version,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  };
}

export class DynamoReleaseStore implements ReleaseStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: DynamoReleaseStoreOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
    this.#table = options.tableName;
  }

  async create(release: Release, template: Template, events: readonly AuditEvent[]): Promise<void> {
    await this.#transact([
      { Put: { TableName: this.#table, Item: metaRow(release), ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        // The snapshot is stored compressed: it is read with every load, and gzip cuts its read cost about tenfold.
        Put: {
          TableName: this.#table,
          Item: { pk: pk(release.id), sk: TEMPLATE, kind: 'template', templateGz: gzipSync(JSON.stringify(template)) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...events.map((event) => this.#putEvent(event)),
      // Alarm name -> release, so an alarm notification finds the releases that named it in one Query.
      ...(release.alarmNames ?? []).map((alarmName) => ({
        Put: {
          TableName: this.#table,
          Item: { pk: `ALARM#${alarmName}`, sk: pk(release.id), kind: 'alarm-link', releaseId: release.id },
        },
      })),
    ]);
  }

  async releasesForAlarm(alarmName: string): Promise<string[]> {
    const page = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `ALARM#${alarmName}` },
      }),
    );
    return (page.Items ?? []).map((row) => String(row.releaseId));
  }

  async load(releaseId: string): Promise<ReleaseAggregate | undefined> {
    const rows: Row[] = [];
    let start: Row | undefined;
    do {
      const page = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :state)',
          ExpressionAttributeValues: { ':pk': pk(releaseId), ':state': 'R#' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      rows.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const meta = rows.find((row) => row.sk === META);
    const snapshot = rows.find((row) => row.sk === TEMPLATE);
    if (!meta || !snapshot) return undefined;
    const items = new Map<string, ItemState>();
    const signoffs = new Map<string, StoredSignoff>();
    for (const row of rows) {
      if (row.kind === 'item') {
        const state = itemOf(row);
        items.set(state.itemId, state);
      } else if (row.kind === 'signoff') {
        const signoff = signoffOf(row);
        signoffs.set(signoffKey(signoff.gate, signoff.role), signoff);
      }
    }
    const template = JSON.parse(gunzipSync(snapshot.templateGz as Uint8Array).toString('utf8')) as Template;
    const taskRow = rows.find((row) => row.sk === TASK);
    const task = taskRow ? { waitId: String(taskRow.waitId), token: String(taskRow.token) } : undefined;
    const escalationRow = rows.find((row) => row.sk === ESCALATION_TASK);
    const escalationTask = escalationRow
      ? { escalationId: String(escalationRow.escalationId), token: String(escalationRow.token) }
      : undefined;
    return { release: releaseOf(meta), template, items, signoffs, task, escalationTask };
  }

  async getHeader(releaseId: string): Promise<Release | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { pk: pk(releaseId), sk: META }, ConsistentRead: true }),
    );
    return Item ? releaseOf(Item) : undefined;
  }

  async list(query: PageQuery & { status?: ReleaseStatus | undefined }): Promise<Page<Release>> {
    const gsi = query.status ? byStatus : byCreated;
    const scope = `releases:${query.status ?? '*'}`;
    const partition = query.status ? byStatusPk(query.status) : ALL_RELEASES;
    const shape: KeyShape = {
      pk: startsWithMore('REL#'),
      sk: (value) => value === META,
      [gsi.partitionKey.name]: (value) => value === partition,
      [gsi.sortKey.name]: nonEmpty,
    };
    const page = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: gsi.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': gsi.partitionKey.name },
        ExpressionAttributeValues: { ':pk': partition },
        ScanIndexForward: false,
        Limit: query.limit,
        ExclusiveStartKey: decodeCursor(query.cursor, scope, shape),
      }),
    );
    return { items: (page.Items ?? []).map(releaseOf), cursor: encodeCursor(page.LastEvaluatedKey, scope) };
  }

  async saveItem(releaseId: string, state: ItemState, expectedVersion: number, event: AuditEvent): Promise<void> {
    await this.#transact([
      {
        Put: {
          TableName: this.#table,
          Item: { pk: pk(releaseId), sk: itemSk(state.itemId), kind: 'item', ...state },
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        },
      },
      this.#putEvent(event),
    ]);
  }

  async saveSignoff(releaseId: string, change: SignoffChange, event: AuditEvent): Promise<void> {
    await this.#transact([...signoffWrites(this.#table, pk(releaseId), change), this.#putEvent(event)]);
  }

  async saveRelease(release: Release, expectedRevision: number, events: readonly AuditEvent[]): Promise<void> {
    await this.#transact([
      {
        Put: {
          TableName: this.#table,
          Item: metaRow(release),
          ConditionExpression: '#revision = :expected',
          ExpressionAttributeNames: { '#revision': 'revision' },
          ExpressionAttributeValues: { ':expected': expectedRevision },
        },
      },
      ...events.map((event) => this.#putEvent(event)),
    ]);
  }

  async saveTaskToken(releaseId: string, waitId: string, taskToken: string): Promise<boolean> {
    return this.#keepToken(
      { sk: TASK, kind: 'task', waitId, token: taskToken },
      '#wait.#id = :wait',
      { '#wait': 'wait', '#id': 'id' },
      { ':wait': waitId },
      releaseId,
    );
  }

  async saveEscalationToken(releaseId: string, escalationId: string, taskToken: string): Promise<boolean> {
    return this.#keepToken(
      { sk: ESCALATION_TASK, kind: 'escalation-task', escalationId, token: taskToken },
      '#escalation.#id = :id AND #escalation.#state = :paging',
      { '#escalation': 'escalation', '#id': 'id', '#state': 'state' },
      { ':id': escalationId, ':paging': 'paging' },
      releaseId,
    );
  }

  /** Writes a token row if the header's condition holds (the release still waits for what the token is for). */
  async #keepToken(
    row: Row,
    condition: string,
    names: Record<string, string>,
    values: Record<string, NativeAttributeValue>,
    releaseId: string,
  ): Promise<boolean> {
    try {
      await this.#transact([
        {
          ConditionCheck: {
            TableName: this.#table,
            Key: { pk: pk(releaseId), sk: META },
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        { Put: { TableName: this.#table, Item: { pk: pk(releaseId), ...row } } },
      ]);
      return true;
    } catch (error) {
      if (error instanceof StaleVersion) return false;
      throw error;
    }
  }

  async saveSamples(releaseId: string, samples: readonly MetricSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.#transact(sampleWrites(this.#table, pk(releaseId), samples));
  }

  async listSamples(
    releaseId: string,
    range: { readonly from?: string; readonly to?: string } = {},
  ): Promise<MetricSample[]> {
    const samples: MetricSample[] = [];
    const { from, to } = sampleRange(range);
    let start: Row | undefined;
    do {
      const page = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk(releaseId), ':from': from, ':to': to },
          ExclusiveStartKey: start,
        }),
      );
      samples.push(...(page.Items ?? []).map(sampleOf));
      start = page.LastEvaluatedKey;
    } while (start);
    return samples;
  }

  async listEvents(releaseId: string, query: PageQuery): Promise<Page<AuditEvent>> {
    const scope = `events:${releaseId}`;
    const page = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
        ExpressionAttributeValues: { ':pk': pk(releaseId), ':events': 'E#' },
        ScanIndexForward: true,
        Limit: query.limit,
        ExclusiveStartKey: decodeCursor(query.cursor, scope, {
          pk: (value) => value === pk(releaseId),
          sk: startsWithMore('E#'),
        }),
      }),
    );
    return { items: (page.Items ?? []).map(eventOf), cursor: encodeCursor(page.LastEvaluatedKey, scope) };
  }

  #putEvent(event: AuditEvent): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
    return { Put: { TableName: this.#table, Item: eventRow(event), ConditionExpression: 'attribute_not_exists(pk)' } };
  }

  /** Runs a transaction; a failed condition or a concurrent transaction on the same rows becomes StaleVersion. */
  async #transact(items: TransactItems): Promise<void> {
    await transactWrite(this.#doc, items, 'a concurrent change landed first; reload and try again');
  }
}
