// `shipgate wait` and `shipgate watch`: follow a release by polling the API. `wait` blocks until a status or a gate
// is reached (exit 0), cannot be any more (exit 1) or the timeout passes (exit 6), the way a CI job waits for a GitHub
// Environment's required reviewers; `watch` prints the timeline as it happens until the release ends. A moment of
// unavailability (a 503 with Retry-After, a refused connection) does not end either: they retry within their time.
import { stripVTControlCharacters } from 'node:util';
import type { Command } from 'commander';
import { type ShipgateClient, unwrap } from '../client.ts';
import type { CliContext } from '../context.ts';
import { CliError, EXIT, problemLine } from '../errors.ts';
import { eventLine } from '../render/events.ts';
import { span } from '../render/format.ts';
import { currentWaitingFor, releaseLine, waitingLines } from '../render/release.ts';
import type { AuditEvent, ReleaseView } from '../render/types.ts';
import {
  durationOption,
  gateIds,
  parseStatus,
  statusLine,
  targetText,
  type WaitTarget,
  waitVerdict,
  watchEnd,
} from '../render/wait.ts';

/** Answers that mean "not now": the request may be sent again. A 500 is a bug, and is not retried. */
const TRANSIENT = new Set([429, 502, 503, 504]);
/** The longest pause between two tries after transient failures. */
const MAX_BACKOFF_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

type Answer<T> = Promise<{ data?: T; error?: unknown; response: Response }>;

/** One read: its data, or why it failed for a moment (and how long the API asked to wait). */
export type Attempt<T> =
  | { readonly ok: true; readonly data: T }
  | { readonly ok: false; readonly transient: string; readonly retryAfterMs?: number | undefined };

/**
 * Sends a read once. Transient failures (no connection, 429, 502-504) come back as such; anything else (401/403,
 * 404, 400) throws its CliError as every command does.
 */
export async function attempt<T>(call: () => Answer<T>): Promise<Attempt<T>> {
  let answer: Awaited<Answer<T>>;
  try {
    answer = await call();
  } catch (error) {
    // The client throws EXIT.failed when the API cannot be reached at all; a token that cannot be had throws auth.
    if (error instanceof CliError && error.code === EXIT.failed) return { ok: false, transient: error.message };
    throw error;
  }
  if (TRANSIENT.has(answer.response.status)) {
    const seconds = Number(answer.response.headers.get('retry-after'));
    return {
      ok: false,
      transient: problemLine(answer.response.status, answer.error),
      retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined,
    };
  }
  return { ok: true, data: (await unwrap(Promise.resolve(answer))).data };
}

/** The pause before the next try: the interval, or after failures a backoff (or the API's Retry-After). */
export function nextDelay(intervalMs: number, failures: number, retryAfterMs?: number): number {
  if (failures === 0) return intervalMs;
  const backoff = Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** Math.min(failures - 1, 16));
  return Math.max(intervalMs, retryAfterMs ?? backoff);
}

const getRelease = (api: ShipgateClient, releaseId: string) => () =>
  api.GET('/releases/{releaseId}', { params: { path: { releaseId } } });

/**
 * The new events of a release's audit trail, read with the API's cursor. The trail's last page has no cursor, so
 * the follower keeps the cursor that led to that page and reads it again, skipping the events it has seen.
 */
export class EventFollower {
  #cursor: string | undefined;
  readonly #seen = new Set<string>();
  readonly #api: ShipgateClient;
  readonly #releaseId: string;
  constructor(api: ShipgateClient, releaseId: string) {
    this.#api = api;
    this.#releaseId = releaseId;
  }

  /** Marks events as seen (those printed before following). */
  skip(events: readonly AuditEvent[]): void {
    for (const event of events) this.#seen.add(event.id);
  }

