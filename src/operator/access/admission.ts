/**
 * Which Repositories of a Registry are in force (pure): a Repository is refused, with a reason and a message that
 * says what to do, when its Registry does not exist, its path breaks the OCI name grammar, its namespace may not
 * claim the path (tenancy), or an older Repository already claims the same path. A Repository being deleted is
 * not in force (its rules and credentials are removed before its finalizer is).
 */
import { isValidName, MAX_NAME_LENGTH } from '../../shared/oci-names.js';
import { objectKey } from '../../kube/objects.js';
import type { Registry } from '../registry/types.js';
import { allowedPatterns, pathAllowed, tenancyOf } from './tenancy.js';
import { REASONS, repositorySpec, type Reason, type Repository } from './types.js';

export type Admission = { accepted: true } | { accepted: false; reason: Reason; message: string };

const ACCEPTED: Admission = { accepted: true };

/** Oldest first; ties by `namespace/name`, so the outcome never depends on cache order. */
export function byAge(a: Repository, b: Repository): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = objectKey(a);
  const kb = objectKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function refused(reason: Reason, message: string): Admission {
  return { accepted: false, reason, message };
}

function pathProblem(repo: Repository, registry: Registry): Admission | undefined {
  const path = repositorySpec(repo).path;
  const namespace = repo.metadata.namespace ?? '';
  if (!isValidName(path)) {
    return refused(
      REASONS.invalidPath,
      `spec.path "${path}" is not a repository name: lowercase letters and digits separated by ".", "_", "__", "-" ` +
        `or "/", at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  const tenancy = tenancyOf(registry);
  if (!pathAllowed(tenancy, namespace, path)) {
    const patterns = allowedPatterns(tenancy, namespace);
    const may = patterns.length ? `may claim only paths matching ${patterns.join(', ')}` : 'may not claim any path';
    return refused(
      REASONS.pathNotAllowed,
      `namespace ${namespace} ${may} in Registry ${objectKey(registry)}; move the Repository, or ask the Registry's ` +
        'owners to grant the path in spec.tenancy.grants',
    );
  }
  return undefined;
}

/** The admission of every Repository (by `namespace/name`) that refers to `registry` (undefined: it does not exist). */
export function admitRepositories(registry: Registry | undefined, repos: readonly Repository[]): Map<string, Admission> {
  const result = new Map<string, Admission>();
  const claimed = new Map<string, string>();
  for (const repo of [...repos].sort(byAge)) {
    const key = objectKey(repo);
    if (repo.metadata.deletionTimestamp) {
      result.set(key, refused(REASONS.notAccepted, 'the Repository is being deleted'));
      continue;
    }
    if (!registry) {
      const ref = repositorySpec(repo).registryRef;
      result.set(key, refused(REASONS.registryNotFound, `Registry ${ref.namespace}/${ref.name} (spec.registryRef) does not exist`));
      continue;
    }
    const problem = pathProblem(repo, registry);
    const path = repositorySpec(repo).path;
    const owner = claimed.get(path);
    if (problem) result.set(key, problem);
    else if (owner) result.set(key, refused(REASONS.pathConflict, `path ${path} is already claimed by Repository ${owner}`));
    else {
      claimed.set(path, key);
      result.set(key, ACCEPTED);
    }
  }
  return result;
}
