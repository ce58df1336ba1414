// The handler Lambda runs for a function: its configuration read at cold start, its services composed from the real
// AWS adapters once per container.
import type { FunctionDef } from './catalog.ts';
import { type Adapters, compose } from './compose.ts';
import type { FunctionModule, LambdaHandler } from './define.ts';
import { type FunctionConfig, readConfig } from './environment.ts';

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
