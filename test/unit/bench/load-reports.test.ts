import { parseBombardierOutput } from '../../../bench/bombardier.js';
import { parseDuration, parseWrkOutput, requireClean, wrkScript } from '../../../bench/wrk.js';

const WRK_CLEAN = `Running 5s test @ http://127.0.0.1:38133/v2/bench/manifest/manifests/latest
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    20.11ms   12.40ms 180.52ms   88.10%
    Req/Sec     1.60k   534.68     2.20k    70.00%
  Latency Distribution
     50%   17.20ms
     75%   22.91ms
     90%   31.00ms
     99%   48.07ms
  15890 requests in 5.05s, 9.80MB read
Requests/sec:   3144.12
Transfer/sec:      1.94MB
`;

const WRK_ERRORS = `Running 2s test @ http://127.0.0.1:45931/v2/bench/manifest/manifests/latest
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   850.00us  100.00us   1.20ms   90.00%
    Req/Sec     1.10k    50.00     1.20k    70.00%
  Latency Distribution
     50%  840.00us
     75%  900.00us
     90%  950.00us
     99%    1.10s
  2200 requests in 2.00s, 1.00MB read
  Socket errors: connect 0, read 1, write 3, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   1100.00
Transfer/sec:    500.00KB
`;

describe('wrk report', () => {
  test('a clean run gives requests/s, latency percentiles in ms and the request count', () => {
    expect(parseWrkOutput(WRK_CLEAN)).toEqual({
      tool: 'wrk',
      requestsPerSecond: 3144.12,
      p50Ms: 17.2,
      p99Ms: 48.07,
      requests: 15890,
      non2xx: 0,
      socketErrors: 0,
    });
  });

  test('error lines are counted, and a run with errors is refused', () => {
    const result = parseWrkOutput(WRK_ERRORS);
    expect(result).toMatchObject({ p50Ms: 0.84, p99Ms: 1100, non2xx: 7, socketErrors: 6 });
    expect(() => requireClean(result, 'http://x', WRK_ERRORS)).toThrow(/7 not 2xx, 6 socket errors/);
  });

  test('a report without a latency distribution (no --latency) cannot be read', () => {
    const withoutLatency = WRK_CLEAN.replace(/ {2}Latency Distribution[\s\S]*?(?= {2}15890)/, '');
    expect(() => parseWrkOutput(withoutLatency)).toThrow(/cannot read the wrk report/);
  });

  test.each([
    ['250.00us', 0.25],
    ['1.50ms', 1.5],
    ['2.00s', 2000],
    ['1.00m', 60000],
  ])('duration %s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms);
  });

  test('the Lua script sets the Accept header, quoted', () => {
    expect(wrkScript('a/b+json, c/d')).toBe('wrk.method = "GET"\nwrk.headers["Accept"] = "a/b+json, c/d"\n');
  });
});

describe('bombardier report', () => {
  const report = (over: Record<string, unknown>) =>
    JSON.stringify({
      spec: { method: 'HEAD', numberOfConnections: 64 },
      result: {
        bytesRead: 1,
        bytesWritten: 1,
        timeTakenSeconds: 5,
        req1xx: 0,
        req2xx: 19000,
        req3xx: 0,
        req4xx: 0,
        req5xx: 0,
        others: 0,
        latency: { mean: 16000, stddev: 1, max: 90000, percentiles: { '50': 15000, '75': 18000, '90': 21000, '95': 25000, '99': 33620 } },
        rps: { mean: 3700, stddev: 1, max: 4000, percentiles: {} },
        ...over,
      },
    });

  test('requests/s is the request count over the time taken; latencies in µs become ms', () => {
    expect(parseBombardierOutput(report({}))).toEqual({
      tool: 'bombardier',
      requestsPerSecond: 3800,
      p50Ms: 15,
      p99Ms: 33.62,
      requests: 19000,
      non2xx: 0,
      socketErrors: 0,
    });
  });

  test('non-2xx responses and connection errors are counted and refused', () => {
    const result = parseBombardierOutput(
      report({ req4xx: 10, others: 2, errors: [{ description: 'connection refused', count: 5 }] }),
    );
    expect(result).toMatchObject({ requests: 19012, non2xx: 12, socketErrors: 5 });
    expect(() => requireClean(result, 'http://x', '')).toThrow(/12 not 2xx, 5 socket errors/);
  });
});
