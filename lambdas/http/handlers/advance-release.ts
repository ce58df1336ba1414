// POST /releases/{releaseId}/advance: evaluate what the release waits for now; 409 lists what is missing.
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { ReleaseParams } from '../schemas.ts';

const releases = releasesService({ workflow: 'api' });

export const handler = httpRoute({ params: ReleaseParams }, async ({ actor, params }) =>
  ok(await releases.advance(actor, params.releaseId)),
);
