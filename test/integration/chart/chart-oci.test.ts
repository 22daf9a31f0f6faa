/**
 * The chart as an OCI artifact in Berth itself, the way Harbor and zot serve Helm charts: `helm package`, then
 * `helm push oci://<berth>/charts` into a real `berth serve` with the token service on, then `helm show chart`,
 * `helm pull` and `helm template` straight from the registry, with helm v3 and helm v4. Only a principal the
 * policy allows may push or pull.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { basePolicy, call, tokenFor, basic, PASSWORDS, startAuthRegistry, type AuthRegistry } from '../registry/auth-fixture.js';
import { CHART_DIR, HELMS, helm, only, removeTempDirs, tempDir, type Helm } from './helpers/chart.js';

const CHART_VERSION = (parseYaml(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { version: string }).version;
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CONTENT = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

let registry: AuthRegistry;

beforeAll(async () => {
  const policy = (await basePolicy()).replace(
    '\ncatalog:',
    '\n  - { repositories: [charts/**], principals: [user:alice], actions: [pull, push] }\n' +
      '  - { repositories: [charts/**], principals: [user:bob], actions: [pull] }\ncatalog:',
  );
  registry = await startAuthRegistry({ policy });
});

afterAll(async () => {
  await registry?.stop();
  removeTempDirs();
});

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function login(h: Helm, user: keyof typeof PASSWORDS): Promise<void> {
  await h.run(['registry', 'login', registry.host, '--username', user, '--password-stdin', '--plain-http'], { input: PASSWORDS[user] });
}

describe.each(HELMS)('$label', ({ bin }) => {
  const ref = () => `oci://${registry.host}/charts/berth`;
  let packaged: Buffer;

  test('helm push of the packaged chart into Berth, as a user allowed to push', async () => {
    const h = helm(bin);
    const dir = tempDir('berth-chart-pkg-');
    await h.run(['package', CHART_DIR, '--destination', dir]);
    const [file] = await readdir(dir);
    expect(file).toBe(`berth-${CHART_VERSION}.tgz`);
    packaged = await readFile(join(dir, file!));
    await login(h, 'alice');
    const out = await h.output(['push', join(dir, file!), `oci://${registry.host}/charts`, '--plain-http']);
    expect(out).toContain(`${ref().slice('oci://'.length)}:${CHART_VERSION}`);

    // What Berth stores is a Helm chart artifact: Helm's config and content media types, the package's bytes.
    const token = await tokenFor(registry.url, ['repository:charts/berth:pull'], basic('alice', PASSWORDS.alice));
    const res = await call(registry.url, 'GET', `/v2/charts/berth/manifests/${CHART_VERSION}`, token, undefined, { Accept: 'application/vnd.oci.image.manifest.v1+json' });
    expect(res.status).toBe(200);
    const manifest = JSON.parse(res.text);
    expect(manifest.config.mediaType).toBe(HELM_CONFIG);
    expect(manifest.layers).toEqual([expect.objectContaining({ mediaType: HELM_CONTENT, digest: sha256(packaged), size: packaged.length })]);
  });

  test('helm show chart, helm pull and helm template read the chart back from Berth', async () => {
    const h = helm(bin);
    await login(h, 'bob');
    const shown = parseYaml(await h.run(['show', 'chart', ref(), '--version', CHART_VERSION, '--plain-http'])) as Record<string, string>;
    expect(shown).toMatchObject({ name: 'berth', version: CHART_VERSION });
    const dir = tempDir('berth-chart-pull-');
    await h.run(['pull', ref(), '--version', CHART_VERSION, '--destination', dir, '--plain-http']);
    expect(sha256(await readFile(join(dir, `berth-${CHART_VERSION}.tgz`)))).toBe(sha256(packaged));
    const objects = await h.template(['--version', CHART_VERSION, '--plain-http'], ref());
    expect(only(objects, 'Deployment').metadata.name).toBe('berth-operator');
  });

  test('a user without push rights cannot push, and an anonymous client cannot pull', async () => {
    const bob = helm(bin);
    await login(bob, 'bob');
    const dir = tempDir('berth-chart-pkg-');
    await bob.run(['package', CHART_DIR, '--destination', dir, '--version', '0.0.1-denied']);
    await expect(bob.run(['push', join(dir, 'berth-0.0.1-denied.tgz'), `oci://${registry.host}/charts`, '--plain-http'])).rejects.toThrow(
      /denied|unauthorized|forbidden|401|403/i,
    );
    await expect(helm(bin).run(['pull', ref(), '--version', CHART_VERSION, '--plain-http'])).rejects.toThrow(/unauthorized|denied|401|403/i);
  });
});
