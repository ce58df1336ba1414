// Gives a test file a DynamoDB Local: the run's shared one when the test runner started it, else a private one.
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { releasesTable } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import { systemClock, ulidIds } from '../../lambdas/adapters/system.ts';
import type { ReleaseStore } from '../../lambdas/core/ports.ts';
import { type ReleaseContext, releaseContext } from '../../lambdas/core/release/context.ts';
import type { Template } from '../../lambdas/core/template/template.ts';
import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { ensureTables } from '../../local/tables.ts';
import { RecordingWorkflow } from './recording-workflow.ts';

/** A DynamoDB endpoint for tests; stop() is a no-op for the runner's shared instance. */
export interface TestDynamoDb {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Returns the endpoint in SHIPGATE_TEST_DYNAMODB_ENDPOINT when the test runner shares one instance across the run,
 * otherwise starts an in-memory DynamoDB Local for this test file. Always call stop() in an after() hook.
 */
export async function testDynamoDb(): Promise<TestDynamoDb> {
  const shared = process.env.SHIPGATE_TEST_DYNAMODB_ENDPOINT;
  if (shared) return { endpoint: shared, stop: async () => {} };
  const local = await startDynamoDbLocal();
  return { endpoint: local.endpoint, stop: () => local.stop() };
}

/** A random suffix for table names, so tests sharing one DynamoDB Local never see each other's tables. */
export function uniqueTableSuffix(): string {
  return randomBytes(6).toString('hex');
}

/** A client of the test's DynamoDB Local, and a releases table of its own (named `<prefix>-<unique suffix>`). */
export async function releasesTableFor(
  dynamo: TestDynamoDb,
  prefix: string,
): Promise<{ client: DynamoDBClient; tableName: string }> {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const bindings = await ensureTables(client, [releasesTable], `${prefix}-${uniqueTableSuffix()}`);
  return { client, tableName: bindings[releasesTable.envVar] ?? '' };
}

/** The use cases' context over a DynamoDB store, with the given templates and a workflow that only records. */
export function releaseContextOver(store: ReleaseStore, templates: readonly Template[]): ReleaseContext {
  return releaseContext({
    store,
    templates: { list: () => templates, get: (id) => templates.find((t) => t.id === id) },
    clock: systemClock,
    ids: ulidIds(),
    workflow: new RecordingWorkflow(),
  });
}
