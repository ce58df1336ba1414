// GET /releases/{releaseId}/events: the audit trail, oldest first.
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { PageQuery, ReleaseParams } from '../schemas.ts';

const releases = releasesService();

export const handler = httpRoute({ params: ReleaseParams, query: PageQuery }, async ({ actor, params, query }) =>
  ok(await releases.listEvents(actor, params.releaseId, query)),
);
