/**
 * The call site of the auth benchmark (issue 3). `bench/auth.ts` is written by the auth engineer; when its
 * compiled form sits next to this file and exports `runAuthBench(ctx: AuthBenchContext): Promise<AuthBenchResult>`,
 * `npm run bench` runs it after the Berth/Distribution rounds. Loaded by path so this file compiles without it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AuthBenchContext, AuthBenchResult } from './types.js';

export type RunAuthBench = (ctx: AuthBenchContext) => Promise<AuthBenchResult>;

/** `runAuthBench` from `bench/auth.ts`, or undefined while that module does not exist yet. */
export async function loadAuthBench(): Promise<RunAuthBench | undefined> {
  const file = fileURLToPath(new URL('./auth.js', import.meta.url));
  if (!existsSync(file)) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as { runAuthBench?: unknown };
  if (typeof mod.runAuthBench !== 'function') {
    throw new Error(`${file} does not export a function runAuthBench(ctx: AuthBenchContext)`);
  }
  return mod.runAuthBench as RunAuthBench;
}
