/**
 * A folder laid out as the kubelet lays out a Secret volume (its atomic writer): the files are symlinks through
 * `..data`, a symlink to a timestamped folder, and an update writes a new folder and swaps `..data` with a rename.
 * Tests use it to change a certificate the way Kubernetes does.
 */
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SecretVolume {
  dir: string;
  path(key: string): string;
  /** Writes every key into a new generation and swaps `..data` to it in one rename. */
  update(data: Record<string, string>): Promise<void>;
  remove(): Promise<void>;
}

export async function secretVolume(data: Record<string, string>): Promise<SecretVolume> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-secret-volume-'));
  let generation = 0;
  const update = async (next: Record<string, string>): Promise<void> => {
    const folder = `..gen_${++generation}`;
    await mkdir(join(dir, folder));
    for (const [key, value] of Object.entries(next)) await writeFile(join(dir, folder, key), value, { mode: 0o400 });
    await symlink(folder, join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    for (const key of Object.keys(next)) await symlink(join('..data', key), join(dir, key)).catch(() => undefined);
    if (generation > 1) await rm(join(dir, `..gen_${generation - 1}`), { recursive: true, force: true });
  };
  await update(data);
  return { dir, path: (key) => join(dir, key), update, remove: () => rm(dir, { recursive: true, force: true }) };
}
