#!/usr/bin/env node
/** The one CLI: `berth serve`, `berth operator`, and maintenance verbs. */
import { serveCommand } from './serve-command.js';

const USAGE = `Usage: berth <command> [options]

Commands:
  serve      run the registry (OCI Distribution API + token service)
  help       show this help

Run "berth <command> --help" for a command's options.`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
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
