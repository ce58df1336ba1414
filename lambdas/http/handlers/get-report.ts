// GET /releases/{releaseId}/report: per monitoring window, each metric's min/avg/max/p95 against its targets and
// triggers, the breaches, and the success metrics.
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { ReleaseParams } from '../schemas.ts';

const releases = releasesService();

export const handler = httpRoute({ params: ReleaseParams }, async ({ actor, params }) =>
  ok(await releases.report(actor, params.releaseId)),
);
