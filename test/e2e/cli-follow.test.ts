// `shipgate wait` and `shipgate watch` end to end, in-process through run() with captured streams, against one local
// runtime while the test drives the release through the API at the same time: a wait that times out and says what
// the gate still needs, one that is reached once the gate is signed, one that ends with exit 1 when the release is
// cancelled or rolled back, the usage and not-found exits, a moment of unavailability (503s from a stand-in proxy,
// a closed port), and `watch` printing a release's timeline, as text and as NDJSON, until it ends.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { run } from '../../cli/main.ts';
import type { Streams } from '../../cli/output.ts';
import { WEB_CHECKLIST } from '../support/cli-fixtures.ts';
import { type Driver, drive, localRuntimeForSuite, read, satisfy, until } from '../support/drive.ts';
import { api, tokenFor } from '../support/local-process.ts';

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** How long the command ran, in ms. */
  readonly ms: number;
}

/** The start of an ANSI escape (a colour), ESC `[`. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

const show = (ran: Ran) => `exit ${ran.code} after ${ran.ms} ms\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}`;
// biome-ignore lint/suspicious/noExplicitAny: --json answers are asserted field by field
const json = (ran: Ran): any => JSON.parse(ran.stdout);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The one line `shipgate: …` (or commander's `error: …`) of a failure. */
const failureLine = (ran: Ran): string => {
  const lines = ran.stderr.split('\n').filter((line) => line.startsWith('shipgate: ') || line.startsWith('error: '));
  assert.equal(lines.length, 1, `one failure line:\n${show(ran)}`);
  return lines[0] ?? '';
};

/** How many lines of `text` match `pattern`. */
const count = (text: string, pattern: RegExp) => text.split('\n').filter((line) => pattern.test(line)).length;

