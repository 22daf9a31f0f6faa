#!/usr/bin/env node
/** The one CLI: `berth serve`, `berth operator`, and maintenance verbs. */

const USAGE = `Usage: berth <command> [options]

Commands:
  serve      run the registry (OCI Distribution API + token service)
  operator   run the controller for Registry and Repository resources
  passwd     hash a user's password, or make a robot secret, for the access policy
  token      print a signed registry token (scripting)
  gc         collect garbage: delete unreferenced blobs (online, safe while serving)
  scrub      re-read every blob, check its digest, quarantine corrupt ones (online)
  retention  apply the repositories' retention rules (delete expired tags)
  storage    storage maintenance: migrate a registry to another store (filesystem to S3...)
  help       show this help

Run "berth <command> --help" for a command's options.`;

type Command = (argv: string[]) => Promise<number>;

/** Commands load lazily, so `berth serve` never loads the Kubernetes client, nor the operator the registry. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command.js')).serveCommand,
  operator: async () => (await import('./operator-command.js')).operatorCommand,
  passwd: async () => (await import('./passwd-command.js')).passwdCommand,
  token: async () => (await import('./token-command.js')).tokenCommand,
  gc: async () => (await import('./gc-command.js')).gcCommand,
  scrub: async () => (await import('./scrub-command.js')).scrubCommand,
  retention: async () => (await import('./retention-command.js')).retentionCommand,
  storage: async () => (await import('./storage-command.js')).storageCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`berth: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return (await load())(rest);
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
