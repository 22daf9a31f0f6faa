/**
 * Finds the external programs the integration tests drive (registry clients, containerd, the conformance
 * suites) and runs them with a timeout. Tools come from `scripts/install-tools.sh` (`npm run setup:tools`):
 * Go-built ones in `${BERTH_TOOLS_DIR:-~/.cache/berth-tools}/bin`, Debian ones on PATH. A missing tool is an
 * error, never a skipped test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Root of the tool cache that `scripts/install-tools.sh` fills. */
export const TOOLS_DIR = process.env.BERTH_TOOLS_DIR ?? join(homedir(), '.cache', 'berth-tools');

/** Folders searched for a tool, in order: the tool cache, then PATH, then the sbin folders. */
export function toolSearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromPath = (env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  return [join(TOOLS_DIR, 'bin'), ...fromPath, '/usr/local/sbin', '/usr/sbin', '/sbin'];
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Absolute path of the program `name`.
 * @throws Error naming the folders searched and the command that installs the tools.
 * @example run(tool('skopeo'), ['--version'])
 */
export function tool(name: string): string {
  const dirs = toolSearchPath();
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(
    `required tool "${name}" not found in ${dirs.join(', ')}; install the test tools with \`npm run setup:tools\``,
  );
}

/** What a finished program left behind. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Kill the program and reject after this long (default 120 s). */
  timeoutMs?: number;
  /** Extra environment variables, merged over `process.env`. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the program's standard input, which is then closed. */
  input?: string | Buffer;
}

/** `cmd args…` as a shell-like line, for error messages. */
export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/**
 * Runs a program to completion and collects its output. Resolves whatever the exit code; rejects only when
 * the program cannot start or exceeds the timeout (it is then killed with SIGKILL).
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`timed out after ${timeoutMs} ms: ${commandLine(cmd, args)}\nstdout:\n${stdout}\nstderr:\n${stderr}`),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${commandLine(cmd, args)}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Like {@link run}, but a non-zero exit is an error carrying the command line and both outputs.
 * @returns the program's standard output.
 */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const result = await run(cmd, args, opts);
  if (result.code !== 0) {
    throw new Error(
      `${commandLine(cmd, args)} exited with ${result.code ?? result.signal}\n` +
        `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** Sends `signal`, and SIGKILL if the process has not exited 10 s later. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill(signal);
  });
}
