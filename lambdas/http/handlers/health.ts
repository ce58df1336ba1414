// GET /health: liveness for load balancers and uptime probes; no token, no I/O.
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { httpRoute, ok } from '../api.ts';

export const fn = defineFunction(ROUTES.health, () =>
  httpRoute({ authenticated: false }, () => ok({ status: 'ok', service: 'shipgate' })),
);

// Health needs nothing: no configuration to read, no adapter to build, so its bundle carries neither.
export const handler = fn.build({});
