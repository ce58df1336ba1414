// How a handler module declares its function: its catalog entry and how its handler is built from services. Lambda
// gets `lambdaHandler(fn)`, composed from the environment; the local runtime and tests call `fn.build` with their own.
import type { Context } from 'aws-lambda';
import type { FunctionDef } from './catalog.ts';
import { type Adapters, compose, type Services } from './compose.ts';
import { type FunctionConfig, readConfig } from './environment.ts';

/** A Lambda handler as Lambda calls it. */
// biome-ignore lint/suspicious/noExplicitAny: each function has its own event and result types
export type LambdaHandler = (event: any, context: Context) => Promise<any>;

/** A function's definition: the catalog entry it implements and how its handler is built. */
export interface FunctionModule<D extends FunctionDef, H extends LambdaHandler> {
  readonly def: D;
  build(services: Services<D>): H;
}

export function defineFunction<const D extends FunctionDef, H extends LambdaHandler>(
  def: D,
  build: (services: Services<D>) => H,
): FunctionModule<D, H> {
  return { def, build };
}

/**
 * The handler Lambda runs. Configuration is read and checked now, at cold start, so a missing variable fails the
 * function's init; the services (SDK clients, stores) are built on the first invocation and kept for the container.
 * `adapters` builds the adapters a function brings itself (the monitor's CloudWatch client), from its configuration.
 */
export function lambdaHandler<D extends FunctionDef, H extends LambdaHandler>(
  fn: FunctionModule<D, H>,
  adapters?: (config: FunctionConfig) => Adapters,
): LambdaHandler {
  const config = readConfig(fn.def, process.env);
  let built: H | undefined;
  return (event, context) => {
    built ??= fn.build(compose(fn.def, config, adapters?.(config)));
    return built(event, context);
  };
}
