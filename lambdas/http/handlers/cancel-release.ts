// POST /releases/{releaseId}/cancel {reason}: cancel a release before production deployment starts.
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { ReasonBody, ReleaseParams } from '../schemas.ts';

const releases = releasesService({ workflow: 'api' });

export const handler = httpRoute({ params: ReleaseParams, body: ReasonBody }, async ({ actor, params, body }) =>
  ok(await releases.cancel(actor, params.releaseId, body.reason)),
);
