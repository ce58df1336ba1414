// Hostile input, property-based, through the local HTTP API: for every route of the route table, random and
// malicious paths, query strings, headers and bodies never get a 5xx, and every refusal is in the right format: a
// problem+json document from a function, or API Gateway's own `{"message": ...}` for what the gateway refuses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ITEM_STATUSES, RELEASE_STATUSES } from '../../lambdas/core/release/status.ts';
import type { RouteDef } from '../../lambdas/functions/catalog.ts';
import { routes } from '../../lambdas/functions/catalog.ts';
import { loadOrCreateIssuer } from '../../local/issuer.ts';
import {
  type ApiResponse,
  assertGatewayAnswer,
  assertProblem,
  assertUnauthorized,
  type LocalProcess,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
} from '../support/local-process.ts';

/** Fixed, so a failure reproduces; SHIPGATE_FC_SEED and SHIPGATE_FC_RUNS explore further. */
const SEED = Number(process.env.SHIPGATE_FC_SEED ?? 20_261_121);
const RUNS_PER_ROUTE = Number(process.env.SHIPGATE_FC_RUNS ?? 60);
/** Node's HTTP server refuses request heads over 16 KiB with a bare 431 before the gateway sees them; stay under. */
const MAX_URL = 9000;

/** One hostile request, as generated. */
interface Hostile {
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: 'valid' | 'none' | 'garbage';
  readonly garbageToken: string;
  readonly contentType: string | null;
  readonly body: Uint8Array | undefined;
}

/** Percent-encodes every byte of the UTF-8 form except unreserved ASCII (lone surrogates become U+FFFD). */
const enc = (text: string): string =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

const encBytes = (bytes: Uint8Array): string =>
  [...bytes].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');

const INJECTIONS = [
  "' OR '1'='1",
  '1; DROP TABLE releases; --',
  '" OR ""="',
  '{"$ne": null}',
  '{"$gt": ""}',
  '$where: sleep(1000)',
  'attribute_exists(pk)',
  'REL#',
  'R#META',
  '#',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell probe, meant literally
  '${jndi:ldap://127.0.0.1/a}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  '\u0000',
  '\u202e\u0645',
  '😀‍🔥',
  'ｒｅｌｅａｓｅ',
];

/** Segments put into the URL as they are: dot segments, bad or dangerous percent escapes. */
const RAW_SEGMENTS = [
  '..',
  '.',
  '%00',
  '%2e%2e',
  '%2E%2E%2F',
  '%2F',
  '%5C',
  '%',
  '%zz',
  '%C3%28',
  '%E0%A4%A',
  '%FF%FE',
];

/** A path parameter value, already in URL form. */
const segmentArb = (known: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...known).map(enc) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map(enc) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map(enc) },
    { weight: 2, arbitrary: fc.constantFrom(...INJECTIONS).map(enc) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
    { weight: 1, arbitrary: fc.integer({ min: 129, max: 4000 }).map((n) => 'a'.repeat(n)) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }).map(encBytes) },
  );

const jsonText = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null');

/** Cursors that decode: valid base64 (either alphabet) of random JSON. */
const bogusCursorArb = fc
  .tuple(jsonText, fc.constantFrom<BufferEncoding>('base64', 'base64url'))
  .map(([text, encoding]) => Buffer.from(text).toString(encoding));

const queryValueArb = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom(
    '-1',
    '0',
    '1e309',
    '-1e309',
    '99999999999999999999',
    'NaN',
    'Infinity',
    '0x10',
    '1.5',
    '',
    ' 5',
    '1,2',
    'null',
    'true',
    '[]',
    '{}',
  ),
  bogusCursorArb,
  fc.constantFrom(...RELEASE_STATUSES, 'pre_release', 'COMPLETED ', 'STAGING,DEPLOYING'),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(...INJECTIONS),
  fc.integer({ min: 2000, max: 3000 }).map((n) => 'A'.repeat(n)),
);

const queryKeyArb = fc.oneof(
  fc.constantFrom('limit', 'cursor', 'status', 'limit', 'cursor', '__proto__', 'constructor', 'toString', 'limit[]'),
  fc.string({ maxLength: 10 }),
);

