/**
 * An OCI runtime bundle for `runc run` around an unpacked image root file system: read-only root, the image's
 * user, the host's network namespace (so a test reaches the loopback port), a tmpfs owned by the user at the
 * storage path (as the operator mounts a volume there), and its own runc state directory.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk, tool } from '../../helpers/tools.js';

interface RuntimeSpec {
  root: { path: string; readonly: boolean };
  process: { terminal: boolean; user: { uid: number; gid: number }; args: string[]; cwd: string };
  linux: { namespaces: Array<{ type: string }> };
  mounts: Array<Record<string, unknown>>;
}

export interface BundleOptions {
  rootfs: string;
  uid: number;
  args: string[];
  cwd: string;
  /** Mounted as a tmpfs owned by `uid`. */
  writable: string;
}

/** Writes `dir/config.json` from `runc spec`, adjusted to `opts`. */
export async function writeRuncBundle(dir: string, opts: BundleOptions): Promise<void> {
  await runOk(tool('runc'), ['spec', '--bundle', dir]);
  const file = join(dir, 'config.json');
  const spec = JSON.parse(await readFile(file, 'utf8')) as RuntimeSpec;
  spec.root = { path: opts.rootfs, readonly: true };
  spec.process = { ...spec.process, terminal: false, user: { uid: opts.uid, gid: opts.uid }, args: opts.args, cwd: opts.cwd };
  spec.linux.namespaces = spec.linux.namespaces.filter((ns) => ns.type !== 'network');
  spec.mounts.push({
    destination: opts.writable,
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'nodev', 'mode=755', `uid=${opts.uid}`, `gid=${opts.uid}`],
  });
  await writeFile(file, JSON.stringify(spec, null, 2));
}
