// A ledger of HTTP calls for load tests: every request recorded with what was sent and what came back, a pool of
// workers that sends them, and the tallies a load test prints.
import { isDeepStrictEqual } from 'node:util';

/** One request as it was sent. */
export interface Sent {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  /** The `Idempotency-Key` header, when one was sent. */
  readonly key?: string | undefined;
  /** Who sent it: the id the audit trail names as its actor. */
  readonly caller: string;
  readonly token: string;
}

/** One request and its answer. `status` 0: no answer (the connection failed or the request timed out). */
export interface LedgerEntry {
  readonly seq: number;
  /** What the request was for, as the load test names it (`read.release`, `item`, `retry.replay-metrics`, …). */
  readonly op: string;
  readonly method: Sent['method'];
  readonly path: string;
  readonly body?: unknown;
  readonly key?: string | undefined;
  readonly caller: string;
  readonly status: number;
  /** The response body (JSON parsed); kept for writes and for every answer of 400 or more. */
  readonly response?: unknown;
  readonly retryAfter: string | null;
  readonly replayed: string | null;
  readonly contentType: string | null;
  readonly location: string | null;
  readonly startedMs: number;
  readonly ms: number;
  readonly error?: string | undefined;
}

/** The requests of a load test, in the order they were answered; `seq` is the order they were sent. */
export class Ledger {
  readonly entries: LedgerEntry[] = [];
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #started = performance.now();
  #sent = 0;

  constructor(url: string, options: { readonly timeoutMs?: number } = {}) {
    this.#url = url;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Sends one request (keep-alive, as fetch pools connections) and records it; `keepBody` keeps a 2xx body too. */
  async send(op: string, sent: Sent, keepBody = sent.method !== 'GET'): Promise<LedgerEntry> {
    const headers: Record<string, string> = { authorization: `Bearer ${sent.token}` };
    if (sent.body !== undefined) headers['content-type'] = 'application/json';
    if (sent.key !== undefined) headers['idempotency-key'] = sent.key;
    const seq = this.#sent++;
    const startedMs = performance.now() - this.#started;
    let entry: LedgerEntry;
    try {
      const response = await fetch(`${this.#url}${sent.path}`, {
        method: sent.method,
        headers,
        body: sent.body === undefined ? undefined : JSON.stringify(sent.body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await response.text();
      const keep = keepBody || response.status >= 400;
      entry = {
        ...common(seq, op, sent, startedMs),
        status: response.status,
        response: keep ? parsed(text) : undefined,
        retryAfter: response.headers.get('retry-after'),
        replayed: response.headers.get('idempotency-replayed'),
        contentType: response.headers.get('content-type'),
        location: response.headers.get('location'),
        ms: performance.now() - this.#started - startedMs,
      };
    } catch (error) {
      entry = {
        ...common(seq, op, sent, startedMs),
        status: 0,
        retryAfter: null,
        replayed: null,
        contentType: null,
        location: null,
        ms: performance.now() - this.#started - startedMs,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
    this.entries.push(entry);
    return entry;
  }
}

const common = (seq: number, op: string, sent: Sent, startedMs: number) => ({
  seq,
  op,
  method: sent.method,
  path: sent.path,
  body: sent.body,
  key: sent.key,
  caller: sent.caller,
  startedMs,
});

function parsed(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const is2xx = (entry: Pick<LedgerEntry, 'status'>): boolean => entry.status >= 200 && entry.status < 300;

/** Whether a retry was answered with the first answer: same status, same body, and marked as replayed. */
export function isReplayOf(retry: LedgerEntry, first: LedgerEntry): boolean {
  return (
    retry.replayed === 'true' && retry.status === first.status && isDeepStrictEqual(retry.response, first.response)
  );
}

/**
 * Runs `concurrency` workers, each taking the next task until there is none or the deadline has passed; resolves
 * when every worker is done. A task that throws stops the run: that is a bug of the test, not an answer.
 */
export async function runPool(
  concurrency: number,
  next: () => (() => Promise<void>) | undefined,
  deadline: number,
): Promise<{ timedOut: boolean }> {
  let timedOut = false;
  const worker = async () => {
    for (;;) {
      if (Date.now() > deadline) {
        timedOut = true;
        return;
      }
      const task = next();
      if (!task) return;
      await task();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { timedOut };
}

/** Every item of a cursor-paged listing. */
export async function allPages<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; cursor?: string }>) {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    items.push(...next.items);
    cursor = next.cursor;
  } while (cursor);
  return items;
}

/** How often each key occurs, most frequent first. */
export function tally<T>(values: Iterable<T>, key: (value: T) => string | number): [string, number][] {
  const counts = new Map<string, number>();
  for (const value of values) {
    const name = String(key(value));
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export const formatTally = (counts: readonly [string, number][]): string =>
  counts.map(([name, count]) => `${name} ${count}`).join(', ') || 'none';

/** The nearest-rank percentile of some numbers (0 when there are none). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

/** A small seeded random source (mulberry32), so a run's mix can be repeated from its printed seed. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (below: number) => Math.floor(next() * below),
    pick: <T>(values: readonly T[]): T => {
      const value = values[Math.floor(next() * values.length)];
      if (value === undefined) throw new Error('pick from an empty list');
      return value;
    },
    chance: (p: number) => next() < p,
    /** A key of `weights`, drawn in proportion to its weight. */
    weighted: <K extends string>(weights: Readonly<Record<K, number>>): K => {
      const entries = Object.entries(weights) as [K, number][];
      let left = next() * entries.reduce((sum, [, weight]) => sum + weight, 0);
      for (const [name, weight] of entries) {
        left -= weight;
        if (left < 0) return name;
      }
      const last = entries.at(-1);
      if (!last) throw new Error('no weights');
      return last[0];
    },
  };
}
export type Random = ReturnType<typeof seededRandom>;
