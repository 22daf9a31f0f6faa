/**
 * Checks a username and secret against the policy: users by password hash, robots by secret hash (every secret of
 * the robot is compared, expired or not, so timing does not tell which matched). The reason for a failure is for
 * logs and metrics only; every failure looks the same to the client.
 */
import { isAccountActive, type Account, type PolicyIndex } from '../../shared/policy-match.js';
import { robotSecretMatches } from '../../shared/policy-secrets.js';
import { verifyAgainstNothing, verifyPassword } from './passwords.js';
import { credentialTag } from './tokens.js';

export const LOGIN_FAILURES = {
  unknownAccount: 'unknown_account',
  badSecret: 'bad_secret',
  expired: 'expired',
} as const;
export type LoginFailure = (typeof LOGIN_FAILURES)[keyof typeof LOGIN_FAILURES];

export type LoginResult =
  | {
      ok: true;
      account: Account;
      /** Tag of the credential that matched, bound into refresh tokens. */
      credential: string;
      /** When the account or the matched credential stops working (seconds), if ever. */
      expiresAtS: number | undefined;
    }
  | { ok: false; reason: LoginFailure };

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.floor(ms / 1000));

function loginRobot(account: Extract<Account, { kind: 'robot' }>, secret: string, now: number): LoginResult {
  const matches = account.secrets.map((s) => robotSecretMatches(secret, s.hash));
  const index = matches.indexOf(true);
  if (index < 0) return { ok: false, reason: LOGIN_FAILURES.badSecret };
  const matched = account.secrets[index]!;
  if (!isAccountActive(account, now) || (matched.expiresAt !== undefined && now >= matched.expiresAt)) {
    return { ok: false, reason: LOGIN_FAILURES.expired };
  }
  const ends = [account.expiresAt, matched.expiresAt].filter((t): t is number => t !== undefined);
  return {
    ok: true,
    account,
    credential: credentialTag(matched.hash),
    expiresAtS: seconds(ends.length ? Math.min(...ends) : undefined),
  };
}

/**
 * Authenticates `username`/`secret` against the policy at time `now` (ms). An unknown account is checked against a
 * dummy hash of the cost of `reference` (a user hash from the policy), so it takes as long as a wrong password.
 */
export async function login(index: PolicyIndex, username: string, secret: string, now = Date.now(), reference?: string): Promise<LoginResult> {
  const account = index.account(username);
  if (!account) {
    await verifyAgainstNothing(secret, reference);
    return { ok: false, reason: LOGIN_FAILURES.unknownAccount };
  }
  if (account.kind === 'robot') return loginRobot(account, secret, now);
  if (!(await verifyPassword(secret, account.passwordHash))) return { ok: false, reason: LOGIN_FAILURES.badSecret };
  return { ok: true, account, credential: credentialTag(account.passwordHash), expiresAtS: undefined };
}

/** Whether a refresh token's credential tag still names a live credential of the account. */
export function credentialStillValid(account: Account, tag: string, now: number): boolean {
  if (!isAccountActive(account, now)) return false;
  if (account.kind === 'user') return credentialTag(account.passwordHash) === tag;
  return account.secrets.some((s) => credentialTag(s.hash) === tag && (s.expiresAt === undefined || now < s.expiresAt));
}
