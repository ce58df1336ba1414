#!/usr/bin/env node
// `shipgate`: the Shipgate command line, for people in terminals and for CI pipelines, over the typed client of the
// public API. Each command group lives in cli/commands/; this file wires the program, its global options and the exit
// codes (cli/errors.ts).
import { Command, CommanderError } from 'commander';
import { type CommandGroup, commandGroups } from './commands/index.ts';
import { type CliContext, createContext, type GlobalOptions, resolveTarget } from './context.ts';
import { CliError, EXIT } from './errors.ts';
import { createOutput, type Streams } from './output.ts';
import { localUrl, profileUrl, tokenFromCache } from './session.ts';

const EXIT_CODES = `Exit codes:
  0  ok
  1  failed, or what was waited for went wrong (rejected, rolled back, cancelled)
  2  usage: bad arguments or input
  3  auth: no usable token, or not allowed
  4  not found
  5  conflict: a stale version, a rule of the release, a reused Idempotency-Key
  6  timed out while waiting`;

/** Builds the program; `context()` is valid inside an action. */
export function program(streams: Streams, groups: readonly CommandGroup[] = commandGroups): Command {
  const root = new Command('shipgate')
    .description('Drive Shipgate releases from a terminal or a CI pipeline.')
    .option('--url <url>', 'the Shipgate API (default: $SHIPGATE_URL, the profile, or the local runtime)')
    .option('--token <token>', 'a bearer token for this run (default: $SHIPGATE_TOKEN, then the login cache)')
    .option('--profile <name>', 'the login profile (default: $SHIPGATE_PROFILE or "default")')
    .option('--json', 'print JSON for scripts instead of text')
    .showHelpAfterError()
    .addHelpText('after', `\n${EXIT_CODES}`)
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
    })
    .exitOverride();
  const context = (): CliContext => {
    const options = root.opts<GlobalOptions>();
    const out = createOutput(streams, options.json === true);
    const target = resolveTarget(options, streams.env, {
      profileUrl: (name) => profileUrl(streams.env, name),
      localUrl: () => localUrl(streams.env),
    });
    return createContext(out, streams, target, (t) => tokenFromCache(streams.env, t));
  };
  for (const group of groups) group(root, context);
  for (const command of root.commands) command.exitOverride().configureOutput(root.configureOutput());
  return root;
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function run(argv: readonly string[], streams: Streams): Promise<number> {
  const root = program(streams);
  try {
    await root.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end the program through here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const json = root.opts<GlobalOptions>().json === true;
    if (error instanceof CliError) {
      if (json && error.problem) streams.stdout.write(`${JSON.stringify(error.problem, null, 2)}\n`);
      streams.stderr.write(`shipgate: ${error.message}\n`);
      return error.code;
    }
    streams.stderr.write(`shipgate: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

if (import.meta.main) {
  process.exitCode = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}
