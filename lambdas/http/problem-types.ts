// Every problem type the HTTP API answers with (RFC 9457 `type`), for its OpenAPI document and for clients that
// branch on them. A domain error's code is the last segment of its type; a test fails when the code raises one that
// is not listed here.

export interface ProblemType {
  readonly status: number;
  readonly title: string;
  /** What it means, in one line. */
  readonly meaning: string;
  /** The answer carries Retry-After. */
  readonly retryAfter?: boolean;
  /** An example of the members besides type, title and status. */
  readonly example: Readonly<Record<string, unknown>>;
}

const RELEASE = '/releases/01JFQ8Z3K4M5N6P7Q8R9S0T1V2';

const rule = (meaning: string, detail: string, extra: Record<string, unknown> = {}): ProblemType => ({
  status: 409,
  title: 'Conflict',
  meaning,
  example: { detail, instance: RELEASE, ...extra },
});

export const PROBLEM_TYPES: Readonly<Record<string, ProblemType>> = {
  '/problems/validation-failed': {
    status: 400,
    title: 'Bad Request',
    meaning: 'the request is malformed; `errors` names each field and what to change',
    example: {
      detail: 'templateId: must be a lowercase slug such as qa-lead',
      instance: '/releases',
      errors: [{ field: 'templateId', message: 'must be a lowercase slug such as qa-lead' }],
    },
  },
  '/problems/unauthenticated': {
    status: 401,
    title: 'Unauthorized',
    meaning: 'no usable token: missing, expired, for another audience or badly signed (also in WWW-Authenticate)',
    example: { detail: 'the token has expired', instance: '/releases', reason: 'expired' },
  },
  '/problems/forbidden': {
    status: 403,
    title: 'Forbidden',
    meaning: 'the caller lacks the permission; `allowed` names the roles or scopes that have it',
    example: {
      detail: 'creating a release needs the role release-manager',
      instance: '/releases',
      permission: 'release:create',
      allowed: { roles: ['release-manager'], scopes: [] },
    },
  },
  '/problems/not-found': {
    status: 404,
    title: 'Not Found',
    meaning: 'the release, template, item, gate or contact does not exist',
    example: {
      detail: "release '01JFQ8Z3K4' does not exist",
      instance: RELEASE,
      resource: 'release',
      id: '01JFQ8Z3K4',
    },
  },
  '/problems/stale-version': rule(
    'a concurrent change landed first, or `expectedVersion` is old: reload and decide again',
    "item 'changelog' is at version 3, not 2",
  ),
  '/problems/gate-not-open': rule(
    'the gate is not the one the release waits at',
    "gate 'production' is not open: the release is PRE_RELEASE in phase 'pre-release'",
  ),
  '/problems/separation-of-duties': rule(
    'one person would fill two roles of a gate, or approve their own release alone',
    "quinn already signed gate 'pre-release' as qa-lead; one person cannot fill two roles of a gate",
    { otherRole: 'qa-lead' },
  ),
  '/problems/not-signer': rule(
    'only the signer can withdraw a sign-off',
    'only Sam, who signed, can withdraw this sign-off',
  ),
  '/problems/item-is-group': rule(
    "a group item's status follows its children: update those",
    "item 'all-tests-passing' groups 5 items; its status follows theirs, so update those",
    { children: ['python-test-suite', 'typescript-test-suite'] },
  ),
  '/problems/release-closed': rule(
    'the release has ended and can no longer change',
    'release 01JFQ8Z3K4 is COMPLETED',
    {
      releaseStatus: 'COMPLETED',
    },
  ),
  '/problems/rollback-not-allowed': rule(
    'a release can be rolled back from DEPLOYING onward',
    'a release can be rolled back from DEPLOYING onward; this one is STAGING',
    { releaseStatus: 'STAGING' },
  ),
  '/problems/cancel-not-allowed': rule(
    'a release in production is rolled back, not cancelled',
    'release is MONITORING: production deployment has started, so roll it back instead',
  ),
  '/problems/nothing-to-dismiss': rule('no rollback is proposed', 'no rollback is proposed for this release'),
  '/problems/nothing-to-acknowledge': rule('no escalation is paging', 'no escalation is paging for this release', {
    escalation: null,
  }),
  '/problems/resumed-too-often': rule(
    'executions keep ending at the same point: find out why before resuming again',
    '20 executions have resumed this at the point where the release stands, and each ended without moving it on',
  ),
  '/problems/template-archived': rule(
    'the template is archived: bring it back first',
    'template web-release is archived',
    {
      fix: 'bring it back with POST /templates/web-release/archive {"archived": false}',
    },
  ),
  '/problems/request-in-progress': {
    status: 409,
    title: 'Conflict',
    meaning: 'a request with this Idempotency-Key is still running: send it again after Retry-After',
    retryAfter: true,
    example: {
      detail: 'a request with this Idempotency-Key is still running; send it again after Retry-After to get its answer',
      instance: '/releases',
      retryAfterSeconds: 8,
    },
  },
  '/problems/request-already-applied': {
    status: 409,
    title: 'Conflict',
    meaning: "the Idempotency-Key's change was stored but its answer lost: read the resource, do not resend",
    example: {
      detail:
        'the request with this Idempotency-Key was applied at 2026-12-04T10:00:00.000Z, but its answer was lost; ' +
        'read the resource to see the result instead of sending the request again',
      instance: '/releases',
      appliedAt: '2026-12-04T10:00:00.000Z',
    },
  },
  '/problems/payload-too-large': {
    status: 413,
    title: 'Content Too Large',
    meaning: 'the body is over the limit',
    example: {
      detail: 'the request body has 300000 bytes; the limit is 262144',
      instance: '/releases',
      errors: [{ field: 'body', message: 'must be at most 262144 bytes' }],
    },
  },
  '/problems/unsupported-media-type': {
    status: 415,
    title: 'Unsupported Media Type',
    meaning: 'the body is not sent as JSON (or, for an import, Markdown)',
    example: {
      detail: 'the request body must be JSON, sent with Content-Type: application/json',
      instance: '/releases',
      errors: [{ field: 'content-type', message: 'must be application/json' }],
    },
  },
  '/problems/idempotency-key-reused': {
    status: 422,
    title: 'Unprocessable Content',
    meaning: 'the Idempotency-Key was sent with another request in the last 24 hours',
    example: {
      detail:
        'this Idempotency-Key was sent with another request (POST /releases or another body) in the last 24 hours',
      instance: '/releases',
      errors: [{ field: 'Idempotency-Key', message: 'was already used for another request' }],
    },
  },
  '/problems/service-unavailable': {
    status: 503,
    title: 'Service Unavailable',
    meaning:
      'a service Shipgate depends on is unreachable or throttling: nothing changed, send again after Retry-After',
    retryAfter: true,
    example: {
      detail: 'a service Shipgate depends on is unavailable or overloaded; nothing was changed: send the request again',
      instance: '/releases',
      retryAfterSeconds: 2,
    },
  },
  '/problems/outcome-unknown': {
    status: 503,
    title: 'Service Unavailable',
    meaning:
      "a write's answer was lost, or the function ran out of time: the change may be stored; read the resource, or " +
      'resend with the same Idempotency-Key',
    retryAfter: true,
    example: {
      detail:
        'Shipgate lost the answer of a service it depends on while storing the change, so the change may or may ' +
        'not be stored: read the resource before sending the request again, or send it again with the same ' +
        'Idempotency-Key',
      instance: '/releases',
      retryAfterSeconds: 2,
    },
  },
  '/problems/change-stored': {
    status: 503,
    title: 'Service Unavailable',
    meaning: 'the change was stored, but a dependency failed before the answer was ready: read it, do not resend',
    example: {
      detail:
        'the change was stored, but a service Shipgate depends on failed before the answer was ready: read the ' +
        'resource to see it, and do not send the request again',
      instance: RELEASE,
    },
  },
  '/problems/retry-later': {
    status: 503,
    title: 'Service Unavailable',
    meaning: 'too many concurrent changes to one release: nothing changed, send again after Retry-After',
    retryAfter: true,
    example: { detail: 'the release changed too often to decide in time; send the request again', instance: RELEASE },
  },
  'about:blank': {
    status: 500,
    title: 'Internal Server Error',
    meaning: 'a bug: nothing internal is shown; quote the request id',
    example: {
      detail: 'Shipgate could not complete the request; quote request id 5d1e… when you report it',
      instance: '/releases',
      requestId: '5d1e0c7a-8f2b-4c3d-9e1f-0a2b3c4d5e6f',
    },
  },
};
