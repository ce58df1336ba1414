// DELETE /contacts/{contactId}: unsubscribe a contact everywhere; the record is kept, marked removed.
import { httpRoute, ok } from '../api.ts';
import { notificationsService } from '../composition.ts';
import { ContactParams } from '../schemas.ts';

const notifications = notificationsService();

export const handler = httpRoute({ params: ContactParams }, async ({ actor, params }) =>
  ok(await notifications.removeContact(actor, params.contactId)),
);
