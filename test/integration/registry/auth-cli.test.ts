/**
 * `berth passwd` and `berth token` as a user runs them (the built CLI), checked against a running registry: a
 * robot made with `berth passwd --robot` and pasted into the policy logs in; a `berth token` token is accepted for
 * what the policy allows and nothing more.
 */
import { join } from 'node:path';
import { parse } from 'yaml';
import { CLI } from '../../helpers/berth-process.js';
import { run } from '../../helpers/tools.js';
import { verifyPassword } from '../../../src/registry/auth/passwords.js';
import { robotSecretMatches } from '../../../src/shared/policy-secrets.js';
import { parsePolicyText } from '../../../src/shared/policy-parse.js';
import { basePolicy, basic, call, getToken, pushImage, startAuthRegistry, tokenFor, PASSWORDS, type AuthRegistry } from './auth-fixture.js';

const berth = (args: string[], input?: string) => run(process.execPath, [CLI, ...args], input === undefined ? {} : { input });

describe('berth passwd', () => {
  test('hashes a password read from stdin (one trailing newline dropped)', async () => {
    const res = await berth(['passwd'], 'correct horse battery\n');
    expect(res.code).toBe(0);
    const hash = res.stdout.trim();
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery\n', hash)).toBe(false);
  });

  test('--name prints a users entry the policy parser accepts', async () => {
    const res = await berth(['passwd', '--name', 'carol'], 'carols-password');
    const { policy } = parsePolicyText(`users:\n${res.stdout.replace(/^/gm, '  ')}`);
    expect(policy.users[0]!.name).toBe('carol');
    expect(await verifyPassword('carols-password', policy.users[0]!.passwordHash)).toBe(true);
  });

  test('refuses a short password and a bad account name', async () => {
    expect((await berth(['passwd'], 'short')).code).toBe(1);
    expect((await berth(['passwd', '--name', 'no spaces'], 'long-enough-pw')).code).toBe(2);
  });

  test('--robot prints a fresh high-entropy secret and its hash', async () => {
    const a = parse((await berth(['passwd', '--robot'])).stdout) as { secret: string; hash: string };
    const b = parse((await berth(['passwd', '--robot'])).stdout) as { secret: string; hash: string };
    expect(a.secret).toMatch(/^berth_[A-Za-z0-9_-]{43}$/);
    expect(a.secret).not.toBe(b.secret);
    expect(robotSecretMatches(a.secret, a.hash)).toBe(true);
  });
});

describe('against a running registry', () => {
  let r: AuthRegistry;
  beforeAll(async () => {
    r = await startAuthRegistry();
    await pushImage(r.url, 'team/app', 'v1', await tokenFor(r.url, ['repository:team/app:pull,push'], basic('alice', PASSWORDS.alice)));
  });
  afterAll(async () => {
    await r?.stop();
  });

  test('a robot made with `berth passwd --robot --name` and pasted into the policy can log in', async () => {
    const out = (await berth(['passwd', '--robot', '--name', 'fresh'])).stdout;
    const secret = /: (berth_\S+)$/m.exec(out)![1]!;
    const entry = out.split('\n').filter((l) => !l.startsWith('#')).map((l) => (l ? `  ${l}` : l)).join('\n');
    const policy = (await basePolicy())
      .replace('robots:\n', `robots:\n${entry}`)
      .replace('rules:\n', 'rules:\n  - { repositories: [team/app], principals: [robot:fresh], actions: [pull] }\n');
    await r.writePolicy(policy);
    const deadline = Date.now() + 2000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await getToken(r.url, ['repository:team/app:pull'], basic('fresh', secret))).status;
      if (status !== 200) await new Promise((res) => setTimeout(res, 50));
    }
    expect(status).toBe(200);
  });

  test('`berth token` prints a token the registry accepts, holding only what the policy allows', async () => {
    const config = join(r.dir, 'config.yaml');
    const res = await berth(['token', '--config', config, '--subject', 'reader', '--scope', 'repository:team/app:pull,push', '--json']);
    expect(res.code).toBe(0);
    const body = JSON.parse(res.stdout) as { token: string; access: unknown };
    expect(body.access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    expect((await call(r.url, 'GET', '/v2/team/app/manifests/v1', body.token)).status).toBe(200);
    expect((await call(r.url, 'POST', '/v2/team/app/blobs/uploads/', body.token)).status).toBe(403);
    const plain = await berth(['token', '--config', config, '--anonymous', '--scope', 'repository:team/app:pull']);
    expect((await call(r.url, 'GET', '/v2/team/app/manifests/v1', plain.stdout.trim())).status).toBe(401);
  });

  test('`berth token` refuses an unknown subject and a missing --config', async () => {
    const config = join(r.dir, 'config.yaml');
    const unknown = await berth(['token', '--config', config, '--subject', 'mallory']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"mallory" is not an active user or robot of the policy');
    expect((await berth(['token', '--subject', 'reader'])).code).toBe(2);
  });
});
