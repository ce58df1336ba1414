#!/usr/bin/env node
// `npx shipgate <command>`: the Shipgate command line. `dev-token` signs a token with the local runtime's issuer.
import { main as devToken } from './token-cli.ts';

const USAGE = `Usage: npx shipgate <command> [options]

Commands:
  dev-token   print an access token signed by the local runtime's issuer
              (npx shipgate dev-token --user alice --roles qa-lead; --help for its options)`;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'dev-token':
    process.exitCode = await devToken(rest);
    break;
  case undefined:
  case '-h':
  case '--help':
    console.log(USAGE);
    break;
  default:
    console.error(`shipgate: unknown command '${command}'\n\n${USAGE}`);
    process.exitCode = 2;
}
