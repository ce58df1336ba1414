// The permission matrix over the local HTTP API: every route of the route table times every kind of caller, each
// cell's expected answer written down as data (from the rules in lambdas/core/auth/permissions.ts and the route semantics).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RouteDef } from '../../lambdas/functions/catalog.ts';
import { routes } from '../../lambdas/functions/catalog.ts';
import { loadOrCreateIssuer } from '../../local/issuer.ts';
import { CALLERS, type Caller } from '../support/callers.ts';
import {
  type ApiResponse,
  api,
  assertProblem,
  assertUnauthorized,
  type LocalProcess,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
} from '../support/local-process.ts';

/**
 * A cell: the status, and for a 400 the field its problem names, for a 409 the problem's code. A 403 is a
 * problem+json whose `permission` is the row's; a 401 is the gateway's own answer.
 */
type Cell =
  | '200'
  | '201'
  | '401'
  | '403'
  | '404'
  | '400 role'
  | '409 not-signer'
  | '409 wait-not-satisfied'
  | '409 rollback-not-allowed'
  | '409 nothing-to-acknowledge'
  | '409 nothing-to-dismiss';
type Cells = readonly [Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell];

/**
 * What a row's request acts on. `item`: a manual, an automated or a metric-backed item of the pre-release phase.
 * `role`: the role signed, or whose sign-off of the pre-release gate is withdrawn. `signedBy`: who signed that role
 * before the withdrawal: the matrix's caller holding the role, another person holding it, or nobody.
 */
interface Case {
  readonly item?: keyof typeof ITEMS;
  readonly role?: string;
  readonly signedBy?: 'caller' | 'another holder' | 'nobody';
}

/** A row: the route's id in the route table, what its request acts on, the permission a 403 names, the cells. */
type Row = readonly [route: string, on: Case, permission: string, cells: Cells];

const TEMPLATE = 'toolboxai-v1';
const GATE = 'pre-release'; // signed by engineering-manager, security-lead, qa-lead, devops-lead, product-manager
const ITEMS = {
  manual: 'oauth-2-1-implementation-reviewed-and-verified',
  automated: 'python-test-suite',
  metric: 'p95-latency',
} as const;

