// GET /releases/{releaseId}
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { ReleaseParams } from '../schemas.ts';

const releases = releasesService();

export const handler = httpRoute({ params: ReleaseParams }, async ({ actor, params }) =>
  ok(await releases.getRelease(actor, params.releaseId)),
);
