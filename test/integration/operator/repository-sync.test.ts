/**
 * Keeping pull Secrets in step, event-driven, against a real control plane (the operator runs as its own process
 * with its ServiceAccount and a 10-minute resync, so nothing below can be the work of a polling loop):
 * namespaces created or labelled later, hand-deleted and hand-edited Secrets, ServiceAccounts created later, users'
 * own imagePullSecrets entries, refusals, zero writes at steady state, and a Repository deleted while the operator
 * was down.
 */
import { jest } from '@jest/globals';
import { apiWrites } from './helpers/operator-process.js';
import { applyObject, REGISTRY, REGISTRY_NS, repositoryManifest, secretText, startAccessEnv, type AccessEnv } from './helpers/access-env.js';
import { sleep, waitFor } from './helpers/wait.js';

jest.setTimeout(180_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PULL = `${REGISTRY}-pull`;
const LABEL = 'pulls/shared';
/** Namespaces other than team-a consent to its pull Secrets (issue 9: deliveries elsewhere need consent). */
const CONSENT = { 'berth.dev/accept-from': 'team-a' };
let env: AccessEnv;

const kubectl = (args: string[]) => env.cluster.kubectl(args);
const getJson = (args: string[]): Promise<Obj | undefined> => env.cluster.getJson(args).catch(() => undefined);
const pullSecret = (ns: string) => getJson(['secret', PULL, '-n', ns]);
const entries = async (ns: string, sa = 'default'): Promise<string[]> =>
  ((await getJson(['serviceaccount', sa, '-n', ns]))?.imagePullSecrets ?? []).map((e: Obj) => e.name);
const condition = (r: Obj | undefined, type: string): Obj | undefined => r?.status?.conditions?.find((c: Obj) => c.type === type);

/** Runs `act`, then measures how long until `check` holds (at most 5 s). */
async function within5s(what: string, act: () => Promise<unknown>, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  await act();
  await waitFor(what, async () => check(), 5_000, 50);
  return Date.now() - start;
}

beforeAll(async () => {
  env = await startAccessEnv(['--resync-period', '10m']);
  await kubectl(['create', 'namespace', 'team-a']);
  await applyObject(env.cluster, repositoryManifest('team-a', 'shared', {
    path: 'team-a/shared',
    pullSecret: { namespaces: ['team-a'], namespaceSelector: { matchLabels: { [LABEL]: 'yes' } }, serviceAccounts: ['default', 'builder'] },
  }));
  await waitFor('the first pull Secret', async () => (await pullSecret('team-a')) !== undefined, 20_000);
}, 15 * 60_000);

afterAll(async () => {
  await env?.stop();
});

describe('event-driven sync', () => {
  test('a namespace created after the Repository gets its Secret, and its default ServiceAccount the entry, within 5 s', async () => {
    const ms = await within5s(
      'the Secret in a new namespace',
      () => applyObject(env.cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'late', labels: { [LABEL]: 'yes' }, annotations: CONSENT } }),
      async () => (await pullSecret('late')) !== undefined && (await entries('late')).includes(PULL),
    );
    console.log(`namespace created → pull Secret and ServiceAccount entry: ${ms} ms`);
  });

  test('a namespace labelled later gets its Secret within 5 s', async () => {
    await kubectl(['create', 'namespace', 'plain']);
    await kubectl(['annotate', 'namespace', 'plain', 'berth.dev/accept-from=team-a']);
    await sleep(500);
    expect(await pullSecret('plain')).toBeUndefined();
    await within5s('the Secret after labelling', () => kubectl(['label', 'namespace', 'plain', `${LABEL}=yes`]), async () => (await pullSecret('plain')) !== undefined);
  });

  test('a ServiceAccount created later (named in serviceAccounts) gets the entry within 5 s', async () => {
    await within5s('the entry on a new ServiceAccount', () => kubectl(['create', 'serviceaccount', 'builder', '-n', 'late']), async () => (await entries('late', 'builder')).includes(PULL));
  });
});

