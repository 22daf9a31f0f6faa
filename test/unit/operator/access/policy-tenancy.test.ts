/**
 * The tenancy the operator renders into the policy for Kubernetes identities: only when the Registry enables
 * spec.auth.kubernetes, with the Registry's tenancy and the Repository declaring each accepted path; and the
 * registry config it renders for such a Registry.
 */
import { parse as parseYaml } from 'yaml';
import { policyTenancy } from '../../../../src/operator/access/access-policy.js';
import type { AcceptedRepository } from '../../../../src/operator/access/robots.js';
import { repositorySpec } from '../../../../src/operator/access/types.js';
import { renderRegistryConfig } from '../../../../src/operator/registry/config-render.js';
import { withDefaults } from '../../../../src/operator/registry/types.js';
import { parseConfig } from '../../../../src/shared/registry-config.js';
import { registry, repository } from './fixtures.js';

function accepted(ns: string, name: string, path: string): AcceptedRepository {
  const repo = repository(ns, name, { path });
  return { repo, key: `${ns}/${name}`, spec: repositorySpec(repo), selection: { selected: [], missing: [], refused: [] } };
}

const repos = [accepted('team-b', 'tool', 'team-b/tool'), accepted('platform', 'base', 'library/base')];
const endpoint = { host: 'registry.example.test', url: 'https://registry.example.test' };

test('no tenancy section unless the Registry enables Kubernetes identities', () => {
  expect(policyTenancy(registry(), repos)).toBeUndefined();
  expect(policyTenancy(registry({ auth: { kubernetes: { enabled: false } } }), repos)).toBeUndefined();
});

test("the Registry's tenancy and the declaring Repositories, sorted by path", () => {
  const reg = registry({ auth: { kubernetes: { enabled: true } }, tenancy: { grants: [{ namespaces: ['platform'], paths: ['library/**'] }] } });
  expect(policyTenancy(reg, repos)).toEqual({
    namespacePaths: true,
    grants: [{ namespaces: ['platform'], paths: ['library/**'] }],
    repositories: [
      { path: 'library/base', namespace: 'platform', name: 'base' },
      { path: 'team-b/tool', namespace: 'team-b', name: 'tool' },
    ],
  });
});

test('the rendered registry config: audience defaults to the service name, cacheTtl carried over', () => {
  const render = (kubernetes: object) => parseConfig(parseYaml(renderRegistryConfig(withDefaults({ auth: { kubernetes } }), endpoint))).auth!.kubernetes;
  expect(render({ enabled: true })).toMatchObject({ enabled: true, audiences: ['registry.example.test'], cacheTtlMs: 10_000 });
  expect(render({ enabled: true, audiences: ['ours'], cacheTtl: '3s' })).toMatchObject({ audiences: ['ours'], cacheTtlMs: 3000 });
  expect(render({ enabled: false })).toBeUndefined();
});
