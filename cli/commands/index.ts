// Every command group of the CLI, in the order `shipgate --help` lists them.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { devToken } from './dev-token.ts';

/** Adds a group of commands to the program; `context()` is valid inside their actions. */
export type CommandGroup = (program: Command, context: () => CliContext) => void;

export const commandGroups: readonly CommandGroup[] = [devToken];
