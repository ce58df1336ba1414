// How a handler module declares its function: its catalog entry and how its handler is built from services. Lambda
// gets `lambdaHandler(fn)` (lambda.ts), composed from the environment; the local runtime and tests call `fn.build`
// with their own. Types only, besides defineFunction: a function that needs nothing bundles no adapter.
import type { Context } from 'aws-lambda';
import type { FunctionDef } from './catalog.ts';
import type { Services } from './compose.ts';

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
