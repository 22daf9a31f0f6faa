/**
 * Issue 15's operator targets and the figures the benchmark measures, as table rows (pure): each figure with its
 * target and whether it is met. Figures without a target are printed for context.
 */

/** Issue 15: converge within 15 s after the propagation wait, no writes at steady state, ≤ 128 MiB at 100 Registries. */
export const TARGETS = { convergeAfterWaitMs: 15_000, steadyWrites: 0, rssMiB: 128, registries: 100 } as const;

export interface Figures {
  namespaces: number;
  repositories: number;
  /** From operator start to every pull Secret and Repository status in place. */
  convergeMs: number;
  /** The access controller's wait between publishing a policy and handing out its secrets. */
  propagationWaitMs: number;
  writesUntilConverged: number;
  steadyWrites: number;
  steadyWindowMs: number;
  newNamespaceMs: number;
  rssMiB: number;
  heapMiB: number;
  fleet?: {
    registries: number;
    convergeMs: number;
    writesUntilConverged: number;
    steadyWrites: number;
    steadyWindowMs: number;
    rssMiB: number;
    heapMiB: number;
  };
}

export interface Row {
  figure: string;
  value: string;
  target: string;
  /** undefined: no target. */
  met?: boolean;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (m: number): string => `${m.toFixed(0)} MiB`;

export function targetRows(f: Figures): Row[] {
  const after = f.convergeMs - f.propagationWaitMs;
  const scale = `${f.namespaces} namespaces × ${f.repositories} Repositories`;
  const rows: Row[] = [
    {
      figure: `Converge, ${scale} (from operator start; minus the ${s(f.propagationWaitMs)} propagation wait)`,
      value: `${s(f.convergeMs)} (${s(after)} after the wait)`,
      target: `≤ ${s(TARGETS.convergeAfterWaitMs)} after the wait`,
      met: after <= TARGETS.convergeAfterWaitMs,
    },
    { figure: 'API writes until converged, per pull Secret', value: `${f.writesUntilConverged} (${(f.writesUntilConverged / f.namespaces).toFixed(2)})`, target: '—' },
    {
      figure: `Writes at steady state (${s(f.steadyWindowMs)} of resyncs)`,
      value: String(f.steadyWrites),
      target: String(TARGETS.steadyWrites),
      met: f.steadyWrites <= TARGETS.steadyWrites,
    },
    { figure: 'A namespace created at this scale gets its Secret in', value: `${f.newNamespaceMs} ms`, target: '—' },
    { figure: `Operator RSS / V8 heap used, ${scale}, 1 Registry`, value: `${mib(f.rssMiB)} / ${mib(f.heapMiB)}`, target: '—' },
  ];
  if (!f.fleet) return rows;
  const g = f.fleet;
  rows.push(
    { figure: `${g.registries} Registries converge (from operator start, with the ${scale} above)`, value: s(g.convergeMs), target: '—' },
    { figure: `API writes until the ${g.registries} Registries converged`, value: String(g.writesUntilConverged), target: '—' },
    {
      figure: `Writes at steady state, ${g.registries} Registries (${s(g.steadyWindowMs)} of resyncs)`,
      value: String(g.steadyWrites),
      target: String(TARGETS.steadyWrites),
      met: g.steadyWrites <= TARGETS.steadyWrites,
    },
    {
      figure: `Operator RSS / V8 heap used, ${g.registries} Registries and the ${scale}`,
      value: `${mib(g.rssMiB)} / ${mib(g.heapMiB)}`,
      target: g.registries >= TARGETS.registries ? `RSS ≤ ${mib(TARGETS.rssMiB)}` : `(target at ${TARGETS.registries} Registries)`,
      met: g.registries >= TARGETS.registries ? g.rssMiB <= TARGETS.rssMiB : undefined,
    },
  );
  return rows;
}

/** A Markdown table of the rows. */
export function renderRows(rows: readonly Row[]): string {
  const met = (r: Row): string => (r.met === undefined ? '' : r.met ? 'met' : '**not met**');
  return ['| Figure | Value | Target | |', '|---|---|---|---|', ...rows.map((r) => `| ${r.figure} | ${r.value} | ${r.target} | ${met(r)} |`)].join('\n');
}
