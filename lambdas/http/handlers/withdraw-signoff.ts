// DELETE /releases/{releaseId}/signoffs/{gate}/{role}: withdraw a standing approval or rejection.
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { SignoffParams } from '../schemas.ts';

const releases = releasesService();

export const handler = httpRoute({ params: SignoffParams }, async ({ actor, params }) =>
  ok(await releases.withdrawSignoff(actor, params.releaseId, params.gate, params.role)),
);
