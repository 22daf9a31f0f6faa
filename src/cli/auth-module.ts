/** The token service, when it is built in; the registry runs without auth only when the config has no auth section. */
import type { StartDeps } from '../registry/server.js';

export async function loadAuthModule(): Promise<StartDeps['createAuth']> {
  return undefined;
}
