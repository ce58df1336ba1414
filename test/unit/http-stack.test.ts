// The shared middy stack: every failure is problem+json naming the field, and a 500 leaks nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { NotFound, RuleViolation, StaleVersion } from '../../lambdas/core/errors.ts';
import { RetryLater } from '../../lambdas/core/release/context.ts';
import type { RequestLedger, WriteTrace } from '../../lambdas/core/requests.ts';
import { fieldIssues, httpRoute, MAX_BODY_BYTES, ok } from '../../lambdas/http/api.ts';
import { actorOf, claimList } from '../../lambdas/http/identity.ts';
import { CreateReleaseBody, MetricsBody, UpdateItemBody } from '../../lambdas/http/schemas.ts';

const context = {
  awsRequestId: 'req-1',
  functionName: 'test',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function event(
  options: { body?: string; contentType?: string; claims?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'PATCH /things',
    rawPath: '/things',
    rawQueryString: '',
    headers: { 'content-type': options.contentType ?? 'application/json' },
    body: options.body,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      http: { method: 'PATCH', path: '/things', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      authorizer: {
        jwt: {
          claims: options.claims ?? { sub: 'u1', username: 'alice', 'cognito:groups': '[qa-lead release-manager]' },
          scopes: null,
        },
      },
    },
  } as unknown as APIGatewayProxyEventV2;
}

async function call(handler: ReturnType<typeof httpRoute>, ev: APIGatewayProxyEventV2) {
  const result = (await handler(ev, context)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body ?? 'null') };
}

const echo = httpRoute({ body: UpdateItemBody }, ({ body, actor }) => ok({ body, actor }));

describe('HTTP stack', () => {
  it('passes a valid body and the caller to the handler', async () => {
    const response = await call(
      echo,
      event({ body: JSON.stringify({ status: 'done', evidence: { url: 'https://ci/1' } }) }),
    );
    assert.equal(response.status, 200);
    assert.equal(response.body.body.status, 'done');
    assert.deepEqual(response.body.actor.roles, ['qa-lead', 'release-manager']);
  });

  it('answers malformed JSON with a 400 problem naming the body', async () => {
    const response = await call(echo, event({ body: '{"status": "done",' }));
    assert.equal(response.status, 400);
    assert.equal(response.headers['content-type'], 'application/problem+json');
    assert.equal(response.body.errors[0].field, 'body');
    assert.match(response.body.detail, /not valid JSON/);
  });

  it('names unknown fields and wrongly typed ones', async () => {
    const response = await call(
      echo,
      event({ body: JSON.stringify({ status: 'finished', colour: 'red', evidence: { url: 7 } }) }),
    );
    assert.equal(response.status, 400);
    const fields = response.body.errors.map((error: { field: string }) => error.field).sort();
    assert.deepEqual(fields, ['colour', 'evidence.url', 'status']);
  });

  it('refuses a body over 256 KiB with 413 before parsing it', async () => {
    const body = JSON.stringify({ status: 'done', reason: 'x'.repeat(MAX_BODY_BYTES) });
    const response = await call(echo, event({ body }));
    assert.equal(response.status, 413);
    assert.equal(response.body.errors[0].field, 'body');
  });

  it('refuses a body that is not sent as JSON with 415, and a missing body with 400', async () => {
    assert.equal((await call(echo, event({ body: 'status=done', contentType: 'text/plain' }))).status, 415);
    const missing = await call(echo, event({}));
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errors[0].field, 'body');
  });

  it('answers 401 without verified claims', async () => {
    const ev = event({ body: '{}' });
    (ev.requestContext as { authorizer?: unknown }).authorizer = undefined;
    const response = await call(echo, ev);
    assert.equal(response.status, 401);
    assert.equal(response.body.type, '/problems/unauthenticated');
  });

  it('maps domain errors to their status and code', async () => {
    const cases: [Error, number, string][] = [
      [new NotFound('release', 'r9'), 404, '/problems/not-found'],
      [new StaleVersion('old'), 409, '/problems/stale-version'],
      [new RuleViolation('gate-not-open', 'not open'), 409, '/problems/gate-not-open'],
    ];
    for (const [error, status, type] of cases) {
      const failing = httpRoute({}, () => {
        throw error;
      });
      const response = await call(failing, event());
      assert.equal(response.status, status);
      assert.equal(response.body.type, type);
      assert.equal(response.body.instance, '/things');
    }
  });

  it('answers an unexpected error with a bland 500 that carries the request id and no internals', async () => {
    const failing = httpRoute({}, () => {
      throw new Error('connect ECONNREFUSED 10.0.0.1:8000 secret-table-name');
    });
    const response = await call(failing, event());
    assert.equal(response.status, 500);
    assert.equal(response.body.requestId, 'req-1');
    const text = JSON.stringify(response.body);
    assert.doesNotMatch(text, /ECONNREFUSED|secret-table-name|stack/);
  });

  it('answers an unreachable, timed-out or throttling dependency with 503 and Retry-After, and no internals', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000 secret-table-name'), {
      code: 'ECONNREFUSED',
    });
    const throttled = Object.assign(new Error('Rate exceeded for table secret-table-name'), {
      name: 'ProvisionedThroughputExceededException',
      $fault: 'client',
    });
    const cases: [unknown, string][] = [
      [refused, '2'],
      [new AggregateError([refused], 'all attempts failed'), '2'],
      [Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }), '2'],
      [
        Object.assign(new Error('We encountered an internal error'), { name: 'InternalServerError', $fault: 'server' }),
        '2',
      ],
      [throttled, '5'],
    ];
    for (const [error, retryAfter] of cases) {
      const failing = httpRoute({}, () => {
        throw error;
      });
      const response = await call(failing, event());
      assert.equal(response.status, 503, JSON.stringify(response.body));
      assert.equal(response.headers['retry-after'], retryAfter);
      assert.equal(response.body.type, '/problems/service-unavailable');
      assert.match(response.body.detail, /nothing was changed/);
      assert.doesNotMatch(JSON.stringify(response.body), /ECONNREFUSED|secret-table-name|127\.0\.0\.1|stack/);
    }
  });

  it('answers a use case out of time for another attempt with 503 and Retry-After', async () => {
    const failing = httpRoute({}, () => {
      throw new RetryLater('no time is left for another attempt', 2);
    });
    const response = await call(failing, event());
    assert.equal(response.status, 503);
    assert.equal(response.headers['retry-after'], '2');
    assert.equal(response.headers['content-type'], 'application/problem+json');
    assert.equal(response.body.type, '/problems/retry-later');
    assert.equal(response.body.title, 'Service Unavailable');
  });

  it('validates query strings with the same field naming', async () => {
    const route = httpRoute({ query: z.strictObject({ limit: z.coerce.number().int().max(10) }) }, ({ query }) =>
      ok(query),
    );
    const ev = event();
    ev.queryStringParameters = { limit: '99' };
    const response = await call(route, ev);
    assert.equal(response.status, 400);
    assert.equal(response.body.errors[0].field, 'limit');
  });
});