// biome-ignore format: the permission matrix reads as a table
const MATRIX: readonly Row[] = [
  // route             case                                                         403 names                          anon   RM          EM                EL          SL                QA                DO                PM                intern      m:read m:items m:metr m:none
  ['health',           {},                                                          '',                               ['200', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '200', '200', '200']],
  ['ready',            {},                                                          '',                               ['200', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '200', '200', '200']],
  ['openapi',          {},                                                          '',                               ['200', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '200', '200', '200']],
  ['list-templates',   {},                                                          'release:read',                   ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '403', '403', '403']],
  ['get-template',     {},                                                          'release:read',                   ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '403', '403', '403']],
  ['get-template-version', {},                                                      'release:read',                   ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '403', '403', '403']],
  ['export-template',  {},                                                          'release:read',                   ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '403', '403', '403']],
  ['import-template',  {},                                                          'templates:manage',               ['401', '201',      '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['archive-template', {},                                                          'templates:manage',               ['401', '200',      '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['list-releases',    {},                                                          'release:read',                   ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '403', '403', '403']],
  ['get-release',      {},                                                          'release:read',                   ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '403', '403', '403']],
  ['export-release',   {},                                                          'release:read',                   ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '403', '403', '403']],
  ['list-events',      {},                                                          'release:read',                   ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '403', '403', '403']],
  ['create-release',   {},                                                          'release:create',                 ['401', '201',      '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['update-item',      { item: 'manual' },                                          `item:update:${ITEMS.manual}`,    ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '403',      '403', '403', '403', '403']],
  ['update-item',      { item: 'automated' },                                       `item:update:${ITEMS.automated}`, ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '403',      '403', '200', '403', '403']],
  ['update-item',      { item: 'metric' },                                          `item:update:${ITEMS.metric}`,    ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '403',      '403', '403', '403', '403']],
  ['record-signoff',   { role: 'release-manager' },                                 'signoff:release-manager',        ['401', '400 role', '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['record-signoff',   { role: 'engineering-manager' },                             'signoff:engineering-manager',    ['401', '403',      '200',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['record-signoff',   { role: 'engineering-lead' },                                'signoff:engineering-lead',       ['401', '403',      '403',            '400 role', '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['record-signoff',   { role: 'security-lead' },                                   'signoff:security-lead',          ['401', '403',      '403',            '403',      '200',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['record-signoff',   { role: 'qa-lead' },                                         'signoff:qa-lead',                ['401', '403',      '403',            '403',      '403',            '200',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['record-signoff',   { role: 'devops-lead' },                                     'signoff:devops-lead',            ['401', '403',      '403',            '403',      '403',            '403',            '200',            '403',            '403',      '403', '403', '403', '403']],
  ['record-signoff',   { role: 'product-manager' },                                 'signoff:product-manager',        ['401', '403',      '403',            '403',      '403',            '403',            '403',            '200',            '403',      '403', '403', '403', '403']],
  ['record-signoff',   { role: 'intern' },                                          'signoff:intern',                 ['401', '403',      '403',            '403',      '403',            '403',            '403',            '403',            '400 role', '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'engineering-manager', signedBy: 'caller' },         'signoff:engineering-manager',    ['401', '403',      '200',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'engineering-manager', signedBy: 'another holder' }, 'signoff:engineering-manager',    ['401', '403',      '409 not-signer', '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'engineering-manager', signedBy: 'nobody' },         'signoff:engineering-manager',    ['401', '403',      '404',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'security-lead', signedBy: 'caller' },               'signoff:security-lead',          ['401', '403',      '403',            '403',      '200',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'security-lead', signedBy: 'another holder' },       'signoff:security-lead',          ['401', '403',      '403',            '403',      '409 not-signer', '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'security-lead', signedBy: 'nobody' },               'signoff:security-lead',          ['401', '403',      '403',            '403',      '404',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'qa-lead', signedBy: 'caller' },                     'signoff:qa-lead',                ['401', '403',      '403',            '403',      '403',            '200',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'qa-lead', signedBy: 'another holder' },             'signoff:qa-lead',                ['401', '403',      '403',            '403',      '403',            '409 not-signer', '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'qa-lead', signedBy: 'nobody' },                     'signoff:qa-lead',                ['401', '403',      '403',            '403',      '403',            '404',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'devops-lead', signedBy: 'caller' },                 'signoff:devops-lead',            ['401', '403',      '403',            '403',      '403',            '403',            '200',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'devops-lead', signedBy: 'another holder' },         'signoff:devops-lead',            ['401', '403',      '403',            '403',      '403',            '403',            '409 not-signer', '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'devops-lead', signedBy: 'nobody' },                 'signoff:devops-lead',            ['401', '403',      '403',            '403',      '403',            '403',            '404',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'product-manager', signedBy: 'caller' },             'signoff:product-manager',        ['401', '403',      '403',            '403',      '403',            '403',            '403',            '200',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'product-manager', signedBy: 'another holder' },     'signoff:product-manager',        ['401', '403',      '403',            '403',      '403',            '403',            '403',            '409 not-signer', '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'product-manager', signedBy: 'nobody' },             'signoff:product-manager',        ['401', '403',      '403',            '403',      '403',            '403',            '403',            '404',            '403',      '403', '403', '403', '403']],
  // Roles that do not sign the pre-release gate: a holder gets 400 `role` (nobody can have signed), others 403.
  ['withdraw-signoff', { role: 'release-manager', signedBy: 'nobody' },             'signoff:release-manager',        ['401', '400 role', '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'engineering-lead', signedBy: 'nobody' },            'signoff:engineering-lead',       ['401', '403',      '403',            '400 role', '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['withdraw-signoff', { role: 'intern', signedBy: 'nobody' },                      'signoff:intern',                 ['401', '403',      '403',            '403',      '403',            '403',            '403',            '403',            '400 role', '403', '403', '403', '403']],
  // A fresh release waits at its pre-release gate: advancing it says what is missing; it is not in production yet.
  ['advance-release',  {},                                                          'release:advance',                ['401', '409 wait-not-satisfied', '403', '403', '403',         '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['resume-release',   {},                                                          'release:advance',                ['401', '200',      '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['rollback-release', {},                                                          'release:rollback',               ['401', '409 rollback-not-allowed', '403', '403', '403',       '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  // The chain's roles (and the release manager) may acknowledge; a fresh release has nothing to acknowledge.
  ['acknowledge-release', {},                                                       'release:acknowledge',            ['401', '409 nothing-to-acknowledge', '403', '409 nothing-to-acknowledge', '403', '403', '403', '409 nothing-to-acknowledge', '403', '403', '403', '403', '403']],
  ['record-metrics',   {},                                                          'metrics:write',                  ['401', '403',      '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '200', '403']],
  ['get-report',       {},                                                          'release:read',                   ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '403', '403', '403']],
  ['list-notifications', {},                                                        'release:read',                   ['401', '200',      '200',            '200',      '200',            '200',            '200',            '200',            '200',      '200', '403', '403', '403']],
  ['create-contact',   {},                                                          'contacts:manage',                ['401', '201',      '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['list-contacts',    {},                                                          'contacts:manage',                ['401', '200',      '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['delete-contact',   {},                                                          'contacts:manage',                ['401', '200',      '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['dismiss-rollback', {},                                                          'release:rollback',               ['401', '409 nothing-to-dismiss', '403', '403', '403',         '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
  ['cancel-release',   {},                                                          'release:cancel',                 ['401', '200',      '403',            '403',      '403',            '403',            '403',            '403',            '403',      '403', '403', '403', '403']],
];

const routeKey = (route: RouteDef): string => `${route.method} ${route.path}`;

/** The route's path with its `{name}` parameters filled in; a parameter with no value is a bug of this test. */
function fill(route: RouteDef, values: Record<string, string>): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}} of ${routeKey(route)}`);
    return encodeURIComponent(value);
  });
}

/** Runs tasks with at most `limit` of them in flight, keeping their order. */
async function pooled<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      const task = tasks[index];
      if (task) results[index] = await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

describe('the permission matrix: every route times every caller', () => {
  let dataDir: string;
  let local: LocalProcess;
  /** Bearer token of each caller (none for anonymous), and of a second holder of each role. */
  const tokens = new Map<string, string>();
  const otherHolders = new Map<string, string>();
  /** The id the API records for each caller. */
  const actorIds = new Map<Caller, string>();
  /** A release for the reads, whose state no cell changes. */
  let sharedRelease: string;
  /** A contact for the removal row: only the release manager's cell removes it. */
  let sharedContact: string;

  const token = (caller: string): string => {
    const found = tokens.get(caller);
    if (!found) throw new Error(`no token for ${caller}`);
    return found;
  };

  before(async () => {
    dataDir = tempDataDir();
    local = await startLocalProcess(dataDir);
    const issuer = await loadOrCreateIssuer(dataDir);
    for (const caller of CALLERS) {
      if (caller === 'anonymous') continue;
      if (caller.startsWith('machine:')) {
        const scope = caller.slice('machine:'.length);
        const scopes = scope === 'none' ? [] : [`shipgate/${scope}`];
        tokens.set(caller, await issuer.sign({ user: 'ci', machine: true, scopes }));
        actorIds.set(caller, issuer.audience);
      } else {
        tokens.set(caller, await issuer.sign({ user: `u-${caller}`, name: caller, roles: [caller] }));
        actorIds.set(caller, `u-${caller}`);
        otherHolders.set(caller, await issuer.sign({ user: `other-${caller}`, roles: [caller] }));
      }
    }
    sharedRelease = await createRelease();
    const contact = await api(local.url, 'POST', '/contacts', {
      token: token('release-manager'),
      body: { name: 'Matrix contact', email: 'matrix@example.com', roles: ['qa-lead'] },
    });
    assert.equal(contact.status, 201, JSON.stringify(contact.body));
    sharedContact = contact.body.id;
  });

  after(async () => {
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  async function createRelease(): Promise<string> {
    const response = await api(local.url, 'POST', '/releases', {
      token: token('release-manager'),
      body: { templateId: TEMPLATE, name: 'Permission matrix', version: '1.0.0' },
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id;
  }

  /** A fresh release in the state the case needs: the case's role signed by whom it says. */
  async function prepare(on: Case): Promise<string> {
    const releaseId = await createRelease();
    if (on.role && (on.signedBy === 'caller' || on.signedBy === 'another holder')) {
      const signer = on.signedBy === 'caller' ? token(on.role) : otherHolders.get(on.role);
      const signed = await api(local.url, 'POST', `/releases/${releaseId}/signoffs`, {
        token: signer,
        body: { gate: GATE, role: on.role, decision: 'approve' },
      });
      assert.equal(signed.status, 200, `setup: ${on.role} signs: ${JSON.stringify(signed.body)}`);
    }
    return releaseId;
  }

  /** The request of a row for one release: path parameters and body follow the row's case. */
  function request(
    route: RouteDef,
    on: Case,
    releaseId: string,
  ): { path: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } {
    const itemId = on.item ? ITEMS[on.item] : ITEMS.manual;
    const path = fill(route, {
      releaseId,
      templateId: TEMPLATE,
      itemId,
      gate: GATE,
      role: on.role ?? 'qa-lead',
      contactId: sharedContact,
      version: '1',
    });
    switch (route.id) {
      case 'create-release':
        return { path, body: { templateId: TEMPLATE, name: 'Matrix release', version: '2.0.0' } };
      case 'update-item':
        return { path, body: { status: 'done', evidence: { note: 'permission matrix' } } };
      case 'record-signoff':
        return { path, body: { gate: GATE, role: on.role, decision: 'approve' } };
      case 'rollback-release':
      case 'dismiss-rollback':
      case 'cancel-release':
        return { path, body: { reason: 'permission matrix' } };
      case 'acknowledge-release':
        return { path, body: { note: 'permission matrix' } };
      case 'record-metrics':
        return { path, body: { samples: [{ name: 'api.latency.p95', value: 120, unit: 'Milliseconds' }] } };
      case 'create-contact':
        return { path, body: { name: 'New contact', phone: '+14155550123', roles: ['devops-lead'] } };
      case 'import-template':
        return {
          path: `${path}?id=matrix-import`,
          rawBody: '# Matrix import\n\n## Before release\n- [ ] Run the tests\n',
          headers: { 'content-type': 'text/markdown' },
        };
      // Bringing back a template that is not archived changes nothing the other rows depend on.
      case 'archive-template':
        return { path, body: { archived: false } };
      default:
        return { path };
    }
  }

  /** What a success must look like beyond its status; the route's own answer, not just any 2xx. */
  function assertSuccess(route: RouteDef, on: Case, caller: Caller, releaseId: string, response: ApiResponse) {
    const seen = JSON.stringify(response.body);
    if (route.id === 'export-template' || route.id === 'export-release') {
      assert.equal(response.headers.get('content-type'), 'text/markdown; charset=utf-8', seen);
      assert.match(String(response.body), /- \[[ x]\] /, 'a checklist');
      return;
    }
    assert.equal(response.headers.get('content-type'), 'application/json', seen);
    switch (route.id) {
      case 'health':
        assert.equal(response.body.status, 'ok', seen);
        break;
      case 'ready':
        assert.deepEqual(response.body, { status: 'ready', service: 'shipgate', database: 'ok' }, seen);
        break;
      case 'openapi':
        assert.equal(response.body.openapi, '3.1.0', seen);
        break;
      case 'list-templates':
      case 'list-releases':
      case 'list-events':
      case 'list-contacts':
        assert.ok(Array.isArray(response.body.items) && response.body.items.length > 0, seen);
        break;
      case 'list-notifications':
        assert.ok(Array.isArray(response.body.items), seen);
        break;
      case 'record-metrics':
        assert.equal(response.body.accepted, 1, seen);
        assert.equal(response.body.evaluated, false, 'not monitoring yet');
        break;
      case 'get-report':
        assert.equal(response.body.releaseId, releaseId, seen);
        assert.deepEqual(response.body.windows, [], seen);
        break;
      case 'create-contact':
        assert.equal(response.headers.get('location'), `/contacts/${response.body.id}`, seen);
        assert.deepEqual(response.body.roles, ['devops-lead'], seen);
        break;
      case 'delete-contact':
        assert.equal(response.body.id, sharedContact, seen);
        break;
      case 'get-template':
        assert.equal(response.body.id, TEMPLATE, seen);
        break;
      case 'get-template-version':
        assert.equal(response.body.id, TEMPLATE, seen);
        assert.equal(response.body.version, 1, seen);
        break;
      case 'import-template':
        assert.equal(response.headers.get('location'), `/templates/matrix-import/versions/${response.body.version}`);
        assert.equal(response.body.template.id, 'matrix-import', seen);
        break;
      case 'archive-template':
        assert.equal(response.body.id, TEMPLATE, seen);
        break;
      case 'get-release':
        assert.equal(response.body.id, releaseId, seen);
        break;
      case 'create-release':
        assert.equal(response.headers.get('location'), `/releases/${response.body.id}`, seen);
        break;
      case 'update-item':
        assert.equal(response.body.id, on.item ? ITEMS[on.item] : undefined, seen);
        assert.equal(response.body.status, 'done', seen);
        assert.equal(response.body.updatedBy?.id, actorIds.get(caller), seen);
        break;
      case 'record-signoff':
        assert.equal(response.body.signoff.role, on.role, seen);
        assert.equal(response.body.signoff.decision, 'approve', seen);
        assert.equal(response.body.signoff.by.id, actorIds.get(caller), seen);
        break;
      case 'resume-release':
        assert.equal(response.body.id, releaseId, seen);
        assert.equal(response.body.status, 'PRE_RELEASE', seen);
        break;
      case 'cancel-release':
        assert.equal(response.body.id, releaseId, seen);
        assert.equal(response.body.status, 'CANCELLED', seen);
        break;
      case 'withdraw-signoff':
        assert.equal(response.body.signoff.role, on.role, seen);
        assert.equal(response.body.signoff.decision, 'withdrawn', seen);
        assert.equal(response.body.signoff.by.id, actorIds.get(caller), seen);
        break;
      default:
        assert.fail(`no success check for route ${route.id}: add one`);
    }
  }

  /** Checks one cell; returns what is wrong with it, or nothing. */
  function check(
    route: RouteDef,
    [, on, permission]: Row,
    caller: Caller,
    cell: Cell,
    releaseId: string,
    response: ApiResponse,
  ): string[] {
    const label = `${routeKey(route)} ${JSON.stringify(on)} as ${caller}: expected ${cell}`;
    try {
      const [status, detail] = cell.split(' ');
      if (status === '401') assertUnauthorized(response, label);
      else if (status === '200' || status === '201') {
        assert.equal(
          response.status,
          Number(status),
          `${label}, got ${response.status} ${JSON.stringify(response.body)}`,
        );
        assertSuccess(route, on, caller, releaseId, response);
      } else {
        const problem = assertProblem(response, Number(status), label);
        if (status === '403') {
          assert.ok(permission !== '', `${label}: the row names no permission`);
          assert.equal(problem.type, '/problems/forbidden', label);
          assert.equal(problem.permission, permission, label);
        } else if (status === '400') {
          assert.ok(
            problem.errors?.some((issue: { field: string }) => issue.field === detail),
            `${label}: names ${detail}: ${JSON.stringify(problem)}`,
          );
        } else if (status === '404') {
          assert.equal(problem.type, '/problems/not-found', label);
        } else if (status === '409') {
          assert.equal(problem.type, `/problems/${detail}`, label);
        }
      }
      return [];
    } catch (error) {
      return [error instanceof Error ? error.message : String(error)];
    }
  }

  /**
   * How many audit events callers caused on a release; every accepted change adds one, a refused request none.
   * The workflow's own events (phase and wait changes, recorded as the Shipgate workflow) follow on their own time
   * and are not counted.
   */
  async function eventCount(releaseId: string): Promise<number> {
    const events = await api(local.url, 'GET', `/releases/${releaseId}/events?limit=200`, {
      token: token('release-manager'),
    });
    assert.equal(events.status, 200, JSON.stringify(events.body));
    return events.body.items.filter((event: { actor: { id: string } }) => event.actor.id !== 'shipgate').length;
  }

  /**
   * Runs one row: every caller's request at once, on a fresh release where the row's state matters; then checks
   * that each release written to gained one audit event per accepted cell and none for a refused one.
   */
  async function runRow(route: RouteDef, row: Row): Promise<string[]> {
    const [, on, , cells] = row;
    const writesRelease = route.path.startsWith('/releases/') && route.method !== 'GET';
    // Several callers may tick the same item: each PATCH cell gets its own release so none sees another's change.
    const perCell = route.method === 'PATCH';
    const rowRelease = writesRelease && !perCell ? await prepare(on) : sharedRelease;
    const setupEvents = on.signedBy === 'caller' || on.signedBy === 'another holder' ? 2 : 1;
    /** Release id -> the events it must end with. */
    const expectedEvents = new Map<string, number>();
    if (writesRelease && !perCell) expectedEvents.set(rowRelease, setupEvents);
    const failures = await Promise.all(
      CALLERS.map(async (caller, column) => {
        const cell = cells[column];
        if (!cell) return [`${routeKey(route)}: no cell for ${caller}`];
        const releaseId = perCell ? await prepare(on) : rowRelease;
        if (perCell) expectedEvents.set(releaseId, setupEvents);
        // Metric samples are data, not changes of the release: they add no audit event.
        if (writesRelease && cell.startsWith('2') && route.id !== 'record-metrics') {
          expectedEvents.set(releaseId, (expectedEvents.get(releaseId) ?? setupEvents) + 1);
        }
        const { path, body, rawBody, headers } = request(route, on, releaseId);
        const response = await api(local.url, route.method, path, {
          ...(caller === 'anonymous' ? {} : { token: token(caller) }),
          ...(body === undefined ? {} : { body }),
          ...(rawBody === undefined ? {} : { rawBody, headers }),
        });
        return check(route, row, caller, cell, releaseId, response);
      }),
    );
    for (const [releaseId, expected] of expectedEvents) {
      const actual = await eventCount(releaseId);
      if (actual !== expected) {
        failures.push([`${routeKey(route)} ${JSON.stringify(on)}: ${actual} audit events, expected ${expected}`]);
      }
    }
    return failures.flat();
  }

  it('covers every route of the route table, and every caller in each row', () => {
    assert.deepEqual(
      [...new Set(MATRIX.map(([route]) => route))].sort(),
      routes.map((route) => route.id).sort(),
      'the matrix must have rows for exactly the routes of lambdas/functions/catalog.ts',
    );
    for (const [route, on, , cells] of MATRIX) {
      assert.equal(cells.length, CALLERS.length, `${route} ${JSON.stringify(on)}`);
    }
  });

  for (const route of routes) {
    it(`${routeKey(route)}: each caller gets the answer the matrix says`, async () => {
      const rows = MATRIX.filter(([id]) => id === route.id);
      assert.ok(rows.length > 0, `the matrix has no row for ${routeKey(route)}: add one`);
      const failures = (
        await pooled(
          rows.map((row) => () => runRow(route, row)),
          6,
        )
      ).flat();
      assert.deepEqual(failures, [], `${failures.length} of ${rows.length * CALLERS.length} cells differ`);
    });
  }

  it('logged no crash while the matrix ran', () => {
    assert.doesNotMatch(local.output(), /handler crashed|unhandled error/);
  });
});
