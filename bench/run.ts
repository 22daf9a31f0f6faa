/** Runs an external program (skopeo, wrk, sync) to completion with a time limit; a non-zero exit is an error. */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Go-built tool cache that `scripts/install-tools.sh` fills (same rule as test/helpers/tools.ts). */
const TOOLS_BIN = join(process.env.BERTH_TOOLS_DIR ?? join(homedir(), '.cache', 'berth-tools'), 'bin');

/** `name` from the tool cache when it is there, else `name` itself (found on PATH when run). */
export function toolPath(name: string): string {
  const cached = join(TOOLS_BIN, name);
  try {
    accessSync(cached, constants.X_OK);
    return cached;
  } catch {
    return name;
  }
}

export interface RunOutput {
  stdout: string;
  stderr: string;
}

/** Tools running right now, so a signal handler can stop them. */
const running = new Set<ChildProcess>();

/** Kills (SIGKILL) every tool still running; for cleanup after a signal. */
export function killRunningTools(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Runs `cmd args…` (with `env` added to this process's environment), resolving with its output when it exits 0. Rejects when it cannot start (naming the tool and
 * `npm run setup:tools`), exits non-zero, or runs past `timeoutMs` (it is then killed with SIGKILL).
 */
export function runTool(
  cmd: string,
  args: readonly string[],
  timeoutMs: number,
  env?: Readonly<Record<string, string>>,
): Promise<RunOutput> {
  const line = [cmd, ...args].join(' ');
  return new Promise<RunOutput>((resolve, reject) => {
    const child = spawn(toolPath(cmd), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      running.delete(child);
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd} (${err.message}); install the tools with \`npm run setup:tools\``));
    });
    child.once('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else if (timedOut) reject(new Error(`timed out after ${timeoutMs} ms: ${line}`));
      else reject(new Error(`${line} exited with ${code ?? signal}\n${stderr.slice(-2000)}`));
    });
  });
}

/** Flushes the dirty pages of the filesystem holding `dir` (`sync -f`), so no write-back spills into a timing. */
export async function syncFilesystem(dir: string): Promise<void> {
  await runTool('sync', ['-f', dir], 120_000);
}
