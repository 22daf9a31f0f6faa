/**
 * `berth token`: prints a token signed with the registry's key, for scripts (curl, a CI step, a smoke test). The
 * access in it is what the token endpoint would grant: the intersection of the scopes asked and what the policy
 * allows the subject, and the registry checks the subject against its policy again on every request.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, type AuthConfig } from '../shared/registry-config.js';
import { grantAccess } from '../registry/auth/grant.js';
import { buildKeySet, loadSigningKey } from '../registry/auth/keys.js';
import { parseScopes } from '../registry/auth/scope.js';
import { issueAccessToken } from '../registry/auth/tokens.js';
import { parseDuration } from '../shared/duration.js';
import { ANONYMOUS, indexPolicy, isAccountActive, principalOf, type PolicyIndex, type Principal } from '../shared/policy-match.js';
import { parsePolicyText } from '../shared/policy-parse.js';

export const TOKEN_USAGE = `Usage: berth token --config FILE (--subject NAME | --anonymous) [--scope SCOPE]... [--ttl 5m] [--json]

Prints an access token signed with the registry's signing key (the config's auth.signingKeyFile), holding what
the access policy allows the subject out of the scopes asked, e.g.
  berth token --config config.yaml --subject ci --scope repository:team/app:pull
  curl -H "Authorization: Bearer $(berth token ...)" http://127.0.0.1:5000/v2/team/app/tags/list
  --subject NAME   a user or robot of the policy      --anonymous  the anonymous caller
  --scope SCOPE    repository:NAME:ACTIONS or registry:catalog:* (repeatable; space-separated lists too)
  --ttl DURATION   lifetime (default: the config's auth.tokenTtl)
  --json           print the whole token response (token, expires_in, issued_at, granted access)`;

interface TokenArgs {
  config?: string;
  subject?: string;
  anonymous?: boolean;
  scope?: string[];
  ttl?: string;
  json?: boolean;
  help?: boolean;
}

class UsageError extends Error {}
class NotAnAccount extends Error {}

function parse(argv: string[]): TokenArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      subject: { type: 'string' },
      anonymous: { type: 'boolean' },
      scope: { type: 'string', multiple: true },
      ttl: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return values;
}

async function loadAuth(file: string): Promise<AuthConfig> {
  const config = await loadConfigFile(file);
  if (!config.auth) throw new UsageError(`${file} has no auth section`);
  return config.auth;
}

function principalFor(args: TokenArgs, index: PolicyIndex): Principal {
  if (args.anonymous) return ANONYMOUS;
  const account = index.account(args.subject!);
  if (!isAccountActive(account, Date.now())) throw new NotAnAccount(`"${args.subject}" is not an active user or robot of the policy`);
  return principalOf(account);
}

async function run(args: TokenArgs): Promise<string> {
  if (!args.config) throw new UsageError('--config is required');
  if ((args.subject === undefined) === !args.anonymous) throw new UsageError('give either --subject NAME or --anonymous');
  const auth = await loadAuth(args.config);
  const ttlMs = args.ttl === undefined ? auth.tokenTtlMs : parseDuration(args.ttl);
  if (ttlMs === undefined || ttlMs < 1000) throw new UsageError(`--ttl "${args.ttl}" is not a duration such as 90s or 5m`);
  const index = indexPolicy(parsePolicyText(await readFile(auth.policyFile, 'utf8')).policy);
  const principal = principalFor(args, index);
  const access = grantAccess(index, principal, parseScopes(args.scope ?? []));
  const { key } = await loadSigningKey(auth.signingKeyFile, false);
  const settings = { issuer: auth.issuer, service: auth.service, tokenTtlS: Math.floor(ttlMs / 1000), keys: buildKeySet(key, []) };
  const issued = await issueAccessToken(settings, principal.kind === 'anonymous' ? '' : principal.name, access);
  if (!args.json) return `${issued.token}\n`;
  const body = { token: issued.token, expires_in: issued.exp - issued.iat, issued_at: new Date(issued.iat * 1000).toISOString(), access };
  return `${JSON.stringify(body, null, 2)}\n`;
}

export async function tokenCommand(argv: string[]): Promise<number> {
  let args: TokenArgs;
  try {
    args = parse(argv);
  } catch (err) {
    console.error(`berth token: ${(err as Error).message}\n\n${TOKEN_USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(TOKEN_USAGE);
    return 0;
  }
  try {
    process.stdout.write(await run(args));
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError || err instanceof ConfigError || err instanceof NotAnAccount;
    console.error(`berth token: ${(err as Error).message}${err instanceof UsageError ? `\n\n${TOKEN_USAGE}` : ''}`);
    return usage ? 2 : 1;
  }
}
