// Shipgate's stateful resources: the DynamoDB tables (built from the shared schema) and their KMS keys. Kept apart
// from the stateless API so that nothing here is replaced or deleted by a change to functions or routes.
import { CfnElement, RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import { tables as allTables, type KeyAttribute, type TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';

/** Properties of {@link ShipgateStorage}. */
export interface ShipgateStorageProps {
  /**
   * The tables to create.
   * @default every table of the application (`tables` of the table schema module)
   */
  readonly tables?: readonly TableSchema[];
}

// Typed so that a key type added to the schema fails compilation here until it is mapped.
const attributeTypes: Record<KeyAttribute['type'], AttributeType> = { S: AttributeType.STRING };

// Typed the same way: a stream view type added to the schema fails compilation here until it is mapped.
const streamViewTypes: Record<NonNullable<TableSchema['stream']>, StreamViewType> = {
  NEW_IMAGE: StreamViewType.NEW_IMAGE,
};

const attribute = (key: KeyAttribute): { name: string; type: AttributeType } => ({
  name: key.name,
  type: attributeTypes[key.type],
});

/** Pins a stateful resource's logical id, so that it stays the same whatever the construct tree looks like around it. */
export const pinLogicalId = (construct: IConstruct, logicalId: string): void => {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource to pin as ${logicalId}`);
  }
  resource.overrideLogicalId(logicalId);
};

/**
 * DynamoDB's endpoints also answer plain HTTP; this refuses any request to the table that did not arrive over TLS.
 * `Resource: *` means "this table" in a table's own policy, and avoids the table referencing its own ARN.
 */
const tlsOnlyPolicy = (): PolicyDocument =>
  new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: 'DenyInsecureTransport',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['dynamodb:*'],
        resources: ['*'],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ],
  });

/**
 * The tables, one per schema: on-demand, point-in-time recovery, deletion protection, retained on stack deletion,
 * TLS-only, encrypted with a customer-managed key that rotates and is retained too (KMS itself answers only
 * HTTPS, so the key needs no such policy), with the change stream its schema asks for (encrypted with that key).
 *
 * Each table's and key's CloudFormation logical id is pinned to the schema's `logicalId`, so moving these
 * constructs in the tree can never make CloudFormation replace a table that holds data.
 */
export class ShipgateStorage extends Construct {
  /** The tables by schema `logicalId`. */
  readonly tables: ReadonlyMap<string, ITable>;

  constructor(scope: Construct, id: string, props: ShipgateStorageProps = {}) {
    super(scope, id);
    const tables = new Map<string, ITable>();
    for (const schema of props.tables ?? allTables) {
      tables.set(schema.logicalId, this.createTable(schema));
    }
    this.tables = tables;
  }

  /** The table built from `schema`; throws when this storage does not hold it. */
  table(schema: TableSchema): ITable {
    const table = this.tables.get(schema.logicalId);
    if (table === undefined) {
      throw new Error(`ShipgateStorage has no table ${schema.logicalId}`);
    }
    return table;
  }

  private createTable(schema: TableSchema): Table {
    const key = new Key(this, `${schema.logicalId}Key`, {
      description: `Shipgate ${schema.logicalId} table encryption`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const table = new Table(this, schema.logicalId, {
      partitionKey: attribute(schema.partitionKey),
      sortKey: attribute(schema.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      resourcePolicy: tlsOnlyPolicy(),
      // The stream the schema asks for (the releases table's feeds the notifier). Turning a stream on or off updates
      // a table in place; it never replaces it.
      stream: schema.stream === undefined ? undefined : streamViewTypes[schema.stream],
      // Rows that carry an expiry (the Idempotency-Key records, after 24 h) are removed by DynamoDB itself: no
      // function of Shipgate deletes a row.
      timeToLiveAttribute: schema.timeToLiveAttribute,
    });
    for (const index of schema.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: ProjectionType[index.projection],
      });
    }
    pinLogicalId(table, schema.logicalId);
    pinLogicalId(key, `${schema.logicalId}Key`);
    return table;
  }
}
