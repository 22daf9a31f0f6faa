/**
 * A private containerd daemon for tests: its own root, state, socket and config in a temporary directory, the
 * CRI plugin off, so it never touches a system containerd. `ctr --address SOCKET images pull --plain-http
 * [--user u:p] 127.0.0.1:PORT/repo:tag` then pulls and unpacks from a plain-HTTP loopback registry
 * (containerd 1.6 needs nothing more than `--plain-http` for that).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runOk, stopChild, tool, type RunOptions } from './tools.js';

export interface ContainerdProcess {
  /** The daemon's gRPC socket, for `ctr --address`. */
  socket: string;
  /** The temporary directory holding root, state, socket and config. */
  dir: string;
  child: ChildProcess;
  logs: string[];
  /** Runs `ctr --address SOCKET --namespace berth-test ARGS…` and returns its standard output. */
  ctr(args: readonly string[], opts?: RunOptions): Promise<string>;
  /** Stops the daemon and removes its directory. */
  stop(): Promise<void>;
}

/** Plugins that only log noise here (no such filesystems) or are not needed (CRI). */
const DISABLED_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
];

/** The config.toml of a private daemon living in `dir`. */
export function containerdConfig(dir: string): string {
  return [
    'version = 2',
    `root = ${JSON.stringify(join(dir, 'root'))}`,
    `state = ${JSON.stringify(join(dir, 'state'))}`,
    `disabled_plugins = ${JSON.stringify(DISABLED_PLUGINS)}`,
    '[grpc]',
    `  address = ${JSON.stringify(join(dir, 'containerd.sock'))}`,
    '[debug]',
    '  level = "info"',
    '[metrics]',
    '  address = ""',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${JSON.stringify(join(dir, 'opt'))}`,
    '',
  ].join('\n');
}

/** Starts a private containerd and waits until it serves its socket. */
export async function startContainerd(): Promise<ContainerdProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-ctrd-'));
  const socket = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  await writeFile(config, containerdConfig(dir));
  const child = spawn(tool('containerd'), ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  await waitForServing(child, socket, logs);
  const ctrPath = tool('ctr');
  return {
    socket,
    dir,
    child,
    logs,
    ctr: (args, opts) => runOk(ctrPath, ['--address', socket, '--namespace', 'berth-test', ...args], opts),
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function waitForServing(child: ChildProcess, socket: string, logs: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`containerd did not start within 20s\n${logs.join('\n')}`));
    }, 20_000);
    const onLine = (line: string) => {
      logs.push(line);
      if (line.includes('msg=serving...') && line.includes(`address=${socket}`) && !line.includes('.ttrpc')) {
        clearTimeout(timer);
        resolve();
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`containerd exited with ${code}\n${logs.join('\n')}`));
    });
  });
}
