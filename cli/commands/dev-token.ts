// `shipgate dev-token`: a token signed by the local runtime's issuer (local/token-cli.ts), for curl and scripts.
import type { Command } from 'commander';
import { main as devTokenMain } from '../../local/token-cli.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';

export function devToken(program: Command, context: () => CliContext): void {
  program
    .command('dev-token')
    .description("print an access token signed by the local runtime's issuer (--help for its options)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]')
    .action(async (options: string[]) => {
      const { streams } = context();
      const code = await devTokenMain(
        options,
        { stdout: (text) => streams.stdout.write(text), stderr: (text) => streams.stderr.write(text) },
        streams.env as NodeJS.ProcessEnv,
      );
      if (code !== 0) throw new CliError(code === 2 ? 2 : 1, 'dev-token failed');
    });
}
