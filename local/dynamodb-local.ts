// Runs DynamoDB Local (the official Java engine shipped in amplify-dynamodb-simulator) as a child process.
import type { ChildProcess } from 'node:child_process';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { holderRuns, procStat } from './instance-lock.ts';

/** How to start DynamoDB Local. */
export interface DynamoDbLocalOptions {
  /** Port on 127.0.0.1; 0 or undefined picks a free one. */
  port?: number;
  /** Folder for the on-disk database (created if missing); undefined runs `-inMemory`. */
  dbPath?: string;
  /** Receives every line DynamoDB Local prints, plus lifecycle notes from this module. */
  log?: (line: string) => void;
  /**
   * Receives what a person should know, out of those notes: a JVM left running on the data that was stopped, no
   * loopback-only launcher, a pid file that could not be written. @default log
   */
  warn?: (line: string) => void;
  /** Java executable to run, overriding JAVA_HOME and PATH. */
  javaCommand?: string;
  /** Environment used to find Java (JAVA_HOME, PATH) and handed to the JVM; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for DynamoDB Local to answer ListTables; defaults to 30 000 ms. */
  startTimeoutMs?: number;
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint` option. */
  readonly endpoint: string;
  readonly port: number;
  /** Process id of the JVM. */
  readonly pid: number;
  /** Milliseconds from the call to startDynamoDbLocal until the first successful ListTables. */
  readonly startupMs: number;
  /** False only when the JVM could not compile the loopback launcher and the engine listens on all interfaces. */
  readonly loopbackOnly: boolean;
  /** Resolves when the JVM exits, whatever the reason; `stopped` tells a stop() from a death. */
  readonly exited: Promise<DynamoDbLocalExit>;
  /** Stops the JVM: SIGTERM, then SIGKILL after 5 s. Safe to call more than once. */
  stop(): Promise<void>;
}

/** How a running DynamoDB Local ended. */
export interface DynamoDbLocalExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when stop() was called: an exit nobody asked for is false. */
  readonly stopped: boolean;
}

/**
 * The file in `dbPath` naming the JVM that serves it (`EngineRecord` as JSON), written once it is ready and removed
 * when it exits, so that a later start on the same data finds a JVM its dead parent left running.
 */
export const ENGINE_PID_FILE = 'dynamodb-local.pid';

/** What the engine pid file records. */
export interface EngineRecord {
  readonly pid: number;
  readonly port: number;
  /** The JVM's start time in clock ticks since boot (Linux), so a reused pid is never taken for it. */
  readonly procStart?: string | undefined;
  /** The process that started it, and its start time. */
  readonly parentPid: number;
  readonly parentProcStart?: string | undefined;
  readonly startedAt: string;
}

const INSTALL_HINT =
  'DynamoDB Local needs Java 17 or newer. Install it with `apt-get install -y openjdk-17-jre-headless` (Debian/Ubuntu) ' +
  'or `brew install openjdk@17` (macOS), or put any Java 17+ on PATH or point JAVA_HOME at it.';

/** Thrown when no usable Java runtime can be found to run DynamoDB Local. */
export class JavaMissingError extends Error {
  /** The executable that was tried. */
  readonly javaCommand: string;

  constructor(javaCommand: string, detail: string) {
    super(`Java is not available: ${detail}. ${INSTALL_HINT}`);
    this.name = 'JavaMissingError';
    this.javaCommand = javaCommand;
  }
}

const DEFAULT_START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const PROBE_INTERVAL_MS = 50;
const TAIL_LINES = 20;
const LAUNCHER_CLASS = 'ShipgateDynamoDbLocal';
// Printed by the launcher once its own server is bound, so a stranger answering on the port is not taken for ours.
const READY_MARKER = 'Shipgate: DynamoDB Local is listening';

// DynamoDB Local has no bind-address option and Jetty listens on every interface by default.
// This launcher builds the same server the jar's own main would, pins its connector to 127.0.0.1,
// exits when stdin closes so the JVM dies with its parent even if the parent is SIGKILLed, and exits
// when the server cannot start (Jetty's threads would otherwise keep a half-started JVM alive).
const LAUNCHER_SOURCE = `
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class ${LAUNCHER_CLASS} {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost("127.0.0.1");
      }
    }
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) {}
      } catch (Exception ignored) {
      }
      System.exit(0);
    }, "shipgate-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      proxy.start();
    } catch (Throwable error) {
      error.printStackTrace();
      System.err.println("DynamoDB Local failed to start: " + error);
      System.exit(1);
    }
    System.out.println("${READY_MARKER}");
    proxy.join();
  }
}
`;

interface EngineFiles {
  readonly jar: string;
  readonly libDir: string;
}

function engineFiles(): EngineFiles {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json');
  } catch {
    throw new Error(
      'DynamoDB Local is missing: the npm package amplify-dynamodb-simulator is not installed (run `npm ci`)',
    );
  }
  const emulator = join(dirname(packageJson), 'emulator');
  const files = { jar: join(emulator, 'DynamoDBLocal.jar'), libDir: join(emulator, 'DynamoDBLocal_lib') };
  if (!existsSync(files.jar) || !existsSync(files.libDir)) {
    throw new Error(
      `DynamoDB Local is incomplete: expected ${files.jar} and ${files.libDir} (reinstall with \`npm ci\`)`,
    );
  }
  return files;
}

