// GET /contacts: contacts with their subscriptions and their state (email awaits confirmation in AWS).
import { listContacts } from '../../core/notify/notification-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { PageQuery } from '../schemas.ts';

export const fn = defineFunction(ROUTES.listContacts, ({ notifications }) =>
  httpRoute({ query: PageQuery }, async ({ actor, query }) => ok(await listContacts(notifications, actor, query))),
);

export const handler = lambdaHandler(fn);
