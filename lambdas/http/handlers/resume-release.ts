// POST /releases/{releaseId}/resume: hand the release to a new execution that continues where it stands (after
// a new state machine definition is deployed, or when an execution was lost), and stop the old one.
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { ReleaseParams } from '../schemas.ts';

const releases = releasesService({ workflow: 'api' });

export const handler = httpRoute({ params: ReleaseParams }, async ({ actor, params }) =>
  ok(await releases.resume(actor, params.releaseId)),
);
