// Where the CLI finds Shipgate and its token when the command line and the environment do not say: the local
// runtime's port (its data folder's pid file), and the profiles and token cache `shipgate login` keeps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidFilePath } from '../local/instance-lock.ts';
import type { Target } from './context.ts';
import type { Streams } from './output.ts';

/** The local runtime's data folder: $SHIPGATE_DATA_DIR, else ./.shipgate (as `npm start` uses). */
export const localDataDir = (env: Streams['env']): string => env.SHIPGATE_DATA_DIR ?? join(process.cwd(), '.shipgate');

/** The local runtime's URL: the port its pid file records while it runs, else PORT or 3000. */
export function localUrl(env: Streams['env']): string {
  try {
    const info = JSON.parse(readFileSync(pidFilePath(localDataDir(env)), 'utf8')) as { port?: unknown };
    if (typeof info.port === 'number' && info.port > 0) return `http://localhost:${info.port}`;
  } catch {
    // Not running here, or not yet listening: the default port.
  }
  return `http://localhost:${env.PORT ?? env.SHIPGATE_PORT ?? 3000}`;
}

/** The URL a login profile names. */
export function profileUrl(_env: Streams['env'], _profile: string): string | undefined {
  return undefined;
}

/** The cached token of the target's profile, refreshed when it can be. */
export async function tokenFromCache(_env: Streams['env'], _target: Target): Promise<string | undefined> {
  return undefined;
}
