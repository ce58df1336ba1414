// GET /releases?status=&limit=&cursor=
import { listReleases } from '../../core/release/release-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ListReleasesQuery } from '../schemas.ts';

export const fn = defineFunction(ROUTES.listReleases, ({ releases }) =>
  httpRoute({ query: ListReleasesQuery }, async ({ actor, query }) => ok(await listReleases(releases, actor, query))),
);

export const handler = lambdaHandler(fn);
