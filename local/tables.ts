// Creates the application's tables in DynamoDB Local from the same schema CDK deploys.
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import type { TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';

/** The local name of a table: stable, so a restart finds the data it left. */
export const localTableName = (schema: TableSchema, prefix = 'shipgate'): string => `${prefix}-${schema.logicalId}`;

async function exists(client: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

/** Creates each table that does not exist yet; returns the env var → table name bindings. */
export async function ensureTables(
  client: DynamoDBClient,
  schemas: readonly TableSchema[],
  prefix = 'shipgate',
): Promise<Record<string, string>> {
  const bindings: Record<string, string> = {};
  for (const schema of schemas) {
    const name = localTableName(schema, prefix);
    bindings[schema.envVar] = name;
    if (await exists(client, name)) continue;
    const attributes = new Map<string, 'S'>();
    for (const key of [schema.partitionKey, schema.sortKey]) attributes.set(key.name, key.type);
    for (const index of schema.globalSecondaryIndexes) {
      for (const key of [index.partitionKey, index.sortKey]) attributes.set(key.name, key.type);
    }
    try {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          ...(schema.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: schema.stream } } : {}),
          AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
            AttributeName,
            AttributeType,
          })),
          KeySchema: [
            { AttributeName: schema.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: schema.sortKey.name, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: schema.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
              { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: index.projection },
          })),
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  return bindings;
}
