// Unit tests of what `shipgate wait` and `shipgate watch` decide from one reading of a release (cli/render/wait.ts):
// each status target reached, still ahead or impossible (rolled back, cancelled, a failed rollback, a status the
// template skips), gate targets (satisfied or passed, rejected, still waiting and for what), how a watched release
// ended, the redrawn status line, the durations and statuses the options take; and, from cli/commands/follow.ts,
// the pause between two reads (backoff, Retry-After) and which answers count as a moment of unavailability.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { InvalidArgumentError } from 'commander';
import { attempt, nextDelay } from '../../cli/commands/follow.ts';
import { CliError, EXIT } from '../../cli/errors.ts';
import { RELEASE_STATUSES, type ReleaseStatus, type ReleaseView, type WaitingFor } from '../../cli/render/types.ts';
import {
  durationOption,
  FORWARD_STATUSES,
  gateIds,
  gateVerdict,
  parseStatus,
  statusLine,
  statusVerdict,
  targetText,
  waitVerdict,
  watchEnd,
} from '../../cli/render/wait.ts';
import { recordSignoff, updateItem } from '../../lambdas/core/release/checklist-use-cases.ts';
import type { Template } from '../../lambdas/core/template/template.ts';
import { type ReleaseService, releaseViewOf } from '../support/cli-fixtures.ts';
import { testTemplate, user } from '../support/fixtures.ts';

const _rita = user('rita', ['release-manager']);
const quinn = user('quinn', ['qa-lead']);
const sam = user('sam', ['security-lead']);
const NOW = new Date('2026-11-21T10:30:00Z');

type Service = ReleaseService;

/**
 * A release of `template` as GET /releases/{id} answers it (JSON), after `act` ran on it through the core rules. The
 * test template has two gated phases, `pre-release` and `deployment`, and no staging.
 */
const releaseOf = (
  act?: (service: ReleaseService, id: string) => Promise<unknown>,
  template: Template = testTemplate(),
): Promise<ReleaseView> => releaseViewOf(template, act);

/** Ticks every required item of the pre-release gate and signs it as both roles. */
async function signPreRelease(service: Service, id: string): Promise<void> {
  for (const item of ['tests-pass', 'changelog', 'security-scan']) {
    await updateItem(service, quinn, id, item, { status: 'done', evidence: { note: 'ok' } });
  }
  await recordSignoff(service, quinn, id, { gate: 'pre-release', role: 'qa-lead', decision: 'approve' });
  await recordSignoff(service, sam, id, { gate: 'pre-release', role: 'security-lead', decision: 'approve' });
}

/** The same reading, moved to another status (and phase): what the workflow would have written. */
const at = (view: ReleaseView, status: ReleaseStatus, changes: Partial<ReleaseView> = {}): ReleaseView =>
  ({ ...view, status, ...changes }) as ReleaseView;

const rolledBack = (view: ReleaseView, status: ReleaseStatus, reason = 'p95 latency over 500 ms'): ReleaseView =>
  at(view, status, {
    currentPhase: 'deployment',
    rollback: { reason, requestedBy: { kind: 'user', id: 'rita', name: 'rita' }, requestedAt: '2026-11-21T10:20:00Z' },
  } as Partial<ReleaseView>);

