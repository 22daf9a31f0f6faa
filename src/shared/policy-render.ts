/**
 * Renders an access policy as the YAML document {@link parsePolicyText} reads back (the operator writes it into the
 * registry's policy Secret). Users from an htpasswd block come out as ordinary `users` entries.
 */
import { stringify } from 'yaml';
import { POLICY_VERSION, type AccessPolicy } from './policy.js';

/** The YAML text of `policy`, with a header line; `parsePolicyText(renderPolicy(p)).policy` equals `p`. */
export function renderPolicy(policy: AccessPolicy, header = 'berth access policy'): string {
  const doc = {
    version: POLICY_VERSION,
    users: policy.users,
    robots: policy.robots,
    rules: policy.rules,
    catalog: policy.catalog,
    ...(policy.tenancy ? { tenancy: policy.tenancy } : {}),
    ...(policy.lifecycle?.length ? { lifecycle: policy.lifecycle } : {}),
  };
  const comment = header
    .split('\n')
    .map((line) => `# ${line}`.trimEnd())
    .join('\n');
  return `${comment}\n${stringify(doc, { lineWidth: 0 })}`;
}
