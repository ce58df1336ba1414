// GET /contacts: contacts with their subscriptions and their state (email awaits confirmation in AWS).
import { httpRoute, ok } from '../api.ts';
import { notificationsService } from '../composition.ts';
import { PageQuery } from '../schemas.ts';

const notifications = notificationsService();

export const handler = httpRoute({ query: PageQuery }, async ({ actor, query }) =>
  ok(await notifications.listContacts(actor, query)),
);
