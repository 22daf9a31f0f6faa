/**
 * `berth retention [--config FILE] [--storage DIR] [--policy FILE] [--dry-run]`: applies the repositories' retention
 * rules (the access policy's `lifecycle` section) once, as `berth serve` does on its schedule, and prints what was
 * (or would be) deleted. Garbage collection (`berth gc`) frees the bytes afterwards.
 */
import { parseArgs } from 'node:util';
import { silentLogger } from '../shared/logger.js';
import { parsePolicyText } from '../shared/policy-parse.js';
import { ConfigError, DEFAULT_CONFIG, loadConfigFile, type RegistryConfig } from '../shared/registry-config.js';
import { Lifecycle } from '../registry/lifecycle/index.js';
import type { RetentionResult } from '../registry/lifecycle/retention-run.js';
import { openDriver } from '../registry/storage/drivers/open.js';
import { createStorage } from '../registry/storage/index.js';

export const RETENTION_USAGE = `Usage: berth retention [--config FILE] [--storage DIR] [--policy FILE] [--dry-run]

Deletes the tags each repository's retention rule lets go (the access policy's lifecycle section, which the operator
renders from Repository spec.retention), and the manifests left without a tag that nothing else keeps. Run
berth gc afterwards to free the bytes.
  --config FILE   registry config; its storage section, and auth.policyFile or auth.policySecret, apply
  --storage DIR   storage root (overrides the config)
  --policy FILE   access policy file to read the rules from (overrides the config)
  --dry-run       print what would be deleted; change nothing`;

async function policyText(config: RegistryConfig, file: string | undefined): Promise<string> {
  const logger = silentLogger();
  if (file !== undefined || !config.auth?.policySecret) {
    const path = file ?? config.auth?.policyFile;
    if (!path) throw new ConfigError('--policy', 'no access policy: pass --policy FILE or a config with an auth section');
    const { filePolicySource } = await import('../registry/auth/policy-source.js');
    const source = filePolicySource(path, logger);
    return source.read();
  }
  const { kubernetesPolicySource } = await import('../registry/auth/policy-source-k8s.js');
  return (await kubernetesPolicySource(config.auth.policySecret, logger)).read();
}

function print(results: RetentionResult[]): void {
  for (const r of results) {
    const verb = r.dryRun ? 'would delete' : 'deleted';
    for (const tag of r.tags) console.log(`${verb} tag ${r.repository}:${tag}`);
    for (const digest of r.manifests) console.log(`${verb} manifest ${r.repository}@${digest}`);
    console.log(`${r.repository}: ${verb} ${r.tags.length} tags, ${r.manifests.length} manifests`);
  }
  if (results.length === 0) console.log('no repository has a retention rule');
}

export async function retentionCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(RETENTION_USAGE);
    return 0;
  }
  let config: RegistryConfig;
  let text: string;
  let dryRun: boolean;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, storage: { type: 'string' }, policy: { type: 'string' }, 'dry-run': { type: 'boolean' } },
      strict: true,
    });
    const base = values.config ? await loadConfigFile(values.config) : DEFAULT_CONFIG;
    config = { ...base, storage: { ...base.storage, root: values.storage ?? base.storage.root } };
    text = await policyText(config, values.policy);
    dryRun = values['dry-run'] ?? false;
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `berth retention: ${(err as Error).message}\n\n${RETENTION_USAGE}`);
    return 2;
  }
  const { policy } = parsePolicyText(text);
  const driver = await openDriver(config.storage);
  const lifecycle = new Lifecycle({ driver, storage: createStorage(driver), rules: () => policy.lifecycle, logger: silentLogger() });
  print(await lifecycle.runRetention({ dryRun }));
  return 0;
}
