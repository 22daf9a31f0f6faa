/**
 * The Berth image of `npm run image` (dist/image), built only when the layout there is not of this commit or not
 * tagged with the chart's appVersion (the tag the chart's default image uses).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../helpers/berth-process.js';
import { runOk } from '../../../helpers/tools.js';

export const IMAGE_DIR = join(REPO_ROOT, 'dist', 'image');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const blob = async (digest: string): Promise<Json> =>
  JSON.parse(await readFile(join(IMAGE_DIR, 'blobs', 'sha256', digest.replace(/^sha256:/, '')), 'utf8'));

/** `{ tag, revision }` of dist/image, or undefined when there is none. */
async function layoutIdentity(): Promise<{ tag: string; revision: string } | undefined> {
  try {
    const top = JSON.parse(await readFile(join(IMAGE_DIR, 'index.json'), 'utf8')).manifests[0];
    const index = await blob(top.digest);
    const manifest = await blob(index.manifests[0].digest);
    const config = await blob(manifest.config.digest);
    return { tag: top.annotations['org.opencontainers.image.ref.name'], revision: config.config.Labels['org.opencontainers.image.revision'] };
  } catch {
    return undefined;
  }
}

/** Makes sure dist/image holds this commit's image tagged appVersion; says whether it had to build. */
export async function ensureBerthImage(appVersion: string): Promise<'reused' | 'built'> {
  const head = (await runOk('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'])).trim();
  const found = await layoutIdentity();
  if (found?.revision === head && found.tag === appVersion) return 'reused';
  await runOk('npm', ['run', 'image'], { cwd: REPO_ROOT, timeoutMs: 900_000 });
  return 'built';
}
