// GET /health/ready: readiness for load balancers and uptime probes; no token; 503 with Retry-After when the database
// cannot be reached.
import { checkReadiness } from '../../core/release/release-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';

export const fn = defineFunction(ROUTES.ready, ({ releases }) =>
  httpRoute({ authenticated: false }, async () => ok(await checkReadiness(releases))),
);

export const handler = lambdaHandler(fn);