  /** Every event after those seen; a transient failure part-way keeps what was read. */
  async next(): Promise<{ events: AuditEvent[]; failure?: Extract<Attempt<unknown>, { ok: false }> }> {
    const events: AuditEvent[] = [];
    for (;;) {
      const cursor = this.#cursor;
      const page = await attempt(() =>
        this.#api.GET('/releases/{releaseId}/events', {
          params: { path: { releaseId: this.#releaseId }, query: { limit: 200, ...(cursor ? { cursor } : {}) } },
        }),
      );
      if (!page.ok) return { events, failure: page };
      for (const event of page.data.items) {
        if (this.#seen.has(event.id)) continue;
        this.#seen.add(event.id);
        events.push(event);
      }
      if (!page.data.cursor) return { events };
      this.#cursor = page.data.cursor;
    }
  }
}

/** Says a transient failure once per outage, and when it is over. */
function outageReporter(out: CliContext['out']) {
  let down: string | undefined;
  return {
    failed(reason: string) {
      if (down !== reason) out.error(`shipgate: ${reason}; trying again`);
      down = reason;
    },
    recovered() {
      if (down !== undefined) out.error('shipgate: Shipgate answers again');
      down = undefined;
    },
  };
}

interface WaitOptions {
  until?: ReturnType<typeof parseStatus>;
  gate?: string;
  timeout?: number;
  interval: number;
}

function waitTarget(options: WaitOptions): WaitTarget {
  if ((options.until === undefined) === (options.gate === undefined)) {
    throw new CliError(EXIT.usage, 'give exactly one of --until <status> and --gate <gate>');
  }
  return options.until !== undefined
    ? { kind: 'status', status: options.until }
    : { kind: 'gate', gate: options.gate ?? '' };
}

async function waitCommand(context: CliContext, releaseId: string, options: WaitOptions): Promise<void> {
  const { api, out } = context;
  const target = waitTarget(options);
  const started = Date.now();
  const deadline = options.timeout === undefined ? Number.POSITIVE_INFINITY : started + options.timeout;
  const outage = outageReporter(out);
  let view: ReleaseView | undefined;
  let failures = 0;
  let lastFailure: string | undefined;
  let said = '';
  const result = (outcome: string, reason: string) => ({
    releaseId,
    waitedFor: target.kind === 'status' ? { status: target.status } : { gate: target.gate },
    outcome,
    reason,
    waitedMs: Date.now() - started,
    waitingFor: view ? (currentWaitingFor(view) ?? null) : null,
    release: view ?? null,
  });
  for (;;) {
    const got = await attempt(getRelease(api, releaseId));
    let retryAfter: number | undefined;
    if (got.ok) {
      outage.recovered();
      failures = 0;
      view = got.data;
      if (target.kind === 'gate' && !gateIds(view).includes(target.gate)) {
        throw new CliError(
          EXIT.notFound,
          `release ${releaseId} has no gate '${target.gate}' (its gates: ${gateIds(view).join(', ')})`,
        );
      }
      const verdict = waitVerdict(view, target);
      if (verdict.state === 'reached') {
        const reached = view;
        out.result(
          result('reached', verdict.reason),
          () => `Reached ${targetText(target)}: ${verdict.reason}\n${releaseLine(reached)}`,
        );
        return;
      }
      if (verdict.state === 'impossible') {
        out.result(result('impossible', verdict.reason), () => releaseLine(view as ReleaseView));
        throw new CliError(EXIT.failed, `${targetText(target)} can no longer be reached: ${verdict.reason}`);
      }
      // Say what the release waits for when it changes, so a CI log shows the wait moving.
      const now = statusLine(view);
      if (now !== said) out.note(`waiting for ${targetText(target)}: ${stripVTControlCharacters(now)}`);
      said = now;
    } else {
      failures += 1;
      lastFailure = got.transient;
      retryAfter = got.retryAfterMs;
      outage.failed(got.transient);
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(left, nextDelay(options.interval, failures, retryAfter)));
  }
  const waited = span(Date.now() - started);
  const still = view ? ` (release ${view.status})` : '';
  const why = !view && lastFailure ? `; Shipgate did not answer: ${lastFailure}` : '';
  const reason = `timed out after ${waited} waiting for ${targetText(target)}${still}${why}`;
  if (out.json) out.result(result('timed-out', reason), () => '');
  else if (view) out.error(waitingLines(view).join('\n'));
  throw new CliError(EXIT.timedOut, reason);
}

interface WatchOptions {
  interval: number;
  timeout?: number;
  new?: boolean;
}

async function watchCommand(context: CliContext, releaseId: string, options: WatchOptions): Promise<void> {
  const { api, out, streams } = context;
  const tty = !out.json && streams.stdout.isTTY === true;
  const plain = (text: string) => (out.color ? text : stripVTControlCharacters(text));
  const write = (text: string) => streams.stdout.write(text);
  let status = '';
  // On a terminal the last line is a status line, redrawn in place; anything printed clears it first.
  const clearStatus = () => {
    if (tty && status) write('\r\u001b[2K');
  };
  const drawStatus = (view: ReleaseView) => {
    if (!tty) return;
    clearStatus();
    status = plain(`${statusLine(view)}`);
    write(status);
  };
  const line = (text: string) => {
    clearStatus();
    write(`${plain(text)}\n`);
    if (tty && status) write(status);
  };
  const ndjson = (value: unknown) => write(`${JSON.stringify(value)}\n`);

  const started = Date.now();
  const deadline = options.timeout === undefined ? Number.POSITIVE_INFINITY : started + options.timeout;
  const outage = outageReporter(out);
  const follower = new EventFollower(api, releaseId);
  // The release must exist: its first reading fails as any command does.
  let view = (await unwrap(getRelease(api, releaseId)())).data;
  if (!out.json) line(`Watching ${releaseLine(view)}`);
  if (options.new) {
    const history = await follower.next();
    if (history.failure) throw new CliError(EXIT.failed, history.failure.transient);
    follower.skip(history.events);
  }
  let failures = 0;
  let retryAfter: number | undefined;
  for (;;) {
    // The release first, then its events: the events of its last change are written with it, so none is missed.
    const got = await attempt(getRelease(api, releaseId));
    const read = got.ok ? await follower.next() : undefined;
    for (const event of read?.events ?? []) {
      if (out.json) ndjson({ event });
      else line(eventLine(event));
    }
    const failure = !got.ok ? got : read?.failure;
    if (failure) {
      failures += 1;
      retryAfter = failure.retryAfterMs;
      outage.failed(failure.transient);
    } else {
      failures = 0;
      outage.recovered();
    }
    if (got.ok) {
      view = got.data;
      const end = failure ? undefined : watchEnd(view);
      if (end) {
        clearStatus();
        status = '';
        if (out.json) ndjson({ release: view });
        else line(`Ended ${releaseLine(view)}`);
        if (end.code !== 0) throw new CliError(EXIT.failed, end.reason);
        return;
      }
      drawStatus(view);
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(left, nextDelay(options.interval, failures, retryAfter)));
  }
  clearStatus();
  status = '';
  if (out.json) ndjson({ release: view });
  else out.error(waitingLines(view).join('\n'));
  throw new CliError(
    EXIT.timedOut,
    `timed out after ${span(Date.now() - started)} watching release ${releaseId} (${view.status})`,
  );
}

export function follow(program: Command, context: () => CliContext): void {
  program
    .command('wait')
    .description(
      'block until a release reaches a status or a gate is satisfied (exit 0), cannot any more (1), or time runs out (6)',
    )
    .argument('<release>', 'the release id')
    .option('--until <status>', 'a status, e.g. DEPLOYING: reached also when the release has gone past it', parseStatus)
    .option(
      '--gate <gate>',
      'a gate id, e.g. pre-release: reached when it is satisfied or passed; exit 1 when rejected',
    )
    .option(
      '--timeout <duration>',
      'give up after this long, with exit 6 (e.g. 90s, 15m, 2h, 1h30m, 1d; default: never)',
      durationOption(),
    )
    .option('--interval <duration>', 'how often to ask (e.g. 5s, 200ms)', durationOption(10), 5000)
    .addHelpText(
      'after',
      '\nStatuses move PRE_RELEASE, STAGING, DEPLOYING, MONITORING, CONFIRMING, COMPLETED; a rollback moves' +
        '\nROLLBACK_REQUESTED, ROLLING_BACK, then ROLLED_BACK or ROLLBACK_FAILED. Waiting for a forward status ends' +
        '\nwith exit 1 as soon as the release is rolled back or cancelled. On a timeout, what the release still waits' +
        '\nfor is printed. A 503 or a refused connection is tried again until the timeout; an auth failure exits 3.' +
        '\nWith --json, one object: {outcome: reached | impossible | timed-out, reason, waitingFor, release}.' +
        '\nExamples:\n' +
        '  shipgate wait $RELEASE --gate production --timeout 2h\n' +
        '  shipgate wait $RELEASE --until DEPLOYING --timeout 30m --interval 10s',
    )
    .action(async (releaseId: string, options: WaitOptions) => waitCommand(context(), releaseId, options));

  program
    .command('watch')
    .description('follow a release live: its timeline as it happens, until it ends (exit 0 completed, 1 otherwise)')
    .argument('<release>', 'the release id')
    .option('--interval <duration>', 'how often to ask (e.g. 5s, 500ms)', durationOption(10), 5000)
    .option('--timeout <duration>', 'stop after this long, with exit 6 (default: never)', durationOption())
    .option('--new', 'print only the events from now on, not the timeline so far')
    .addHelpText(
      'after',
      '\nWith --json, one JSON object a line: {"event": …} for each audit event, then {"release": …} at the end.' +
        '\nExample:\n  shipgate watch $RELEASE --interval 2s',
    )
    .action(async (releaseId: string, options: WatchOptions) => watchCommand(context(), releaseId, options));
}
