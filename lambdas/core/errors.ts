// Domain errors carry their meaning; one HTTP middleware (lambdas/http/problem.ts) maps them to RFC 9457 responses.

/** One problem with one input field, named by its dotted path (`evidence.url`, `cursor`, `body`). */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/** Base of every error the domain raises on purpose; anything else is a bug and becomes a bare 500. */
export abstract class DomainError extends Error {
  /** Stable machine-readable code, the last segment of the problem type URI. */
  abstract readonly code: string;
  /** Extra members for the problem document; never internals. */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.extensions = extensions;
  }
}

/** The request is malformed or names something that does not fit (400). */
export class ValidationFailed extends DomainError {
  readonly code = 'validation-failed';
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    const first = issues[0];
    const summary = first ? `${first.field}: ${first.message}` : 'invalid request';
    super(issues.length > 1 ? `${summary} (and ${issues.length - 1} more)` : summary, { errors: issues });
    this.issues = issues;
  }

  static field(field: string, message: string): ValidationFailed {
    return new ValidationFailed([{ field, message }]);
  }
}

/** The caller presented no usable credentials (401). */
export class Unauthenticated extends DomainError {
  readonly code = 'unauthenticated';
}

/** The caller is known but lacks a permission (403); `permission` names it. */
export class Forbidden extends DomainError {
  readonly code = 'forbidden';
  readonly permission: string;

  constructor(permission: string, message: string) {
    super(message, { permission });
    this.permission = permission;
  }
}

/** A release, template, item or gate that does not exist (404). */
export class NotFound extends DomainError {
  readonly code = 'not-found';

  constructor(resource: string, id: string) {
    super(`${resource} '${id}' does not exist`, { resource, id });
  }
}

/** A conditional write lost against a concurrent one, or the caller's expected version is old (409). */
export class StaleVersion extends DomainError {
  readonly code = 'stale-version';

  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message, extensions);
  }
}

/**
 * A domain rule forbids the change in the release's current state (409): the release is closed, the gate is not
 * open, one person would fill two roles of a gate, a group item was ticked directly, …
 */
export class RuleViolation extends DomainError {
  readonly code: string;

  constructor(code: string, message: string, extensions: Record<string, unknown> = {}) {
    super(message, extensions);
    this.code = code;
  }
}

/**
 * A service Shipgate depends on could not be reached, timed out or throttled it (503 with Retry-After): nothing was
 * changed (every write is one conditional transaction), and the same request may be sent again.
 */
export class ServiceUnavailable extends DomainError {
  readonly code = 'service-unavailable';
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('a service Shipgate depends on is unavailable or overloaded; nothing was changed: send the request again', {
      retryAfterSeconds,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * A write's answer was lost (its request timed out or its connection dropped after it was sent), or the function ran
 * out of time: the change may or may not be stored (503 with Retry-After). Read the resource before sending it again,
 * or send it again with the same Idempotency-Key, which is always safe.
 */
export class OutcomeUnknown extends DomainError {
  readonly code = 'outcome-unknown';
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds = 2) {
    super(
      'Shipgate lost the answer of a service it depends on while storing the change, so the change may or may not ' +
        'be stored: read the resource before sending the request again, or send it again with the same ' +
        'Idempotency-Key',
      { retryAfterSeconds },
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The change was stored, but a service Shipgate depends on failed before the answer was ready (503): read the
 * resource to see the change; do not send the request again.
 */
export class ChangeStored extends DomainError {
  readonly code = 'change-stored';
}
