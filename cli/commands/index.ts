// Every command group of the CLI, in the order `shipgate --help` lists them.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { completion } from './completion.ts';
import { contacts } from './contacts.ts';
import { devToken } from './dev-token.ts';
import { follow } from './follow.ts';
import { items } from './items.ts';
import { lifecycle } from './lifecycle.ts';
import { loginCommands } from './login.ts';
import { metrics } from './metrics.ts';
import { observe } from './observe.ts';
import { releases } from './releases.ts';
import { signoff } from './signoff.ts';
import { templates } from './templates.ts';

/** Adds a group of commands to the program; `context()` is valid inside their actions. */
export type CommandGroup = (program: Command, context: () => CliContext) => void;

export const commandGroups: readonly CommandGroup[] = [
  loginCommands,
  templates,
  releases,
  items,
  signoff,
  lifecycle,
  metrics,
  follow,
  observe,
  contacts,
  devToken,
  completion,
];
