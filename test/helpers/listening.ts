/**
 * Reading a Berth process's JSON log lines from stdout and waiting for its `listening` line
 * (`{"message":"listening","address":"127.0.0.1:PORT"}`), shared by the serve and operator launchers.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Collects every stdout line of `child` into `logs` (parsed JSON, or `{raw}`), and resolves with the address of
 * its listening line; rejects when it exits first or after `timeoutMs`, with what it printed on stderr.
 */
export function waitForListening(
  child: ChildProcess,
  logs: Array<Record<string, unknown>>,
  what: string,
  timeoutMs = 20_000,
): Promise<string> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000}s\n${stderr}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { raw: line };
      }
      logs.push(entry);
      if (entry.message === 'listening' && typeof entry.address === 'string') {
        clearTimeout(timer);
        resolve(entry.address);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}\n${stderr}`));
    });
  });
}
