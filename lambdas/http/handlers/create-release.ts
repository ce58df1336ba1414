// POST /releases
import { created, httpRoute } from '../api.ts';
import { releasesService } from '../composition.ts';
import { CreateReleaseBody } from '../schemas.ts';

const releases = releasesService({ workflow: 'api' });

export const handler = httpRoute({ body: CreateReleaseBody }, async ({ actor, body }) => {
  const release = await releases.createRelease(actor, body);
  return created(`/releases/${release.id}`, release);
});
