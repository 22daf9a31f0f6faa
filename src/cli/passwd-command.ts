/**
 * `berth passwd`: credentials for the access policy.
 * - A user: reads a password from stdin (asked twice, without echo, on a terminal) and prints its scrypt hash.
 * - A robot (`--robot`): generates a 256-bit secret and prints it with the hash that goes into the policy.
 */
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { hashPassword, MAX_PASSWORD_LENGTH } from '../registry/auth/passwords.js';
import { ACCOUNT_NAME } from '../shared/policy.js';
import { generateRobotSecret, hashRobotSecret } from '../shared/policy-secrets.js';

export const PASSWD_USAGE = `Usage: berth passwd [--name NAME] [--robot]

Prints credentials for the access policy (see README, "Authentication").
  (default)    read a password from stdin and print its scrypt hash, for a user's passwordHash;
               on a terminal it is asked twice and not echoed:  berth passwd
               from a script:                                   printf %s "$PASSWORD" | berth passwd
  --robot      generate a robot secret; print "secret:" (give it to the client) and "hash:" (for the policy)
  --name NAME  print a ready-to-paste users: (or robots:) entry for account NAME instead`;

/** Passwords shorter than this are refused. */
export const MIN_PASSWORD_LENGTH = 8;

/** Reads one line from a terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(() => resolve(value));
        if (ch === '\u0003') return finish(() => reject(new Error('interrupted')));
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    const finish = (done: () => void): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      done();
    };
    stdin.on('data', onData);
  });
}

/** All of stdin, without one trailing newline (what `echo` and here-strings add). */
async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readAll();
  const first = await promptHidden('Password: ');
  const again = await promptHidden('Again: ');
  if (first !== again) throw new Error('the passwords differ');
  return first;
}

function robotOutput(name: string | undefined): string {
  const secret = generateRobotSecret();
  const hash = hashRobotSecret(secret);
  if (name === undefined) return `secret: ${secret}\nhash: ${hash}\n`;
  return `# secret of robot ${name} (give it to its client; it is stored nowhere): ${secret}\n${stringify([{ name, secrets: [{ hash }] }])}`;
}

export async function passwdCommand(argv: string[]): Promise<number> {
  let values: { name?: string; robot?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { name: { type: 'string' }, robot: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    console.error(`berth passwd: ${(err as Error).message}\n\n${PASSWD_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(PASSWD_USAGE);
    return 0;
  }
  if (values.name !== undefined && !ACCOUNT_NAME.test(values.name)) {
    console.error(`berth passwd: "${values.name}" is not a valid account name (letters, digits, . _ @ + -)`);
    return 2;
  }
  if (values.robot) {
    process.stdout.write(robotOutput(values.name));
    return 0;
  }
  let password: string;
  try {
    password = await readPassword();
  } catch (err) {
    console.error(`berth passwd: ${(err as Error).message}`);
    return 1;
  }
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    console.error(`berth passwd: a password needs ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
    return 1;
  }
  const hash = await hashPassword(password);
  process.stdout.write(values.name === undefined ? `${hash}\n` : stringify([{ name: values.name, passwordHash: hash }]));
  return 0;
}
