/**
 * `npm run generate:rbac`: writes the ClusterRoles and the leader-election Role of deploy/rbac from
 * src/operator/rbac.ts. With `--check`, writes nothing and exits 1 when a committed file differs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderRbacFiles } from '../src/operator/rbac-yaml.js';

const dir = join(import.meta.dirname, '..', '..', 'deploy', 'rbac');
const check = process.argv.includes('--check');
let stale = 0;
for (const [file, text] of renderRbacFiles()) {
  const path = join(dir, file);
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current === text) continue;
  stale += 1;
  if (check) console.error(`${path} differs from src/operator/rbac.ts; run npm run generate:rbac`);
  else {
    await writeFile(path, text);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = check && stale > 0 ? 1 : 0;
