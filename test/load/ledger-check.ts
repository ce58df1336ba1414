// The checker of the ledger load test: every write the ledger recorded against what is stored (items, sign-offs,
// releases, samples) and the audit trail; every stored row and event against a request that asked for it; and every
// retry's answers against the Idempotency-Key contract.
import { isDeepStrictEqual } from 'node:util';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import type { AuditEvent } from '../../lambdas/core/release/release.ts';
import type { ReleaseView } from '../../lambdas/core/release/view.ts';
import { leaves } from '../support/drive.ts';
import { is2xx, isReplayOf, type LedgerEntry, tally } from '../support/ledger.ts';
import { isInProgress, type RetryCheck, type Write, type WriteKind } from './ledger-workload.ts';

/** What the checker reads back once the load is over. */
export interface Stored {
  /** Each release's audit trail, every page. */
  readonly events: ReadonlyMap<string, readonly AuditEvent[]>;
  /** Each release as GET /releases/{id} answers it. */
  readonly views: ReadonlyMap<string, ReleaseView>;
  /** Each release's metric samples, as the store keeps them. */
  readonly samples: ReadonlyMap<string, readonly MetricSample[]>;
  /** Every release GET /releases lists. */
  readonly releases: readonly { id: string; name: string; createdBy: { id: string } }[];
}

export interface KindCounts {
  attempted: number;
  requests: number;
  acknowledged: number;
  refused: number;
  unanswered: number;
  stored: number;
  lost: number;
  duplicated: number;
  storedThoughRefused: number;
  landedUnacknowledged: number;
}

export interface Verdict {
  readonly kinds: Record<WriteKind, KindCounts>;
  readonly lost: string[];
  readonly duplicated: string[];
  /** Stored, yet every attempt was refused (4xx): a refusal that changed something. */
  readonly phantoms: string[];
  /** Stored, though no attempt was acknowledged (a 5xx or no answer): the caller was told nothing, or that nothing changed. */
  readonly landed: string[];
  /** Stored, though an attempt was answered "nothing was changed" (503 service-unavailable). */
  readonly misled: string[];
  /** Stored rows and audit events no request asked for. */
  readonly orphans: string[];
  /** Item and sign-off histories with a gap or a repeat, or a stored state other than their last event. */
  readonly history: string[];
  readonly idempotency: string[];
  /** Retry scenarios with a 5xx or an unanswered request among their answers: those fail the 5xx check instead. */
  inconclusiveRetries: number;
  readonly eventsChecked: number;
  readonly eventTypes: [string, number][];
  readonly samplesChecked: number;
  readonly itemsChecked: number;
  readonly rolesChecked: number;
  readonly retryScenarios: [string, number][];
}

const SYSTEM_ACTOR = 'shipgate';

/** A 5xx, or no answer at all (the connection failed or the client gave up). */
export const isServerError = (entry: Pick<LedgerEntry, 'status'>): boolean => entry.status >= 500 || entry.status === 0;

const problemType = (entry: LedgerEntry): unknown => (entry.response as { type?: unknown } | undefined)?.type;

/** The server says the change is stored (an earlier attempt's, or this one's before a later step failed). */
const isAlreadyApplied = (entry: LedgerEntry): boolean =>
  (entry.status === 409 && problemType(entry) === '/problems/request-already-applied') ||
  (entry.status === 503 && problemType(entry) === '/problems/change-stored');

const emptyCounts = (): KindCounts => ({
  attempted: 0,
  requests: 0,
  acknowledged: 0,
  refused: 0,
  unanswered: 0,
  stored: 0,
  lost: 0,
  duplicated: 0,
  storedThoughRefused: 0,
  landedUnacknowledged: 0,
});

const brief = (entry: LedgerEntry | undefined): string =>
  entry
    ? `#${entry.seq} ${entry.method} ${entry.path} -> ${entry.status}${entry.replayed ? ` (replayed ${entry.replayed})` : ''}` +
      `${entry.error ? ` ${entry.error}` : ''} ${JSON.stringify(entry.response ?? null).slice(0, 300)}`
    : '(none)';

const noteOf = (event: AuditEvent): string | undefined => {
  const evidence = event.data.evidence as { note?: unknown } | undefined;
  return typeof evidence?.note === 'string' ? evidence.note : undefined;
};

