// `shipgate contacts`: the people (or lists) who receive notifications by email and SMS, by role, escalation level
// and event; add, list (with each subscription's state) and remove them.
import type { Command } from 'commander';
import type { operations } from '../../client/schema.d.ts';
import { unwrap } from '../client.ts';
import type { CliContext } from '../context.ts';
import { paint } from '../output.ts';
import { renderContact, renderContacts } from '../render/records.ts';
import type { Contact } from '../render/types.ts';
import { wholeNumber } from './input.ts';

type ContactBody = operations['createContact']['requestBody']['content']['application/json'];

/** `--role a,b --role c` as one list. */
const list = (text: string, previous: string[] = []): string[] => [
  ...previous,
  ...text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean),
];

interface AddOptions {
  name: string;
  email?: string;
  phone?: string;
  role: string[];
  escalationLevel?: number;
  event?: string[];
}

export function contacts(program: Command, context: () => CliContext): void {
  const group = program
    .command('contacts')
    .description('who receives notifications, by email and SMS (release-manager)');

  group
    .command('add')
    .description('add a contact: subscribed by email and/or SMS to what their roles, level and events ask for')
    .requiredOption('--name <name>', 'the person or list, e.g. "Quinn (QA lead)"')
    .option('--email <address>', 'an email address (the subscription awaits its confirmation)')
    .option('--phone <e164>', 'a phone number for SMS, in E.164: +14155550123')
    .requiredOption('--role <role...>', 'the roles whose notifications they get, e.g. qa-lead on-call', list)
    .option('--escalation-level <n>', 'the escalation level they are paged at (1-10)', wholeNumber())
    .option(
      '--event <event...>',
      'only these notifications, e.g. signoff.requested rollback.triggered (default: all)',
      list,
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  shipgate contacts add --name "Quinn" --email quinn@example.com --role qa-lead\n' +
        '  shipgate contacts add --name "On call" --phone +14155550123 --role on-call --escalation-level 1 --event escalation',
    )
    .action(async (options: AddOptions) => {
      const { api, out } = context();
      const body: ContactBody = {
        name: options.name,
        roles: options.role,
        ...(options.email === undefined ? {} : { email: options.email }),
        ...(options.phone === undefined ? {} : { phone: options.phone }),
        ...(options.escalationLevel === undefined ? {} : { escalationLevel: options.escalationLevel }),
        // The API holds the rules (an email or a phone, known event names) and names what is wrong.
        ...(options.event?.length ? { events: options.event as ContactBody['events'] } : {}),
      };
      const { data } = await unwrap(api.POST('/contacts', { body }));
      out.result(data, () =>
        [renderContact(data, 'Added'), paint.dim(`remove: shipgate contacts remove ${data.id}`)].join('\n'),
      );
    });

  group
    .command('list')
    .description('the contacts, with their roles, events and the state of each subscription')
    .option('--limit <n>', 'at most this many per page (1-200)', wholeNumber(), 50)
    .option('--cursor <cursor>', 'continue a listing where the previous page ended')
    .option('--all', 'read every page')
    .action(async (options: { limit: number; cursor?: string; all?: boolean }) => {
      const { api, out } = context();
      const items: Contact[] = [];
      let cursor = options.cursor;
      do {
        const from = cursor;
        const { data } = await unwrap(
          api.GET('/contacts', { params: { query: { limit: options.limit, ...(from ? { cursor: from } : {}) } } }),
        );
        items.push(...data.items);
        cursor = data.cursor;
      } while (options.all && cursor);
      out.result({ items, ...(cursor ? { cursor } : {}) }, () =>
        [renderContacts(items), ...(cursor ? [paint.dim(`more: --cursor ${cursor}`)] : [])].join('\n'),
      );
    });

  group
    .command('remove')
    .description('remove a contact: unsubscribed everywhere (the record is kept)')
    .argument('<contact>', 'the contact id, as `shipgate contacts list` shows it')
    .action(async (contactId: string) => {
      const { api, out } = context();
      const { data } = await unwrap(api.DELETE('/contacts/{contactId}', { params: { path: { contactId } } }));
      out.result(data, () =>
        [
          `Removed contact ${data.id}: ${data.name}`,
          ...data.subscriptions.map((s) => `  ${s.protocol} ${s.endpoint}: unsubscribed`),
        ].join('\n'),
      );
    });
}
