/**
 * The token service's Prometheus counters, registered on the registry's own prom-client Registry.
 */
import { Counter, type Registry } from 'prom-client';

export interface AuthMetrics {
  /** Token requests by grant (`basic`, `anonymous`, `password`, `refresh_token`) and outcome. */
  tokens: Counter<'grant' | 'outcome'>;
  /** Failed logins by reason (`unknown_account`, `bad_secret`, `expired`, `rate_limited`, `bad_refresh_token`). */
  loginFailures: Counter<'reason'>;
  /** Policy loads by outcome (`success`, `failure`). */
  policyReloads: Counter<'outcome'>;
  /** Registry requests decided by the authorizer, by decision. */
  decisions: Counter<'decision'>;
}

export const TOKEN_OUTCOMES = {
  issued: 'issued',
  unauthorized: 'unauthorized',
  rateLimited: 'rate_limited',
  badRequest: 'bad_request',
  /** The Kubernetes API could not check a Kubernetes identity (fail closed, 503). */
  unavailable: 'unavailable',
} as const;
export type TokenOutcome = (typeof TOKEN_OUTCOMES)[keyof typeof TOKEN_OUTCOMES];

export function createAuthMetrics(registry: Registry): AuthMetrics {
  const registers = [registry];
  return {
    tokens: new Counter({
      name: 'berth_auth_token_requests_total',
      help: 'Token endpoint requests by grant type and outcome.',
      labelNames: ['grant', 'outcome'],
      registers,
    }),
    loginFailures: new Counter({
      name: 'berth_auth_login_failures_total',
      help: 'Failed logins at the token endpoint by reason.',
      labelNames: ['reason'],
      registers,
    }),
    policyReloads: new Counter({
      name: 'berth_auth_policy_reloads_total',
      help: 'Access policy loads by outcome; a failure keeps the previous policy.',
      labelNames: ['outcome'],
      registers,
    }),
    decisions: new Counter({
      name: 'berth_auth_decisions_total',
      help: 'Authorization decisions on registry requests.',
      labelNames: ['decision'],
      registers,
    }),
  };
}
