// The mixed workload of the ledger load test: reads, item changes, sign-offs by distinct people, metrics batches
// and retries with Idempotency-Key, each write recorded with every attempt that carried it.
import { is2xx, type Ledger, type LedgerEntry, type Random, type Sent } from '../support/ledger.ts';

/** Roles of the wide gate; the last is never signed, so the gate stays open and every sign-off is taken. */
export const ROLES = 12;
/** Items the mixed changes touch; the rest (up to the template's 50) are kept for the error-then-retry scenario. */
export const POOL_ITEMS = 40;
export const ITEMS = 50;
export const GATE = 'pre-release';
const METRICS = ['api.latency.p95', 'api.errors', 'db.query.p95', 'cpu.utilization'] as const;
const STATUSES = ['done', 'pending', 'blocked', 'failed', 'skipped'] as const;
/** Timestamps sent with samples lie a day back, one second per write: distinct, and never "now". */
const SAMPLE_EPOCH = Date.now() - 86_400_000;

export interface Person {
  readonly id: string;
  readonly token: string;
}

export interface People {
  readonly manager: Person;
  /** qa-leads: on the release's team, so they may change its items. */
  readonly team: readonly Person[];
  /** The people holding each signed role (one role each: nobody could fill two roles of the gate). */
  readonly signers: ReadonlyMap<string, readonly Person[]>;
  /** A machine client with metrics.write. */
  readonly agent: Person;
}

export type WriteKind = 'item' | 'signoff' | 'metrics' | 'create';

export interface SentSample {
  readonly name: string;
  readonly value: number;
  readonly at?: string;
}

/**
 * One write as a caller means it: a body, sent once or several times (retries with the same key). Its marker is in
 * what is stored (the evidence note, the sign-off comment, the release name, the sample values), so every stored
 * row and audit event leads back to the write that asked for it.
 */
export interface Write {
  /** `<marker>@<caller>`: the key events are matched by (one body may be sent by two callers). */
  readonly id: string;
  readonly kind: WriteKind;
  readonly seq: number;
  readonly marker: string;
  readonly caller: string;
  readonly releaseId?: string | undefined;
  readonly itemId?: string | undefined;
  readonly role?: string | undefined;
  readonly samples?: readonly SentSample[] | undefined;
  readonly withTimestamps?: boolean;
  readonly body: Readonly<Record<string, unknown>>;
  readonly attempts: LedgerEntry[];
}

/**
 * What a retry scenario expects of its answers. `sequential`: the retry is a replay of a 2xx first answer, or (the
 * first answer an error, which leaves the key free) runs again. `concurrent`: of the answers one ran, the others are
 * replays of it or 409 request-in-progress with Retry-After. `reused`: the second body is refused with 422.
 * `rerun`: the first answer is a 409 (stale version) and the retry with the same key runs again and lands.
 * `other-caller`: the same key from another person is theirs, and runs.
 */
export interface RetryCheck {
  readonly scenario: string;
  readonly expect: 'sequential' | 'concurrent' | 'reused' | 'rerun' | 'other-caller';
  readonly answers: readonly LedgerEntry[];
}

export const SCENARIOS = {
  'replay-item': 2,
  'replay-signoff': 2,
  'replay-metrics-with-timestamps': 1,
  'replay-metrics-without-timestamps': 2,
  'replay-create-release': 1,
  'concurrent-item': 1,
  'concurrent-metrics-without-timestamps': 1,
  'concurrent-create-release': 0.5,
  'reused-key-other-body': 1,
  'error-then-retry': 1,
  'same-key-other-caller': 1,
} as const;
type Scenario = keyof typeof SCENARIOS;

/** Share of the tasks of each kind; a retry scenario sends about 2.2 requests, so it makes about 5 % of them. */
const MIX = { read: 40, item: 30, signoff: 10, metrics: 15, retry: 2.3 } as const;

export class Workload {
  readonly writes: Write[] = [];
  readonly checks: RetryCheck[] = [];
  /** What the run sent: 409 request-in-progress answers waited on Retry-After and sent again. */
  inProgressWaits = 0;
  readonly #ledger: Ledger;
  readonly #rng: Random;
  readonly #people: People;
  readonly #releases: readonly string[];
  readonly #templateId: string;
  readonly #run: string;
  /** The latest version seen of each item (`<release>/<item>`), sent as expectedVersion. */
  readonly #versions = new Map<string, number>();
  /** Items no mixed change touches, one per error-then-retry scenario. */
  readonly #reserved: { releaseId: string; itemId: string }[];
  #budget: number;
  #seq = 0;

