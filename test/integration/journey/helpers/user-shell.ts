/**
 * Runs the README's "Install on Kubernetes" commands as a user would type them: each line must appear verbatim in
 * that section, and runs under bash in a scratch folder that links the checkout's charts/, deploy/ and dist/,
 * with kubectl, helm, skopeo and ctr on PATH and bound to the test's cluster and node (private Helm homes).
 */
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../helpers/berth-process.js';
import { run, TOOLS_DIR } from '../../../helpers/tools.js';
import type { Cluster } from '../../operator/helpers/cluster.js';

/** The README text between `## Install on Kubernetes` and the next `## ` heading. */
export async function installSection(): Promise<string> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Install on Kubernetes\n');
  if (start < 0) throw new Error('README.md has no "## Install on Kubernetes" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

export interface UserShell {
  /** The scratch folder the commands run in (files they write land here). */
  dir: string;
  /** Runs one README line; rejects when it is not in the section or exits non-zero. Resolves with stdout. */
  run(line: string, env?: Record<string, string>, timeoutMs?: number): Promise<string>;
  remove(): Promise<void>;
}

/** A shell for CLUSTER (its kubeconfig, its node's containerd socket). */
export async function userShell(cluster: Cluster): Promise<UserShell> {
  const section = await installSection();
  const dir = await mkdtemp(join(tmpdir(), 'berth-journey-'));
  for (const name of ['charts', 'deploy', 'dist']) await symlink(join(REPO_ROOT, name), join(dir, name));
  const binDir = /BERTH_K8S_BIN_DIR='([^']+)'/.exec(await cluster.script('env'))![1]!;
  const base = {
    PATH: [binDir, join(TOOLS_DIR, 'bin'), process.env.PATH ?? '/usr/bin:/bin'].join(':'),
    KUBECONFIG: cluster.kubeconfig,
    KUBECACHEDIR: join(dir, '.kube-cache'),
    HELM_CONFIG_HOME: join(dir, '.helm', 'config'),
    HELM_CACHE_HOME: join(dir, '.helm', 'cache'),
    HELM_DATA_HOME: join(dir, '.helm', 'data'),
    CONTAINERD_ADDRESS: cluster.node?.containerdSocket ?? '',
  };
  return {
    dir,
    run: async (line, env = {}, timeoutMs = 300_000) => {
      if (!section.includes(line)) throw new Error(`the README's "Install on Kubernetes" does not say: ${line}`);
      const r = await run('bash', ['-euo', 'pipefail', '-c', line], { cwd: dir, env: { ...base, ...env }, timeoutMs });
      if (r.code !== 0) throw new Error(`${line}\nexited ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