const queryArb = fc
  .tuple(
    fc.array(fc.tuple(queryKeyArb, queryValueArb), { maxLength: 6 }),
    fc.constantFrom('', '', '', '&&&', '=&=', '?', '%', 'limit', 'limit=&limit=', '&cursor'),
  )
  .map(([pairs, junk]) => [...pairs.map(([key, value]) => `${enc(key)}=${enc(value)}`), junk].join('&'));

const HEADER_NAMES = [
  'accept',
  'accept-language',
  'cache-control',
  'content-encoding',
  'cookie',
  'if-match',
  'origin',
  'referer',
  'user-agent',
  'x-amz-date',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-http-method-override',
  'x-requested-with',
];

const headersArb = fc.dictionary(
  fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.stringMatching(/^x-[a-z0-9-]{1,20}$/)),
  fc.oneof(
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 200 }),
    fc.constantFrom('gzip', 'DELETE', '*/*', '127.0.0.1, 10.0.0.1', 'application/problem+xml', '{"a":1}'),
  ),
  { maxKeys: 5 },
);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/vnd.api+json',
  'application/json; charset=utf-16',
  'application/jsonx',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'image/png',
  '*/*',
  '',
];

/** Field names of every body schema, and some that no schema knows. */
const FIELDS = [
  'status',
  'evidence',
  'reason',
  'expectedVersion',
  'templateId',
  'name',
  'version',
  'description',
  'plannedAt',
  'gate',
  'role',
  'decision',
  'comment',
  '__proto__',
  'constructor',
  'owner',
];

const fieldValueArb = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(...ITEM_STATUSES, 'approve', 'reject', 'toolboxai-v1', 'pre-release', 'qa-lead', 'release-manager'),
  fc.constantFrom(...INJECTIONS),
  fc.record({
    url: fc.oneof(fc.webUrl(), fc.constantFrom('javascript:alert(1)', 'file:///etc/passwd')),
    note: fc.string(),
  }),
  fc.constantFrom(-1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308),
  fc.integer({ min: 4001, max: 20_000 }).map((n) => 'x'.repeat(n)),
);

/** Text a person could type, and text nobody should: unicode, lone surrogates, NULs, injections, long runs. */
const hostileText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }) },
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('   ', '\t\n', 'a\u0000b') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => 'é'.repeat(n)) },
);

/** Bodies of the route's own shape with hostile values, so some requests pass validation and reach the store. */
function shapedBodyArb(route: RouteDef): fc.Arbitrary<unknown> | undefined {
  const slugish = fc.oneof(fc.stringMatching(/^[a-z0-9]+(-[a-z0-9]+)*$/), hostileText);
  switch (route.id) {
    case 'create-release':
      return fc.record(
        {
          templateId: fc.oneof(fc.constantFrom('toolboxai-v1', 'mantisdb-v1'), slugish),
          name: hostileText,
          version: hostileText,
          description: hostileText,
          plannedAt: fc.oneof(
            { weight: 3, arbitrary: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()) },
            {
              weight: 1,
              arbitrary: fc.constantFrom('2026-02-30T00:00:00Z', '2026-12-01T09:00:00+14:00', '2026-12-01', 'tomorrow'),
            },
          ),
        },
        { requiredKeys: ['templateId', 'name', 'version'] },
      );
    case 'update-item':
      return fc.record(
        {
          status: fc.oneof(fc.constantFrom(...ITEM_STATUSES), hostileText),
          evidence: fc.record(
            {
              url: fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), hostileText),
              note: hostileText,
            },
            { requiredKeys: [] },
          ),
          reason: hostileText,
          expectedVersion: fc.oneof(fc.nat(3), fc.constantFrom(-1, 1.5, 2 ** 53)),
        },
        { requiredKeys: ['status'] },
      );
    case 'record-signoff':
      return fc.record(
        {
          gate: fc.oneof(fc.constantFrom('pre-release', 'confirmation', 'staging'), slugish),
          role: fc.oneof(fc.constantFrom('qa-lead', 'release-manager', 'security-lead'), slugish),
          decision: fc.constantFrom('approve', 'reject', 'abstain'),
          comment: hostileText,
        },
        { requiredKeys: ['gate', 'role', 'decision'] },
      );
    default:
      return undefined;
  }
}

