// Load with a ledger (issue 12, point 8): 10,000 mixed requests at concurrency 64 against one local runtime over
// loopback, every request and answer recorded; then every acknowledged write is compared with what is stored and
// with the audit trail (0 lost, 0 duplicated), every stored row and event with a request that asked for it, every
// retry with the Idempotency-Key contract, and no answer is a 5xx. It prints the counts it checked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoReleaseStore } from '../../lambdas/adapters/dynamodb/release-store.ts';
import { releasesTable } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import type { AuditEvent } from '../../lambdas/core/release/release.ts';
import type { ReleaseView } from '../../lambdas/core/release/view.ts';
import { loadOrCreateIssuer } from '../../local/issuer.ts';
import { localTableName } from '../../local/tables.ts';
import { wideGateTemplate } from '../support/fixtures.ts';
import {
  allPages,
  formatTally,
  Ledger,
  type LedgerEntry,
  percentile,
  runPool,
  seededRandom,
  tally,
} from '../support/ledger.ts';
import { api, type LocalProcess, removeDataDir, startLocalProcess, tempDataDir } from '../support/local-process.ts';
import { checkLedger, isServerError, type KindCounts, type Stored, type Verdict } from './ledger-check.ts';
import { GATE, type People, type Person, ROLES, Workload } from './ledger-workload.ts';

const whole = (value: string | undefined, fallback: number) => {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
};
/** SHIPGATE_LOAD_REQUESTS, _CONCURRENCY and _SEED make a smaller or a repeated run. */
const REQUESTS = whole(process.env.SHIPGATE_LOAD_REQUESTS, 10_000);
const CONCURRENCY = whole(process.env.SHIPGATE_LOAD_CONCURRENCY, 64);
const SEED = whole(process.env.SHIPGATE_LOAD_SEED, Date.now() % 1_000_000_007);
const RELEASES = 4;
const TEAM = 4;
const SIGNERS_PER_ROLE = 3;
const TEMPLATE_ID = 'ledger-wide';
/** The load must be over by then (and it aims at 2-3 minutes on two cores). */
const TIME_LIMIT_MS = 6 * 60_000;

/** A token's subject: who the audit trail says acted (a machine client is its client id). */
const subjectOf = (token: string): string => {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string };
  return payload.sub;
};

async function people(dataDir: string): Promise<People> {
  const issuer = await loadOrCreateIssuer(dataDir);
  const person = async (user: string, roles: string[]): Promise<Person> => ({
    id: user,
    token: await issuer.sign({ user, name: user, roles }),
  });
  const signers = new Map<string, Person[]>();
  for (let role = 1; role < ROLES; role += 1) {
    const holders = Array.from({ length: SIGNERS_PER_ROLE }, (_, n) =>
      person(`ledger-signer-${role}-${n + 1}`, [`role-${role}`]),
    );
    signers.set(`role-${role}`, await Promise.all(holders));
  }
  const agentToken = await issuer.sign({ user: 'ledger-agent', machine: true, scopes: ['shipgate/metrics.write'] });
  return {
    manager: await person('ledger-manager', ['release-manager']),
    team: await Promise.all(Array.from({ length: TEAM }, (_, n) => person(`ledger-qa-${n + 1}`, ['qa-lead']))),
    signers,
    agent: { id: subjectOf(agentToken), token: agentToken },
  };
}