  constructor(options: {
    ledger: Ledger;
    rng: Random;
    people: People;
    releases: readonly string[];
    templateId: string;
    requests: number;
    run: string;
  }) {
    this.#ledger = options.ledger;
    this.#rng = options.rng;
    this.#people = options.people;
    this.#releases = options.releases;
    this.#templateId = options.templateId;
    this.#budget = options.requests;
    this.#run = options.run;
    this.#reserved = options.releases.flatMap((releaseId) =>
      Array.from({ length: ITEMS - POOL_ITEMS }, (_, n) => ({ releaseId, itemId: `item-${POOL_ITEMS + n + 1}` })),
    );
  }

  /** The next task, while the request budget lasts. */
  next(): (() => Promise<void>) | undefined {
    if (this.#budget <= 0) return undefined;
    const kind = this.#rng.weighted(MIX);
    if (kind === 'retry' && this.#budget >= 3) {
      const scenario = this.#rng.weighted(SCENARIOS);
      this.#budget -= scenario === 'error-then-retry' ? 3 : 2;
      return () => this.#scenario(scenario);
    }
    this.#budget -= 1;
    if (kind === 'item') return () => this.#item();
    if (kind === 'signoff') return () => this.#signoff();
    if (kind === 'metrics') return () => this.#metrics();
    return () => this.#read();
  }

  async #read(): Promise<void> {
    const releaseId = this.#rng.pick(this.#releases);
    const reader = this.#rng.chance(0.5) ? this.#people.manager : this.#rng.pick(this.#people.team);
    const roll = this.#rng.next();
    const [op, path] =
      roll < 0.62
        ? ['read.release', `/releases/${releaseId}`]
        : roll < 0.92
          ? ['read.events', `/releases/${releaseId}/events?limit=50`]
          : ['read.report', `/releases/${releaseId}/report`];
    await this.#ledger.send(op, { method: 'GET', path, caller: reader.id, token: reader.token });
  }

  async #item(): Promise<void> {
    const releaseId = this.#rng.pick(this.#releases);
    const itemId = `item-${this.#rng.int(POOL_ITEMS) + 1}`;
    const expected = this.#rng.chance(0.5) ? (this.#versions.get(`${releaseId}/${itemId}`) ?? 0) : undefined;
    const { write, sent } = this.itemWrite(releaseId, itemId, this.#rng.pick(this.#people.team), { expected });
    await this.#attempt('item', write, this.#maybeKeyed(sent));
  }

  async #signoff(): Promise<void> {
    const { write, sent } = this.#signoffWrite();
    await this.#attempt('signoff', write, this.#maybeKeyed(sent));
  }

  async #metrics(): Promise<void> {
    const { write, sent } = this.#metricsWrite(this.#rng.chance(0.5));
    await this.#attempt('metrics', write, this.#maybeKeyed(sent));
  }

  /** Half the plain writes carry a key of their own, sent once: a key must not change a first request. */
  #maybeKeyed(sent: Sent): Sent {
    return this.#rng.chance(0.5) ? { ...sent, key: this.#key() } : sent;
  }

  #key(): string {
    return `ledger-${this.#run}-${this.#seq}-${this.#rng.int(1e9).toString(36)}`;
  }

  /** The next write's sequence number and marker. */
  #mark(): { seq: number; marker: string } {
    const seq = ++this.#seq;
    return { seq, marker: `ledger w${seq}` };
  }

  #record(fields: Omit<Write, 'id' | 'attempts'>): Write {
    const write: Write = { id: `${fields.marker}@${fields.caller}`, attempts: [], ...fields };
    this.writes.push(write);
    return write;
  }

  itemWrite(
    releaseId: string,
    itemId: string,
    caller: Person,
    options: { expected?: number | undefined; status?: (typeof STATUSES)[number]; marker?: string } = {},
  ): { write: Write; sent: Sent } {
    const status = options.status ?? this.#rng.pick(STATUSES);
    const { seq, marker } = options.marker ? { seq: this.#seq, marker: options.marker } : this.#mark();
    const body = {
      status,
      evidence: { note: marker },
      ...(status === 'skipped' ? { reason: `not needed (${marker})` } : {}),
      ...(options.expected === undefined ? {} : { expectedVersion: options.expected }),
    };
    const write = this.#record({ kind: 'item', seq, marker, caller: caller.id, releaseId, itemId, body });
    const path = `/releases/${releaseId}/items/${itemId}`;
    return { write, sent: { method: 'PATCH', path, body, caller: caller.id, token: caller.token } };
  }

  #signoffWrite(): { write: Write; sent: Sent } {
    const releaseId = this.#rng.pick(this.#releases);
    const role = `role-${this.#rng.int(ROLES - 1) + 1}`;
    const signer = this.#rng.pick(this.#people.signers.get(role) ?? []);
    const { seq, marker } = this.#mark();
    const decision = this.#rng.chance(0.7) ? 'approve' : 'reject';
    const body = { gate: GATE, role, decision, comment: marker };
    const write = this.#record({ kind: 'signoff', seq, marker, caller: signer.id, releaseId, role, body });
    const path = `/releases/${releaseId}/signoffs`;
    return { write, sent: { method: 'POST', path, body, caller: signer.id, token: signer.token } };
  }

  /** A batch of 1-20 samples whose values name the write (`seq * 100 + n`), with or without timestamps. */
  #metricsWrite(withTimestamps: boolean, releaseId = this.#rng.pick(this.#releases)): { write: Write; sent: Sent } {
    const { seq, marker } = this.#mark();
    const samples: SentSample[] = Array.from({ length: this.#rng.int(20) + 1 }, (_, n) => ({
      name: METRICS[n % METRICS.length] ?? 'api.errors',
      value: seq * 100 + n,
      ...(withTimestamps ? { at: new Date(SAMPLE_EPOCH + seq * 1000 + n).toISOString() } : {}),
    }));
    const body = { samples };
    const agent = this.#people.agent;
    const write = this.#record({
      kind: 'metrics',
      seq,
      marker,
      caller: agent.id,
      releaseId,
      samples,
      withTimestamps,
      body,
    });
    const path = `/releases/${releaseId}/metrics`;
    return { write, sent: { method: 'POST', path, body, caller: agent.id, token: agent.token } };
  }

  #createWrite(): { write: Write; sent: Sent } {
    const manager = this.#people.manager;
    const { seq, marker } = this.#mark();
    const body = { templateId: this.#templateId, name: marker, version: '1.0.0' };
    const write = this.#record({ kind: 'create', seq, marker, caller: manager.id, body });
    const sent: Sent = { method: 'POST', path: '/releases', body, caller: manager.id, token: manager.token };
    return { write, sent };
  }

  async #attempt(op: string, write: Write, sent: Sent): Promise<LedgerEntry> {
    const entry = await this.#ledger.send(op, sent);
    write.attempts.push(entry);
    if (write.kind === 'item') this.#learnVersion(write, entry);
    return entry;
  }

  /** Keeps the newest version an answer reveals: a 2xx item, or a 409 stale-version's currentVersion. */
  #learnVersion(write: Write, entry: LedgerEntry): void {
    const body = entry.response as { version?: unknown; currentVersion?: unknown } | undefined;
    const version = is2xx(entry) ? body?.version : body?.currentVersion;
    if (typeof version !== 'number') return;
    const key = `${write.releaseId}/${write.itemId}`;
    this.#versions.set(key, Math.max(version, this.#versions.get(key) ?? 0));
  }

  async #scenario(scenario: Scenario): Promise<void> {
    const op = `retry.${scenario}`;
    const pool = () => this.#poolItem();
    const keyed = (write: { write: Write; sent: Sent }) => this.#keyed(write);
    switch (scenario) {
      case 'replay-item':
        return this.#sequential(op, keyed(pool()));
      case 'replay-signoff':
        return this.#sequential(op, keyed(this.#signoffWrite()));
      case 'replay-metrics-with-timestamps':
        return this.#sequential(op, keyed(this.#metricsWrite(true)));
      case 'replay-metrics-without-timestamps':
        return this.#sequential(op, keyed(this.#metricsWrite(false)));
      case 'replay-create-release':
        return this.#sequential(op, keyed(this.#createWrite()));
      case 'concurrent-item':
        return this.#concurrent(op, keyed(pool()));
      case 'concurrent-metrics-without-timestamps':
        return this.#concurrent(op, keyed(this.#metricsWrite(false)));
      case 'concurrent-create-release':
        return this.#concurrent(op, keyed(this.#createWrite()));
      case 'reused-key-other-body':
        return this.#reused(op, keyed(this.#rng.chance(0.5) ? pool() : this.#metricsWrite(false)));
      case 'error-then-retry':
        return this.#errorThenRetry(op);
      case 'same-key-other-caller':
        return this.#otherCaller(op);
    }
  }

  async #sequential(op: string, { write, sent }: { write: Write; sent: Sent }): Promise<void> {
    const first = await this.#attempt(op, write, sent);
    const retry = await this.#attempt(op, write, sent);
    this.checks.push({ scenario: op, expect: 'sequential', answers: [first, retry] });
  }

  /** Both at once; a 409 request-in-progress is sent again after its Retry-After, until it is answered. */
  async #concurrent(op: string, { write, sent }: { write: Write; sent: Sent }): Promise<void> {
    const answers = await Promise.all([this.#attempt(op, write, sent), this.#attempt(op, write, sent)]);
    let waiting = answers.find(isInProgress);
    for (let round = 0; waiting && round < 5; round += 1) {
      const seconds = Math.min(5, Math.max(0.2, Number(waiting.retryAfter) || 1));
      this.inProgressWaits += 1;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const again = await this.#attempt(op, write, sent);
      answers.push(again);
      waiting = isInProgress(again) ? again : undefined;
    }
    this.checks.push({ scenario: op, expect: 'concurrent', answers });
  }

  /** A first request, then the same key with another body: refused (422), and that body never stored. */
  async #reused(op: string, { write, sent }: { write: Write; sent: Sent }): Promise<void> {
    const first = await this.#attempt(op, write, sent);
    const other =
      write.kind === 'item'
        ? this.itemWrite(write.releaseId ?? '', write.itemId ?? '', this.#personOf(write))
        : this.#metricsWrite(false, write.releaseId);
    const second = await this.#attempt(op, other.write, { ...other.sent, key: sent.key });
    this.checks.push({ scenario: op, expect: 'reused', answers: [first, second] });
  }

  /**
   * An answered error leaves the key free: a change expecting the version after next is refused (409), another
   * change brings the item to that version, and the first request sent again with its key runs and lands.
   */
  async #errorThenRetry(op: string): Promise<void> {
    const slot = this.#reserved.shift();
    if (!slot) return this.#sequential(op, this.#keyed(this.#poolItem()));
    const { releaseId, itemId } = slot;
    const person = this.#rng.pick(this.#people.team);
    const at = this.#versions.get(`${releaseId}/${itemId}`) ?? 0;
    const early = this.itemWrite(releaseId, itemId, person, { expected: at + 1, status: 'done' });
    const sent = { ...early.sent, key: this.#key() };
    const refused = await this.#attempt(op, early.write, sent);
    const between = this.itemWrite(releaseId, itemId, person, { expected: at, status: 'blocked' });
    await this.#attempt(op, between.write, between.sent);
    const retried = await this.#attempt(op, early.write, sent);
    this.checks.push({ scenario: op, expect: 'rerun', answers: [refused, retried] });
  }

  #keyed({ write, sent }: { write: Write; sent: Sent }): { write: Write; sent: Sent } {
    return { write, sent: { ...sent, key: this.#key() } };
  }

  /** A change of an item of the shared pool, by one of the team. */
  #poolItem(): { write: Write; sent: Sent } {
    const releaseId = this.#rng.pick(this.#releases);
    const itemId = `item-${this.#rng.int(POOL_ITEMS) + 1}`;
    return this.itemWrite(releaseId, itemId, this.#rng.pick(this.#people.team));
  }

  /** The same key and body from two people: a key is its caller's, so both run, neither is a replay. */
  async #otherCaller(op: string): Promise<void> {
    const [one, two] = this.#twoOf(this.#people.team);
    const releaseId = this.#rng.pick(this.#releases);
    const itemId = `item-${this.#rng.int(POOL_ITEMS) + 1}`;
    const first = this.itemWrite(releaseId, itemId, one, { status: 'done' });
    const key = this.#key();
    const a = await this.#attempt(op, first.write, { ...first.sent, key });
    const second = this.itemWrite(releaseId, itemId, two, { status: 'done', marker: first.write.marker });
    const b = await this.#attempt(op, second.write, { ...second.sent, key });
    this.checks.push({ scenario: op, expect: 'other-caller', answers: [a, b] });
  }

  #twoOf(people: readonly Person[]): [Person, Person] {
    const n = this.#rng.int(people.length);
    const one = people[n];
    const two = people[(n + 1 + this.#rng.int(people.length - 1)) % people.length];
    if (!one || !two) throw new Error('two people are needed');
    return [one, two];
  }

  #personOf(write: Write): Person {
    return this.#people.team.find((person) => person.id === write.caller) ?? this.#people.manager;
  }
}

export const isInProgress = (entry: LedgerEntry): boolean =>
  entry.status === 409 && (entry.response as { type?: unknown } | undefined)?.type === '/problems/request-in-progress';
