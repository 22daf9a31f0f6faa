/**
 * `node dist/bench/repositories/heap-summary.js FILE.heapsnapshot [--top 25]`: what a V8 heap snapshot holds, by
 * node type and constructor (self sizes summed), with the largest strings. A snapshot of the operator comes from
 * `NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2` and `kill -USR2 <pid>` (written in its working folder).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  group: string;
  count: number;
  bytes: number;
}

/** Self sizes summed by `type:name` (objects by constructor), largest first; and the largest strings (pure). */
export function summarize(s: Snapshot, top: number): { total: number; groups: HeapGroup[]; strings: HeapGroup[] } {
  const f = s.snapshot.meta.node_fields;
  const [typeAt, nameAt, sizeAt, width] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size'), f.length];
  const types = s.snapshot.meta.node_types[0];
  const groups = new Map<string, HeapGroup>();
  const strings: HeapGroup[] = [];
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt]!]!;
    const name = s.strings[s.nodes[i + nameAt]!]!;
    const bytes = s.nodes[i + sizeAt]!;
    total += bytes;
    const group = type === 'object' || type === 'closure' ? `${type}:${name}` : type;
    const g = groups.get(group) ?? { group, count: 0, bytes: 0 };
    g.count += 1;
    g.bytes += bytes;
    groups.set(group, g);
    if (type === 'string' || type === 'concatenated string') strings.push({ group: name.slice(0, 80).replace(/\s+/g, ' '), count: 1, bytes });
  }
  const largest = (xs: HeapGroup[]): HeapGroup[] => xs.sort((a, b) => b.bytes - a.bytes).slice(0, top);
  return { total, groups: largest([...groups.values()]), strings: largest(strings) };
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
  const file = positionals[0];
  if (!file) throw new Error('usage: heap-summary FILE.heapsnapshot [--top N]');
  const { total, groups, strings } = summarize(JSON.parse(readFileSync(file, 'utf8')) as Snapshot, Number(values.top ?? 25));
  const mib = (b: number): string => (b / 2 ** 20).toFixed(2);
  console.log(`${file}: ${mib(total)} MiB in the snapshot\n\n| Type:constructor | Count | MiB |\n|---|---:|---:|`);
  for (const g of groups) console.log(`| ${g.group} | ${g.count} | ${mib(g.bytes)} |`);
  console.log('\n| Largest strings | MiB |\n|---|---:|');
  for (const g of strings) console.log(`| \`${g.group.replace(/[|`]/g, ' ')}\` | ${mib(g.bytes)} |`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
