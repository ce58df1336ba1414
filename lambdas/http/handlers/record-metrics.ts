// POST /releases/{releaseId}/metrics {samples}: metric samples from CI or a monitoring agent; during a monitoring
// window they are evaluated against the template's rollback triggers and the window's metric-backed items.
import { recordMetrics } from '../../core/monitoring/metrics-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { MetricsBody, ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.recordMetrics, ({ releases, requests }) =>
  httpRoute({ params: ReleaseParams, body: MetricsBody, requests }, async ({ actor, params, body }) =>
    ok(await recordMetrics(releases, actor, params.releaseId, body.samples)),
  ),
);

export const handler = lambdaHandler(fn);
