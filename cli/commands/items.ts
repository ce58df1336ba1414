// `shipgate items set`: change a checklist item's status, with its evidence, note or reason.
import { type Command, Option } from 'commander';
import { unwrap } from '../client.ts';
import type { CliContext } from '../context.ts';
import { renderItemChange } from '../render/records.ts';
import { ITEM_STATUSES, type ItemStatus } from '../render/types.ts';
import { wholeNumber } from './input.ts';

export function items(program: Command, context: () => CliContext): void {
  const group = program.command('items').description("change a release's checklist items");

  group
    .command('set')
    .description("set an item's status, with evidence (a CI run, a report) or the reason for skipping it")
    .argument('<release>', 'the release id')
    .argument('<item>', 'the item id, as `shipgate releases show` lists it in [brackets]')
    .addOption(new Option('--status <status>', 'the new status').choices(ITEM_STATUSES).makeOptionMandatory())
    .option('--evidence <url>', 'a link to what shows it (a CI run, a report)')
    .option('--note <text>', 'a note kept with the evidence')
    .option('--reason <text>', 'why: needed to skip a required item')
    .option(
      '--expected-version <n>',
      "the item's version you saw (`releases show --json`): refused with exit 5 if someone changed it since",
      wholeNumber(0),
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  shipgate items set $RELEASE python-test-suite --status done --evidence $RUN_URL --note "568 passed"\n' +
        '  shipgate items set $RELEASE bandit --status skipped --reason "no Python changes in this release"',
    )
    .action(
      async (
        releaseId: string,
        itemId: string,
        options: { status: ItemStatus; evidence?: string; note?: string; reason?: string; expectedVersion?: number },
      ) => {
        const { api, out } = context();
        const evidence =
          options.evidence !== undefined || options.note !== undefined
            ? {
                ...(options.evidence === undefined ? {} : { url: options.evidence }),
                ...(options.note === undefined ? {} : { note: options.note }),
              }
            : undefined;
        const { data } = await unwrap(
          api.PATCH('/releases/{releaseId}/items/{itemId}', {
            params: { path: { releaseId, itemId } },
            body: {
              status: options.status,
              ...(evidence ? { evidence } : {}),
              ...(options.reason === undefined ? {} : { reason: options.reason }),
              ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }),
            },
          }),
        );
        out.result(data, () => renderItemChange(data));
      },
    );
}