interface JavaChoice {
  readonly command: string;
  /** Where the command came from, for error messages. */
  readonly source: string;
}

function chooseJava(options: DynamoDbLocalOptions, env: NodeJS.ProcessEnv): JavaChoice {
  if (options.javaCommand) return { command: options.javaCommand, source: 'the javaCommand option' };
  const javaHome = env.JAVA_HOME;
  if (javaHome) {
    return {
      command: join(javaHome, 'bin', process.platform === 'win32' ? 'java.exe' : 'java'),
      source: `JAVA_HOME=${javaHome}`,
    };
  }
  return { command: 'java', source: 'PATH' };
}

interface ExecFailure {
  code?: string | number;
  stderr?: string;
}

/** Runs `java --list-modules` once: it proves Java starts and tells whether it can compile the launcher. */
function probeJava(java: JavaChoice, env: NodeJS.ProcessEnv): Promise<{ canCompile: boolean }> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      java.command,
      ['--list-modules'],
      { env, timeout: 20_000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout) => {
        if (!error) {
          resolvePromise({ canCompile: /^jdk\.compiler@/m.test(stdout) });
          return;
        }
        const failure = error as ExecFailure;
        const detail =
          failure.code === 'ENOENT'
            ? `\`${java.command}\` (from ${java.source}) was not found`
            : `\`${java.command} --list-modules\` (from ${java.source}) failed` +
              // Java 8 and older reject --list-modules; they are too old for DynamoDB Local's launcher anyway.
              (failure.stderr?.trim() ? `: ${failure.stderr.trim().split('\n')[0]}` : ` (${String(failure.code)})`);
        reject(new JavaMissingError(java.command, detail));
      },
    );
  });
}

/** Asks the OS for a free TCP port on 127.0.0.1. Another process may take it before the JVM binds it. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePromise(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

/** True when nothing listens on 127.0.0.1:port. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolvePromise(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePromise(true)));
  });
}

/** True once DynamoDB Local answers a real ListTables call. */
function answersListTables(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent: false,
        timeout: 1_000,
        headers: {
          'Content-Type': 'application/x-amz-json-1.0',
          'X-Amz-Target': 'DynamoDB_20120810.ListTables',
          'X-Amz-Date': '20240101T000000Z',
          // DynamoDB Local insists on an Authorization header shaped like SigV4 but never checks the signature.
          Authorization:
            'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
          Connection: 'close',
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolvePromise(res.statusCode === 200 && body.includes('TableNames')));
        res.on('error', () => resolvePromise(false));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolvePromise(false));
    req.end('{}');
  });
}

