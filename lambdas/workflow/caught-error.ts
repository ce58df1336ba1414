// What a Catch of either state machine puts at `$.error`, as the RecordFailure tasks receive it.
import { z } from 'zod';

/**
 * `{ Error, Cause }`. The cause is not bounded here: Step Functions bounds it (32,768 characters) and the core keeps
 * a short message of it only.
 */
export const CaughtError = z.object({ Error: z.string().optional(), Cause: z.string().optional() });
