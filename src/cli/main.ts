#!/usr/bin/env node
/** The one CLI: `berth serve`, `berth operator`, and maintenance verbs. */
import { operatorCommand } from './operator-command.js';
import { passwdCommand } from './passwd-command.js';
import { serveCommand } from './serve-command.js';
import { tokenCommand } from './token-command.js';

const USAGE = `Usage: berth <command> [options]

Commands:
  serve      run the registry (OCI Distribution API + token service)
  operator   run the controller for Registry and Repository resources
  passwd     hash a user's password, or make a robot secret, for the access policy
  token      print a signed registry token (scripting)
  help       show this help

Run "berth <command> --help" for a command's options.`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  operator: operatorCommand,
  passwd: passwdCommand,
  token: tokenCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`berth: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`berth: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  },
);
