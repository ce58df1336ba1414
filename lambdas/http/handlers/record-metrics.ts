// POST /releases/{releaseId}/metrics {samples}: metric samples from CI or a monitoring agent; during a monitoring
// window they are evaluated against the template's rollback triggers and the window's metric-backed items.
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { MetricsBody, ReleaseParams } from '../schemas.ts';

const releases = releasesService({ workflow: 'api' });

export const handler = httpRoute({ params: ReleaseParams, body: MetricsBody }, async ({ actor, params, body }) =>
  ok(await releases.recordMetrics(actor, params.releaseId, body.samples)),
);
