/**
 * A private containerd for the `ctr` scenarios: its own root, state, socket and config in a temporary folder, the
 * CRI plugin off, so it never touches a system containerd (the bench cannot import test/helpers; this is the same
 * launcher, trimmed). `ctr --address SOCKET --namespace bench …` drives it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runTool, toolPath } from './run.js';

const DISABLED_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
];
const START_TIMEOUT_MS = 20_000;

export interface BenchContainerd {
  /** Runs `ctr --address SOCKET --namespace bench ARGS…`. */
  ctr(args: readonly string[], timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

function config(dir: string): string {
  return [
    'version = 2',
    `root = ${JSON.stringify(join(dir, 'root'))}`,
    `state = ${JSON.stringify(join(dir, 'state'))}`,
    `disabled_plugins = ${JSON.stringify(DISABLED_PLUGINS)}`,
    '[grpc]',
    `  address = ${JSON.stringify(join(dir, 'containerd.sock'))}`,
    '[metrics]',
    '  address = ""',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${JSON.stringify(join(dir, 'opt'))}`,
    '',
  ].join('\n');
}

function waitForServing(child: ChildProcess, socket: string): Promise<void> {
  const logs: string[] = [];
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`containerd did not start within ${START_TIMEOUT_MS} ms\n${logs.slice(-20).join('\n')}`));
    }, START_TIMEOUT_MS);
    const onLine = (line: string): void => {
      logs.push(line);
      if (line.includes('msg=serving...') && line.includes(`address=${socket}`) && !line.includes('.ttrpc')) {
        clearTimeout(timer);
        resolve();
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`containerd exited with ${code}\n${logs.slice(-20).join('\n')}`));
    });
  });
}

/** Starts a private containerd below `parent` and waits until it serves its socket. */
export async function startContainerd(parent: string): Promise<BenchContainerd> {
  const dir = await mkdtemp(join(parent, 'containerd-'));
  const socket = join(dir, 'containerd.sock');
  await writeFile(join(dir, 'config.toml'), config(dir));
  const child = spawn(toolPath('containerd'), ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForServing(child, socket);
  return {
    ctr: async (args, timeoutMs) => {
      await runTool('ctr', ['--address', socket, '--namespace', 'bench', ...args], timeoutMs);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
