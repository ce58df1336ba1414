// Keeps DynamoDB Local running under the local runtime: a JVM that exits without being asked to is started again on
// the same port (the handlers' SDK clients know only that endpoint) and the same data, with backoff, until it has
// exited too often in a short time; then it says plainly that Shipgate must be restarted by hand.
import { type DynamoDbLocal, type DynamoDbLocalOptions, startDynamoDbLocal } from './dynamodb-local.ts';

/** How to start and supervise DynamoDB Local. */
export interface SupervisedDynamoDbLocalOptions extends DynamoDbLocalOptions {
  /** Receives the supervisor's lines (the start, each exit and restart, giving up) and the engine's warnings. */
  readonly report?: (line: string) => void;
  /** Called with each JVM started again (not the first one). */
  readonly onRestart?: (engine: DynamoDbLocal) => void | Promise<void>;
  /** Restarts allowed within `windowMs`; one more exit in that time and the supervisor gives up. @default 5 */
  readonly maxRestarts?: number;
  /** @default 60_000 */
  readonly windowMs?: number;
  /** The wait before the first restart within the window; it doubles with each further one, up to 8 s. @default 250 */
  readonly backoffMs?: number;
}

/** `given-up`: it exited too often; nothing restarts it until the runtime is started again. */
export type SupervisionState = 'running' | 'restarting' | 'given-up' | 'stopped';

/** A supervised DynamoDB Local: its endpoint never changes, its JVM may. */
export interface SupervisedDynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The pid of the current JVM (of the last one, once given up). */
  readonly pid: number;
  readonly state: SupervisionState;
  /** JVMs started again so far. */
  readonly restarts: number;
  /** Stops supervising, then the JVM. Safe to call more than once. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 8_000;

const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/** Starts DynamoDB Local (see startDynamoDbLocal) and restarts it whenever it exits unasked. */
export async function superviseDynamoDbLocal(
  options: SupervisedDynamoDbLocalOptions = {},
): Promise<SupervisedDynamoDbLocal> {
  const report = options.report ?? (() => {});
  const maxRestarts = options.maxRestarts ?? 5;
  const windowMs = options.windowMs ?? 60_000;
  const backoffMs = options.backoffMs ?? 250;
  const engineOptions: DynamoDbLocalOptions = { ...options, warn: options.warn ?? report };
  let engine = await startDynamoDbLocal(engineOptions);
  const { port, endpoint } = engine;
  report(`DynamoDB Local started at ${endpoint} (pid ${engine.pid})`);

  let state: SupervisionState = 'running';
  let restarts = 0;
  /** When each restart within the window began. */
  const recent: number[] = [];
  let wake: (() => void) | undefined;
  // Read through a function: stop() changes it while a restart awaits.
  const stopped = () => state === 'stopped';
  let restarting: Promise<void> = Promise.resolve();

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const restart = async (why: string): Promise<void> => {
    let reason = why;
    for (;;) {
      const now = Date.now();
      while (recent.length > 0 && now - (recent[0] ?? now) > windowMs) recent.shift();
      if (recent.length >= maxRestarts) {
        state = 'given-up';
        report(
          `DynamoDB Local ${reason}, after ${recent.length} restarts within ${Math.round(windowMs / 1000)} s: ` +
            'not restarting it again. Requests answer 503 until Shipgate is restarted by hand (Ctrl-C, then npm start).',
        );
        return;
      }
      recent.push(now);
      const attempt = recent.length;
      state = 'restarting';
      report(`DynamoDB Local ${reason}; restarting on the same data (attempt ${attempt})`);
      await pause(Math.min(backoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS));
      if (stopped()) return;
      try {
        const next = await startDynamoDbLocal({ ...engineOptions, port });
        if (stopped()) {
          await next.stop();
          return;
        }
        engine = next;
        restarts += 1;
        state = 'running';
        report(`DynamoDB Local is back at ${endpoint} (pid ${next.pid}, started in ${next.startupMs} ms)`);
        watch(next);
        await Promise.resolve(options.onRestart?.(next)).catch((error: unknown) =>
          report(`after restarting DynamoDB Local: ${firstLine(error)}`),
        );
        return;
      } catch (error) {
        reason = `did not start again (${firstLine(error)})`;
      }
    }
  };

  function watch(current: DynamoDbLocal): void {
    void current.exited.then((exit) => {
      if (exit.stopped || stopped()) return;
      const how = exit.signal ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
      restarting = restart(`exited (${how})`);
    });
  }
  watch(engine);

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    get pid() {
      return engine.pid;
    },
    get state() {
      return state;
    },
    get restarts() {
      return restarts;
    },
    stop() {
      stopping ??= (async () => {
        state = 'stopped';
        wake?.();
        await restarting;
        await engine.stop();
      })();
      return stopping;
    },
  };
}
