// What the CLI exits with, and how a failure is said: one clear line, the field and what to change when the API
// named one. The exit codes are documented in the README ("The CLI") and in `shipgate --help`.

/** Exit codes a pipeline can branch on. */
export const EXIT = {
  ok: 0,
  /** The request failed, or what was waited for went wrong (rejected, rolled back, cancelled). */
  failed: 1,
  /** Bad arguments or input (a 400 from the API is one too). */
  usage: 2,
  /** No usable token, or not allowed (401, 403). */
  auth: 3,
  notFound: 4,
  /** A conflict: stale version, a rule of the release, an Idempotency-Key sent with another request (409, 422). */
  conflict: 5,
  /** `wait` or `watch` ran out of time. */
  timedOut: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports itself: printed as `shipgate: <message>`, then the process exits with `code`. */
export class CliError extends Error {
  readonly code: ExitCode;
  /** The problem document, printed as is with --json. */
  readonly problem?: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ExitCode, message: string, problem?: Readonly<Record<string, unknown>>) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.problem = problem;
  }
}

/** The exit code of an HTTP status the API answered with. */
export function exitCodeOf(status: number): ExitCode {
  if (status === 400 || status === 413 || status === 415) return EXIT.usage;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 422) return EXIT.conflict;
  return EXIT.failed;
}

interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
  readonly allowed?: { readonly roles?: readonly string[] | '*'; readonly scopes?: readonly string[] };
}

/** One line for a problem+json answer: its detail, each field named, and who may when it was a 403. */
export function problemLine(status: number, body: unknown): string {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Problem;
  const type = problem.type && problem.type !== 'about:blank' ? ` (${problem.type.replace('/problems/', '')})` : '';
  const fields = (problem.errors ?? []).map((error) => `${error.field} ${error.message}`);
  const detail = fields.length > 0 ? fields.join('; ') : (problem.detail ?? problem.title ?? `HTTP ${status}`);
  const allowed = problem.allowed;
  const who =
    status === 403 && allowed
      ? `; allowed: ${[
          ...(allowed.roles === '*' ? ['any signed-in person'] : (allowed.roles ?? []).map((role) => `role ${role}`)),
          ...(allowed.scopes ?? []).map((scope) => `scope ${scope}`),
        ].join(', ')}`
      : '';
  return `${status}${type}: ${detail}${who}`;
}

/** The CliError of a failed answer. */
export function apiError(status: number, body: unknown): CliError {
  const problem = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  return new CliError(exitCodeOf(status), problemLine(status, body), problem);
}
