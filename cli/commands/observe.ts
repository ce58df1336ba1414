// `shipgate events`, `report`, `notifications` and `export`: what happened to a release, how its monitoring windows
// went, what was sent to its people, and the release back as a filled-in Markdown checklist.
import { type Command, InvalidArgumentError } from 'commander';
import { unwrap } from '../client.ts';
import type { CliContext } from '../context.ts';
import { paint } from '../output.ts';
import { eventLine } from '../render/events.ts';
import { renderNotifications } from '../render/records.ts';
import { renderReleaseReport } from '../render/report.ts';
import { AUDIT_EVENT_TYPES, type AuditEvent } from '../render/types.ts';
import { wholeNumber } from './input.ts';
import { loadRelease } from './releases.ts';

const FAMILIES = [...new Set(AUDIT_EVENT_TYPES.map((type) => type.split('.')[0] ?? type))];

/** `--type`: an event type (`signoff.recorded`) or its family (`signoff`), repeatable or comma-separated. */
export function eventTypeFilter(text: string, previous: string[] = []): string[] {
  const given = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const type of given) {
    if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(type) && !FAMILIES.includes(type)) {
      throw new InvalidArgumentError(
        `'${type}' is not an event type; types: ${AUDIT_EVENT_TYPES.join(', ')} (or a family: ${FAMILIES.join(', ')})`,
      );
    }
  }
  return [...previous, ...given];
}

/** Whether an event is of one of the types (or families) asked for; every event when none is. */
export const matchesType = (event: Pick<AuditEvent, 'type'>, types: readonly string[] | undefined): boolean =>
  !types?.length || types.some((type) => event.type === type || event.type.startsWith(`${type}.`));

const more = (cursor: string | undefined, flag = '--cursor') => (cursor ? [paint.dim(`more: ${flag} ${cursor}`)] : []);

export function observe(program: Command, context: () => CliContext): void {
  program
    .command('events')
    .description('the audit trail of a release, oldest first: time, who, what')
    .argument('<release>', 'the release id')
    .option('--type <type...>', 'only events of these types or families, e.g. signoff or gate.passed', eventTypeFilter)
    .option('--limit <n>', 'events read per page (1-200)', wholeNumber(), 50)
    .option('--cursor <cursor>', 'continue where the previous page ended')
    .option('--all', 'read every page')
    .addHelpText(
      'after',
      '\n--type filters the events read: with --limit, among one page; with --all, among the whole trail.' +
        '\nExamples:\n  shipgate events $RELEASE --all --type signoff\n  shipgate events $RELEASE --limit 20 --cursor $CURSOR',
    )
    .action(async (releaseId: string, options: { type?: string[]; limit: number; cursor?: string; all?: boolean }) => {
      const { api, out } = context();
      const items: AuditEvent[] = [];
      let cursor = options.cursor;
      do {
        const from = cursor;
        const { data } = await unwrap(
          api.GET('/releases/{releaseId}/events', {
            params: { path: { releaseId }, query: { limit: options.limit, ...(from ? { cursor: from } : {}) } },
          }),
        );
        items.push(...data.items.filter((event) => matchesType(event, options.type)));
        cursor = data.cursor;
      } while (options.all && cursor);
      const page = { items, ...(cursor ? { cursor } : {}) };
      out.result(page, () => [...(items.length ? items.map(eventLine) : ['No events.']), ...more(cursor)].join('\n'));
    });

  program
    .command('report')
    .description("a release's monitoring windows: state, time left, each metric against its targets and triggers")
    .argument('<release>', 'the release id')
    .action(async (releaseId: string) => {
      const { api, out } = context();
      const { data } = await unwrap(api.GET('/releases/{releaseId}/report', { params: { path: { releaseId } } }));
      // The release says which window runs, until when, and each window's name and duration.
      const view = out.json ? undefined : await loadRelease(api, releaseId);
      out.result(data, () => renderReleaseReport(data, { view }));
    });

  program
    .command('notifications')
    .description('the notifications of a release, with their delivery state (pending, published, failed)')
    .requiredOption('--release <release>', 'the release id (the API lists notifications per release)')
    .option('--limit <n>', 'at most this many (1-200)', wholeNumber(), 50)
    .option('--cursor <cursor>', 'continue a listing where the previous page ended')
    .action(async (options: { release: string; limit: number; cursor?: string }) => {
      const { api, out } = context();
      const { data } = await unwrap(
        api.GET('/releases/{releaseId}/notifications', {
          params: {
            path: { releaseId: options.release },
            query: { limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) },
          },
        }),
      );
      out.result(data, () => [renderNotifications(data.items), ...more(data.cursor)].join('\n'));
    });

  program
    .command('export')
    .description('print a release as a filled-in Markdown checklist: who did what and when, evidence, sign-offs')
    .argument('<release>', 'the release id')
    .addHelpText('after', '\nExample:\n  shipgate export $RELEASE > checklist.md\nWith --json: {"markdown": "…"}.')
    .action(async (releaseId: string) => {
      const { api, out, streams } = context();
      const { data } = await unwrap(
        api.GET('/releases/{releaseId}/checklist.md', { params: { path: { releaseId } }, parseAs: 'text' }),
      );
      // Exactly what the API answered, so `> checklist.md` keeps the file byte for byte.
      if (out.json) out.result({ markdown: data }, () => data);
      else streams.stdout.write(data);
    });
}
