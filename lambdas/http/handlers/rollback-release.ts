// POST /releases/{releaseId}/rollback {reason}: move a release in production into its rollback states.
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { ReasonBody, ReleaseParams } from '../schemas.ts';

const releases = releasesService({ workflow: 'api' });

export const handler = httpRoute({ params: ReleaseParams, body: ReasonBody }, async ({ actor, params, body }) =>
  ok(await releases.requestRollback(actor, params.releaseId, body.reason)),
);
