/**
 * A private podman for the podman scenarios: its own storage root, run root, libpod temporary folder and big-file
 * temporary folder (`TMPDIR`, where containers/image stages a pulled layer) below one folder, with the vfs driver
 * (nothing is mounted, so removing the folder removes everything). The run root is a short temporary folder of its
 * own: podman refuses one longer than 50 characters. The machine's default storage
 * (/var/lib/containers/storage) is never touched. One thing podman still shares as root: containers/image's blob
 * info cache (/var/lib/containers/cache), which has no podman flag; it only remembers which registry holds which
 * blob, and each round's registries listen on new ports, so it never lets a push skip a layer.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, type RunOutput } from './run.js';

export interface BenchPodman {
  /** Runs `podman GLOBAL-FLAGS ARGS…` against this store. */
  podman(args: readonly string[], timeoutMs: number): Promise<RunOutput>;
  /** Copies an image into this store with skopeo (`containers-storage:` names it; `podman pull oci:DIR` names it
   * after DIR, which a temporary folder's capitals make invalid). */
  copyIn(source: string, name: string, timeoutMs: number): Promise<void>;
  /** Removes the store's folders. */
  remove(): Promise<void>;
}

/** Where a store keeps its images (below `dir`) and its run-time state (`runroot`). */
export interface StorePaths {
  dir: string;
  runroot: string;
}

/** The containers-storage reference of image `name` in a store (same driver and paths as the flags below). */
export function storageReference({ dir, runroot }: StorePaths, name: string): string {
  return `containers-storage:[vfs@${join(dir, 'root')}+${runroot}]${name}`;
}

/** The global flags that keep podman inside the store's folders. */
export function podmanGlobalArgs({ dir, runroot }: StorePaths): string[] {
  return [
    '--root',
    join(dir, 'root'),
    '--runroot',
    runroot,
    '--tmpdir',
    join(dir, 'libpod'),
    '--storage-driver',
    'vfs',
    '--events-backend',
    'none',
    '--cgroup-manager',
    'cgroupfs',
  ];
}

/** A podman store in a new folder `dir` (and a new run root); initialized, so no timing pays for that. */
export async function createPodmanStore(dir: string, initTimeoutMs = 60_000): Promise<BenchPodman> {
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  const paths = { dir, runroot: await mkdtemp(join(tmpdir(), 'podman-run-')) };
  const env = { TMPDIR: tmp };
  const store: BenchPodman = {
    podman: (args, timeoutMs) => runTool('podman', [...podmanGlobalArgs(paths), ...args], timeoutMs, env),
    copyIn: async (source, name, timeoutMs) => {
      await runTool('skopeo', ['copy', '--quiet', source, storageReference(paths, name)], timeoutMs, env);
    },
    remove: async () => {
      await rm(dir, { recursive: true, force: true });
      await rm(paths.runroot, { recursive: true, force: true });
    },
  };
  await store.podman(['images', '--quiet'], initTimeoutMs);
  return store;
}
