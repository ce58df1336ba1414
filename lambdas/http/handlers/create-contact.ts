// POST /contacts: a person (or list) who receives notifications by email and/or SMS, by role, level and event.
import { created, httpRoute } from '../api.ts';
import { notificationsService } from '../composition.ts';
import { ContactBody } from '../schemas.ts';

const notifications = notificationsService();

export const handler = httpRoute({ body: ContactBody }, async ({ actor, body }) => {
  const contact = await notifications.createContact(actor, body);
  return created(`/contacts/${contact.id}`, contact);
});
