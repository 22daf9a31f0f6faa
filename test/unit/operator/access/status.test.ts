import { computeRepositoryStatus, type RepositoryObservation } from '../../../../src/operator/access/status.js';
import { repository } from './fixtures.js';

const now = new Date('2030-06-01T12:00:00.500Z');
const repo = repository('team-a', 'api', { path: 'team-a/api' });
const base: RepositoryObservation = {
  repo,
  admission: { accepted: true },
  registryKey: 'berth/reg',
  path: 'team-a/api',
  selection: { selected: ['team-a', 'prod'], missing: [], refused: [] },
  pullOutcomes: new Map([
    ['team-a', { outcome: 'synced', secret: 'reg-pull' }],
    ['prod', { outcome: 'synced', secret: 'reg-pull' }],
  ]),
  now,
};

function conditions(o: Partial<RepositoryObservation>): Record<string, string> {
  const status = computeRepositoryStatus({ ...base, ...o });
  return Object.fromEntries(status.conditions!.map((c) => [c.type, `${c.status}/${c.reason}: ${c.message}`]));
}

describe('computeRepositoryStatus', () => {
  test.each<[string, Partial<RepositoryObservation>, string, string]>([
    ['all synced', {}, 'True/Accepted: team-a/api is in the access policy of Registry berth/reg', 'True/Synced: pull Secret in 2 namespaces'],
    [
      'refused',
      { admission: { accepted: false, reason: 'PathNotAllowed', message: 'namespace team-a may claim only …' } },
      'False/PathNotAllowed: namespace team-a may claim only …',
      'False/NotAccepted: no credentials while the Repository is not Ready',
    ],
    [
      'one namespace waits for the registry',
      { pullOutcomes: new Map([['team-a', { outcome: 'synced', secret: 'reg-pull' }], ['prod', { outcome: 'pending', secret: 'reg-pull' }]]) },
      'True/Accepted: team-a/api is in the access policy of Registry berth/reg',
      'False/Pending: waiting for the registry to load new credentials for prod/reg-pull',
    ],
    [
      "someone else's Secret has the name",
      { pullOutcomes: new Map([['team-a', { outcome: 'taken', secret: 'reg-pull' }], ['prod', { outcome: 'synced', secret: 'reg-pull' }]]) },
      'True/Accepted: team-a/api is in the access policy of Registry berth/reg',
      "False/SecretNameTaken: Secrets without Berth's ownership proof for Registry berth/reg already exist: team-a/reg-pull; " +
        'they are left alone: remove them, or set spec.pullSecret.secretName in a Repository of that namespace',
    ],
    [
      'a write failed',
      { push: { outcome: 'failed', secret: 'api-push', message: 'forbidden' } },
      'True/Accepted: team-a/api is in the access policy of Registry berth/reg',
      'False/WriteFailed: could not write team-a/api-push (push): forbidden',
    ],
    [
      'no namespace selected, a named one missing',
      { selection: { selected: [], missing: ['ghost'], refused: [] }, pullOutcomes: new Map() },
      'True/Accepted: team-a/api is in the access policy of Registry berth/reg',
      'True/NoNamespacesSelected: no namespace is selected for a pull Secret; not found: ghost',
    ],
    [
      'push Secret too',
      { push: { outcome: 'synced', secret: 'api-push' } },
      'True/Accepted: team-a/api is in the access policy of Registry berth/reg',
      'True/Synced: pull Secret in 2 namespaces; push Secret api-push',
    ],
  ])('%s', (_name, o, ready, synced) => {
    expect(conditions(o)).toEqual({ Ready: ready, CredentialsSynced: synced });
  });

  test('counts synced namespaces, carries the last rotation, keeps transition times of unchanged conditions', () => {
    const first = computeRepositoryStatus({ ...base, lastRotationTime: '2030-06-01T11:00:00Z' });
    expect(first).toMatchObject({ observedGeneration: 1, syncedNamespaces: 2, lastRotationTime: '2030-06-01T11:00:00Z' });
    expect(first.conditions!.every((c) => c.lastTransitionTime === '2030-06-01T12:00:00Z' && c.observedGeneration === 1)).toBe(true);
    const later = new Date('2030-06-01T13:00:00Z');
    const pending = new Map([['team-a', { outcome: 'pending' as const, secret: 'reg-pull' }]]);
    const second = computeRepositoryStatus({ ...base, repo: { ...repo, status: first }, pullOutcomes: pending, now: later });
    expect(second.syncedNamespaces).toBe(0);
    const at = Object.fromEntries(second.conditions!.map((c) => [c.type, c.lastTransitionTime]));
    expect(at).toEqual({ Ready: '2030-06-01T12:00:00Z', CredentialsSynced: '2030-06-01T13:00:00Z' });
  });
});
