// Unit tests for the single-instance lock: one holder per data dir, stale locks taken over, clean release.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  acquireInstanceLock,
  holderRuns,
  InstanceRunningError,
  pidFilePath,
  procStat,
  updateInstanceLock,
} from '../../local/instance-lock.ts';

let root: string;
let counter = 0;

function freshDir(): string {
  counter += 1;
  return join(root, `data-${counter}`);
}

async function readLock(dataDir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dataDir, 'shipgate.pid'), 'utf8')) as Record<string, unknown>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}

/** A pid that belonged to a process which has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid;
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok(pid);
  return pid;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'shipgate-lock-test-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('acquireInstanceLock', () => {
  it('writes shipgate.pid with this pid and a start time, creating the data dir', async () => {
    const dataDir = join(freshDir(), 'nested');
    const lock = await acquireInstanceLock(dataDir);
    try {
      const content = await readLock(dataDir);
      assert.equal(content.pid, process.pid);
      assert.equal(typeof content.startedAt, 'string');
      assert.ok(!Number.isNaN(Date.parse(String(content.startedAt))));
      assert.equal(content.port, undefined);
    } finally {
      await lock.release();
    }
  });

  it('refuses a second instance, saying who holds the lock and how to stop it', async () => {
    const dataDir = freshDir();
    const lock = await acquireInstanceLock(dataDir);
    try {
      await assert.rejects(acquireInstanceLock(dataDir), (error: unknown) => {
        assert.ok(error instanceof InstanceRunningError);
        assert.equal(error.pid, process.pid);
        assert.equal(
          error.message,
          `Shipgate is already running (pid ${process.pid}) using ${dataDir}; stop it with Ctrl-C in its terminal or \`kill ${process.pid}\``,
        );
        return true;
      });

      await updateInstanceLock(dataDir, { port: 4123 });
      assert.equal((await readLock(dataDir)).port, 4123);
      await assert.rejects(acquireInstanceLock(dataDir), (error: unknown) => {
        assert.ok(error instanceof InstanceRunningError);
        assert.equal(error.port, 4123);
        assert.equal(
          error.message,
          `Shipgate is already running (pid ${process.pid}, http://localhost:4123) using ${dataDir}; stop it with Ctrl-C in its terminal or \`kill ${process.pid}\``,
        );
        return true;
      });
    } finally {
      await lock.release();
    }
  });

  it('refuses while another live process holds the lock', async () => {
    const dataDir = freshDir();
    const holder: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      assert.ok(holder.pid);
      await acquireInstanceLock(dataDir).then((lock) => lock.release());
      await writeFile(
        pidFilePath(dataDir),
        JSON.stringify({ pid: holder.pid, port: 3000, startedAt: new Date().toISOString() }),
      );
      await assert.rejects(acquireInstanceLock(dataDir), (error: unknown) => {
        assert.ok(error instanceof InstanceRunningError);
        assert.equal(error.pid, holder.pid);
        assert.match(error.message, new RegExp(`kill ${holder.pid}\``));
        return true;
      });
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dataDir = freshDir();
    await acquireInstanceLock(dataDir).then((lock) => lock.release());
    const stale = await deadPid();
    await writeFile(
      pidFilePath(dataDir),
      JSON.stringify({ pid: stale, port: 3000, startedAt: '2020-01-01T00:00:00Z' }),
    );
    const lock = await acquireInstanceLock(dataDir);
    try {
      const content = await readLock(dataDir);
      assert.equal(content.pid, process.pid);
      assert.equal(content.port, undefined);
    } finally {
      await lock.release();
    }
  });

  /**
   * A zombie: `sh` starts `sleep 0` in the background and then becomes `sleep 30`, which never waits for it, so the
   * exited child stays in the process table (state Z) until its parent ends.
   */
  async function withZombie(use: (pid: number) => Promise<void>): Promise<void> {
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = await new Promise<number>((resolvePid, reject) => {
        parent.stdout?.once('data', (chunk: Buffer) => resolvePid(Number(chunk.toString().trim())));
        parent.once('error', reject);
      });
      for (let tries = 0; tries < 100; tries++) {
        const stat = procStat(pid);
        if (stat !== 'gone' && stat?.state === 'Z') break;
        await new Promise((resolveWait) => setTimeout(resolveWait, 20));
      }
      await use(pid);
    } finally {
      parent.kill('SIGKILL');
    }
  }

  const linux = process.platform === 'linux';

  it('takes over a lock whose holder is a zombie (exited, not yet reaped)', { skip: !linux }, async () => {
    await withZombie(async (pid) => {
      const stat = procStat(pid);
      assert.ok(stat !== 'gone' && stat?.state === 'Z', `pid ${pid} is a zombie: ${JSON.stringify(stat)}`);
      const dataDir = freshDir();
      await acquireInstanceLock(dataDir).then((lock) => lock.release());
      await writeFile(pidFilePath(dataDir), JSON.stringify({ pid, port: 3000, startedAt: new Date().toISOString() }));
      const lock = await acquireInstanceLock(dataDir);
      try {
        assert.equal((await readLock(dataDir)).pid, process.pid);
      } finally {
        await lock.release();
      }
    });
  });

  it('records its start time, and takes over a lock whose pid now belongs to another process', {
    skip: !linux,
  }, async () => {
    const dataDir = freshDir();
    const own = await acquireInstanceLock(dataDir);
    const recorded = await readLock(dataDir);
    await own.release();
    const stat = procStat(process.pid);
    assert.ok(stat !== 'gone' && stat !== undefined);
    assert.equal(recorded.procStart, stat.startTime);

    const other: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      assert.ok(other.pid);
      // The pid is live, but the process holding the lock started at another time: the pid was reused.
      const reused = { pid: other.pid, startedAt: '2020-01-01T00:00:00Z', procStart: '1' };
      assert.equal(holderRuns(reused), false);
      await writeFile(pidFilePath(dataDir), JSON.stringify(reused));
      const lock = await acquireInstanceLock(dataDir);
      try {
        assert.equal((await readLock(dataDir)).pid, process.pid);
      } finally {
        await lock.release();
      }
      // With its real start time recorded, the same process is the holder.
      const otherStat = procStat(other.pid);
      assert.ok(otherStat !== 'gone' && otherStat !== undefined);
      assert.equal(holderRuns({ ...reused, procStart: otherStat.startTime }), true);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('says a pid without a /proc entry is gone', { skip: !linux }, async () => {
    assert.equal(procStat(await deadPid()), 'gone');
  });

  it('takes over an unreadable lock file', async () => {
    const dataDir = freshDir();
    await acquireInstanceLock(dataDir).then((lock) => lock.release());
    await writeFile(pidFilePath(dataDir), 'not json');
    const lock = await acquireInstanceLock(dataDir);
    try {
      assert.equal((await readLock(dataDir)).pid, process.pid);
    } finally {
      await lock.release();
    }
  });
});

describe('releasing the lock', () => {
  it('removes the pid file, can be called twice, and lets the next instance in', async () => {
    const dataDir = freshDir();
    const lock = await acquireInstanceLock(dataDir);
    assert.equal(await exists(pidFilePath(dataDir)), true);
    await lock.release();
    assert.equal(await exists(pidFilePath(dataDir)), false);
    await lock.release();
    const next = await acquireInstanceLock(dataDir);
    assert.equal(await exists(pidFilePath(dataDir)), true);
    await next.release();
  });

  it('leaves alone a lock that another instance has taken over', async () => {
    const dataDir = freshDir();
    const lock = await acquireInstanceLock(dataDir);
    const other = JSON.stringify({ pid: 1, startedAt: new Date().toISOString() });
    await writeFile(pidFilePath(dataDir), other);
    await lock.release();
    assert.equal(await readFile(pidFilePath(dataDir), 'utf8'), other);
  });
});

describe('updateInstanceLock', () => {
  it('refuses to write into a lock this process does not hold', async () => {
    const dataDir = freshDir();
    await assert.rejects(updateInstanceLock(dataDir, { port: 1 }), /not held by this process/);
  });
});
