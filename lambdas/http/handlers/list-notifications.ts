// GET /releases/{releaseId}/notifications: each notification of a release with its delivery state.
import { listNotifications } from '../../core/notify/notification-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { PageQuery, ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.listNotifications, ({ notifications }) =>
  httpRoute({ params: ReleaseParams, query: PageQuery }, async ({ actor, params, query }) =>
    ok(await listNotifications(notifications, actor, params.releaseId, query)),
  ),
);

export const handler = lambdaHandler(fn);
