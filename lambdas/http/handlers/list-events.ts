// GET /releases/{releaseId}/events: the audit trail, oldest first.
import { listEvents } from '../../core/release/release-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { PageQuery, ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.listEvents, ({ releases }) =>
  httpRoute({ params: ReleaseParams, query: PageQuery }, async ({ actor, params, query }) =>
    ok(await listEvents(releases, actor, params.releaseId, query)),
  ),
);

export const handler = lambdaHandler(fn);
