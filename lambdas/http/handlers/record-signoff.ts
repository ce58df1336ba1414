// POST /releases/{releaseId}/signoffs
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { ReleaseParams, SignoffBody } from '../schemas.ts';

const releases = releasesService({ workflow: 'api' });

export const handler = httpRoute({ params: ReleaseParams, body: SignoffBody }, async ({ actor, params, body }) =>
  ok(await releases.recordSignoff(actor, params.releaseId, body)),
);
