/**
 * Rootful podman with private storage (its own graph root, run root and blob-info cache in a temporary
 * directory), so client tests never touch or depend on the machine's image store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOk, tool, type RunOptions } from './tools.js';

export interface PrivatePodman {
  dir: string;
  /** Runs `podman --root … --runroot … ARGS…` and returns its standard output (a non-zero exit throws). */
  podman(args: readonly string[], opts?: RunOptions): Promise<string>;
  /** Removes every image and the storage directory. */
  cleanup(): Promise<void>;
}

export async function createPrivatePodman(): Promise<PrivatePodman> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-podman-'));
  const binary = tool('podman');
  const storage = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp')];
  return {
    dir,
    podman: (args, opts) => runOk(binary, [...storage, ...args], opts),
    cleanup: async () => {
      await run(binary, [...storage, 'system', 'reset', '--force']);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