const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

const genericBodyArbs: fc.WeightedArbitrary<Uint8Array | undefined>[] = [
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: jsonText.map(utf8) },
  // Near misses: the fields the schemas know, with hostile values, so validation runs deep.
  {
    weight: 4,
    arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), fieldValueArb, { maxKeys: 5 }).map((value) => {
      return utf8(JSON.stringify(value));
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"evidence":', '}'], ['[{"x":', '}]']), fc.nat(60_000))
      .map(([[open, close], depth]) => utf8(`${open.repeat(depth)}1${close.repeat(depth)}`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 256 * 1024 - 64, max: 600 * 1024 })
      .map((n) => utf8(JSON.stringify({ status: 'done', reason: 'x'.repeat(n) }))),
  },
  // Invalid UTF-8: raw bytes, and bytes spliced into an otherwise valid body.
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 20 })
      .map((bytes) => new Uint8Array(Buffer.concat([Buffer.from('{"status":"'), bytes, Buffer.from('"}')]))),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }).map(utf8) },
];

/** A body for the route: one of its own shape with hostile values, or anything at all. */
function bodyArb(route: RouteDef): fc.Arbitrary<Uint8Array | undefined> {
  const shaped = shapedBodyArb(route);
  return fc.oneof(
    ...genericBodyArbs,
    ...(shaped ? [{ weight: 5, arbitrary: shaped.map((value) => utf8(JSON.stringify(value))) }] : []),
  );
}

