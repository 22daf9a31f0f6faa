/**
 * `npm run generate:crds`: writes the CRDs of `deploy/crds` from the schemas. Run it after changing a schema and
 * commit the result (the unit test `test/unit/shared/schemas/crds.test.ts` fails while they differ).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_SOURCES, crdYaml } from './crds.js';

const dir = join(process.argv[2] ?? process.cwd(), 'deploy', 'crds');
for (const src of CRD_SOURCES) {
  writeFileSync(join(dir, src.file), crdYaml(src));
  console.log(`wrote ${join(dir, src.file)}`);
}
