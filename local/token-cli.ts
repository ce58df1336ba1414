// Command line that prints a dev access token from the local issuer, e.g. TOKEN=$(npm run -s token -- --user alice).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DevTokenInput } from './issuer.ts';
import { DEFAULT_CLIENT_ID, DEFAULT_ISSUER, loadOrCreateIssuer } from './issuer.ts';

const USAGE = `Usage: node local/token-cli.ts --user <id> [options]
       node local/token-cli.ts --machine [options]

Prints a signed dev access token (and nothing else) on stdout.

  --user <id>          user id: the token's sub and username
  --roles <a,b>        roles (Cognito groups), comma-separated
  --name <text>        display name
  --scopes <a,b>       OAuth scopes, comma- or space-separated
  --expires <seconds>  lifetime, default 3600
  --machine            client-credentials token: sub is the client id, no user or roles
  --client-id <id>     client_id claim, default ${DEFAULT_CLIENT_ID}
  --issuer <url>       iss claim, default $SHIPGATE_ISSUER or ${DEFAULT_ISSUER}
  --data-dir <dir>     where the issuer key lives, default $SHIPGATE_DATA_DIR or ./.shipgate
  -h, --help           show this help`;

/** Where the CLI writes; replaceable in tests. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function list(value: string | undefined, option: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(/[\s,]+/).filter((item) => item !== '');
  if (items.length === 0) throw new UsageError(`${option} needs at least one value`);
  return items;
}

interface Parsed {
  readonly help: boolean;
  readonly input: DevTokenInput;
  readonly dataDir: string;
  readonly issuer: string;
}

function parse(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Parsed {
  let values: ReturnType<typeof parseOptions>['values'];
  try {
    values = parseOptions(args).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const dataDir = values['data-dir'] ?? env.SHIPGATE_DATA_DIR ?? join(cwd, '.shipgate');
  const issuer = values.issuer ?? env.SHIPGATE_ISSUER ?? DEFAULT_ISSUER;
  if (values.help) return { help: true, input: { user: '' }, dataDir, issuer };

  const machine = values.machine ?? false;
  if (machine && (values.user !== undefined || values.roles !== undefined || values.name !== undefined)) {
    throw new UsageError('--machine tokens have no user: drop --user, --roles and --name');
  }
  if (!machine && !values.user) throw new UsageError('--user is required (or --machine for a client token)');

  let expiresInSeconds: number | undefined;
  if (values.expires !== undefined) {
    if (!/^\d+$/.test(values.expires) || Number(values.expires) <= 0) {
      throw new UsageError(`--expires must be a positive number of seconds, not ${JSON.stringify(values.expires)}`);
    }
    expiresInSeconds = Number(values.expires);
  }

  const input: DevTokenInput = {
    user: values.user ?? '',
    machine,
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
    ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
  };
  const roles = list(values.roles, '--roles');
  const scopes = list(values.scopes, '--scopes');
  if (roles) input.roles = roles;
  if (scopes) input.scopes = scopes;
  return { help: false, input, dataDir, issuer };
}

function parseOptions(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      user: { type: 'string' },
      roles: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      expires: { type: 'string' },
      machine: { type: 'boolean' },
      'client-id': { type: 'string' },
      issuer: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * Runs the CLI and returns the exit code: 0 with the token on stdout, 2 for bad arguments, 1 when signing fails.
 */
export async function main(
  args: readonly string[],
  output: CliOutput = processOutput,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(args, env, cwd);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.stderr(`token: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    output.stdout(`${USAGE}\n`);
    return 0;
  }
  try {
    const issuer = await loadOrCreateIssuer(parsed.dataDir, { issuer: parsed.issuer });
    output.stdout(`${await issuer.sign(parsed.input)}\n`);
    return 0;
  } catch (error) {
    output.stderr(`token: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