describe('hostile input never gets a 5xx, and every refusal is a well-formed problem', () => {
  let dataDir: string;
  let local: LocalProcess;
  let valid: string;
  let releaseId: string;

  before(async () => {
    dataDir = tempDataDir();
    local = await startLocalProcess(dataDir);
    const issuer = await loadOrCreateIssuer(dataDir);
    valid = await issuer.sign({ user: 'hostile', roles: ['release-manager', 'qa-lead'] });
    const created = await fetch(`${local.url}/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${valid}`, 'content-type': 'application/json' },
      body: JSON.stringify({ templateId: 'toolboxai-v1', name: 'Hostile', version: '6.6.6' }),
    });
    assert.equal(created.status, 201);
    releaseId = ((await created.json()) as { id: string }).id;
  });

  after(async () => {
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  /** Values that name real things, so some requests get past the 404s. */
  const known = (): Record<string, readonly string[]> => ({
    releaseId: [releaseId],
    templateId: ['toolboxai-v1', 'mantisdb-v1'],
    itemId: ['python-test-suite', 'mfa-functionality-validated-totp', 'all-tests-passing'], // the last is a group
    gate: ['pre-release', 'confirmation', 'staging'],
    role: ['qa-lead', 'release-manager', 'security-lead'],
  });

  function hostileArb(route: RouteDef): fc.Arbitrary<Hostile> {
    const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '');
    const values = known();
    return fc.record({
      path: fc.tuple(...names.map((name) => segmentArb(values[name] ?? ['x']))).map((segments) => {
        let n = 0;
        return route.path.replace(/\{(\w+)\}/g, () => segments[n++] ?? '');
      }),
      query: queryArb,
      headers: headersArb,
      auth: fc.constantFrom<Hostile['auth']>('valid', 'valid', 'valid', 'valid', 'none', 'garbage'),
      garbageToken: fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.='.split('')), maxLength: 300 }),
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        { weight: 1, arbitrary: fc.constant(null) },
      ),
      // fetch sends no body with GET.
      body: route.method === 'GET' ? fc.constant(undefined) : bodyArb(route),
    });
  }

  async function send(route: RouteDef, request: Hostile): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...request.headers };
    if (request.auth === 'valid') headers.authorization = `Bearer ${valid}`;
    if (request.auth === 'garbage') headers.authorization = `Bearer ${request.garbageToken}`;
    if (request.contentType !== null) headers['content-type'] = request.contentType;
    const url = `${local.url}${request.path}${request.query ? `?${request.query}` : ''}`.slice(0, MAX_URL);
    const response = await fetch(url, { method: route.method, headers, body: request.body });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: left as text, which the checks below refuse
    }
    return { status: response.status, headers: response.headers, body };
  }

  /** The property: no 5xx; a function's 4xx is problem+json; what the gateway refuses is its own message JSON. */
  function assertWellFormed(route: RouteDef, request: Hostile, response: ApiResponse): void {
    const seen = `${route.method} ${request.path}?${request.query.slice(0, 200)} -> ${response.status} ${JSON.stringify(response.body)?.slice(0, 500)}`;
    assert.ok(response.status < 500, `5xx: ${seen}`);
    if (response.headers.get('apigw-requestid') === null) {
      // Answered by the gateway: no route for this path, no valid token, or over the 10 MB quota.
      assert.ok([401, 404, 413].includes(response.status), `gateway answer ${seen}`);
      assertGatewayAnswer(response, response.status as 401 | 404 | 413, seen);
      if (response.status === 401) {
        assertUnauthorized(response, seen);
        assert.notEqual(request.auth, 'valid', `a valid token was refused: ${seen}`);
      }
      return;
    }
    // A function answered: only a caller with a valid token gets that far on an authenticated route.
    if (route.authenticated) assert.equal(request.auth, 'valid', `reached a function without a token: ${seen}`);
    if (response.status >= 400) assertProblem(response, response.status, seen);
    else {
      assert.ok(response.status >= 200 && response.status < 300, seen);
      if (route.path.endsWith('.md')) {
        // The checklist exports answer Markdown.
        assert.equal(response.headers.get('content-type'), 'text/markdown; charset=utf-8', seen);
        assert.equal(typeof response.body, 'string', seen);
        return;
      }
      assert.equal(response.headers.get('content-type'), 'application/json', seen);
      assert.equal(typeof response.body, 'object', seen);
    }
  }

  for (const route of routes) {
    it(`${route.method} ${route.path} (${RUNS_PER_ROUTE} hostile requests, seed ${SEED})`, async (t) => {
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(hostileArb(route), async (request) => {
          const response = await send(route, request);
          const by = response.headers.get('apigw-requestid') === null ? 'gateway' : 'function';
          seen.set(`${by} ${response.status}`, (seen.get(`${by} ${response.status}`) ?? 0) + 1);
          assertWellFormed(route, request, response);
        }),
        { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
      const outcomes = [...seen].sort().map(([outcome, count]) => `${outcome} x${count}`);
      t.diagnostic(outcomes.join(', '));
      // Not vacuous: some hostile requests got past the gateway to the function; where the route takes input, the
      // function refused some; and the gateway turned away those without a valid token.
      assert.ok(
        outcomes.some((outcome) => outcome.startsWith('function')),
        `no request reached the function: ${outcomes}`,
      );
      const takesInput = route.path.includes('{') || route.method !== 'GET' || route.id === 'list-releases';
      if (takesInput) {
        assert.ok(
          outcomes.some((outcome) => outcome.startsWith('function 4')),
          `the function refused nothing: ${outcomes}`,
        );
      }
      if (route.authenticated) assert.ok(seen.has('gateway 401'), `no request was turned away: ${outcomes}`);
    });
  }

  // The same bodies, sent the way a client would (right path, token and content type), so that many pass
  // validation and hostile text reaches the rules and the store.
  const shapedAnswers: Readonly<Record<string, readonly number[]>> = {
    'create-release': [201, 400, 404],
    'update-item': [200, 400, 409], // 409: a stale expectedVersion, or a group item
    'record-signoff': [200, 400, 403, 409], // 403: a role the caller lacks; 409: a gate not open, one person two roles
  };
  for (const route of routes.filter((candidate) => shapedBodyArb(candidate) !== undefined)) {
    it(`${route.method} ${route.path} with well-formed requests carrying hostile values (seed ${SEED})`, async () => {
      const shaped = shapedBodyArb(route);
      assert.ok(shaped, 'a route with a body');
      const allowed = shapedAnswers[route.id];
      assert.ok(allowed, `list the answers ${route.id} may give`);
      const statuses: number[] = [];
      const pathArb = fc.record({
        itemId: fc.constantFrom('python-test-suite', 'mfa-functionality-validated-totp', 'bandit', 'all-tests-passing'),
      });
      await fc.assert(
        fc.asyncProperty(shaped, pathArb, async (body, { itemId }) => {
          const path = route.path.replace('{releaseId}', releaseId).replace('{itemId}', itemId);
          const request: Hostile = {
            path,
            query: '',
            headers: {},
            auth: 'valid',
            garbageToken: '',
            contentType: 'application/json',
            body: utf8(JSON.stringify(body)),
          };
          const response = await send(route, request);
          statuses.push(response.status);
          assertWellFormed(route, request, response);
          assert.ok(allowed.includes(response.status), `${response.status} ${JSON.stringify(response.body)}`);
        }),
        { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
      assert.ok(
        statuses.some((status) => status < 300),
        `no request passed validation: ${statuses}`,
      );
    });
  }

  it('answers a body over the gateway quota (10 MB) with the gateway message', async () => {
    const response = await fetch(`${local.url}/releases/${releaseId}/items/python-test-suite`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${valid}`, 'content-type': 'application/json' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    const body: unknown = await response.json();
    assertGatewayAnswer({ status: response.status, headers: response.headers, body }, 413);
  });

  it('printed no crash and logged no unhandled error while under attack', () => {
    assert.doesNotMatch(local.output(), /handler crashed/);
    assert.doesNotMatch(local.output(), /unhandled error/);
  });

  // A cursor with the right scope and key names but key values its listing never returned (empty strings, another
  // release's key, another index's partition) must not reach DynamoDB, which would refuse it with an error.
  it('answers a forged cursor that has the right shape with a 400 naming cursor, never a 500', async () => {
    // Empty, random, and values shaped like the keys each listing really uses (so some forgeries look right).
    const keyValue = fc.oneof(
      fc.constant(''),
      fc.string({ maxLength: 20 }),
      fc.constantFrom('REL#x', `REL#${releaseId}`, 'R#META', 'E#', 'RELEASES', 'STATUS#PRE_RELEASE', 'STATUS#STAGING'),
      fc
        .tuple(fc.constantFrom('REL#', 'E#', 'R#', '2026-'), fc.string({ minLength: 1, maxLength: 30 }))
        .map(([prefix, rest]) => `${prefix}${rest}`),
    );
    const forged = fc.oneof(
      fc
        .record({ pk: keyValue, sk: keyValue, gsi2pk: keyValue, gsi2sk: keyValue })
        .map((k) => ({ path: '/releases', scope: 'releases:*', k })),
      fc
        .record({ pk: keyValue, sk: keyValue, gsi1pk: keyValue, gsi1sk: keyValue })
        .map((k) => ({ path: '/releases?status=PRE_RELEASE', scope: 'releases:PRE_RELEASE', k })),
      fc
        .record({ pk: keyValue, sk: keyValue })
        .map((k) => ({ path: `/releases/${releaseId}/events`, scope: `events:${releaseId}`, k })),
    );
    await fc.assert(
      fc.asyncProperty(forged, async ({ path, scope, k }) => {
        const cursor = Buffer.from(JSON.stringify({ s: scope, k })).toString('base64url');
        const separator = path.includes('?') ? '&' : '?';
        const response = await fetch(`${local.url}${path}${separator}cursor=${cursor}`, {
          headers: { authorization: `Bearer ${valid}` },
        });
        const body: unknown = await response.json();
        const seen = `GET ${path} cursor ${JSON.stringify({ s: scope, k })} -> ${response.status} ${JSON.stringify(body)}`;
        assert.ok(response.status < 500, seen);
        if (response.status !== 200) {
          const problem = assertProblem({ status: response.status, headers: response.headers, body }, 400, seen);
          assert.equal(problem.errors?.[0]?.field, 'cursor', seen);
        }
      }),
      { seed: SEED, numRuns: 20, endOnFailure: true },
    );
  });

  it('printed no handler crash even for forged cursors', () => {
    assert.doesNotMatch(local.output(), /handler crashed/);
  });
});
