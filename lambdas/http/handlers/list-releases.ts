// GET /releases?status=&limit=&cursor=
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { ListReleasesQuery } from '../schemas.ts';

const releases = releasesService();

export const handler = httpRoute({ query: ListReleasesQuery }, async ({ actor, query }) =>
  ok(await releases.listReleases(actor, query)),
);
