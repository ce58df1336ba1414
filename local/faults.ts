// Test-only fault injection for the local runtime (`npm run test:faults`). Off unless the runtime is started with
// SHIPGATE_FAULTS=1; then `<dataDir>/faults.json` is read at each fault point, so a test turns a fault on by writing
// that file and off by removing it. Nothing an API request can send reaches it, and lambda code never consults it:
// the runtime applies it where it stands in for AWS (SNS delivery, the Lambda service invoking a task).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** The environment variable that turns fault injection on (`1`); read by local/main.ts. */
export const FAULTS_ENV = 'SHIPGATE_FAULTS';
/** The file in the data directory that says which faults are on. */
export const FAULTS_FILE = 'faults.json';

const FaultSpec = z
  .object({
    /** Fails this many calls, counted from when the file was last written; unset: every call while it is there. */
    times: z.number().int().positive().optional(),
    /** The error's name: what Step Functions matches retriers on, what a delivery records as its last error. */
    error: z.string().min(1).optional(),
    message: z.string().min(1).optional(),
    /** Only calls for this release. */
    releaseId: z.string().min(1).optional(),
    /** Only this action of the workflow task function (`decide`, `await`, `fail`). */
    action: z.string().min(1).optional(),
    /** Only notifications of this type (`signoff.requested`, …). */
    type: z.string().min(1).optional(),
  })
  .strict();

/**
 * What `faults.json` holds: per fault point, the fault that is on. For example
 * `{"workflowTask": {"action": "decide", "times": 2}}` fails the next two decisions as a Lambda service error would.
 */
export const FaultPlan = z
  .object({
    /** The local notifier's publish (SNS Publish). @default error InternalErrorException */
    notifyPublish: FaultSpec.optional(),
    /** An invocation of the release workflow's task function. @default error Lambda.ServiceException (retried) */
    workflowTask: FaultSpec.optional(),
  })
  .strict();
export type FaultPlan = z.infer<typeof FaultPlan>;
export type FaultPoint = keyof FaultPlan;

const DEFAULTS: Record<FaultPoint, { readonly error: string; readonly message: string }> = {
  notifyPublish: { error: 'InternalErrorException', message: 'fault injected: publishing the notification failed' },
  workflowTask: { error: 'Lambda.ServiceException', message: 'fault injected: the task function was not invoked' },
};

/** Where a call at a fault point stands, for a fault narrowed to a release or an action. */
export interface FaultContext {
  readonly releaseId?: string | undefined;
  readonly action?: string | undefined;
  readonly type?: string | undefined;
}

export interface FaultSwitch {
  readonly enabled: boolean;
  /** Throws the injected error when a fault is on for this point and call; returns otherwise. */
  check(point: FaultPoint, context?: FaultContext): void;
}

/** The switch of a runtime; disabled, it never touches the disk. */
export function createFaultSwitch(options: {
  readonly enabled: boolean;
  readonly dataDir: string;
  readonly log: (line: string) => void;
}): FaultSwitch {
  if (!options.enabled) return { enabled: false, check: () => undefined };
  const path = join(options.dataDir, FAULTS_FILE);
  const calls = new Map<string, number>();
  let refused = '';

  const read = (): { plan: FaultPlan; version: number } => {
    let text: string;
    let version: number;
    try {
      version = statSync(path).mtimeMs;
      text = readFileSync(path, 'utf8');
    } catch {
      return { plan: {}, version: 0 };
    }
    let parsed: ReturnType<typeof FaultPlan.safeParse> | undefined;
    try {
      parsed = FaultPlan.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) return { plan: parsed.data, version };
    if (text !== refused) {
      refused = text;
      const why = parsed ? parsed.error.issues.map((issue) => issue.message).join('; ') : 'not JSON';
      options.log(`faults: ${path} ignored (${why})`);
    }
    return { plan: {}, version: 0 };
  };

  return {
    enabled: true,
    check(point, context = {}) {
      const { plan, version } = read();
      const spec = plan[point];
      if (!spec) return;
      if (spec.releaseId !== undefined && spec.releaseId !== context.releaseId) return;
      if (spec.action !== undefined && spec.action !== context.action) return;
      if (spec.type !== undefined && spec.type !== context.type) return;
      const key = `${version}:${point}:${JSON.stringify(spec)}`;
      const count = (calls.get(key) ?? 0) + 1;
      if (spec.times !== undefined && count > spec.times) return;
      calls.set(key, count);
      const error = new Error(spec.message ?? DEFAULTS[point].message);
      error.name = spec.error ?? DEFAULTS[point].error;
      const where = [context.action ?? context.type, context.releaseId].filter(Boolean).join(' ');
      options.log(
        `fault injected: ${point}${where ? ` (${where})` : ''} fails with ${error.name}` +
          (spec.times !== undefined ? ` (${count} of ${spec.times})` : ''),
      );
      throw error;
    },
  };
}