describe('statusVerdict: a status target', () => {
  it('is reached when the release is in it, and when it has moved past it on the forward path', async () => {
    const fresh = await releaseOf();
    assert.equal(fresh.status, 'PRE_RELEASE');
    assert.deepEqual(statusVerdict(fresh, 'PRE_RELEASE'), {
      state: 'reached',
      reason: `release ${fresh.id} is PRE_RELEASE`,
    });
    const deploying = at(fresh, 'DEPLOYING', { currentPhase: 'deployment' });
    assert.equal(statusVerdict(deploying, 'DEPLOYING').state, 'reached');
    const past = statusVerdict(deploying, 'PRE_RELEASE');
    assert.equal(past.state, 'reached');
    assert.equal(past.reason, `release ${fresh.id} is DEPLOYING, past PRE_RELEASE`);
    const completed = at(fresh, 'COMPLETED');
    for (const target of FORWARD_STATUSES) {
      assert.equal(statusVerdict(completed, target).state, 'reached', `COMPLETED has passed ${target}`);
    }
  });

  it('counts STAGING reached once a release of a template without staging is past it', async () => {
    const fresh = await releaseOf();
    assert.ok(!fresh.phases.some((phase) => phase.kind === 'staging'), 'the test template has no staging phase');
    const deploying = at(fresh, 'DEPLOYING', { currentPhase: 'deployment' });
    const verdict = statusVerdict(deploying, 'STAGING');
    assert.equal(verdict.state, 'reached');
    assert.match(verdict.reason, /DEPLOYING, past STAGING/);
    // Before it, the release is still on its way there.
    assert.equal(statusVerdict(fresh, 'STAGING').state, 'waiting');
  });

  it('is still waiting while the release is before it on the forward path', async () => {
    const fresh = await releaseOf();
    for (const target of ['STAGING', 'DEPLOYING', 'MONITORING', 'CONFIRMING', 'COMPLETED'] as const) {
      assert.deepEqual(statusVerdict(fresh, target), {
        state: 'waiting',
        reason: `release ${fresh.id} is PRE_RELEASE`,
      });
    }
    const monitoring = at(fresh, 'MONITORING', { currentPhase: 'deployment' });
    assert.equal(statusVerdict(monitoring, 'COMPLETED').state, 'waiting');
    assert.equal(statusVerdict(monitoring, 'CONFIRMING').state, 'waiting');
  });

  it('is impossible once the release is rolled back, being rolled back, its rollback failed, or cancelled', async () => {
    const fresh = await releaseOf();
    const back = statusVerdict(rolledBack(fresh, 'ROLLED_BACK'), 'COMPLETED');
    assert.equal(back.state, 'impossible');
    assert.equal(
      back.reason,
      `release ${fresh.id} is ROLLED_BACK (it was rolled back: "p95 latency over 500 ms"): it will not reach COMPLETED`,
    );
    const failed = statusVerdict(rolledBack(fresh, 'ROLLBACK_FAILED'), 'MONITORING');
    assert.equal(failed.state, 'impossible');
    assert.match(failed.reason, /is ROLLBACK_FAILED \(its rollback failed: "p95 latency over 500 ms"\)/);
    assert.match(failed.reason, /will not reach MONITORING$/);
    const rolling = statusVerdict(rolledBack(fresh, 'ROLLING_BACK'), 'COMPLETED');
    assert.equal(rolling.state, 'impossible');
    assert.match(rolling.reason, /is ROLLING_BACK \(it is being rolled back/);
    const requested = statusVerdict(rolledBack(fresh, 'ROLLBACK_REQUESTED'), 'CONFIRMING');
    assert.equal(requested.state, 'impossible');
    const cancelled = statusVerdict(at(fresh, 'CANCELLED'), 'DEPLOYING');
    assert.equal(cancelled.state, 'impossible');
    assert.equal(cancelled.reason, `release ${fresh.id} was cancelled: it will not reach DEPLOYING`);
    // A rollback without a recorded reason says so without an empty quote.
    const bare = statusVerdict(at(fresh, 'ROLLED_BACK'), 'COMPLETED');
    assert.match(bare.reason, /\(it was rolled back\): it will not reach COMPLETED$/);
  });

  it('waits for a cancellation only while the release can still be cancelled', async () => {
    const fresh = await releaseOf();
    assert.equal(statusVerdict(fresh, 'CANCELLED').state, 'waiting');
    assert.equal(statusVerdict(at(fresh, 'STAGING'), 'CANCELLED').state, 'waiting');
    assert.equal(statusVerdict(at(fresh, 'CANCELLED'), 'CANCELLED').state, 'reached');
    for (const status of ['DEPLOYING', 'MONITORING', 'COMPLETED', 'ROLLED_BACK'] as const) {
      const verdict = statusVerdict(at(fresh, status), 'CANCELLED');
      assert.equal(verdict.state, 'impossible', status);
      assert.match(verdict.reason, new RegExp(`is ${status}: it can no longer be cancelled$`));
    }
  });

  it('follows a rollback through its statuses; ROLLED_BACK and ROLLBACK_FAILED exclude each other', async () => {
    const fresh = await releaseOf();
    const monitoring = at(fresh, 'MONITORING', { currentPhase: 'deployment' });
    assert.equal(statusVerdict(monitoring, 'ROLLED_BACK').state, 'waiting', 'a rollback may still be requested');
    assert.equal(statusVerdict(rolledBack(fresh, 'ROLLBACK_REQUESTED'), 'ROLLED_BACK').state, 'waiting');
    assert.equal(statusVerdict(rolledBack(fresh, 'ROLLING_BACK'), 'ROLLED_BACK').state, 'waiting');
    assert.equal(statusVerdict(rolledBack(fresh, 'ROLLING_BACK'), 'ROLLBACK_REQUESTED').state, 'reached');
    assert.equal(statusVerdict(rolledBack(fresh, 'ROLLED_BACK'), 'ROLLING_BACK').state, 'reached');
    assert.equal(statusVerdict(rolledBack(fresh, 'ROLLBACK_FAILED'), 'ROLLING_BACK').state, 'reached');
    assert.equal(statusVerdict(rolledBack(fresh, 'ROLLED_BACK'), 'ROLLED_BACK').state, 'reached');
    const other = statusVerdict(rolledBack(fresh, 'ROLLED_BACK'), 'ROLLBACK_FAILED');
    assert.equal(other.state, 'impossible');
    assert.equal(other.reason, `release ${fresh.id} ended ROLLED_BACK: it will not reach ROLLBACK_FAILED`);
    assert.equal(statusVerdict(rolledBack(fresh, 'ROLLBACK_FAILED'), 'ROLLED_BACK').state, 'impossible');
    for (const ended of ['COMPLETED', 'CANCELLED'] as const) {
      const verdict = statusVerdict(at(fresh, ended), 'ROLLED_BACK');
      assert.equal(verdict.state, 'impossible', ended);
      assert.match(verdict.reason, new RegExp(`ended ${ended}: it will not reach ROLLED_BACK$`));
    }
  });

  it('gives a verdict for every pair of statuses, and reached exactly when they are equal or past', async () => {
    const fresh = await releaseOf();
    for (const current of RELEASE_STATUSES) {
      for (const target of RELEASE_STATUSES) {
        const verdict = statusVerdict(at(fresh, current), target);
        assert.ok(['reached', 'waiting', 'impossible'].includes(verdict.state), `${current} → ${target}`);
        if (current === target) assert.equal(verdict.state, 'reached', `${current} is ${target}`);
        const here = FORWARD_STATUSES.indexOf(current);
        const there = FORWARD_STATUSES.indexOf(target);
        if (here >= 0 && there >= 0) {
          assert.equal(verdict.state, here >= there ? 'reached' : 'waiting', `${current} → ${target}`);
        }
      }
    }
  });
});

describe('gateVerdict: a gate target', () => {
  it('is waiting while the gate is not satisfied, and the status line says what it waits for', async () => {
    const fresh = await releaseOf();
    const verdict = gateVerdict(fresh, 'pre-release');
    assert.deepEqual(verdict, { state: 'waiting', reason: 'gate pre-release is not satisfied yet' });
    const line = stripVTControlCharacters(statusLine(fresh, NOW));
    assert.equal(
      line,
      "PRE_RELEASE · phase pre-release · gate 'pre-release' needs 3 items; sign-off by qa-lead, security-lead",
    );
    // The later gate has not been reached.
    assert.deepEqual(gateVerdict(fresh, 'deployment'), {
      state: 'waiting',
      reason: `release ${fresh.id} has not reached gate deployment yet`,
    });
  });

  it('is reached when the gate is satisfied, before the workflow moves on', async () => {
    const signed = await releaseOf(signPreRelease);
    assert.equal(signed.status, 'PRE_RELEASE');
    assert.equal(signed.phases[0]?.gateStatus?.satisfied, true);
    assert.deepEqual(gateVerdict(signed, 'pre-release'), { state: 'reached', reason: 'gate pre-release is satisfied' });
    assert.equal(
      stripVTControlCharacters(statusLine(signed, NOW)),
      'PRE_RELEASE · phase pre-release · satisfied: moving on',
    );
  });

  it('is reached once the release has passed the gate, and when it completed', async () => {
    const fresh = await releaseOf();
    const deploying = at(fresh, 'DEPLOYING', { currentPhase: 'deployment' });
    assert.deepEqual(gateVerdict(deploying, 'pre-release'), {
      state: 'reached',
      reason: `gate pre-release passed: release ${fresh.id} is DEPLOYING`,
    });
    assert.equal(gateVerdict(deploying, 'deployment').state, 'waiting');
    const completed = at(fresh, 'COMPLETED', { currentPhase: 'deployment' });
    assert.deepEqual(gateVerdict(completed, 'deployment'), {
      state: 'reached',
      reason: `gate deployment passed: release ${fresh.id} is COMPLETED`,
    });
  });

  it('is impossible once the gate is rejected, naming the role, who and why', async () => {
    const rejected = await releaseOf(async (service, id) => {
      await recordSignoff(service, sam, id, {
        gate: 'pre-release',
        role: 'security-lead',
        decision: 'reject',
        comment: 'pen test missing',
      });
    });
    assert.deepEqual(gateVerdict(rejected, 'pre-release'), {
      state: 'impossible',
      reason: 'gate pre-release was rejected as security-lead by sam: "pen test missing"',
    });
  });

  it('is impossible once the release left the forward path, and for a gate it does not have', async () => {
    const fresh = await releaseOf();
    const cancelled = gateVerdict(at(fresh, 'CANCELLED'), 'pre-release');
    assert.equal(cancelled.state, 'impossible');
    assert.equal(cancelled.reason, `release ${fresh.id} was cancelled: gate pre-release will not pass`);
    const back = gateVerdict(rolledBack(fresh, 'ROLLED_BACK'), 'deployment');
    assert.equal(back.state, 'impossible');
    assert.match(back.reason, /is ROLLED_BACK \(it was rolled back: "p95 latency over 500 ms"\): gate deployment/);
    assert.deepEqual(gateVerdict(fresh, 'production'), {
      state: 'impossible',
      reason: `release ${fresh.id} has no gate 'production' (its gates: pre-release, deployment, rollback)`,
    });
  });

  it('takes `rollback` as the confirmation of a rollback: reached once ROLLED_BACK', async () => {
    const fresh = await releaseOf();
    assert.deepEqual(gateIds(fresh), ['pre-release', 'deployment', 'rollback']);
    assert.equal(gateVerdict(rolledBack(fresh, 'ROLLING_BACK'), 'rollback').state, 'waiting');
    assert.deepEqual(gateVerdict(rolledBack(fresh, 'ROLLED_BACK'), 'rollback'), {
      state: 'reached',
      reason: `the rollback of release ${fresh.id} is confirmed: it is ROLLED_BACK`,
    });
    assert.equal(gateVerdict(rolledBack(fresh, 'ROLLBACK_FAILED'), 'rollback').state, 'impossible');
    assert.equal(gateVerdict(at(fresh, 'COMPLETED'), 'rollback').state, 'impossible');
  });
});

describe('waitVerdict and targetText', () => {
  it('dispatches on the kind of target', async () => {
    const signed = await releaseOf(signPreRelease);
    assert.equal(waitVerdict(signed, { kind: 'gate', gate: 'pre-release' }).state, 'reached');
    assert.equal(waitVerdict(signed, { kind: 'status', status: 'DEPLOYING' }).state, 'waiting');
    assert.equal(waitVerdict(at(signed, 'DEPLOYING'), { kind: 'status', status: 'DEPLOYING' }).state, 'reached');
    assert.equal(targetText({ kind: 'status', status: 'DEPLOYING' }), 'DEPLOYING');
    assert.equal(targetText({ kind: 'gate', gate: 'production' }), 'gate production');
  });
});

describe('watchEnd: how a watched release ended', () => {
  it('ends 0 when COMPLETED and 1 when rolled back, cancelled or its rollback failed', async () => {
    const fresh = await releaseOf();
    assert.deepEqual(watchEnd(at(fresh, 'COMPLETED')), { code: 0, reason: `release ${fresh.id} is COMPLETED` });
    assert.deepEqual(watchEnd(rolledBack(fresh, 'ROLLED_BACK')), {
      code: 1,
      reason: `release ${fresh.id} is ROLLED_BACK (it was rolled back: "p95 latency over 500 ms")`,
    });
    assert.deepEqual(watchEnd(at(fresh, 'CANCELLED')), { code: 1, reason: `release ${fresh.id} was cancelled` });
    const failed = watchEnd(rolledBack(fresh, 'ROLLBACK_FAILED'));
    assert.equal(failed?.code, 1);
    assert.match(failed?.reason ?? '', /ROLLBACK_FAILED \(its rollback failed/);
  });

  it('has not ended while the release runs, a rollback included', async () => {
    const fresh = await releaseOf();
    for (const status of RELEASE_STATUSES) {
      const end = watchEnd(at(fresh, status));
      const terminal = ['COMPLETED', 'CANCELLED', 'ROLLED_BACK', 'ROLLBACK_FAILED'].includes(status);
      assert.equal(end !== undefined, terminal, status);
    }
  });
});

describe('statusLine', () => {
  it("shows a monitoring window's time left, and a stopped workflow instead of the wait", async () => {
    const fresh = await releaseOf();
    const window: WaitingFor = {
      kind: 'window',
      window: 'immediate',
      since: '2026-11-21T10:00:00Z',
      endsAt: '2026-11-21T12:00:00Z',
      satisfied: false,
      summary: "monitoring window 'immediate' runs until 2026-11-21T12:00:00.000Z",
    } as WaitingFor;
    const monitoring = at(fresh, 'MONITORING', { currentPhase: 'deployment', waitingFor: window });
    assert.equal(
      stripVTControlCharacters(statusLine(monitoring, NOW)),
      'MONITORING · phase deployment · window immediate: 1h 30m left',
    );
    const stopped = at(fresh, 'PRE_RELEASE', {
      workflowFailure: {
        error: 'ShipgateInjectedFault',
        cause: 'injected',
        at: '2026-11-21T10:01:00Z',
        summary: 'the workflow stopped (ShipgateInjectedFault: injected)',
        resume: `POST /releases/${fresh.id}/resume`,
      },
    } as Partial<ReleaseView>);
    assert.equal(
      stripVTControlCharacters(statusLine(stopped, NOW)),
      'PRE_RELEASE · phase pre-release · workflow stopped: the workflow stopped (ShipgateInjectedFault: injected)',
    );
    // An ended release waits for nothing.
    assert.equal(stripVTControlCharacters(statusLine(at(fresh, 'CANCELLED'), NOW)), 'CANCELLED · phase pre-release');
  });
});

describe('durationOption and parseStatus: what --timeout, --interval and --until take', () => {
  it('reads 90s, 15m, 2h, 1h30m, 200ms, 1d and a bare number of seconds', () => {
    const parse = durationOption();
    assert.equal(parse('90s'), 90_000);
    assert.equal(parse('15m'), 900_000);
    assert.equal(parse('2h'), 7_200_000);
    assert.equal(parse('1h30m'), 5_400_000);
    assert.equal(parse('200ms'), 200);
    assert.equal(parse('1d'), 86_400_000);
    assert.equal(parse('1.5s'), 1500);
    assert.equal(parse('45'), 45_000);
  });

  it('rejects what is not a duration, and one below the minimum', () => {
    const parse = durationOption();
    for (const bad of ['soon', '', '5 minutes', '1h30', '-5s', 's', '10x', '1h 30m', 'ms']) {
      assert.throws(() => parse(bad), InvalidArgumentError, JSON.stringify(bad));
    }
    assert.throws(() => parse('0s'), /'0s' is shorter than 1 ms/);
    assert.throws(() => durationOption(10)('5ms'), /'5ms' is shorter than 10 ms/);
    assert.equal(durationOption(10)('10ms'), 10);
  });

  it('reads a status in any case, with - for _, and names the statuses when it is none', () => {
    assert.equal(parseStatus('DEPLOYING'), 'DEPLOYING');
    assert.equal(parseStatus('deploying'), 'DEPLOYING');
    assert.equal(parseStatus('rolled-back'), 'ROLLED_BACK');
    assert.equal(parseStatus(' Pre_Release '), 'PRE_RELEASE');
    assert.throws(
      () => parseStatus('NOPE'),
      (error: unknown) => {
        assert.ok(error instanceof InvalidArgumentError);
        assert.match(error.message, /^'NOPE' is not a release status: PRE_RELEASE, STAGING, .*CANCELLED$/);
        return true;
      },
    );
    assert.throws(() => parseStatus('DONE'), InvalidArgumentError);
  });
});

describe('nextDelay: the pause before the next read', () => {
  it('is the interval while reads succeed, whatever Retry-After said', () => {
    assert.equal(nextDelay(1000, 0), 1000);
    assert.equal(nextDelay(250, 0), 250);
    assert.equal(nextDelay(1000, 0, 9000), 1000);
  });

  it('backs off exponentially from the interval after failures, up to 30 s', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((failures) => nextDelay(1000, failures)),
      [1000, 2000, 4000, 8000, 16_000, 30_000],
    );
    assert.equal(nextDelay(200, 3), 800);
    assert.equal(nextDelay(1000, 1000), 30_000, 'many failures stay at the cap');
    // Never shorter than the interval, even one above the cap.
    assert.equal(nextDelay(60_000, 4), 60_000);
  });

  it("takes the API's Retry-After instead of the backoff, but never below the interval", () => {
    assert.equal(nextDelay(1000, 1, 5000), 5000);
    assert.equal(nextDelay(1000, 5, 2000), 2000);
    assert.equal(nextDelay(1000, 3, 300), 1000);
  });
});

