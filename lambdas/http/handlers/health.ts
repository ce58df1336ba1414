// GET /health: liveness for load balancers and uptime probes; no token, no I/O.
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction, lambdaHandler } from '../../functions/define.ts';
import { httpRoute, ok } from '../api.ts';

export const fn = defineFunction(ROUTES.health, () =>
  httpRoute({ authenticated: false }, () => ok({ status: 'ok', service: 'shipgate' })),
);

export const handler = lambdaHandler(fn);
