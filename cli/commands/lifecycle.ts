// `shipgate advance`, `rollback` (and `rollback dismiss`), `ack`: move a release on, roll it back, stop the paging.
import type { Command } from 'commander';
import { unwrap } from '../client.ts';
import type { CliContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { renderWaitingFor } from '../render/release.ts';
import type { WaitingFor } from '../render/types.ts';
import { releaseAfter } from './releases.ts';

interface ReasonOptions {
  reason?: string;
}

function reasonOf(command: Command): string {
  // `rollback dismiss R --reason X` hands --reason to `rollback`, which knows it too.
  const { reason } = command.optsWithGlobals<ReasonOptions>();
  if (!reason) throw new CliError(EXIT.usage, "required option '--reason <text>' not specified");
  return reason;
}

export function lifecycle(program: Command, context: () => CliContext): void {
  program
    .command('advance')
    .description(
      'evaluate what the release waits for: it moves on if that is satisfied, else exit 5 says what is missing',
    )
    .argument('<release>', 'the release id')
    .action(async (releaseId: string) => {
      const { api, out } = context();
      try {
        const { data } = await unwrap(api.POST('/releases/{releaseId}/advance', { params: { path: { releaseId } } }));
        out.result(data, () => releaseAfter(data, 'Moving on:'));
      } catch (error) {
        // The 409 carries what the release waits for: say it in full, not only its summary.
        const waiting = error instanceof CliError ? (error.problem?.waitingFor as WaitingFor | undefined) : undefined;
        if (waiting && !out.json) out.error(renderWaitingFor(waiting).join('\n'));
        throw error;
      }
    });

  const rollback = program
    .command('rollback')
    .description('roll back a release in production (from DEPLOYING on), or approve a proposed rollback')
    .argument('<release>', 'the release id')
    .option('--reason <text>', 'why, for the audit trail and the people paged')
    .action(async (releaseId: string, _options: ReasonOptions, self: Command) => {
      const reason = reasonOf(self);
      const { api, out } = context();
      const { data } = await unwrap(
        api.POST('/releases/{releaseId}/rollback', { params: { path: { releaseId } }, body: { reason } }),
      );
      out.result(data, () => releaseAfter(data, 'Rolling back'));
    });

  rollback
    .command('dismiss')
    .description('keep the release although a trigger proposed a rollback (the reason is recorded)')
    .argument('<release>', 'the release id')
    .option('--reason <text>', 'why the release stays')
    .action(async (releaseId: string, _options: ReasonOptions, self: Command) => {
      const reason = reasonOf(self);
      const { api, out } = context();
      const { data } = await unwrap(
        api.POST('/releases/{releaseId}/rollback/dismiss', { params: { path: { releaseId } }, body: { reason } }),
      );
      out.result(data, () => releaseAfter(data, 'Kept'));
    });

  program
    .command('ack')
    .description('acknowledge the escalation paging for a release: it stops, and who acknowledged is recorded')
    .argument('<release>', 'the release id')
    .option('--note <text>', 'what you are doing about it')
    .action(async (releaseId: string, options: { note?: string }) => {
      const { api, out } = context();
      const { data } = await unwrap(
        api.POST('/releases/{releaseId}/acknowledge', {
          params: { path: { releaseId } },
          body: options.note === undefined ? {} : { note: options.note },
        }),
      );
      const level = data.escalation?.level;
      out.result(data, () =>
        [`Acknowledged${level ? ` escalation level ${level}` : ''} of ${data.id}`, releaseAfter(data, 'Now:')].join(
          '\n',
        ),
      );
    });
}
