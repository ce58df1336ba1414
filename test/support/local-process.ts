// Runs `npm start`'s program (local/main.ts) as a child process, the way a person runs it, for end-to-end tests.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readEngineRecord } from '../../local/dynamodb-local.ts';
import { FAULTS_FILE, type FaultPlan } from '../../local/faults.ts';
import { REJECTION_DESCRIPTIONS } from '../../local/gateway.ts';
import type { TokenRejection } from '../../local/issuer.ts';
import { loadOrCreateIssuer } from '../../local/issuer.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface LocalProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Ctrl-C, and wait for a clean exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

export const tempDataDir = (): string => mkdtempSync(join(tmpdir(), 'shipgate-e2e-'));

export const removeDataDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });

/** Starts the local runtime on a free port with the given data folder; resolves once it prints its URL. */
export function startLocalProcess(dataDir: string, env: Record<string, string> = {}): Promise<LocalProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'local', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', SHIPGATE_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    return exited;
  };
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the local runtime did not start in 60 s:\n${output}`));
    }, 60_000);
    const poll = setInterval(() => {
      const url = /HTTP API\s+(http:\/\/localhost:\d+)/.exec(output)?.[1];
      if (url) {
        clearInterval(poll);
        clearTimeout(timer);
        resolveStart({ url: url.replace('localhost', '127.0.0.1'), dataDir, child, output: () => output, stop });
      } else if (child.exitCode !== null) {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`the local runtime exited with ${child.exitCode}:\n${output}`));
      }
    }, 50);
  });
}

/** A bearer token from the runtime's own local issuer (the same key `npm run token` uses). */
export async function tokenFor(
  dataDir: string,
  user: string,
  roles: string[],
  extra: { scopes?: string[]; machine?: boolean } = {},
) {
  const issuer = await loadOrCreateIssuer(dataDir);
  return issuer.sign({ user, name: user, roles, ...extra });
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in tests
  readonly body: any;
}

/** One HTTP call; JSON in, JSON (or problem+json) out. */
export async function api(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the raw text is the body
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

const where = (context: string) => (context ? `${context}: ` : '');

/**
 * Asserts an answer API Gateway gives itself, before any function runs (no route, no valid token, a body over its
 * quota): `{"message": ...}` JSON, and none of a handler's marks.
 */
export function assertGatewayAnswer(response: ApiResponse, status: 401 | 404 | 413, context = ''): void {
  const seen = `${where(context)}${response.status} ${JSON.stringify(response.body)}`;
  assert.equal(response.status, status, seen);
  assert.equal(response.headers.get('content-type'), 'application/json', seen);
  assert.equal(response.headers.get('apigw-requestid'), null, `${seen}: a gateway answer reaches no function`);
  assert.ok(typeof response.body === 'object' && response.body !== null, seen);
  assert.deepEqual(Object.keys(response.body), ['message'], seen);
  assert.equal(typeof response.body.message, 'string', seen);
}

/**
 * Asserts the JWT authorizer's 401: `{"message":"Unauthorized"}` with a Bearer challenge that says why, in the
 * authorizer's words (`error_description="the token has expired"` for the reason `expired`).
 */
export function assertUnauthorized(response: ApiResponse, context = '', reason?: TokenRejection): void {
  assertGatewayAnswer(response, 401, context);
  assert.equal(response.body.message, 'Unauthorized', where(context));
  const challenge = response.headers.get('www-authenticate') ?? '';
  assert.match(
    challenge,
    /^Bearer scope="" error="invalid_token" error_description="[^"]+"$/,
    `${where(context)}www-authenticate: ${challenge}`,
  );
  if (reason !== undefined) {
    const description = REJECTION_DESCRIPTIONS[reason];
    assert.ok(
      challenge.includes(`error_description="${description}"`),
      `${where(context)}${challenge} says ${description}`,
    );
  }
}

/** Asserts an RFC 9457 problem+json document with this status, and returns its body. */
// biome-ignore lint/suspicious/noExplicitAny: problem documents carry route-specific extension members
export function assertProblem(response: ApiResponse, status: number, context = ''): any {
  const seen = `${where(context)}${response.status} ${JSON.stringify(response.body)}`;
  assert.equal(response.status, status, seen);
  assert.equal(response.headers.get('content-type'), 'application/problem+json', seen);
  assert.ok(typeof response.body === 'object' && response.body !== null, seen);
  assert.equal(response.body.status, status, seen);
  for (const member of ['type', 'title', 'detail']) {
    assert.equal(typeof response.body[member], 'string', `${seen}: ${member}`);
    assert.ok(response.body[member].length > 0, `${seen}: ${member} is empty`);
  }
  return response.body;
}

/** The pid of the DynamoDB Local JVM serving a runtime's data folder, as its pid file names it; undefined if none. */
export function dynamoDbLocalPid(dataDir: string): number | undefined {
  return readEngineRecord(join(dataDir, 'dynamodb'))?.pid;
}

/** The DynamoDB Local endpoint the runtime's banner names. */
export function dynamoDbEndpoint(local: LocalProcess): string {
  const endpoint = /DynamoDB\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(local.output())?.[1];
  assert.ok(endpoint, `the banner names DynamoDB Local's endpoint:\n${local.output()}`);
  return endpoint;
}

/** True while a process with this pid exists (a zombie included). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the first match of `pattern` in what the process printed after `from` characters. */
export async function waitForOutput(
  local: LocalProcess,
  pattern: RegExp,
  options: { timeoutMs?: number; from?: number } = {},
): Promise<RegExpExecArray> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const found = pattern.exec(local.output().slice(options.from ?? 0));
    if (found) return found;
    if (Date.now() > deadline) {
      throw new Error(`the runtime did not print ${pattern} in time; it printed:\n${local.output().slice(-4000)}`);
    }
    await pause(50);
  }
}

/** Polls GET /health/ready until it answers 200; resolves with how long that took in ms. */
export async function waitUntilReady(url: string, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const status = await fetch(`${url}/health/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${url}/health/ready did not answer 200 in ${timeoutMs} ms`);
    await pause(100);
  }
}

/** Kills the runtime with SIGKILL, leaving it no chance to clean up, and waits until it has exited. */
export async function killLocalProcess(local: LocalProcess): Promise<void> {
  if (local.child.exitCode !== null || local.child.signalCode !== null) return;
  const exited = new Promise((resolve) => local.child.once('exit', resolve));
  local.child.kill('SIGKILL');
  await exited;
}

/**
 * Sets the faults a runtime started with SHIPGATE_FAULTS=1 injects (local/faults.ts); `{}` turns them all off.
 * Written whole in one call, so the runtime never reads half a file.
 */
export function setFaults(dataDir: string, plan: FaultPlan): void {
  const path = join(dataDir, FAULTS_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(plan));
  renameSync(`${path}.tmp`, path);
}
