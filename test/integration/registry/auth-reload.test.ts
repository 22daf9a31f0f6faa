/**
 * Policy hot reload in a running `berth serve`: the policy file is replaced the way people and Kubernetes replace
 * files (write elsewhere, rename over), and the change must show at the token endpoint within 2 s; an invalid file
 * must change nothing, be logged and be counted.
 */
import { hashRobotSecret } from '../../../src/shared/policy-secrets.js';
import { SECRETS, basePolicy, basic, call, getToken, pushImage, startAuthRegistry, tokenFor, type AuthRegistry } from './auth-fixture.js';

const NEW_SECRET = 'berth_newbot-secret-0123456789abcdefghijklmnop';
let r: AuthRegistry;
let policy: string;

beforeAll(async () => {
  policy = await basePolicy();
  // polling a login that fails until the change lands must not trip the failed-login limiter
  r = await startAuthRegistry({ policy, auth: { failedLoginsPerMinute: 100_000 } });
  await pushImage(r.url, 'team/app', 'v1', await tokenFor(r.url, ['repository:team/app:pull,push'], basic('ci', SECRETS.ci)));
}, 60_000);

afterAll(async () => {
  await r?.stop();
});

/** Milliseconds until `check` holds, polling every 25 ms; throws after `limitMs`. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

const canPull = async (auth: string): Promise<boolean> => {
  const res = await getToken(r.url, ['repository:team/app:pull'], auth);
  if (res.status !== 200) return false;
  const token = res.body.token as string;
  return (await call(r.url, 'GET', '/v2/team/app/manifests/v1', token)).status === 200;
};

const metric = async (outcome: string): Promise<number> => {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  return Number(new RegExp(`berth_auth_policy_reloads_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
};

test('a robot added to the policy file can pull within 2 s', async () => {
  const newbot = basic('newbot', NEW_SECRET);
  expect(await canPull(newbot)).toBe(false);
  const added = policy
    .replace('robots:\n', `robots:\n  - { name: newbot, secrets: [{ hash: ${hashRobotSecret(NEW_SECRET)} }] }\n`)
    .replace('rules:\n', 'rules:\n  - { repositories: [team/app], principals: [robot:newbot], actions: [pull] }\n');
  await r.writePolicy(added);
  const took = await within(2000, () => canPull(newbot));
  console.log(`robot added: pulling after ${took} ms`);
  policy = added;
});

test('a robot removed from the policy file is refused within 2 s, and its existing token with it', async () => {
  const ci = basic('ci', SECRETS.ci);
  const held = await tokenFor(r.url, ['repository:team/app:pull'], ci);
  expect(await canPull(ci)).toBe(true);
  const removed = policy.replace(/ {2}- \{ name: ci, [^\n]+\n/, '');
  expect(removed).not.toBe(policy);
  await r.writePolicy(removed);
  const took = await within(2000, async () => (await getToken(r.url, ['repository:team/app:pull'], ci)).status === 401);
  console.log(`robot removed: refused after ${took} ms`);
  const res = await call(r.url, 'GET', '/v2/team/app/manifests/v1', held);
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  policy = removed;
});

test('an invalid policy file changes nothing; the error is logged and counted; a valid one is taken again', async () => {
  const newbot = basic('newbot', NEW_SECRET);
  const failuresBefore = await metric('failure');
  await r.writePolicy(policy.replace('actions: [pull] }', 'actions: [pull, fly] }'));
  await within(2000, async () => (await metric('failure')) === failuresBefore + 1);
  expect(await canPull(newbot)).toBe(true);
  const refused = r.berth.logs.find((l) => l.message === 'access policy refused; the previous policy stays in force');
  expect(String(refused?.error)).toContain('"fly" is not pull, push, delete or *');
  await r.writePolicy('rules: [this is: not yaml');
  await within(2000, async () => (await metric('failure')) === failuresBefore + 2);
  expect(await canPull(newbot)).toBe(true);
  await r.writePolicy(policy.replace(/ {2}- \{ repositories: \[team\/app\], principals: \[robot:newbot\][^\n]+\n/, ''));
  await within(2000, async () => !(await canPull(newbot)));
});

test('a robot past its expiry can neither log in nor use the token it holds', async () => {
  const secret = 'berth_shortlived-secret-0123456789abcdefghijk';
  const auth = basic('shortlived', secret);
  const expires = new Date(Date.now() + 3000).toISOString();
  await r.writePolicy(
    policy
      .replace('robots:\n', `robots:\n  - { name: shortlived, expires: "${expires}", secrets: [{ hash: ${hashRobotSecret(secret)} }] }\n`)
      .replace('rules:\n', 'rules:\n  - { repositories: [team/app], principals: [robot:shortlived], actions: [pull] }\n'),
  );
  await within(2000, () => canPull(auth));
  const held = await tokenFor(r.url, ['repository:team/app:pull'], auth);
  await new Promise((res) => setTimeout(res, Date.parse(expires) - Date.now() + 100));
  expect((await getToken(r.url, ['repository:team/app:pull'], auth)).status).toBe(401);
  const res = await call(r.url, 'GET', '/v2/team/app/manifests/v1', held);
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
});
