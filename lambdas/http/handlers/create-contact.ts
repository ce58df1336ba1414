// POST /contacts: a person (or list) who receives notifications by email and/or SMS, by role, level and event.
import { createContact } from '../../core/notify/notification-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { created, httpRoute } from '../api.ts';
import { ContactBody } from '../schemas.ts';

export const fn = defineFunction(ROUTES.createContact, ({ notifications, requests }) =>
  httpRoute({ body: ContactBody, requests }, async ({ actor, body }) => {
    const contact = await createContact(notifications, actor, body);
    return created(`/contacts/${contact.id}`, contact);
  }),
);

export const handler = lambdaHandler(fn);