describe('metric samples', () => {
  const metrics = httpRoute({ body: MetricsBody }, ({ body }) => ok(body));

  it('keeps sample times in UTC, whatever offset they were sent with', async () => {
    const body = JSON.stringify({
      samples: [{ name: 'api.latency.p95', value: 120, at: '2026-11-21T12:30:00+02:00' }],
    });
    const response = await call(metrics, event({ body }));
    assert.equal(response.status, 200);
    assert.equal(response.body.samples[0].at, '2026-11-21T10:30:00.000Z');
  });

  it('refuses a value the store could not keep exactly, naming the field', async () => {
    const body = JSON.stringify({
      samples: [
        { name: 'x', value: 1 },
        { name: 'y', value: 2e16 },
      ],
    });
    const response = await call(metrics, event({ body }));
    assert.equal(response.status, 400);
    assert.equal(response.body.errors[0].field, 'samples.1.value');
  });
});

describe('identity from JWT authorizer claims', () => {
  it('reads API Gateway flattened arrays and real arrays alike', () => {
    assert.deepEqual(claimList('[qa-lead release-manager]'), ['qa-lead', 'release-manager']);
    assert.deepEqual(claimList(['a', 'b']), ['a', 'b']);
    assert.deepEqual(claimList('[]'), []);
  });

  it('recognises a client-credentials token as a machine with scopes and no roles', () => {
    const actor = actorOf(
      event({
        claims: {
          sub: 'ci-client',
          client_id: 'ci-client',
          scope: 'shipgate/items.write',
          'cognito:groups': '[release-manager]',
        },
      }),
    );
    assert.equal(actor.kind, 'machine');
    assert.deepEqual(actor.roles, []);
    assert.deepEqual(actor.scopes, ['shipgate/items.write']);
  });
});