describe('drift', () => {
  test('a pull Secret deleted by hand is back within 5 s, holding the same credential', async () => {
    const before = (await pullSecret('late'))!;
    await within5s('the deleted Secret to be back', () => kubectl(['delete', 'secret', PULL, '-n', 'late']), async () => {
      const now = await pullSecret('late');
      return now !== undefined && now.metadata.uid !== before.metadata.uid;
    });
    expect(secretText((await pullSecret('late'))!, '.dockerconfigjson')).toBe(secretText(before, '.dockerconfigjson'));
  });

  test('a pull Secret edited by hand is put back within 5 s', async () => {
    const before = (await pullSecret('late'))!;
    const forged = Buffer.from(JSON.stringify({ auths: { 'evil.example': { auth: 'eDp5' } } })).toString('base64');
    await within5s(
      'the edited Secret to be restored',
      () => kubectl(['patch', 'secret', PULL, '-n', 'late', '--type=merge', '-p', JSON.stringify({ data: { '.dockerconfigjson': forged } })]),
      async () => secretText((await pullSecret('late'))!, '.dockerconfigjson') === secretText(before, '.dockerconfigjson'),
    );
  });

  test("a user's own imagePullSecrets entries survive every change the operator makes", async () => {
    const patch = { imagePullSecrets: [{ name: 'mine' }, { name: PULL }, { name: 'theirs' }] };
    await kubectl(['patch', 'serviceaccount', 'default', '-n', 'late', '--type=merge', '-p', JSON.stringify(patch)]);
    await sleep(1000);
    expect(await entries('late')).toEqual(['mine', PULL, 'theirs']);
    await kubectl(['patch', 'serviceaccount', 'default', '-n', 'late', '--type=merge', '-p', JSON.stringify({ imagePullSecrets: [{ name: 'mine' }, { name: 'theirs' }] })]);
    await waitFor('our entry to be back', async () => (await entries('late')).includes(PULL), 5_000);
    expect(await entries('late')).toEqual(['mine', 'theirs', PULL]);
    await kubectl(['label', 'namespace', 'late', `${LABEL}-`]);
    await waitFor('deselection', async () => (await pullSecret('late')) === undefined && !(await entries('late')).includes(PULL), 5_000);
    expect(await entries('late')).toEqual(['mine', 'theirs']);
    expect(await entries('late', 'builder')).toEqual([]);
    await kubectl(['label', 'namespace', 'late', `${LABEL}=yes`]);
    await waitFor('selection again', async () => (await entries('late')).includes(PULL), 5_000);
    expect(await entries('late')).toEqual(['mine', 'theirs', PULL]);
  });
});