describe('shipgate wait and watch against the local runtime', () => {
  // x600: whatever the template times (escalation, windows) passes in seconds; gates and steps move as soon as
  // they are satisfied.
  const runtime = localRuntimeForSuite({ SHIPGATE_TIME_SCALE: '600' });
  let d: Driver;
  let work: string;
  let rm: string;

  before(async () => {
    d = runtime.d;
    work = mkdtempSync(join(tmpdir(), 'shipgate-cli-follow-'));
    rm = await tokenFor(d.local.dataDir, 'rita', ['release-manager']);
    const checklist = join(work, 'web-release.md');
    writeFileSync(checklist, WEB_CHECKLIST);
    const imported = await cli(['templates', 'import', checklist, '--id', 'web-follow']);
    assert.equal(imported.code, 0, show(imported));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs `shipgate argv` with captured streams, as the release manager, against `url` (the runtime by default). */
  async function cli(argv: readonly string[], options: { url?: string } = {}): Promise<Ran> {
    const out = { stdout: '', stderr: '' };
    const streams: Streams = {
      stdout: { write: (text: string) => (out.stdout += text), isTTY: false },
      stderr: { write: (text: string) => (out.stderr += text) },
      env: {
        SHIPGATE_URL: options.url ?? d.local.url,
        SHIPGATE_CONFIG_DIR: join(work, 'config'),
        SHIPGATE_TOKEN: rm,
      },
      stdin: Readable.from([]),
    };
    const started = Date.now();
    const code = await run(argv, streams);
    const ran = { code, ...out, ms: Date.now() - started };
    assert.doesNotMatch(`${ran.stdout}${ran.stderr}`, ANSI, show(ran));
    return ran;
  }

  /** A new release of the web template, as the release manager: its id. */
  async function created(name: string): Promise<string> {
    const ran = await cli([
      'releases',
      'create',
      '--template',
      'web-follow',
      '--name',
      name,
      '--version',
      '1.0.0',
      '-q',
    ]);
    assert.equal(ran.code, 0, show(ran));
    return ran.stdout.trim();
  }

  describe('wait', () => {
    it('times out with exit 6 on a gate nobody signs, and says what it still waits for', async () => {
      const id = await created('Web unsigned');
      const ran = await cli(['wait', id, '--gate', 'pre-release', '--timeout', '2s', '--interval', '200ms']);
      assert.equal(ran.code, 6, show(ran));
      assert.ok(ran.ms >= 2000, `waited the whole timeout: ${show(ran)}`);
      assert.match(
        failureLine(ran),
        /^shipgate: timed out after 2s waiting for gate pre-release \(release PRE_RELEASE\)$/,
      );
      assert.match(
        ran.stderr,
        /^Waiting for {2}gate 'pre-release' needs 2 items; sign-off by qa-lead, security-lead$/m,
      );
      assert.match(ran.stderr, /^ {4}○ run-the-full-test-suite {2}Run the full test suite$/m);
      assert.match(ran.stderr, /^ {4}○ link-every-pull-request {2}Link every pull request$/m);
      assert.match(ran.stderr, /^ {2}missing sign-offs {2}qa-lead, security-lead$/m);
      // Progress is said when it changes: it did not, so once.
      assert.equal(
        count(
          ran.stdout,
          /^waiting for gate pre-release: PRE_RELEASE · phase pre-release · gate 'pre-release' needs 2/,
        ),
        1,
        show(ran),
      );

      const asJson = await cli([
        '--json',
        'wait',
        id,
        '--gate',
        'pre-release',
        '--timeout',
        '1s',
        '--interval',
        '200ms',
      ]);
      assert.equal(asJson.code, 6, show(asJson));
      const body = json(asJson);
      assert.equal(body.outcome, 'timed-out');
      assert.equal(body.releaseId, id);
      assert.deepEqual(body.waitedFor, { gate: 'pre-release' });
      assert.ok(body.waitedMs >= 1000, String(body.waitedMs));
      assert.equal(body.waitingFor.kind, 'gate');
      assert.equal(body.waitingFor.gate, 'pre-release');
      assert.deepEqual(body.waitingFor.missingSignoffs, ['qa-lead', 'security-lead']);
      assert.deepEqual(body.waitingFor.missingItems.map((item: { id: string }) => item.id).sort(), [
        'link-every-pull-request',
        'run-the-full-test-suite',
      ]);
      assert.equal(body.release.status, 'PRE_RELEASE');
      assert.match(body.reason, /^timed out after 1s waiting for gate pre-release/);
      // With --json, the progress lines go to stderr: stdout is one document.
      assert.match(asJson.stderr, /^waiting for gate pre-release: /m);
    });

    it('is reached (exit 0) once the team ticks the items and signs the gate while it waits', async () => {
      const id = await created('Web signed while waiting');
      const delayMs = 1000;
      const untilDeploying = cli(['wait', id, '--until', 'DEPLOYING', '--timeout', '60s', '--interval', '300ms']);
      const gate = cli(['--json', 'wait', id, '--gate', 'pre-release', '--timeout', '60s', '--interval', '300ms']);
      await pause(delayMs);
      await satisfy(d, await read(d, id));

      const ran = await untilDeploying;
      assert.equal(ran.code, 0, show(ran));
      assert.ok(ran.ms >= delayMs, `it waited for the sign-off: ${show(ran)}`);
      assert.match(ran.stdout, /^waiting for DEPLOYING: PRE_RELEASE · phase pre-release · gate 'pre-release' needs/m);
      assert.match(ran.stdout, new RegExp(`^Reached DEPLOYING: release ${id} is DEPLOYING$`, 'm'));
      assert.match(
        ran.stdout,
        new RegExp(`^${id} {2}Web signed while waiting 1\\.0\\.0 {2}DEPLOYING {2}phase deployment$`, 'm'),
      );
      assert.equal(ran.stderr, '');

      const signed = await gate;
      assert.equal(signed.code, 0, show(signed));
      const body = json(signed);
      assert.equal(body.outcome, 'reached');
      assert.deepEqual(body.waitedFor, { gate: 'pre-release' });
      assert.match(body.reason, /^gate pre-release (is satisfied|passed: release .* is DEPLOYING)$/);
      assert.ok(body.waitedMs >= delayMs, String(body.waitedMs));
      // Already there: reached at the first reading.
      const again = await cli(['wait', id, '--until', 'pre-release', '--interval', '5s']);
      assert.equal(again.code, 0, show(again));
      assert.match(
        again.stdout,
        new RegExp(`^Reached PRE_RELEASE: release ${id} is DEPLOYING, past PRE_RELEASE$`, 'm'),
      );
      assert.ok(again.ms < 5000, 'no pause before the first reading');
    });

    it('ends with exit 1 when the release is cancelled, or rolled back, while it waits for COMPLETED', async () => {
      const cancelled = await created('Web cancelled while waiting');
      const waiting = cli(['wait', cancelled, '--until', 'COMPLETED', '--timeout', '30s', '--interval', '200ms']);
      await pause(500);
      const cancel = await api(d.local.url, 'POST', `/releases/${cancelled}/cancel`, {
        token: rm,
        body: { reason: 'superseded' },
      });
      assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
      const ran = await waiting;
      assert.equal(ran.code, 1, show(ran));
      assert.equal(
        failureLine(ran),
        `shipgate: COMPLETED can no longer be reached: release ${cancelled} was cancelled: it will not reach COMPLETED`,
      );
      assert.match(ran.stdout, new RegExp(`^${cancelled} .* CANCELLED {2}phase pre-release$`, 'm'));

      const rolled = await created('Web rolled back while waiting');
      await drive(d, rolled, ['PRE_RELEASE']);
      await until(d, rolled, 'DEPLOYING', (view) => view.status === 'DEPLOYING');
      const waitingJson = cli([
        '--json',
        'wait',
        rolled,
        '--until',
        'COMPLETED',
        '--timeout',
        '30s',
        '--interval',
        '200ms',
      ]);
      await pause(500);
      const rollback = await api(d.local.url, 'POST', `/releases/${rolled}/rollback`, {
        token: rm,
        body: { reason: 'the API answers 500s' },
      });
      assert.equal(rollback.status, 200, JSON.stringify(rollback.body));
      const back = await waitingJson;
      assert.equal(back.code, 1, show(back));
      assert.match(
        failureLine(back),
        new RegExp(
          `^shipgate: COMPLETED can no longer be reached: release ${rolled} is (ROLLBACK_REQUESTED|ROLLING_BACK|ROLLED_BACK) \\(it (is being|was) rolled back: "the API answers 500s"\\): it will not reach COMPLETED$`,
        ),
      );
      const body = json(back);
      assert.equal(body.outcome, 'impossible');
      assert.match(body.release.status, /^(ROLLBACK_REQUESTED|ROLLING_BACK|ROLLED_BACK)$/);
    });

    it('exits 4 for a gate the release does not have, and 2 for bad arguments', async () => {
      const id = await created('Web usage');
      const noGate = await cli(['wait', id, '--gate', 'production', '--timeout', '5s']);
      assert.equal(noGate.code, 4, show(noGate));
      assert.equal(
        failureLine(noGate),
        `shipgate: release ${id} has no gate 'production' (its gates: pre-release, deployment, rollback)`,
      );
      const unknownRelease = await cli(['wait', '01J0000000000000000000000Z', '--until', 'DEPLOYING']);
      assert.equal(unknownRelease.code, 4, show(unknownRelease));

      const badStatus = await cli(['wait', id, '--until', 'NOPE']);
      assert.equal(badStatus.code, 2, show(badStatus));
      assert.match(failureLine(badStatus), /--until.*'NOPE' is not a release status: PRE_RELEASE, /);
      for (const argv of [
        ['wait', id, '--until', 'DEPLOYING', '--gate', 'pre-release'],
        ['wait', id],
      ]) {
        const ran = await cli(argv);
        assert.equal(ran.code, 2, `${argv.join(' ')}: ${show(ran)}`);
        assert.equal(failureLine(ran), 'shipgate: give exactly one of --until <status> and --gate <gate>');
        assert.equal(ran.stdout, '');
      }
      const badTimeout = await cli(['wait', id, '--until', 'DEPLOYING', '--timeout', 'soon']);
      assert.equal(badTimeout.code, 2, show(badTimeout));
      assert.match(failureLine(badTimeout), /--timeout.*'soon' is not a duration/);
      const tinyInterval = await cli(['wait', id, '--until', 'DEPLOYING', '--interval', '1ms']);
      assert.equal(tinyInterval.code, 2, show(tinyInterval));
      assert.match(failureLine(tinyInterval), /--interval.*'1ms' is shorter than 10 ms/);
    });

    it('keeps trying through 503s with Retry-After, says so once, and still reaches its target', async () => {
      const id = await created('Web behind a busy proxy');
      // A stand-in for an API Gateway that throttles: the first two reads answer 503, then everything goes through.
      let refused = 0;
      const proxy: Server = createServer(async (request, response) => {
        if (refused < 2) {
          refused += 1;
          response.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' });
          response.end(
            JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'busy' }),
          );
          return;
        }
        const upstream = await fetch(`${d.local.url}${request.url}`, {
          method: request.method,
          headers: { authorization: request.headers.authorization ?? '' },
        });
        response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
        response.end(await upstream.text());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
        const ran = await cli(['wait', id, '--until', 'PRE_RELEASE', '--timeout', '20s', '--interval', '100ms'], {
          url,
        });
        assert.equal(ran.code, 0, show(ran));
        assert.equal(refused, 2);
        assert.equal(count(ran.stderr, /^shipgate: 503: busy; trying again$/), 1, show(ran));
        assert.equal(count(ran.stderr, /^shipgate: Shipgate answers again$/), 1, show(ran));
        assert.ok(
          ran.stderr.indexOf('trying again') < ran.stderr.indexOf('answers again'),
          `the outage, then its end: ${show(ran)}`,
        );
        // Retry-After (1 s each time) rules over the 100 ms interval.
        assert.ok(ran.ms >= 2000, `it waited as Retry-After asked: ${show(ran)}`);
        assert.match(ran.stdout, new RegExp(`^Reached PRE_RELEASE: release ${id} is PRE_RELEASE$`, 'm'));
      } finally {
        await new Promise((resolve) => proxy.close(resolve));
      }
    });

    it('times out with exit 6 when Shipgate does not answer at all', async () => {
      // A port that was just free: nothing listens there.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const ran = await cli(['wait', '01J0000000000000000000000Z', '--until', 'DEPLOYING', '--timeout', '1500ms'], {
        url: `http://127.0.0.1:${port}`,
      });
      assert.equal(ran.code, 6, show(ran));
      assert.ok(ran.ms >= 1500, show(ran));
      const [outage, last, ...rest] = ran.stderr.trimEnd().split('\n');
      assert.deepEqual(rest, [], show(ran));
      assert.match(outage ?? '', /^shipgate: cannot reach Shipgate at http:\/\/127\.0\.0\.1:\d+: .*; trying again$/);
      assert.match(
        last ?? '',
        /^shipgate: timed out after 2s waiting for DEPLOYING; Shipgate did not answer: cannot reach Shipgate at http:\/\/127\.0\.0\.1:\d+: /,
      );
      assert.equal(count(ran.stderr, /trying again$/), 1, show(ran));
      assert.doesNotMatch(ran.stderr, /answers again/);
    });
  });

  describe('watch', () => {
    it('prints the timeline as it happens until the release completes (exit 0), as text and as NDJSON', async () => {
      const id = await created('Web watched');
      const text = cli(['watch', id, '--interval', '300ms', '--timeout', '45s']);
      const ndjson = cli(['--json', 'watch', id, '--interval', '300ms', '--timeout', '45s']);
      await pause(600);
      const last = await drive(d, id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING', 'MONITORING', 'CONFIRMING']);
      assert.equal(last.status, 'COMPLETED');

      const ran = await text;
      assert.equal(ran.code, 0, show(ran));
      const lines = ran.stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', new RegExp(`^Watching ${id} {2}Web watched 1\\.0\\.0 {2}PRE_RELEASE`));
      assert.match(lines.at(-1) ?? '', new RegExp(`^Ended ${id} {2}Web watched 1\\.0\\.0 {2}COMPLETED`));
      const order = [
        /created the release \(web-follow v1\)$/,
        /approved gate pre-release as (qa-lead|security-lead)/,
        /passed gate pre-release$/,
        /started deployment step Deploy the API$/,
        /completed deployment step deploy-the-api$/,
        /started deployment step Deploy the web app$/,
        /completed deployment step deploy-the-web-app$/,
        /the release is complete$/,
      ];
      const at = order.map((pattern) => lines.findIndex((line) => pattern.test(line)));
      assert.ok(
        at.every((index, n) => index > 0 && (n === 0 || index > (at[n - 1] ?? 0))),
        `in order (${at.join(', ')}):\n${ran.stdout}`,
      );

      const events = await api(d.local.url, 'GET', `/releases/${id}/events?limit=200`, { token: rm });
      assert.equal(events.status, 200);
      const ids = events.body.items.map((event: { id: string }) => event.id);
      // Every event once, none twice: the lines between Watching and Ended are the trail.
      assert.equal(lines.length, ids.length + 2, ran.stdout);

      const asJson = await ndjson;
      assert.equal(asJson.code, 0, show(asJson));
      const records = asJson.stdout
        .trimEnd()
        .split('\n')
        .map((line, n) => {
          assert.doesNotThrow(() => JSON.parse(line), `line ${n + 1} is not JSON: ${line}`);
          return JSON.parse(line);
        });
      const final = records.at(-1);
      assert.deepEqual(Object.keys(final), ['release']);
      assert.equal(final.release.id, id);
      assert.equal(final.release.status, 'COMPLETED');
      const eventRecords = records.slice(0, -1);
      assert.ok(
        eventRecords.every((record) => Object.keys(record).join() === 'event'),
        asJson.stdout,
      );
      assert.deepEqual(
        eventRecords.map((record) => record.event.id),
        ids,
        'each event of the trail once, in order',
      );
      assert.equal(eventRecords.at(-1)?.event.type, 'release.completed');
    });

    it('ends with exit 1 when the watched release is rolled back', async () => {
      const id = await created('Web watched rollback');
      await drive(d, id, ['PRE_RELEASE']);
      await until(d, id, 'DEPLOYING', (view) => view.status === 'DEPLOYING');
      const watching = cli(['watch', id, '--interval', '300ms', '--new', '--timeout', '45s']);
      await pause(600);
      const rollback = await api(d.local.url, 'POST', `/releases/${id}/rollback`, {
        token: rm,
        body: { reason: 'error rate over 2%' },
      });
      assert.equal(rollback.status, 200, JSON.stringify(rollback.body));
      const ended = await drive(d, id, ['ROLLBACK_REQUESTED', 'ROLLING_BACK']);
      assert.equal(ended.status, 'ROLLED_BACK');

      const ran = await watching;
      assert.equal(ran.code, 1, show(ran));
      assert.equal(
        failureLine(ran),
        `shipgate: release ${id} is ROLLED_BACK (it was rolled back: "error rate over 2%")`,
      );
      const lines = ran.stdout.trimEnd().split('\n');
      assert.match(lines.at(-1) ?? '', new RegExp(`^Ended ${id} .* ROLLED_BACK`));
      // --new: the timeline from when it started watching, not the release's creation.
      assert.doesNotMatch(ran.stdout, /created the release/);
      assert.ok(
        lines.some((line) => /requested a rollback: "error rate over 2%"$/.test(line)),
        ran.stdout,
      );
      assert.ok(
        lines.some((line) => /the rollback is complete$/.test(line)),
        ran.stdout,
      );
    });
  });
});
