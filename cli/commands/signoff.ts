// `shipgate signoff`: approve or reject a gate as a role you hold; `signoff withdraw` (or `unsign`) takes it back.
import type { Command } from 'commander';
import { unwrap } from '../client.ts';
import type { CliContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { renderSignoff } from '../render/records.ts';

interface SignoffOptions {
  gate?: string;
  role?: string;
  approve?: boolean;
  reject?: boolean;
  comment?: string;
}

/**
 * The options of a command and of its parent: `signoff withdraw R --gate G` reaches `signoff` with `--gate` after
 * the subcommand, and commander hands options a parent knows to the parent.
 */
const optionsOf = (command: Command): SignoffOptions => command.optsWithGlobals<SignoffOptions>();

function gateAndRole(options: SignoffOptions): { gate: string; role: string } {
  const missing = [options.gate ? '' : '--gate <gate>', options.role ? '' : '--role <role>'].filter(Boolean);
  if (missing.length > 0 || !options.gate || !options.role) {
    throw new CliError(EXIT.usage, `required option ${missing.join(' and ')} not specified`);
  }
  return { gate: options.gate, role: options.role };
}

function withdrawCommand(command: Command, context: () => CliContext): Command {
  return command
    .description('withdraw your standing sign-off of a gate (only its signer can)')
    .argument('<release>', 'the release id')
    .option('--gate <gate>', 'the gate id, e.g. pre-release')
    .option('--role <role>', 'the role you signed as')
    .action(async (releaseId: string, _options: SignoffOptions, self: Command) => {
      const { gate, role } = gateAndRole(optionsOf(self));
      const { api, out } = context();
      const { data } = await unwrap(
        api.DELETE('/releases/{releaseId}/signoffs/{gate}/{role}', { params: { path: { releaseId, gate, role } } }),
      );
      out.result(data, () => renderSignoff(data));
    });
}

export function signoff(program: Command, context: () => CliContext): void {
  const group = program
    .command('signoff')
    .description('approve or reject a gate as a role you hold (withdraw: take your decision back)')
    .argument('<release>', 'the release id')
    .option('--gate <gate>', 'the gate id, e.g. pre-release (`releases show` names it)')
    .option('--role <role>', 'the role you sign as, e.g. qa-lead')
    .option('--approve', 'approve the gate')
    .option('--reject', 'reject it: the gate is blocked until you withdraw or someone of the role approves')
    .option('--comment <text>', 'what you checked, or what is missing')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  shipgate signoff $RELEASE --gate pre-release --role qa-lead --approve --comment "all suites green"\n' +
        '  shipgate signoff $RELEASE --gate pre-release --role security-lead --reject --comment "pen test report missing"\n' +
        '  shipgate signoff withdraw $RELEASE --gate pre-release --role security-lead',
    )
    .action(async (releaseId: string, _options: SignoffOptions, self: Command) => {
      const options = optionsOf(self);
      const { gate, role } = gateAndRole(options);
      if (options.approve === options.reject) {
        throw new CliError(EXIT.usage, 'give exactly one of --approve and --reject');
      }
      const { api, out } = context();
      const { data } = await unwrap(
        api.POST('/releases/{releaseId}/signoffs', {
          params: { path: { releaseId } },
          body: {
            gate,
            role,
            decision: options.approve ? 'approve' : 'reject',
            ...(options.comment === undefined ? {} : { comment: options.comment }),
          },
        }),
      );
      out.result(data, () => renderSignoff(data));
    });
  withdrawCommand(group.command('withdraw'), context);
  withdrawCommand(program.command('unsign'), context).description(
    'withdraw your standing sign-off of a gate (the same as `signoff withdraw`)',
  );
}
