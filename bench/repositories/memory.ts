/**
 * What the operator's memory holds, measured from outside: the objects of each set its informers cache (listed
 * with kubectl as the informer lists them, without managedFields, as JSON bytes: the heap holds them as objects,
 * a few times larger), and the heap and RSS of the operator's code alone (its modules loaded, nothing cached).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PERMISSIONS } from '../../src/operator/rbac.js';
import { REPO_ROOT, type ControlPlane } from './control-plane.js';

const run = promisify(execFile);

export interface CachedSet {
  resource: string;
  labelSelector?: string;
  objects: number;
  jsonKiB: number;
}

/** Every informer's set, as the operator (watching all namespaces) lists it. */
export async function cachedSets(cp: ControlPlane): Promise<CachedSet[]> {
  const out: CachedSet[] = [];
  for (const p of PERMISSIONS) {
    if (!p.watch) continue;
    const name = p.resource.group ? `${p.resource.plural}.${p.resource.group}` : p.resource.plural;
    const args = ['get', name, ...(p.resource.namespaced ? ['-A'] : []), '-o', 'json', ...(p.watch.labelSelector ? ['-l', p.watch.labelSelector] : [])];
    const items = (JSON.parse(await cp.kubectl(args)) as { items: Array<{ metadata: Record<string, unknown> }> }).items;
    for (const item of items) delete item.metadata.managedFields;
    out.push({ resource: name, labelSelector: p.watch.labelSelector, objects: items.length, jsonKiB: Buffer.byteLength(JSON.stringify(items)) / 1024 });
  }
  return out;
}

/** Heap used and RSS (MiB) of a node process that loaded the operator's modules and collected its garbage. */
export async function codeBaseline(): Promise<{ heapMiB: number; rssMiB: number }> {
  const module = join(REPO_ROOT, 'dist', 'src', 'cli', 'operator-command.js');
  const script = `await import(${JSON.stringify(module)}); gc(); const m = process.memoryUsage(); console.log(JSON.stringify({ heapMiB: m.heapUsed / 2 ** 20, rssMiB: m.rss / 2 ** 20 }));`;
  const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', script]);
  return JSON.parse(stdout) as { heapMiB: number; rssMiB: number };
}

export function renderMemory(sets: readonly CachedSet[], code: { heapMiB: number; rssMiB: number }): string {
  const rows = sets.map((s) => `| ${s.resource}${s.labelSelector ? ` (-l ${s.labelSelector})` : ''} | ${s.objects} | ${s.jsonKiB.toFixed(0)} KiB |`);
  const sum = sets.reduce((a, s) => a + s.jsonKiB, 0);
  return [
    `Operator code alone (modules loaded, nothing cached, after GC): heap ${code.heapMiB.toFixed(1)} MiB, RSS ${code.rssMiB.toFixed(0)} MiB`,
    '',
    '| Informer set | Objects | JSON (no managedFields) |',
    '|---|---:|---:|',
    ...rows,
    `| all | ${sets.reduce((a, s) => a + s.objects, 0)} | ${sum.toFixed(0)} KiB |`,
  ].join('\n');
}
