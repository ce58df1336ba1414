// POST /releases/{releaseId}/acknowledge {note?}: stop the escalation paging for a release; who acknowledged is kept.
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { AcknowledgeBody, ReleaseParams } from '../schemas.ts';

const releases = releasesService({ workflow: 'api' });

export const handler = httpRoute({ params: ReleaseParams, body: AcknowledgeBody }, async ({ actor, params, body }) =>
  ok(await releases.acknowledge(actor, params.releaseId, body.note)),
);
