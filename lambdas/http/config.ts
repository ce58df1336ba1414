// Configuration of the functions, read once and typed at cold start: a missing variable fails init, not a request.
import { z } from 'zod';
import { releasesTable } from '../adapters/dynamodb/table-schema.ts';

const Config = z.object({
  [releasesTable.envVar]: z
    .string({ message: 'is not set: deploy with the Shipgate stack, or run `npm start`' })
    .min(1),
});

export interface ReleasesConfig {
  readonly releasesTable: string;
}

export function readReleasesConfig(env: NodeJS.ProcessEnv = process.env): ReleasesConfig {
  const result = Config.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ');
    throw new Error(`Shipgate configuration is incomplete: ${problems}`);
  }
  return { releasesTable: String(result.data[releasesTable.envVar]) };
}