/** Imports the wide-gate template and creates the releases the mixed load works on. */
async function setUp(local: LocalProcess, manager: Person): Promise<string[]> {
  const imported = await api(local.url, 'POST', `/templates?id=${TEMPLATE_ID}`, {
    token: manager.token,
    rawBody: JSON.stringify(wideGateTemplate(TEMPLATE_ID, ROLES)),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(imported.status, 201, JSON.stringify(imported.body).slice(0, 500));
  const ids: string[] = [];
  for (let n = 1; n <= RELEASES; n += 1) {
    const created = await api(local.url, 'POST', '/releases', {
      token: manager.token,
      body: { templateId: TEMPLATE_ID, name: `ledger release ${n}`, version: '1.0.0' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    ids.push(created.body.id);
  }
  return ids;
}

/** Everything the checker compares the ledger with, read once the load is over. */
async function readBack(local: LocalProcess, manager: Person, releases: readonly string[]): Promise<Stored> {
  const get = async (path: string) => {
    const response = await api(local.url, 'GET', path, { token: manager.token });
    assert.equal(response.status, 200, `${path}: ${JSON.stringify(response.body).slice(0, 300)}`);
    return response.body;
  };
  const page = (path: string, limit: number) => (cursor: string | undefined) =>
    get(`${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  const endpoint = /DynamoDB\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(local.output())?.[1];
  assert.ok(endpoint, 'the runtime prints its DynamoDB Local endpoint');
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const store = new DynamoReleaseStore({ client, tableName: localTableName(releasesTable) });
  try {
    const events = new Map<string, AuditEvent[]>();
    const views = new Map<string, ReleaseView>();
    const samples = new Map<string, MetricSample[]>();
    for (const id of releases) {
      events.set(id, await allPages<AuditEvent>(page(`/releases/${id}/events`, 200)));
      views.set(id, await get(`/releases/${id}`));
      samples.set(id, await store.listSamples(id));
    }
    const listed = await allPages<Stored['releases'][number]>(page('/releases', 100));
    return { events, views, samples, releases: listed };
  } finally {
    client.destroy();
  }
}

/** The columns of the writes table, with their headings. */
const COLUMNS: [keyof KindCounts, string][] = [
  ['attempted', 'writes'],
  ['requests', 'requests'],
  ['acknowledged', 'acked'],
  ['refused', 'refused'],
  ['unanswered', '5xx/none'],
  ['stored', 'stored'],
  ['lost', 'lost'],
  ['duplicated', 'dup'],
  ['storedThoughRefused', 'stored-4xx'],
  ['landedUnacknowledged', 'stored-5xx'],
];

function summary(run: Run): string {
  const { entries, verdict, elapsedMs } = run;
  const latencies = entries.map((entry) => entry.ms);
  const serverErrors = entries.filter(isServerError);
  const retryable = serverErrors.filter((entry) => entry.status === 503 && entry.retryAfter);
  const total = (column: keyof KindCounts) =>
    Object.values(verdict.kinds).reduce((sum, counts) => sum + counts[column], 0);
  const signers = new Set(run.workload.writes.filter((w) => w.kind === 'signoff').map((w) => w.caller));
  const pad = (text: string | number, width: number) => String(text).padStart(width);
  const lines = [
    `ledger load: ${entries.length} requests at concurrency ${CONCURRENCY} in ${(elapsedMs / 1000).toFixed(1)} s` +
      ` = ${((entries.length * 1000) / elapsedMs).toFixed(0)} req/s (limit ${TIME_LIMIT_MS / 1000} s${run.timedOut ? ', EXCEEDED' : ''}), seed ${SEED}`,
    `  by status:    ${formatTally(tally(entries, (entry) => entry.status))}`,
    `  by operation: ${formatTally(tally(entries, (entry) => entry.op))}`,
    `  409s by type: ${formatTally(
      tally(
        entries.filter((e) => e.status === 409),
        problemType,
      ),
    )}`,
    `  latency ms:   p50 ${percentile(latencies, 50).toFixed(0)}, p95 ${percentile(latencies, 95).toFixed(0)},` +
      ` p99 ${percentile(latencies, 99).toFixed(0)}, max ${percentile(latencies, 100).toFixed(0)}`,
    `  p95 ms by operation: ${byOperation(entries)}`,
    `  ${'writes by kind'.padEnd(14)}${COLUMNS.map(([, heading]) => pad(heading, 11)).join('')}`,
    ...Object.entries(verdict.kinds).map(
      ([kind, counts]) => `    ${kind.padEnd(12)}${COLUMNS.map(([column]) => pad(counts[column], 11)).join('')}`,
    ),
    `    ${'all'.padEnd(12)}${COLUMNS.map(([column]) => pad(total(column), 11)).join('')}`,
    `  writes acknowledged ${total('acknowledged')}, stored ${total('stored')}, lost ${total('lost')},` +
      ` duplicated ${total('duplicated')}, stored though refused ${total('storedThoughRefused')}`,
    `  sign-offs by ${signers.size} distinct people; ${verdict.itemsChecked} items and ${verdict.rolesChecked} roles` +
      ` checked against their audit trail`,
    `  audit events checked ${verdict.eventsChecked}: ${formatTally(verdict.eventTypes)}`,
    `  samples checked ${verdict.samplesChecked}; releases listed ${run.stored.releases.length}`,
    `  retry scenarios ${formatTally(verdict.retryScenarios)}; waits on request-in-progress ${run.workload.inProgressWaits}; inconclusive (a 5xx among the answers) ${verdict.inconclusiveRetries}`,
    `  violations: lost ${verdict.lost.length}, duplicated ${verdict.duplicated.length}, orphans ${verdict.orphans.length},` +
      ` stored though refused ${verdict.phantoms.length}, stored though unacknowledged ${verdict.landed.length}, history ${verdict.history.length}, idempotency ${verdict.idempotency.length}`,
    `  5xx or unanswered: ${serverErrors.length} (503 with Retry-After: ${retryable.length})` +
      `${serverErrors.length ? ` ${formatTally(tally(serverErrors, (e) => `${e.status} ${e.op}`))}` : ''}`,
  ];
  return lines.join('\n');
}

/** The p95 latency of each kind of request (reads, item changes, …; every retry scenario as one). */
const byOperation = (entries: readonly LedgerEntry[]): string => {
  const groups = new Map<string, number[]>();
  for (const entry of entries) {
    const group = entry.op.split('.')[0] === 'retry' ? 'retry' : entry.op;
    const ms = groups.get(group) ?? [];
    ms.push(entry.ms);
    groups.set(group, ms);
  }
  return [...groups].map(([group, ms]) => `${group} ${percentile(ms, 95).toFixed(0)}`).join(', ');
};

const problemType = (entry: LedgerEntry): string =>
  String((entry.response as { type?: unknown } | undefined)?.type ?? 'none');

/** What the runtime logged of crashes, timeouts and outages, one line each. */
function troubles(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /crashed|timed out|"level":"(ERROR|WARN)"/.test(line))
    .map((line) => {
      try {
        const record = JSON.parse(line) as { level?: string; message?: string; timestamp?: string; error?: unknown };
        return `${record.timestamp} ${record.level} ${record.message}: ${JSON.stringify(record.error).slice(0, 700)}`;
      } catch {
        return line.slice(0, 700);
      }
    });
}

const examples = (list: readonly string[], count = 8): string =>
  `${list.length}:\n    ${list.slice(0, count).join('\n    ')}${list.length > count ? `\n    … and ${list.length - count} more` : ''}`;

interface Run {
  readonly entries: readonly LedgerEntry[];
  readonly workload: Workload;
  readonly stored: Stored;
  readonly verdict: Verdict;
  readonly elapsedMs: number;
  readonly timedOut: boolean;
}

describe('a ledger of 10,000 mixed requests at concurrency 64', () => {
  let dataDir: string | undefined;
  let local: LocalProcess | undefined;
  let run: Run | undefined;
  const result = (): Run => {
    assert.ok(run, 'the load ran');
    return run;
  };

  before(
    async () => {
      dataDir = tempDataDir();
      local = await startLocalProcess(dataDir);
      const cast = await people(dataDir);
      const releases = await setUp(local, cast.manager);
      const ledger = new Ledger(local.url);
      const workload = new Workload({
        ledger,
        rng: seededRandom(SEED),
        people: cast,
        releases,
        templateId: TEMPLATE_ID,
        requests: REQUESTS,
        run: SEED.toString(36),
      });
      const started = Date.now();
      const { timedOut } = await runPool(CONCURRENCY, () => workload.next(), started + TIME_LIMIT_MS);
      const elapsedMs = Date.now() - started;
      // A request the client gave up on may still be running: let the function's timeout (10 s) pass first.
      if (ledger.entries.some((entry) => entry.status === 0))
        await new Promise((resolve) => setTimeout(resolve, 11_000));
      const stored = await readBack(local, cast.manager, releases);
      const verdict = checkLedger({ writes: workload.writes, checks: workload.checks, stored, releases, gate: GATE });
      run = { entries: ledger.entries, workload, stored, verdict, elapsedMs, timedOut };
      console.log(summary(run));
    },
    { timeout: TIME_LIMIT_MS + 4 * 60_000 },
  );

  after(async () => {
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  it('sends every request within the time bound', () => {
    const { entries, elapsedMs, timedOut } = result();
    assert.ok(!timedOut && elapsedMs <= TIME_LIMIT_MS, `the load took ${elapsedMs} ms; the bound is ${TIME_LIMIT_MS}`);
    assert.ok(entries.length >= REQUESTS, `${entries.length} requests sent of ${REQUESTS}`);
  });

  it('answers every request, none with a 5xx', () => {
    const failures = result().entries.filter(isServerError);
    const { landed } = result().verdict;
    const described = failures.map(
      (entry) =>
        `#${entry.seq} ${entry.op} ${entry.method} ${entry.path} -> ${entry.status}` +
        `${entry.retryAfter ? ` retry-after ${entry.retryAfter}` : ''}${entry.error ? ` ${entry.error}` : ''}` +
        ` ${JSON.stringify(entry.response ?? null).slice(0, 300)}`,
    );
    assert.equal(
      failures.length,
      0,
      `5xx or unanswered ${examples(described)}\n  of which the change was stored ${examples(landed)}` +
        `\n  runtime log ${examples(troubles(local?.output() ?? ''), 5)}`,
    );
  });

  it('never answers "nothing was changed" for a write that was stored', () => {
    const { misled } = result().verdict;
    assert.equal(misled.length, 0, `misled ${examples(misled)}`);
  });

  it('loses no acknowledged write', () => {
    const { lost } = result().verdict;
    assert.equal(lost.length, 0, `lost ${examples(lost)}`);
  });

  it('stores no write twice', () => {
    const { duplicated } = result().verdict;
    assert.equal(duplicated.length, 0, `duplicated ${examples(duplicated)}`);
  });

  it('stores nothing no request asked for, and nothing of a refused request', () => {
    const { orphans, phantoms } = result().verdict;
    assert.equal(orphans.length, 0, `orphan rows or events ${examples(orphans)}`);
    assert.equal(phantoms.length, 0, `stored though refused ${examples(phantoms)}`);
  });

  it("keeps each item's and sign-off's history gapless, its stored state its last event, as answered", () => {
    const { history } = result().verdict;
    assert.equal(history.length, 0, `history ${examples(history)}`);
  });

  it('answers a retry with the same Idempotency-Key as the contract says, changing nothing', () => {
    const { idempotency, retryScenarios } = result().verdict;
    assert.ok(retryScenarios.length > 0, 'retry scenarios ran');
    assert.equal(idempotency.length, 0, `idempotency ${examples(idempotency, 6)}`);
  });
});
