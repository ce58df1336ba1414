// Configuration of the functions, read once and typed at cold start: a missing variable fails init, not a request.
import { z } from 'zod';
import { releasesTable } from '../adapters/dynamodb/table-schema.ts';

const notSet = 'is not set: deploy with the Shipgate stack, or run `npm start`';

const Config = z.object({
  table: z.string({ message: notSet }).min(1, notSet),
  STATE_MACHINE_ARN: z.string().min(1).optional(),
  SHIPGATE_TIME_SCALE: z.coerce.number().positive('must be a positive number').optional(),
});

export interface ReleasesConfig {
  readonly releasesTable: string;
  /** Set for functions that start or answer release workflows. */
  readonly stateMachineArn?: string | undefined;
  /** How much faster than real time waits pass; 1 in AWS. */
  readonly timeScale: number;
}

export function readReleasesConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly needsWorkflow?: boolean } = {},
): ReleasesConfig {
  const result = Config.safeParse({ ...env, table: env[releasesTable.envVar] });
  const name = (path: PropertyKey[]) => (path[0] === 'table' ? releasesTable.envVar : path.join('.'));
  const problems = result.success ? [] : result.error.issues.map((issue) => `${name(issue.path)} ${issue.message}`);
  if (options.needsWorkflow && !env.STATE_MACHINE_ARN) problems.push(`STATE_MACHINE_ARN ${notSet}`);
  if (!result.success || problems.length > 0) {
    throw new Error(`Shipgate configuration is incomplete: ${problems.join('; ')}`);
  }
  return {
    releasesTable: result.data.table,
    stateMachineArn: result.data.STATE_MACHINE_ARN,
    timeScale: result.data.SHIPGATE_TIME_SCALE ?? 1,
  };
}