describe('attempt: which answers are a moment of unavailability', () => {
  const answer =
    (status: number, headers: Record<string, string> = {}, body: unknown = {}) =>
    async () => ({
      ...(status < 300 ? { data: body } : { error: body }),
      response: new Response(null, { status, headers }),
    });

  it('returns the data of a 200', async () => {
    assert.deepEqual(await attempt(answer(200, {}, { id: 'r1' })), { ok: true, data: { id: 'r1' } });
  });

  it('takes 429, 502, 503 and 504 as transient, with Retry-After in ms', async () => {
    const busy = await attempt(
      answer(503, { 'retry-after': '2' }, { title: 'Service Unavailable', detail: 'throttled, try again' }),
    );
    assert.deepEqual(busy, { ok: false, transient: '503: throttled, try again', retryAfterMs: 2000 });
    for (const status of [429, 502, 504]) {
      const got = await attempt(answer(status));
      assert.equal(got.ok, false, String(status));
      assert.equal(!got.ok && got.retryAfterMs, undefined, String(status));
    }
    const dated = await attempt(answer(503, { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }));
    assert.equal(!dated.ok && dated.retryAfterMs, undefined, 'an HTTP date is not a number of seconds');
  });

  it('takes a refused connection as transient, and throws any other failure as its exit code', async () => {
    const refused = await attempt(async () => {
      throw new CliError(EXIT.failed, 'cannot reach Shipgate at http://127.0.0.1:1: connect ECONNREFUSED');
    });
    assert.deepEqual(refused, {
      ok: false,
      transient: 'cannot reach Shipgate at http://127.0.0.1:1: connect ECONNREFUSED',
    });
    await assert.rejects(
      attempt(async () => {
        throw new CliError(EXIT.auth, 'no token');
      }),
      (error: unknown) => error instanceof CliError && error.code === EXIT.auth,
    );
    await assert.rejects(
      attempt(answer(500)),
      (error: unknown) => error instanceof CliError && error.code === EXIT.failed,
    );
    await assert.rejects(
      attempt(answer(404)),
      (error: unknown) => error instanceof CliError && error.code === EXIT.notFound,
    );
    await assert.rejects(
      attempt(answer(401)),
      (error: unknown) => error instanceof CliError && error.code === EXIT.auth,
    );
  });
});