/** Reads the engine pid file of a data folder; undefined when there is none or it does not parse. */
export function readEngineRecord(dbPath: string): EngineRecord | undefined {
  try {
    const value = JSON.parse(readFileSync(join(dbPath, ENGINE_PID_FILE), 'utf8')) as Partial<EngineRecord>;
    if (!Number.isInteger(value.pid) || !Number.isInteger(value.parentPid)) return undefined;
    return value as EngineRecord;
  } catch {
    return undefined;
  }
}

/** A process's start time in clock ticks since boot (Linux), or undefined. */
function startTimeOf(pid: number): string | undefined {
  const stat = procStat(pid);
  return stat && stat !== 'gone' ? stat.startTime : undefined;
}

/** True when `pid` runs a DynamoDB Local JVM on `dbPath`: its command line says so (/proc on Linux, else ps). */
function servesDbPath(pid: number, dbPath: string): boolean {
  let args: string;
  try {
    args = existsSync('/proc/self/cmdline')
      ? readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      : execFileSync('ps', ['-p', String(pid), '-o', 'args='], { encoding: 'utf8', timeout: 5_000 });
  } catch {
    return false;
  }
  return args.includes('DynamoDBLocal') && args.includes(dbPath);
}

async function waitGone(record: { pid: number; procStart?: string | undefined }, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  const holder = { pid: record.pid, startedAt: '', ...(record.procStart ? { procStart: record.procStart } : {}) };
  while (holderRuns(holder)) {
    if (Date.now() > deadline) return false;
    await sleep(PROBE_INTERVAL_MS);
  }
  return true;
}

/**
 * Before an engine starts on `dbPath`: a JVM still serving it whose parent is gone (a Shipgate killed with SIGKILL,
 * before the JVM's stdin watchdog noticed, or one run without the launcher) is stopped: two engines must never
 * share one database file. One whose parent still runs is refused.
 */
async function stopOrphanEngine(dbPath: string, log: (line: string) => void): Promise<void> {
  const record = readEngineRecord(dbPath);
  if (!record) return;
  const engine = { pid: record.pid, startedAt: record.startedAt, procStart: record.procStart };
  if (!holderRuns(engine) || !servesDbPath(record.pid, dbPath)) {
    await rm(join(dbPath, ENGINE_PID_FILE), { force: true });
    return;
  }
  const parent = { pid: record.parentPid, startedAt: '', procStart: record.parentProcStart };
  if (holderRuns(parent)) {
    throw new DynamoDbLocalStartError(
      `DynamoDB Local (pid ${record.pid}, port ${record.port}) already serves ${dbPath} for process ${record.parentPid}; stop that first`,
      false,
    );
  }
  log(`DynamoDB Local (pid ${record.pid}) was left running on ${dbPath} by a process that is gone: stopping it`);
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(record.pid, signal);
      // A stopped JVM (SIGSTOP, Ctrl-Z) handles SIGTERM only once it runs again.
      if (signal === 'SIGTERM') process.kill(record.pid, 'SIGCONT');
    } catch {
      // Gone meanwhile.
    }
    if (await waitGone(engine, STOP_GRACE_MS)) {
      await rm(join(dbPath, ENGINE_PID_FILE), { force: true });
      return;
    }
  }
  throw new DynamoDbLocalStartError(`DynamoDB Local (pid ${record.pid}) left on ${dbPath} does not stop`, false);
}

