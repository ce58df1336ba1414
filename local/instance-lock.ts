// Keeps one local Shipgate per data directory, via a pid file that a crashed instance cannot leave blocking.

import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** What the pid file records about the running instance. */
export interface InstanceInfo {
  readonly pid: number;
  /** Port of the HTTP API, once it is listening. */
  readonly port?: number;
  /** ISO timestamp of when the lock was taken. */
  readonly startedAt: string;
  /**
   * The holder's start time in clock ticks since boot (Linux, /proc/<pid>/stat): a live process with the same pid
   * but another start time got the pid reused, and holds nothing.
   */
  readonly procStart?: string;
}

/** A held lock; release() removes the pid file and may be called more than once. */
export interface InstanceLock {
  release(): Promise<void>;
}

/** Thrown when another live process holds the data directory. */
export class InstanceRunningError extends Error {
  readonly pid: number;
  readonly port: number | undefined;
  readonly dataDir: string;

  constructor(info: InstanceInfo, dataDir: string) {
    const where = info.port ? `pid ${info.pid}, http://localhost:${info.port}` : `pid ${info.pid}`;
    super(
      `Shipgate is already running (${where}) using ${dataDir}; stop it with Ctrl-C in its terminal or \`kill ${info.pid}\``,
    );
    this.name = 'InstanceRunningError';
    this.pid = info.pid;
    this.port = info.port;
    this.dataDir = dataDir;
  }
}

const PID_FILE = 'shipgate.pid';

/** Path of the pid file in a data directory. */
export function pidFilePath(dataDir: string): string {
  return join(resolve(dataDir), PID_FILE);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What Linux says of a process: its state letter and start time; undefined where there is no /proc. */
export function procStat(pid: number, procRoot = '/proc'): { state: string; startTime: string } | 'gone' | undefined {
  let text: string;
  try {
    text = readFileSync(join(procRoot, String(pid), 'stat'), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Where /proc exists, a pid without an entry has no process.
    return code === 'ENOENT' || code === 'ESRCH' ? (hasProc(procRoot) ? 'gone' : undefined) : undefined;
  }
  // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so fields count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime ? { state, startTime } : undefined;
}

function hasProc(procRoot: string): boolean {
  try {
    readFileSync(join(procRoot, 'self', 'stat'));
    return true;
  } catch {
    return false;
  }
}

/**
 * True when the lock's holder still runs. A zombie (exited, not yet reaped: state Z, or X while it is torn down)
 * runs nothing, and a live pid with another start time than the one recorded is a reused pid, not the holder.
 */
export function holderRuns(info: InstanceInfo, procRoot = '/proc'): boolean {
  if (!isAlive(info.pid)) return false;
  const stat = procStat(info.pid, procRoot);
  if (stat === 'gone') return false;
  if (!stat) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return info.procStart === undefined || info.procStart === stat.startTime;
}

/** This process's start time, to record in the pid file (Linux only). */
function ownProcStart(): string | undefined {
  const stat = procStat(process.pid);
  return stat && stat !== 'gone' ? stat.startTime : undefined;
}

function parseInfo(text: string): InstanceInfo | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { pid, port, startedAt, procStart } = value as Record<string, unknown>;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
    return {
      pid,
      startedAt: typeof startedAt === 'string' ? startedAt : '',
      ...(typeof port === 'number' ? { port } : {}),
      ...(typeof procStart === 'string' ? { procStart } : {}),
    };
  } catch {
    return undefined;
  }
}

async function readInfo(path: string): Promise<InstanceInfo | undefined> {
  try {
    return parseInfo(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function tempPath(path: string): string {
  return `${path}.${process.pid}.${Date.now()}.tmp`;
}

/**
 * Creates the pid file only if none exists. Written to a temporary file and linked into place so that a competing
 * instance never reads a half-written file and mistakes it for a stale one.
 */
async function createExclusive(path: string, info: InstanceInfo): Promise<boolean> {
  const temp = tempPath(path);
  await writeFile(temp, `${JSON.stringify(info)}\n`, { flag: 'wx' });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/**
 * Takes the single-instance lock for a data directory by creating `<dataDir>/shipgate.pid` (pid, startedAt).
 * Throws InstanceRunningError when a live process holds it; takes over a lock whose process is gone, a zombie, or
 * another process that got its pid.
 */
export async function acquireInstanceLock(dataDir: string): Promise<InstanceLock> {
  const dir = resolve(dataDir);
  const path = join(dir, PID_FILE);
  await mkdir(dir, { recursive: true });
  const procStart = ownProcStart();
  const info: InstanceInfo = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ...(procStart ? { procStart } : {}),
  };

  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(path, info)) return holdLock(path, info);
    const before = await stat(path).catch(() => undefined);
    const holder = await readInfo(path);
    if (holder && holderRuns(holder)) throw new InstanceRunningError(holder, dir);
    // Stale or unreadable: remove it unless another starter replaced it while we looked.
    const now = await stat(path).catch(() => undefined);
    if (before && now && before.ino === now.ino && before.mtimeMs === now.mtimeMs) {
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }
  throw new Error(`could not take the instance lock ${path}: it keeps changing under us`);
}

function holdLock(path: string, info: InstanceInfo): InstanceLock {
  let released = false;
  // A process that exits without release() should not leave a lock that names a reused pid.
  const releaseOnExit = (): void => {
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  process.once('exit', releaseOnExit);
  return {
    async release(): Promise<void> {
      if (released) return;
      released = true;
      process.removeListener('exit', releaseOnExit);
      const holder = await readInfo(path);
      // Never delete a lock some other instance has since taken over.
      if (holder && holder.pid === info.pid && holder.startedAt === info.startedAt) {
        await unlink(path).catch(() => {});
      }
    },
  };
}

/**
 * Records more about the running instance (the HTTP port once it listens) in the pid file this process holds.
 * Throws when the lock belongs to another process.
 */
export async function updateInstanceLock(dataDir: string, update: { port?: number }): Promise<void> {
  const path = pidFilePath(dataDir);
  const current = await readInfo(path);
  if (!current || current.pid !== process.pid) {
    throw new Error(`the instance lock ${path} is not held by this process (pid ${process.pid})`);
  }
  const next: InstanceInfo = { ...current, ...update };
  const temp = tempPath(path);
  await writeFile(temp, `${JSON.stringify(next)}\n`, { flag: 'wx' });
  // rename replaces atomically, so a concurrent reader sees either the old or the new file.
  await rename(temp, path);
}
