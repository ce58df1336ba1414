// DELETE /contacts/{contactId}: unsubscribe a contact everywhere; the record is kept, marked removed.
import { removeContact } from '../../core/notify/notification-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ContactParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.deleteContact, ({ notifications, requests }) =>
  httpRoute({ params: ContactParams, requests }, async ({ actor, params }) =>
    ok(await removeContact(notifications, actor, params.contactId)),
  ),
);

export const handler = lambdaHandler(fn);
