// What every command gets: where Shipgate is (the target), a typed client authenticated for it, and the output.
// The target is, first to last: --url, SHIPGATE_URL, the profile's URL (--profile, SHIPGATE_PROFILE), and the local
// runtime (the port its data folder's lock records, else 3000). The token: --token, SHIPGATE_TOKEN, then the
// profile's cached token (`shipgate login`).
import { type ShipgateClient, shipgateClient } from './client.ts';
import type { Output, Streams } from './output.ts';

/** The options every command takes. */
export interface GlobalOptions {
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  readonly profile?: string | undefined;
  readonly json?: boolean | undefined;
}

export interface Target {
  /** The API's base URL. */
  readonly url: string;
  /** The profile whose cached token is used (`default` unless named). */
  readonly profile: string;
  /** A token given for this run (--token, SHIPGATE_TOKEN): it wins over the cache. */
  readonly token?: string | undefined;
}

/** Finds a token for a target when none was given: the login cache. */
export type TokenSource = (target: Target) => Promise<string | undefined>;

export interface CliContext {
  readonly out: Output;
  readonly streams: Streams;
  readonly target: Target;
  /** The client for the target, with the token resolved when a request is sent. */
  readonly api: ShipgateClient;
}

export interface TargetDefaults {
  /** The URL a profile names, if it names one. */
  readonly profileUrl?: (profile: string) => string | undefined;
  /** The local runtime's URL when nothing else names one. */
  readonly localUrl: () => string;
}

export function resolveTarget(options: GlobalOptions, env: Streams['env'], defaults: TargetDefaults): Target {
  const profile = options.profile ?? env.SHIPGATE_PROFILE ?? 'default';
  const url = options.url ?? env.SHIPGATE_URL ?? defaults.profileUrl?.(profile) ?? defaults.localUrl();
  const token = options.token ?? (env.SHIPGATE_TOKEN || undefined);
  return { url, profile, token };
}

export function createContext(out: Output, streams: Streams, target: Target, tokens: TokenSource): CliContext {
  const api = shipgateClient({ baseUrl: target.url, token: async () => target.token ?? (await tokens(target)) });
  return { out, streams, target, api };
}
