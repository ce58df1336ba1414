// The port of idempotent requests (Idempotency-Key): the records of the keys callers sent, with the answers kept for
// their retries. The HTTP layer (lambdas/http/idempotency.ts) uses it; the DynamoDB adapter keeps it in the table.

/** How long a key and its answer are kept (24 h): a retry later than this runs again. */
export const KEY_LIFETIME_SECONDS = 24 * 60 * 60;

/** The answer kept for a key: what a retry receives. */
export interface StoredResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What a request's writes did: one was acknowledged (`stored`), or one's answer was lost (`uncertain`). */
export interface WriteTrace {
  stored: boolean;
  uncertain: boolean;
}

/** A request holding its key while it runs. */
export interface Claim {
  /** The caller and key, hashed: the record's identity. */
  readonly id: string;
  /** Random, this attempt's own: a later attempt that took over an expired claim makes this one's writes fail. */
  readonly token: string;
}

/** What claiming a key found. */
export type ClaimOutcome =
  | { readonly kind: 'claimed'; readonly claim: Claim }
  /** The key answered this request before. */
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  /** The key belongs to another request (another method, path or body). */
  | { readonly kind: 'reused'; readonly method: string; readonly path: string }
  /** The first request with this key is still running. */
  | { readonly kind: 'in-progress'; readonly retryAfterSeconds: number }
  /** The first request's change was stored, but its answer was lost (the function stopped or failed after it). */
  | { readonly kind: 'applied'; readonly appliedAt: string };

/** One request, as its key's record knows it. */
export interface KeyedRequest {
  /** The caller: keys of different callers never meet. */
  readonly scope: string;
  readonly key: string;
  readonly method: string;
  readonly path: string;
  /** SHA-256 of the method, path, query and body. */
  readonly fingerprint: string;
  /** How long the claim holds while the request runs: the function's time left, so no live attempt is overtaken. */
  readonly leaseMs: number;
}

/**
 * The keys' records. Every transaction a claimed request writes also marks its record `applied`, in the same
 * transaction (the adapter does it): a change and the knowledge that it was made are never apart.
 */
export interface RequestLedger {
  claim(request: KeyedRequest): Promise<ClaimOutcome>;
  /**
   * Runs a write request's work, with its claim in force (its writes carry the mark) when it sent a key, noting in
   * `trace` whether a write of it was stored, or may have been.
   */
  within<T>(claim: Claim | undefined, trace: WriteTrace, work: () => Promise<T>): Promise<T>;
  /** Keeps the answer for retries. */
  complete(claim: Claim, response: StoredResponse): Promise<void>;
  /** Frees the key after an error answer; `applied` when a change of this request had been stored all the same. */
  release(claim: Claim): Promise<'released' | 'applied'>;
}
