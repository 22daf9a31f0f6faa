/**
 * `npm run generate:crds`: writes the CRDs of deploy/crds from src/shared/schemas (then `chart:sync` copies them into
 * the chart). With `--check`, writes nothing and exits 1 when a committed file differs. The unit test
 * test/unit/shared/schemas/crds.test.ts fails while they differ.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CRD_SOURCES, crdYaml } from '../src/shared/schemas/crds.js';

const dir = join(import.meta.dirname, '..', '..', 'deploy', 'crds');
const check = process.argv.includes('--check');
let stale = 0;
for (const src of CRD_SOURCES) {
  const path = join(dir, src.file);
  const text = crdYaml(src);
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current === text) continue;
  stale += 1;
  if (check) console.error(`${path} differs from src/shared/schemas; run npm run generate:crds`);
  else {
    await writeFile(path, text);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = check && stale > 0 ? 1 : 0;