/** Matches the audit events of item changes and sign-offs to the writes whose marker they carry. */
function matchEvents(stored: Stored, writes: ReadonlyMap<string, Write>, verdict: Verdict) {
  const found = new Map<string, AuditEvent[]>();
  const types: AuditEvent[] = [];
  for (const [releaseId, events] of stored.events) {
    for (const event of events) {
      types.push(event);
      const marker =
        event.type === 'item.updated'
          ? noteOf(event)
          : event.type === 'signoff.recorded' || event.type === 'signoff.withdrawn'
            ? String(event.data.comment ?? '')
            : undefined;
      if (marker === undefined && event.type !== 'item.updated') continue;
      const write = writes.get(`${marker}@${event.actor.id}`);
      if (!write || write.releaseId !== releaseId || event.type === 'signoff.withdrawn') {
        verdict.orphans.push(`${releaseId}: ${event.type} by ${event.actor.id} ${JSON.stringify(event.data)}`);
        continue;
      }
      found.set(write.id, [...(found.get(write.id) ?? []), event]);
    }
  }
  return { found, all: types };
}

/** How often each sample of each metrics write is stored (by its value, `seq * 100 + n`), and the samples no write sent. */
function matchSamples(stored: Stored, bySeq: ReadonlyMap<number, Write>, verdict: Verdict) {
  const found = new Map<string, MetricSample[][]>();
  let checked = 0;
  for (const [releaseId, samples] of stored.samples) {
    for (const sample of samples) {
      checked += 1;
      const write = bySeq.get(Math.floor(sample.value / 100));
      const n = sample.value % 100;
      const sent = write?.samples?.[n];
      if (write?.kind !== 'metrics' || write.releaseId !== releaseId || sent?.name !== sample.name) {
        verdict.orphans.push(`${releaseId}: sample ${JSON.stringify(sample)}`);
        continue;
      }
      if (sent.at !== undefined && sent.at !== sample.at) {
        verdict.history.push(`${write.id}: sample ${n} stored at ${sample.at}, sent at ${sent.at}`);
      }
      const perSample = found.get(write.id) ?? (write.samples ?? []).map(() => []);
      perSample[n]?.push(sample);
      found.set(write.id, perSample);
    }
  }
  return { found, checked };
}

/** How many times a write is stored; -1: a metrics batch stored in part. */
function storedCount(
  write: Write,
  events: ReadonlyMap<string, AuditEvent[]>,
  samples: ReadonlyMap<string, MetricSample[][]>,
  releases: Stored['releases'],
): number {
  if (write.kind === 'create') {
    return releases.filter((release) => release.name === write.marker && release.createdBy.id === write.caller).length;
  }
  if (write.kind !== 'metrics') return events.get(write.id)?.length ?? 0;
  const perSample = samples.get(write.id)?.map((list) => list.length) ?? [0];
  const most = Math.max(...perSample);
  const least = Math.min(...perSample);
  return least === 0 && most > 0 ? -1 : most;
}

/** The stored event or row says what the acknowledged answer said. */
function checkContent(write: Write, events: readonly AuditEvent[] | undefined, verdict: Verdict): void {
  const ack = write.attempts.find(is2xx);
  const event = events?.[0];
  if (!ack) return;
  const answer = ack.response as { version?: number; signoff?: { version?: number } } | undefined;
  if (write.kind === 'item' && event) {
    const same =
      event.data.itemId === write.itemId &&
      event.data.to === write.body.status &&
      event.data.version === answer?.version;
    if (!same) verdict.history.push(`${write.id}: answered ${brief(ack)} but audited ${JSON.stringify(event.data)}`);
  }
  if (write.kind === 'signoff' && event) {
    const same =
      event.data.role === write.role &&
      event.data.decision === write.body.decision &&
      event.data.version === answer?.signoff?.version;
    if (!same) verdict.history.push(`${write.id}: answered ${brief(ack)} but audited ${JSON.stringify(event.data)}`);
  }
}

const gapless = (versions: readonly number[]) => versions.every((version, n) => version === n + 1);

