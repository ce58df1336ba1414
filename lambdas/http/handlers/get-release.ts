// GET /releases/{releaseId}
import { getRelease } from '../../core/release/release-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.getRelease, ({ releases }) =>
  httpRoute({ params: ReleaseParams }, async ({ actor, params }) =>
    ok(await getRelease(releases, actor, params.releaseId)),
  ),
);

export const handler = lambdaHandler(fn);