describe('unknown fields', () => {
  /** The message of the issue naming `field` when `value` is parsed with `schema`. */
  const messageFor = (schema: z.ZodType, value: unknown, field: string): string | undefined => {
    const result = schema.safeParse(value);
    assert.equal(result.success, false);
    return fieldIssues(result.error as z.ZodError, 'body', schema).find((issue) => issue.field === field)?.message;
  };
  const release = { templateId: 'toolboxai-v1', name: 'x', version: '1' };

  it('suggests the known field a misspelt or miscased key most likely meant', () => {
    const { templateId: _, ...rest } = release;
    assert.equal(
      messageFor(CreateReleaseBody, { ...rest, templateid: 't' }, 'templateid'),
      'is not a known field; did you mean templateId?',
    );
    assert.equal(
      messageFor(CreateReleaseBody, { ...rest, tempalteId: 't' }, 'tempalteId'),
      'is not a known field; did you mean templateId?',
    );
    assert.equal(
      messageFor(CreateReleaseBody, { ...release, nmae: 'y' }, 'nmae'),
      'is not a known field; did you mean name?',
    );
  });

  it('finds the object at the issue path, through optional wrappers', () => {
    assert.equal(
      messageFor(UpdateItemBody, { status: 'done', evidence: { URL: 'https://ci/1' } }, 'evidence.URL'),
      'is not a known field; did you mean url?',
    );
  });

  it('guesses nothing for a key far from every known one, or without the schema', () => {
    assert.equal(messageFor(CreateReleaseBody, { ...release, colour: 'red' }, 'colour'), 'is not a known field');
    assert.equal(messageFor(CreateReleaseBody, { ...release, xy: 1 }, 'xy'), 'is not a known field');
    const result = CreateReleaseBody.safeParse({ ...release, nmae: 'y' });
    assert.equal(result.success, false);
    assert.equal(fieldIssues(result.error as z.ZodError, 'body')[0]?.message, 'is not a known field');
  });

  it('says it in the 400 problem of a route', async () => {
    const response = await call(echo, event({ body: JSON.stringify({ stauts: 'done', status: 'done' }) }));
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, [
      { field: 'stauts', message: 'is not a known field; did you mean status?' },
    ]);
  });
});

describe('alarm names a release may watch', () => {
  it("refuses Shipgate's own alarms, naming the entry, and takes a team's", () => {
    const body = (alarmNames: string[]) => ({ templateId: 'toolboxai-v1', name: 'R', version: '1', alarmNames });
    const refused = CreateReleaseBody.safeParse(body(['api-5xx', 'Shipgate.health-api-latency-p99']));
    assert.equal(refused.success, false);
    assert.deepEqual(
      refused.error?.issues.map((issue) => issue.path.join('.')),
      ['alarmNames.1'],
    );
    assert.equal(CreateReleaseBody.safeParse(body(['Shipgate-staging.rollback-01ABC-p95'])).success, false);
    assert.equal(CreateReleaseBody.safeParse(body(['api-5xx', 'payments.latency'])).success, true);
  });
});

describe('a failed write says what it did', () => {
  /** A ledger without keys' records: it only runs the work with the trace, as the DynamoDB one does. */
  const ledger = (): RequestLedger => ({
    claim: () => Promise.reject(new Error('no key was sent')),
    within: (_claim, trace, work) => {
      active = trace;
      return work();
    },
    complete: () => Promise.resolve(),
    release: () => Promise.resolve('released'),
  });
  let active: WriteTrace | undefined;
  const socketReset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });

  const failing = (before: (trace: WriteTrace) => void, error: unknown) =>
    httpRoute({ requests: ledger() }, async () => {
      before(active as WriteTrace);
      throw error;
    });

  it('is a plain 503 "nothing was changed" only when no write was stored or may have been', async () => {
    const nothing = await call(
      failing(() => undefined, refused),
      event(),
    );
    assert.equal(nothing.status, 503);
    assert.equal(nothing.body.type, '/problems/service-unavailable');
    const uncertain = await call(
      failing((trace) => Object.assign(trace, { uncertain: true }), socketReset),
      event(),
    );
    assert.equal(uncertain.body.type, '/problems/outcome-unknown');
    assert.ok(Number(uncertain.headers['retry-after']) > 0);
    const stored = await call(
      failing((trace) => Object.assign(trace, { stored: true }), refused),
      event(),
    );
    assert.equal(stored.status, 503);
    assert.equal(stored.body.type, '/problems/change-stored');
    assert.match(stored.body.detail, /do not send the request again/);
    // A refusal stays a refusal, whatever was written before it.
    const refusal = await call(
      failing((trace) => Object.assign(trace, { stored: true }), new NotFound('release', 'x')),
      event(),
    );
    assert.equal(refusal.status, 404);
  });

  it('tells a write that ran out of time that its change may be stored, and a read that it took too long', async () => {
    const shortOf = { ...context, getRemainingTimeInMillis: () => 40 } as unknown as Context;
    const hanging = (store: boolean) =>
      httpRoute({ requests: ledger() }, async () => {
        if (store) (active as WriteTrace).stored = true;
        return new Promise<never>(() => undefined);
      });
    const run = async (handler: ReturnType<typeof httpRoute>, method: string) => {
      const ev = event();
      (ev.requestContext.http as { method: string }).method = method;
      const result = (await handler(ev, shortOf)) as APIGatewayProxyStructuredResultV2;
      return JSON.parse(result.body ?? 'null') as { type: string; status: number };
    };
    assert.equal((await run(hanging(false), 'POST')).type, '/problems/outcome-unknown');
    assert.equal((await run(hanging(true), 'POST')).type, '/problems/change-stored');
    const read = httpRoute({}, () => new Promise<never>(() => undefined));
    assert.equal((await run(read, 'GET')).type, '/problems/service-unavailable');
  });
});