/** Each item's and role's history is versions 1..n, once each, and the stored state is its last event. */
function checkHistories(stored: Stored, releases: readonly string[], gate: string, verdict: Verdict) {
  let items = 0;
  let roles = 0;
  for (const releaseId of releases) {
    const events = stored.events.get(releaseId) ?? [];
    const view = stored.views.get(releaseId);
    if (!view) {
      verdict.history.push(`${releaseId}: not readable after the load`);
      continue;
    }
    for (const item of leaves(view)) {
      items += 1;
      const trail = events
        .filter((event) => event.type === 'item.updated' && event.data.itemId === item.id)
        .sort((a, b) => Number(a.data.version) - Number(b.data.version));
      const versions = trail.map((event) => Number(event.data.version));
      const last = trail.at(-1);
      const stateMatches = last
        ? item.version === versions.length && item.status === last.data.to && item.evidence?.note === noteOf(last)
        : (item.version ?? 0) === 0 && item.status === 'pending';
      if (!gapless(versions) || !stateMatches) {
        verdict.history.push(
          `${releaseId}/${item.id}: audited versions [${versions.join(',')}], stored v${item.version} ${item.status} ${item.evidence?.note ?? ''}`,
        );
      }
    }
    const signoffs = view.phases.find((phase) => phase.gate?.id === gate)?.gate?.signoffs ?? [];
    for (const signoff of signoffs) {
      roles += 1;
      const trail = events
        .filter((event) => event.type.startsWith('signoff.') && event.data.role === signoff.role)
        .sort((a, b) => Number(a.data.version) - Number(b.data.version));
      const versions = trail.map((event) => Number(event.data.version));
      const last = trail.at(-1);
      const stateMatches = last
        ? signoff.decision === last.data.decision &&
          signoff.by?.id === last.actor.id &&
          signoff.comment === last.data.comment
        : signoff.decision === 'pending';
      if (!gapless(versions) || !stateMatches) {
        verdict.history.push(
          `${releaseId}/${gate}/${signoff.role}: audited versions [${versions.join(',')}], stored ${signoff.decision} by ${signoff.by?.id} ${signoff.comment ?? ''}`,
        );
      }
    }
  }
  return { items, roles };
}

/** How an answer differs from the one it should replay. */
function differences(retry: LedgerEntry, first: LedgerEntry): string {
  const found = [
    retry.replayed === 'true' ? '' : `idempotency-replayed is ${retry.replayed ?? 'absent'}`,
    retry.status === first.status ? '' : `status ${retry.status}, not ${first.status}`,
    retry.location === first.location ? '' : `location ${retry.location}, not ${first.location}`,
    isDeepStrictEqual(retry.response, first.response) ? '' : 'another body',
  ];
  return found.filter((part) => part !== '').join('; ');
}

/** Each retry scenario's answers against the Idempotency-Key contract. */
function checkRetries(checks: readonly RetryCheck[], verdict: Verdict): void {
  for (const check of checks) {
    const [first, second] = check.answers;
    const fail = (why: string) =>
      verdict.idempotency.push(`${check.scenario}: ${why}\n      ${check.answers.map(brief).join('\n      ')}`);
    if (!first || !second) {
      fail('not every request was answered');
      continue;
    }
    if (check.answers.some(isServerError)) {
      verdict.inconclusiveRetries += 1;
      continue;
    }
    if (first.replayed === 'true' && check.expect !== 'concurrent') fail('a first request was answered as a replay');
    switch (check.expect) {
      case 'sequential':
        if (is2xx(first) && !isReplayOf(second, first))
          fail(`the retry is not the first answer, replayed: ${differences(second, first)}`);
        if (!is2xx(first) && second.replayed === 'true') fail('an error was replayed: it should leave the key free');
        break;
      case 'rerun':
        if (first.status !== 409) fail('the change expecting a later version was not refused with 409');
        else if (!is2xx(second) || second.replayed === 'true') fail('the retry after an error did not run again');
        break;
      case 'concurrent': {
        const ran = check.answers.filter((answer) => is2xx(answer) && answer.replayed !== 'true');
        const source = ran[0];
        if (ran.length !== 1 || !source) {
          fail(`${ran.length} of the answers ran the request; exactly one should have`);
          break;
        }
        const others = check.answers.filter((answer) => answer !== source);
        const bad = others.filter(
          (answer) => !isReplayOf(answer, source) && !(isInProgress(answer) && answer.retryAfter),
        );
        if (bad.length > 0) fail('an answer is neither a replay nor a 409 request-in-progress with Retry-After');
        const last = check.answers.at(-1);
        if (last && isInProgress(last)) fail('still in progress after five waits');
        break;
      }
      case 'reused': {
        const type = (second.response as { type?: unknown } | undefined)?.type;
        if (second.status !== 422 || type !== '/problems/idempotency-key-reused') {
          fail('the same key with another body was not refused with 422 /problems/idempotency-key-reused');
        }
        break;
      }
      case 'other-caller':
        if (!is2xx(first) || !is2xx(second) || second.replayed === 'true') {
          fail("another caller's request with the same key did not run as its own");
        }
        break;
    }
  }
}