async function writeEngineRecord(dbPath: string, record: EngineRecord): Promise<void> {
  const path = join(dbPath, ENGINE_PID_FILE);
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(record)}\n`);
  await rename(temp, path);
}

/** Removes the engine pid file if it still names `pid`; synchronous, so no later start's file is removed instead. */
function removeEngineRecord(dbPath: string, pid: number): void {
  if (readEngineRecord(dbPath)?.pid !== pid) return;
  try {
    unlinkSync(join(dbPath, ENGINE_PID_FILE));
  } catch {
    // Already gone.
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

// An 'exit' listener can only send a signal, not wait. SIGTERM rather than SIGKILL lets the JVM run its shutdown
// hooks, which delete the SQLite native library DynamoDB Local copies into the temp directory on every start.
function killAllOnExit(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

function track(child: ChildProcess): void {
  running.add(child);
  if (!exitHookInstalled) {
    process.on('exit', killAllOnExit);
    exitHookInstalled = true;
  }
}

interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

function describeExit(exit: ExitInfo): string {
  if (exit.error) return `failed to start (${exit.error.message})`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
}

/** Thrown when DynamoDB Local exits before it is ready or never answers; the message carries its last output. */
export class DynamoDbLocalStartError extends Error {
  /** True when the engine could not bind its port. */
  readonly portInUse: boolean;

  constructor(message: string, portInUse: boolean) {
    super(message);
    this.name = 'DynamoDbLocalStartError';
    this.portInUse = portInUse;
  }
}

interface LaunchPlan {
  readonly java: JavaChoice;
  readonly env: NodeJS.ProcessEnv;
  readonly engine: EngineFiles;
  /** Path of the launcher source, or undefined to run the jar's own main. */
  readonly launcher: string | undefined;
  readonly dbPath: string | undefined;
  readonly deadline: number;
  readonly log: (line: string) => void;
}

interface Launched {
  readonly child: ChildProcess;
  readonly stop: () => Promise<void>;
  readonly exited: Promise<DynamoDbLocalExit>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

async function launch(plan: LaunchPlan, port: number): Promise<Launched> {
  const { engine } = plan;
  const engineArgs = ['-sharedDb', '-disableTelemetry', '-port', String(port)];
  if (plan.dbPath) engineArgs.push('-dbPath', plan.dbPath);
  else engineArgs.push('-inMemory');
  const jvmArgs = [
    `-Djava.library.path=${engine.libDir}`,
    // C1 only: starts about a second sooner on small machines, and a local database never runs long enough to miss C2.
    '-XX:TieredStopAtLevel=1',
  ];
  const args = plan.launcher
    ? [...jvmArgs, '-cp', engine.jar, plan.launcher, ...engineArgs]
    : [...jvmArgs, '-jar', engine.jar, ...engineArgs];

  const child = spawn(plan.java.command, args, {
    // The JVM drops crash logs into its working directory; keep them out of the repository.
    cwd: plan.dbPath ?? tmpdir(),
    env: plan.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group keeps a terminal's Ctrl-C from killing the database before the caller has shut down
    // what uses it; only the launcher's stdin watchdog makes that safe, so the plain jar stays in our group.
    detached: plan.launcher !== undefined,
  });
  track(child);

  const tail: string[] = [];
  let portInUse = false;
  // The jar's own main prints nothing once bound, so without the launcher only the probe can tell.
  let bound = !plan.launcher;
  const onLine = (line: string): void => {
    if (line === READY_MARKER) bound = true;
    // Stack frames crowd out the lines that say what went wrong.
    if (!/^\s+(at |\.\.\. \d+ more)/.test(line)) {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    }
    if (/BindException|Address already in use/i.test(line)) portInUse = true;
    plan.log(line);
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
  // The watchdog in the launcher only reads stdin; a write error after the JVM exits is expected.
  child.stdin?.on('error', () => {});

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolvePromise) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      running.delete(child);
      resolvePromise(exitInfo);
    });
    child.once('error', (error) => {
      // 'error' without 'exit' means the process never started.
      if (child.pid === undefined) {
        exitInfo = { code: null, signal: null, error };
        running.delete(child);
        resolvePromise(exitInfo);
      }
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo) return;
      child.kill('SIGTERM');
      const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(escalate);
    })();
    return stopping;
  };

  void exited.then((exit) => {
    if (!stopping) plan.log(`DynamoDB Local (pid ${String(child.pid)}) ${describeExit(exit)} unexpectedly`);
  });

  const failure = (what: string): DynamoDbLocalStartError => {
    const lines = tail.length > 0 ? `\nLast output:\n${tail.join('\n')}` : '';
    return new DynamoDbLocalStartError(`DynamoDB Local ${what} (port ${port})${lines}`, portInUse);
  };

  for (;;) {
    if (exitInfo) throw failure(describeExit(exitInfo));
    if (bound && (await answersListTables(port))) {
      return { child, stop, exited: exited.then(({ code, signal }) => ({ code, signal, stopped: !!stopping })) };
    }
    if (exitInfo) throw failure(describeExit(exitInfo));
    // The jar's own main (the fallback) can linger after a failed bind, so do not wait for it to exit.
    if (portInUse) {
      await stop();
      throw failure('could not bind its port');
    }
    if (Date.now() > plan.deadline) {
      await stop();
      throw failure('did not answer ListTables in time');
    }
    await Promise.race([sleep(PROBE_INTERVAL_MS), exited]);
  }
}

/**
 * Starts DynamoDB Local with `-sharedDb -disableTelemetry`, on disk when `dbPath` is given, and resolves once it
 * answers a real ListTables call. Throws JavaMissingError when Java cannot be run.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const startedAt = performance.now();
  const log = options.log ?? (() => {});
  const warn = options.warn ?? log;
  const env = options.env ?? process.env;
  const engine = engineFiles();
  const java = chooseJava(options, env);
  const { canCompile } = await probeJava(java, env);

  let dbPath: string | undefined;
  if (options.dbPath) {
    dbPath = resolve(options.dbPath);
    await mkdir(dbPath, { recursive: true });
  }

  let launcherDir: string | undefined;
  if (canCompile) {
    launcherDir = await mkdtemp(join(tmpdir(), 'shipgate-dynamodb-'));
    await writeFile(join(launcherDir, `${LAUNCHER_CLASS}.java`), LAUNCHER_SOURCE);
  } else {
    warn(
      `${java.command} cannot compile the loopback launcher (no jdk.compiler module): DynamoDB Local will listen on all interfaces`,
    );
  }

  const plan: LaunchPlan = {
    java,
    env,
    engine,
    launcher: launcherDir ? join(launcherDir, `${LAUNCHER_CLASS}.java`) : undefined,
    dbPath,
    deadline: Date.now() + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS),
    log,
  };

  try {
    if (dbPath) await stopOrphanEngine(dbPath, warn);
    // Checked up front because the probe would otherwise mistake whatever already answers there for our engine.
    if (options.port && !(await portIsFree(options.port))) {
      throw new DynamoDbLocalStartError(`DynamoDB Local cannot start: port ${options.port} is already in use`, true);
    }
    const pickPort = !options.port;
    // A port picked here can be taken before the JVM binds it, so a lost race gets a fresh port.
    const attempts = pickPort ? 3 : 1;
    for (let attempt = 1; ; attempt++) {
      const port = options.port || (await freePort());
      try {
        const { child, stop, exited } = await launch(plan, port);
        const startupMs = Math.round(performance.now() - startedAt);
        const endpoint = `http://127.0.0.1:${port}`;
        const pid = child.pid ?? -1;
        if (dbPath) {
          const onDisk = dbPath;
          void exited.then(() => removeEngineRecord(onDisk, pid));
          await writeEngineRecord(onDisk, {
            pid,
            port,
            procStart: startTimeOf(pid),
            parentPid: process.pid,
            parentProcStart: startTimeOf(process.pid),
            startedAt: new Date().toISOString(),
          }).catch((error: unknown) => {
            warn(`could not write ${join(onDisk, ENGINE_PID_FILE)}: ${error instanceof Error ? error.message : error}`);
          });
        }
        log(`DynamoDB Local ready at ${endpoint} (${dbPath ?? 'in memory'}) in ${startupMs} ms`);
        return { endpoint, port, pid, startupMs, loopbackOnly: canCompile, exited, stop };
      } catch (error) {
        if (error instanceof DynamoDbLocalStartError && error.portInUse && attempt < attempts) continue;
        throw error;
      }
    }
  } finally {
    // The JVM compiles the launcher in memory before main runs, so the source is not needed once started.
    if (launcherDir) await rm(launcherDir, { recursive: true, force: true });
  }
}
