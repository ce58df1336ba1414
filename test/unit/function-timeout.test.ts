// A function stopped at its timeout, as Lambda stops it: the local gateway answers as API Gateway does for a failed
// invocation, the handler's context says no time is left, and the release use cases' retry loop gives up in time.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Context } from 'aws-lambda';
import { StaleVersion } from '../../lambdas/core/errors.ts';
import type { ReleaseDeps } from '../../lambdas/core/release/context.ts';
import { RETRY_RESERVE_MS, RetryLater, releaseContext, withRemainingTime } from '../../lambdas/core/release/context.ts';
import { type Handler, type LocalGateway, lambdaContext, startGateway } from '../../local/gateway.ts';
import { loadOrCreateIssuer } from '../../local/issuer.ts';

describe('the local gateway at a function timeout', () => {
  let dir: string;
  let gateway: LocalGateway;
  const lines: string[] = [];
  let seen: Context | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipgate-timeout-'));
    // Every route's function outlives a 150 ms timeout.
    const slow: Handler = async (_event, context) => {
      seen = context;
      await new Promise((resolve) => setTimeout(resolve, 600));
      return { statusCode: 200, body: '{}' };
    };
    gateway = await startGateway({
      port: 0,
      issuer: await loadOrCreateIssuer(dir),
      handlerFor: async () => slow,
      functionTimeoutMs: 150,
      log: (line) => lines.push(line),
    });
  });

  after(async () => {
    await gateway?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers API Gateway's 500 once the timeout passes, not the handler's late answer", async () => {
    const started = Date.now();
    const response = await fetch(`${gateway.url}/health`);
    const elapsed = Date.now() - started;
    assert.equal(response.status, 500);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(await response.json(), { message: 'Internal Server Error' });
    assert.ok(elapsed < 550, `answered after ${elapsed} ms, at the timeout and not when the handler finished`);
    assert.equal(seen?.getRemainingTimeInMillis(), 0, 'the context says no time is left');
    assert.ok(
      lines.some((line) => /handler timed out: .*after 0\.15 seconds/.test(line)),
      lines.join('\n'),
    );
  });

  it('gives a function a context whose remaining time counts down from the timeout', async () => {
    const context = lambdaContext('f', 'r', 1_000);
    assert.ok(context.getRemainingTimeInMillis() <= 1_000 && context.getRemainingTimeInMillis() > 900);
  });
});

describe("the release use cases' retry loop within the time left", () => {
  const raced = () => Promise.reject(new StaleVersion('lost a race'));
  const context = (maxAttempts = 30) =>
    releaseContext({ backoff: async () => undefined, maxAttempts } as unknown as ReleaseDeps);

  it('stops with RetryLater (503, Retry-After) when too little time is left for another attempt', async () => {
    let attempts = 0;
    const attempt = () => {
      attempts += 1;
      return raced();
    };
    await assert.rejects(
      withRemainingTime(
        () => RETRY_RESERVE_MS - 1,
        () => context().retrying(attempt),
      ),
      (error: unknown) => error instanceof RetryLater && error.retryAfterSeconds === 1,
    );
    assert.equal(attempts, 1, 'no attempt after the time ran short');
  });

  it('keeps retrying while time is left, and without an invocation as before', async () => {
    let attempts = 0;
    const attempt = () => (++attempts < 3 ? raced() : Promise.resolve('saved'));
    assert.equal(
      await withRemainingTime(
        () => 10_000,
        () => context().retrying(attempt),
      ),
      'saved',
    );
    assert.equal(attempts, 3);
    attempts = 0;
    assert.equal(await context().retrying(attempt), 'saved');
    await assert.rejects(context(2).retrying(raced), StaleVersion);
  });
});