/** Checks every write of the ledger against what is stored, and what is stored against the ledger. */
export function checkLedger(options: {
  readonly writes: readonly Write[];
  readonly checks: readonly RetryCheck[];
  readonly stored: Stored;
  /** The releases the mixed load wrote to. */
  readonly releases: readonly string[];
  readonly gate: string;
}): Verdict {
  const { writes, stored } = options;
  const verdict: Verdict = {
    kinds: { item: emptyCounts(), signoff: emptyCounts(), metrics: emptyCounts(), create: emptyCounts() },
    lost: [],
    duplicated: [],
    phantoms: [],
    landed: [],
    misled: [],
    orphans: [],
    history: [],
    idempotency: [],
    inconclusiveRetries: 0,
    eventsChecked: 0,
    eventTypes: [],
    samplesChecked: 0,
    itemsChecked: 0,
    rolesChecked: 0,
    retryScenarios: tally(options.checks, (check) => check.scenario),
  };
  const byId = new Map(writes.map((write) => [write.id, write]));
  const bySeq = new Map(writes.filter((write) => write.kind === 'metrics').map((write) => [write.seq, write]));
  const events = matchEvents(stored, byId, verdict);
  const samples = matchSamples(stored, bySeq, verdict);
  const marked = new Set(writes.filter((write) => write.kind === 'create').map((write) => write.marker));
  for (const release of stored.releases) {
    if (release.name.startsWith('ledger w') && !marked.has(release.name)) {
      verdict.orphans.push(`release ${release.id} named ${release.name}`);
    }
  }
  for (const write of writes) {
    const counts = verdict.kinds[write.kind];
    counts.attempted += 1;
    counts.requests += write.attempts.length;
    // 409 request-already-applied says the change of an earlier attempt is stored: as good as a 2xx for the count.
    const acknowledged = write.attempts.some((entry) => is2xx(entry) || isAlreadyApplied(entry));
    const refused = !acknowledged && write.attempts.every((entry) => entry.status >= 400 && entry.status < 500);
    const count = storedCount(write, events.found, samples.found, stored.releases);
    const attempts = () => write.attempts.map(brief).join('\n      ');
    if (acknowledged) counts.acknowledged += 1;
    else if (refused) counts.refused += 1;
    else counts.unanswered += 1;
    if (count !== 0) counts.stored += 1;
    if (count === -1) {
      counts.lost += 1;
      verdict.lost.push(`${write.id}: a batch stored in part\n      ${attempts()}`);
    } else if (count > 1) {
      counts.duplicated += 1;
      verdict.duplicated.push(`${write.id}: stored ${count} times\n      ${attempts()}`);
    } else if (acknowledged && count === 0) {
      counts.lost += 1;
      verdict.lost.push(`${write.id}: acknowledged, not stored\n      ${attempts()}`);
    } else if (refused && count > 0) {
      counts.storedThoughRefused += 1;
      verdict.phantoms.push(`${write.id}: refused, yet stored\n      ${attempts()}`);
    } else if (!acknowledged && !refused && count > 0) {
      counts.landedUnacknowledged += 1;
      const key = write.attempts.some((entry) => entry.key !== undefined) ? 'with' : 'without';
      verdict.landed.push(
        `${write.id}: stored, though not acknowledged (sent ${key} Idempotency-Key)\n      ${attempts()}`,
      );
      if (write.attempts.some((entry) => problemType(entry) === '/problems/service-unavailable')) {
        verdict.misled.push(`${write.id}: stored, though answered "nothing was changed"\n      ${attempts()}`);
      }
    }
    if (count === 1) checkContent(write, events.found.get(write.id), verdict);
    if (write.kind === 'metrics' && write.withTimestamps === false && count === 1) {
      const times = new Set(samples.found.get(write.id)?.flatMap((list) => list.map((sample) => sample.at)));
      if (times.size !== 1) verdict.history.push(`${write.id}: one batch stamped with ${times.size} times`);
    }
  }
  const histories = checkHistories(stored, options.releases, options.gate, verdict);
  checkRetries(options.checks, verdict);
  return {
    ...verdict,
    eventsChecked: events.all.length,
    eventTypes: tally(events.all, (event) =>
      event.actor.id === SYSTEM_ACTOR && event.type === 'item.updated' ? 'item.updated (by shipgate)' : event.type,
    ),
    samplesChecked: samples.checked,
    itemsChecked: histories.items,
    rolesChecked: histories.roles,
  };
}
