import { parseOperatorArgs } from '../../../src/cli/operator-command.js';

describe('parseOperatorArgs', () => {
  test('defaults', () => {
    const p = parseOperatorArgs([], {});
    expect(p.kubeconfig).toBeUndefined();
    expect(p.logLevel).toBe('info');
    expect(p.options).toEqual({
      watchNamespace: undefined,
      defaultImage: undefined,
      metricsAddr: '0.0.0.0:8080',
      leaderElection: undefined,
      resyncPeriodMs: 600_000,
      workers: 4,
      watchSilenceTimeoutMs: 150_000,
    });
  });

  test('every flag', () => {
    const p = parseOperatorArgs(
      [
        '--kubeconfig', '/k', '--watch-namespace', 'team', '--image', 'berth:2', '--metrics-addr', '127.0.0.1:0',
        '--leader-elect', '--leader-election-namespace', 'berth-system', '--leader-election-id', 'lease',
        '--identity', 'me', '--resync-period', '30s', '--workers', '2', '--watch-silence-timeout', '5s', '--log-level', 'debug',
      ],
      {},
    );
    expect(p.kubeconfig).toBe('/k');
    expect(p.logLevel).toBe('debug');
    expect(p.options).toEqual({
      watchNamespace: 'team',
      defaultImage: 'berth:2',
      metricsAddr: '127.0.0.1:0',
      leaderElection: { namespace: 'berth-system', name: 'lease', identity: 'me' },
      resyncPeriodMs: 30_000,
      workers: 2,
      watchSilenceTimeoutMs: 5000,
    });
  });

  test('--allowed-images (or $BERTH_ALLOWED_IMAGES): a comma-separated list; absent means only --image (issue 9)', () => {
    expect(parseOperatorArgs(['--allowed-images', 'ghcr.io/b/*, reg.local/b:1 ,'], {}).options.allowedImages).toEqual(['ghcr.io/b/*', 'reg.local/b:1']);
    expect(parseOperatorArgs([], { BERTH_ALLOWED_IMAGES: 'x:*' }).options.allowedImages).toEqual(['x:*']);
    expect(parseOperatorArgs([], {}).options.allowedImages).toBeUndefined();
  });

  test('environment: image, watch namespace, pod name and namespace for the Lease', () => {
    const p = parseOperatorArgs(['--leader-elect'], { BERTH_IMAGE: 'b:1', WATCH_NAMESPACE: 'w', POD_NAME: 'pod-1', POD_NAMESPACE: 'sys' });
    expect(p.options.defaultImage).toBe('b:1');
    expect(p.options.watchNamespace).toBe('w');
    expect(p.options.leaderElection).toEqual({ namespace: 'sys', name: 'berth-operator', identity: 'pod-1' });
  });

  test.each<[string[], RegExp]>([
    [['--workers', '0'], /--workers/],
    [['--resync-period', 'often'], /--resync-period/],
    [['--metrics-addr', 'localhost'], /not host:port/],
    [['--log-level', 'loud'], /--log-level/],
    [['--frobnicate'], /Unknown option/],
  ])('%j is refused', (argv, message) => {
    expect(() => parseOperatorArgs(argv, {})).toThrow(message);
  });
});
