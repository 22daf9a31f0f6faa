/**
 * Compares RBAC rules by meaning, not by text: order of rules and of the names inside a rule does not matter,
 * and a rule granting several verbs equals several rules granting one each.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseObjects, type K8sObject } from './chart.js';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** Every single permission a list of rules grants, one `group|resource|name|verb` string each, sorted. */
export function permissions(rules: Rule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    for (const verb of r.verbs) {
      for (const url of r.nonResourceURLs ?? []) out.add(`url|${url}|${verb}`);
      for (const group of r.apiGroups ?? []) {
        for (const resource of r.resources ?? []) {
          for (const name of r.resourceNames?.length ? r.resourceNames : ['*any*']) out.add(`${group}|${resource}|${name}|${verb}`);
        }
      }
    }
  }
  return [...out].sort();
}

/** The objects of every YAML file in a folder. */
export function objectsIn(dir: string): K8sObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseObjects(readFileSync(join(dir, f), 'utf8')));
}

export const ROLE_KINDS = ['ClusterRole', 'Role'];
export const isRole = (o: K8sObject): boolean => ROLE_KINDS.includes(o.kind);
export const isBinding = (o: K8sObject): boolean => ['ClusterRoleBinding', 'RoleBinding'].includes(o.kind);
