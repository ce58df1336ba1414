// The real clock and id generator.
import { monotonicFactory } from 'ulid';
import type { Clock, IdGenerator } from '../core/ports.ts';

export const systemClock: Clock = { now: () => new Date() };

/** ULIDs: time-ordered, so event ids sort oldest first; monotonic within one container. */
export function ulidIds(): IdGenerator {
  const next = monotonicFactory();
  return { id: () => next(), eventId: () => next() };
}
