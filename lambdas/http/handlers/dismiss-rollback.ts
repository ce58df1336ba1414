// POST /releases/{releaseId}/rollback/dismiss {reason}: keep the release although a trigger proposed a rollback.
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { ReasonBody, ReleaseParams } from '../schemas.ts';

const releases = releasesService();

export const handler = httpRoute({ params: ReleaseParams, body: ReasonBody }, async ({ actor, params, body }) =>
  ok(await releases.dismissRollback(actor, params.releaseId, body.reason)),
);
