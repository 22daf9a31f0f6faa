import { computeRegistryStatus, type ObservedDeployment, type StatusInputs } from '../../../src/operator/registry/status.js';
import type { Condition } from '../../../src/kube/conditions.js';
import { registry } from './registry-fixture.js';

const now = new Date('2030-01-02T03:04:05.678Z');

function dep(generation: number, status: NonNullable<ObservedDeployment['status']>): ObservedDeployment {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'reg', generation }, status };
}

function conditions(inputs: Partial<StatusInputs>): Record<string, string> {
  const status = computeRegistryStatus({ registry: registry(), now, desiredReplicas: 1, ...inputs });
  return Object.fromEntries(status.conditions!.map((c) => [c.type, `${c.status}/${c.reason}`]));
}

describe('computeRegistryStatus: conditions', () => {
  test.each<[string, Partial<StatusInputs>, Record<string, string>]>([
    [
      'no Deployment yet',
      {},
      { Available: 'False/NoReplicasAvailable', Progressing: 'True/RollingOut', Degraded: 'False/AsExpected' },
    ],
    [
      'pods created, none ready (a cluster without nodes)',
      { deployment: dep(1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1 }) },
      { Available: 'False/NoReplicasAvailable', Progressing: 'True/RollingOut', Degraded: 'False/AsExpected' },
    ],
    [
      'rolled out and available',
      { deployment: dep(2, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 }) },
      { Available: 'True/MinimumReplicasAvailable', Progressing: 'False/RolloutComplete', Degraded: 'False/AsExpected' },
    ],
    [
      'a new generation not yet seen by the Deployment controller',
      { deployment: dep(3, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 }) },
      { Available: 'True/MinimumReplicasAvailable', Progressing: 'True/RollingOut', Degraded: 'False/AsExpected' },
    ],
    [
      'scaled to zero',
      { desiredReplicas: 0, deployment: dep(1, { observedGeneration: 1 }) },
      { Available: 'False/ScaledToZero', Progressing: 'False/RolloutComplete', Degraded: 'False/AsExpected' },
    ],
    [
      'invalid spec, old pods still serving',
      {
        problem: { reason: 'InvalidSpec', message: 'fix it' },
        deployment: dep(1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 }),
      },
      { Available: 'True/MinimumReplicasAvailable', Progressing: 'False/Blocked', Degraded: 'True/InvalidSpec' },
    ],
    [
      'pods cannot be created',
      { deployment: dep(1, { observedGeneration: 1, conditions: [{ type: 'ReplicaFailure', status: 'True', message: 'quota' }] }) },
      { Available: 'False/NoReplicasAvailable', Progressing: 'True/RollingOut', Degraded: 'True/ReplicaFailure' },
    ],
    [
      'rollout past its deadline',
      {
        deployment: dep(1, {
          observedGeneration: 1,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'stuck' }],
        }),
      },
      { Available: 'False/NoReplicasAvailable', Progressing: 'True/RollingOut', Degraded: 'True/RolloutStuck' },
    ],
  ])('%s', (_name, inputs, expected) => {
    expect(conditions(inputs)).toEqual(expected);
  });
});

describe('computeRegistryStatus: fields', () => {
  test('observedGeneration, endpoint, counts, selector and claim', () => {
    const s = computeRegistryStatus({
      registry: registry(),
      now,
      desiredReplicas: 2,
      endpoint: { host: 'r.example.com', url: 'https://r.example.com' },
      claimName: 'reg-data',
      deployment: dep(1, { replicas: 2, readyReplicas: 1 }),
    });
    expect(s).toMatchObject({
      observedGeneration: 3,
      endpoint: 'r.example.com',
      url: 'https://r.example.com',
      replicas: 2,
      readyReplicas: 1,
      selector: 'app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=reg',
      claimName: 'reg-data',
    });
    expect(s.conditions!.every((c) => c.observedGeneration === 3 && c.lastTransitionTime === '2030-01-02T03:04:05Z')).toBe(true);
  });

  test('a condition keeps its lastTransitionTime while its status stays; a change stamps now', () => {
    const before: Condition[] = [
      { type: 'Available', status: 'False', reason: 'NoReplicasAvailable', message: '', lastTransitionTime: '2020-01-01T00:00:00Z' },
      { type: 'Degraded', status: 'True', reason: 'InvalidSpec', message: '', lastTransitionTime: '2020-01-01T00:00:00Z' },
    ];
    const r = { ...registry(), status: { conditions: before } };
    const s = computeRegistryStatus({ registry: r, now, desiredReplicas: 1 });
    const at = Object.fromEntries(s.conditions!.map((c) => [c.type, c.lastTransitionTime]));
    expect(at).toEqual({ Available: '2020-01-01T00:00:00Z', Progressing: '2030-01-02T03:04:05Z', Degraded: '2030-01-02T03:04:05Z' });
  });

  test('a problem before the endpoint is known keeps the endpoint already published', () => {
    const r = { ...registry(), status: { endpoint: 'old.example.com', url: 'http://old.example.com' } };
    const s = computeRegistryStatus({ registry: r, now, desiredReplicas: 1, problem: { reason: 'InvalidSpec', message: 'x' } });
    expect(s.endpoint).toBe('old.example.com');
  });
});
