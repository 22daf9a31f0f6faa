import { parseBenchArgs } from '../../../bench/args.js';
import { podmanGlobalArgs, storageReference } from '../../../bench/podman.js';
import { statCpuSeconds, statusKiB } from '../../../bench/process-stats.js';
import { listeningAddress } from '../../../bench/servers.js';

describe('bench command line', () => {
  test('full defaults: 1 GiB layer, 3 rounds, every phase', () => {
    const opts = parseBenchArgs([]);
    expect(opts).toMatchObject({ quick: false, rounds: 3, layerMiB: 1024, chunkMiB: 16, wrkSeconds: 5 });
    expect([...opts.phases]).toEqual(['limits', 'blob', 'skopeo', 'ctr', 'podman', 'small', 'manifest', 'auth', 'workers', 's3', 'gc']);
    expect(opts.podmanCompression).toBe('zstd');
  });

  test('--only podman, and podman push compression', () => {
    expect([...parseBenchArgs(['--only', 'podman']).phases]).toEqual(['podman']);
    expect(parseBenchArgs(['--podman-compression', 'gzip']).podmanCompression).toBe('gzip');
  });

  test('--quick shrinks the run, explicit flags still win', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({ rounds: 1, layerMiB: 64, wrkSeconds: 2 });
    expect(parseBenchArgs(['--quick', '--rounds', '2'])).toMatchObject({ rounds: 2, layerMiB: 64 });
  });

  test.each([
    [['--rounds', '0'], /--rounds must be a positive integer/],
    [['--layer-mib', '1.5'], /--layer-mib must be a positive integer/],
    [['--only', 'blob,nope'], /--only: unknown phase "nope"/],
    [['--podman-compression', 'xz'], /--podman-compression must be one of zstd, gzip, got "xz"/],
    [['--bogus'], /bogus/],
  ])('%j is refused', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('/proc readings', () => {
  test('VmRSS and VmHWM in KiB', () => {
    const status = 'Name:\tnode\nVmHWM:\t  123456 kB\nVmRSS:\t   98765 kB\nThreads:\t11\n';
    expect(statusKiB(status, 'VmRSS')).toBe(98765);
    expect(statusKiB(status, 'VmHWM')).toBe(123456);
    expect(statusKiB('Name:\tkthreadd\n', 'VmRSS')).toBeNaN();
  });

  test('CPU seconds from /proc/<pid>/stat, with a command name holding spaces and parens', () => {
    const stat = '4242 (docker (reg) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 123 0 0';
    expect(statCpuSeconds(stat)).toBeCloseTo(3);
  });
});

describe('listening address in a server log', () => {
  test('Berth: the JSON "listening" line', () => {
    const log = '{"level":"info","message":"starting"}\n{"address":"127.0.0.1:40123","level":"info","message":"listening"}\n';
    expect(listeningAddress('berth', log)).toBe('127.0.0.1:40123');
    expect(listeningAddress('berth', '{"message":"starting"}\n')).toBeUndefined();
  });

  test('Distribution: the logrus text line', () => {
    const log = 'time="2026-11-27T21:00:30Z" level=info msg="listening on 127.0.0.1:45931" go.version=go1.19.8\n';
    expect(listeningAddress('distribution', log)).toBe('127.0.0.1:45931');
  });
});

describe('private podman store', () => {
  const paths = { dir: '/tmp/b/p', runroot: '/tmp/podman-run-x' };

  test('every storage, state and event path stays in the store folders', () => {
    expect(podmanGlobalArgs(paths)).toEqual([
      '--root', '/tmp/b/p/root',
      '--runroot', '/tmp/podman-run-x',
      '--tmpdir', '/tmp/b/p/libpod',
      '--storage-driver', 'vfs',
      '--events-backend', 'none',
      '--cgroup-manager', 'cgroupfs',
    ]);
  });

  test('skopeo names the same store', () => {
    expect(storageReference(paths, 'localhost/bench/podman:r1')).toBe(
      'containers-storage:[vfs@/tmp/b/p/root+/tmp/podman-run-x]localhost/bench/podman:r1',
    );
  });
});
