// GET /releases/{releaseId}/notifications: each notification of a release with its delivery state.
import { httpRoute, ok } from '../api.ts';
import { notificationsService } from '../composition.ts';
import { PageQuery, ReleaseParams } from '../schemas.ts';

const notifications = notificationsService();

export const handler = httpRoute({ params: ReleaseParams, query: PageQuery }, async ({ actor, params, query }) =>
  ok(await notifications.listNotifications(actor, params.releaseId, query)),
);
