// GET /health: liveness for load balancers and uptime probes; no token, no I/O.
import { httpRoute, ok } from '../api.ts';

export const handler = httpRoute({ authenticated: false }, () => ok({ status: 'ok', service: 'shipgate' }));