describe('one owner per object, one writer per field', () => {
  test("the policy Secret: the Registry controller applies the object without data, the access controller only its content", async () => {
    const secret = (await getJson(['secret', `${REGISTRY}-policy`, '-n', REGISTRY_NS, '--show-managed-fields']))!;
    const entries = secret.metadata.managedFields as Obj[];
    const owns = (m: Obj): boolean => m.fieldsV1?.['f:data']?.['f:policy.yaml'] !== undefined;
    // berth-access applies the policy text and nothing else; nobody else owns it (the create's empty policy included).
    expect(entries.filter((m) => m.manager === 'berth-access')).toEqual([expect.objectContaining({ operation: 'Apply', fieldsV1: { 'f:data': { 'f:policy.yaml': {} } } })]);
    expect(entries.filter(owns).map((m) => m.manager)).toEqual(['berth-access']);
    // berth (the Registry controller) created the object and owns its labels and owner reference.
    const berth = entries.filter((m) => m.manager === 'berth');
    expect(berth.some((m) => m.fieldsV1?.['f:metadata']?.['f:ownerReferences'] && m.fieldsV1?.['f:metadata']?.['f:labels'])).toBe(true);
  });

  test("the registry pods' ServiceAccount, Role and RoleBinding are owned by the Registry and applied by one manager", async () => {
    const uid = (await getJson(['registry', REGISTRY, '-n', REGISTRY_NS]))!.metadata.uid;
    for (const [kind, name] of [['serviceaccount', `${REGISTRY}-registry`], ['role', `${REGISTRY}-policy-reader`], ['rolebinding', `${REGISTRY}-policy-reader`]]) {
      const obj = (await getJson([kind!, name!, '-n', REGISTRY_NS, '--show-managed-fields']))!;
      expect(obj.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Registry', uid, controller: true })]);
      expect((obj.metadata.managedFields as Obj[]).filter((m) => m.operation === 'Apply').map((m) => m.manager)).toEqual(['berth']);
    }
  });
});

describe('refusals', () => {
  test.each<[string, object, string, RegExp]>([
    ['a path under another namespace', { path: 'team-b/api' }, 'PathNotAllowed', /namespace team-a may claim only paths matching team-a\/\*\*/],
    ['a path another Repository claimed first', { path: 'team-a/shared' }, 'PathConflict', /already claimed by Repository team-a\/shared/],
  ])('%s: Ready is False and says why, with a Warning Event', async (_name, spec, reason, message) => {
    const name = reason.toLowerCase();
    await applyObject(env.cluster, repositoryManifest('team-a', name, spec));
    const r = await waitFor('a refusal', async () => {
      const repo = await getJson(['repository', name, '-n', 'team-a']);
      return condition(repo, 'Ready')?.status === 'False' ? repo : undefined;
    });
    expect(condition(r, 'Ready')).toMatchObject({ reason, message: expect.stringMatching(message), observedGeneration: 1 });
    expect(condition(r, 'CredentialsSynced')).toMatchObject({ status: 'False', reason: 'NotAccepted' });
    const events = await env.cluster.getJson(['events', '-n', 'team-a', '--field-selector', `involvedObject.name=${name}`]);
    expect(events.items.map((e: Obj) => `${e.type}/${e.reason}`)).toContain(`Warning/${reason}`);
    await kubectl(['delete', 'repository', name, '-n', 'team-a']);
  });
});

describe('steady state and restarts', () => {
  test('once converged, resyncs (every 2 s) write nothing', async () => {
    await env.restartOperator(['--resync-period', '2s']);
    let last = -1;
    await waitFor('writes to settle', async () => {
      const now = await apiWrites(env.operator);
      const settled = now === last;
      last = now;
      return settled;
    }, 30_000, 2_500);
    const reconciles = await env.operator.metric('berth_operator_reconciles_total', { controller: 'repository' });
    await sleep(6_500);
    expect(await apiWrites(env.operator)).toBe(last);
    expect(await env.operator.metric('berth_operator_reconciles_total', { controller: 'repository' })).toBeGreaterThanOrEqual(reconciles + 3);
  });

  test('a Repository deleted while the operator is down is cleaned up when it comes back', async () => {
    const selected = ['team-a', 'late', 'plain'];
    for (const ns of selected) expect(await pullSecret(ns)).toBeDefined();
    await env.operator.stop();
    await kubectl(['delete', 'repository', 'shared', '-n', 'team-a', '--wait=false']);
    const pending = await getJson(['repository', 'shared', '-n', 'team-a']);
    expect(pending?.metadata.deletionTimestamp).toBeDefined();
    expect(pending?.metadata.finalizers).toEqual(['berth.dev/credentials']);
    await env.restartOperator(['--resync-period', '10m']);
    await waitFor('the Repository to go', async () => (await getJson(['repository', 'shared', '-n', 'team-a'])) === undefined, 15_000);
    for (const ns of selected) expect(await pullSecret(ns)).toBeUndefined();
    expect(await entries('late')).toEqual(['mine', 'theirs']);
    expect(await entries('late', 'builder')).toEqual([]);
    const policy = secretText((await getJson(['secret', `${REGISTRY}-policy`, '-n', REGISTRY_NS]))!, 'policy.yaml');
    expect(policy).not.toContain('team-a/shared');
    expect(policy).not.toContain('pull.late');
  });
});
