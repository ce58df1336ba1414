// The local runtime as a library: DynamoDB Local on disk, the tables from the CDK schema, the local issuer and the
// gateway in front of the same handlers. `local/main.ts` is its command line.
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tables } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { startGateway } from './gateway.ts';
import { acquireInstanceLock, updateInstanceLock } from './instance-lock.ts';
import { type LocalIssuer, loadOrCreateIssuer } from './issuer.ts';
import { ensureTables } from './tables.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalRuntimeOptions {
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  /** Where DynamoDB Local keeps its data, the issuer its key, and the lock its pid file. */
  readonly dataDir: string;
  readonly log: (line: string) => void;
}

export interface LocalRuntime {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly dynamodbEndpoint: string;
  readonly issuer: LocalIssuer;
  stop(): Promise<void>;
}

const LOCAL_REGION = 'us-east-1';

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const lock = await acquireInstanceLock(dataDir);
  const cleanups: (() => Promise<void>)[] = [() => lock.release()];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const dynamodb = await startDynamoDbLocal({ dbPath: join(dataDir, 'dynamodb') });
    cleanups.push(() => dynamodb.stop());

    // The handlers read their configuration from the environment at import, exactly as in Lambda; the SDK picks
    // the DynamoDB Local endpoint from AWS_ENDPOINT_URL_DYNAMODB, so no handler code knows it runs locally.
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    const client = new DynamoDBClient({ region: LOCAL_REGION, endpoint: dynamodb.endpoint });
    try {
      Object.assign(process.env, await ensureTables(client, tables));
    } finally {
      client.destroy();
    }

    const issuer = await loadOrCreateIssuer(dataDir);
    const gateway = await startGateway({ port: options.port, issuer, log: options.log, root: REPO_ROOT });
    cleanups.push(() => gateway.close());
    await updateInstanceLock(dataDir, { port: gateway.port });
    return { url: gateway.url, port: gateway.port, dataDir, dynamodbEndpoint: dynamodb.endpoint, issuer, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
