// The NotificationStore port on DynamoDB: contacts under their own partitions, the notification outbox in the
// release's partition (sort key N#, apart from its state R# and its audit trail E#).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { StaleVersion } from '../../core/errors.ts';
import type { Contact, Delivery, Notification } from '../../core/notify/notification.ts';
import type { NotificationStore, Page, PageQuery } from '../../core/ports.ts';
import { decodeCursor, encodeCursor, nonEmpty, startsWithMore } from './cursor.ts';
import { transactWrite } from './transact.ts';

type Row = Record<string, NativeAttributeValue>;

const contactPk = (contactId: string) => `CONTACT#${contactId}`;
const CONTACT = 'META';
const ALL_CONTACTS = 'CONTACTS';
const releasePk = (releaseId: string) => `REL#${releaseId}`;
const notificationSk = (notificationId: string) => `N#${notificationId}`;

export interface DynamoNotificationStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

function contactOf(row: Row): Contact {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    roles: row.roles ?? [],
    escalationLevel: row.escalationLevel,
    events: row.events,
    subscriptions: row.subscriptions ?? [],
    createdAt: row.createdAt,
    createdBy: row.createdBy,
  };
}

function notificationOf(row: Row): Notification & { delivery: Delivery } {
  return {
    id: row.id,
    releaseId: row.releaseId,
    eventId: row.eventId,
    type: row.type,
    severity: row.severity,
    phase: row.phase,
    roles: row.roles ?? [],
    escalationLevel: row.escalationLevel,
    subject: row.subject,
    text: row.text,
    createdAt: row.createdAt,
    delivery: row.delivery,
  };
}

export class DynamoNotificationStore implements NotificationStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: DynamoNotificationStoreOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.#table = options.tableName;
  }

  async saveContact(contact: Contact): Promise<void> {
    // A transaction of one: inside a request with an Idempotency-Key, the key's record is marked with it.
    await transactWrite(
      this.#doc,
      [
        {
          Put: {
            TableName: this.#table,
            Item: {
              pk: contactPk(contact.id),
              sk: CONTACT,
              kind: 'contact',
              state: 'active',
              ...contact,
              gsi2pk: ALL_CONTACTS,
              gsi2sk: `${contact.createdAt}#${contact.id}`,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      `contact '${contact.id}' exists already`,
    );
  }

  async listContacts(query: PageQuery): Promise<Page<Contact>> {
    const scope = 'contacts';
    const page = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: 'byCreated',
        KeyConditionExpression: 'gsi2pk = :all',
        ExpressionAttributeValues: { ':all': ALL_CONTACTS },
        Limit: query.limit,
        ExclusiveStartKey: decodeCursor(query.cursor, scope, {
          pk: startsWithMore('CONTACT#'),
          sk: (value) => value === CONTACT,
          gsi2pk: (value) => value === ALL_CONTACTS,
          gsi2sk: nonEmpty,
        }),
      }),
    );
    // Removed contacts drop out of the index: removal deletes their index keys.
    return { items: (page.Items ?? []).map(contactOf), cursor: encodeCursor(page.LastEvaluatedKey, scope) };
  }

  async getContact(contactId: string): Promise<Contact | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { pk: contactPk(contactId), sk: CONTACT }, ConsistentRead: true }),
    );
    return Item && Item.state === 'active' ? contactOf(Item) : undefined;
  }

  async removeContact(contactId: string, at: string): Promise<boolean> {
    try {
      await transactWrite(
        this.#doc,
        [
          {
            Update: {
              TableName: this.#table,
              Key: { pk: contactPk(contactId), sk: CONTACT },
              UpdateExpression: 'SET #state = :removed, removedAt = :at REMOVE gsi2pk, gsi2sk',
              ConditionExpression: '#state = :active',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':removed': 'removed', ':active': 'active', ':at': at },
            },
          },
        ],
        `contact '${contactId}' was removed already`,
      );
      return true;
    } catch (error) {
      if (error instanceof StaleVersion) return false;
      throw error;
    }
  }

  async recordNotification(notification: Notification): Promise<Delivery> {
    const pending: Delivery = { state: 'pending', attempts: 0 };
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            pk: releasePk(notification.releaseId),
            sk: notificationSk(notification.id),
            kind: 'notification',
            ...notification,
            delivery: pending,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return pending;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.#doc.send(
        new GetCommand({
          TableName: this.#table,
          Key: { pk: releasePk(notification.releaseId), sk: notificationSk(notification.id) },
          ConsistentRead: true,
        }),
      );
      return (Item?.delivery as Delivery | undefined) ?? pending;
    }
  }

  async saveDelivery(releaseId: string, notificationId: string, delivery: Delivery): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: releasePk(releaseId), sk: notificationSk(notificationId) },
        UpdateExpression: 'SET delivery = :delivery',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':delivery': delivery },
      }),
    );
  }

  async listNotifications(releaseId: string, query: PageQuery): Promise<Page<Notification & { delivery: Delivery }>> {
    const scope = `notifications:${releaseId}`;
    const page = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :n)',
        ExpressionAttributeValues: { ':pk': releasePk(releaseId), ':n': 'N#' },
        Limit: query.limit,
        ExclusiveStartKey: decodeCursor(query.cursor, scope, {
          pk: (value) => value === releasePk(releaseId),
          sk: startsWithMore('N#'),
        }),
      }),
    );
    return { items: (page.Items ?? []).map(notificationOf), cursor: encodeCursor(page.LastEvaluatedKey, scope) };
  }
}
