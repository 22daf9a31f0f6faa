import { ConfigError, DEFAULT_CONFIG, parseConfig, resolvePaths } from '../../../src/shared/registry-config.js';

describe('parseConfig', () => {
  test('empty input gives the embedded defaults', () => {
    expect(parseConfig(undefined)).toEqual(DEFAULT_CONFIG);
    expect(parseConfig({})).toEqual(DEFAULT_CONFIG);
  });

  test('upload bounds: uploadMaxBytes is unlimited unless set; the session caps take any positive count', () => {
    expect(DEFAULT_CONFIG.limits.uploadMaxBytes).toBeUndefined();
    const limits = parseConfig({ limits: { uploadMaxBytes: 1000, uploadSessionsPerRepository: 3, uploadSessionsPerPrincipal: 5 } }).limits;
    expect(limits).toMatchObject({ uploadMaxBytes: 1000, uploadSessionsPerRepository: 3, uploadSessionsPerPrincipal: 5 });
  });

  test('the defaults (from the schema)', () => {
    expect(DEFAULT_CONFIG).toEqual({
      http: {
        addr: '127.0.0.1:5000',
        externalUrl: '',
        trustProxy: false,
        headersTimeoutMs: 60_000,
        bodyIdleTimeoutMs: 60_000,
        keepAliveTimeoutMs: 75_000,
        maxConnections: 2000,
        maxConnectionsPerAddress: 200,
      },
      storage: {
        driver: 'filesystem',
        root: './data',
        uploadPurge: { maxAgeMs: 24 * 3600_000, intervalMs: 3600_000 },
        lifecycle: { retentionIntervalMs: 3600_000, usageRescanIntervalMs: 600_000 },
      },
      limits: {
        manifestMaxBytes: 4 * 1024 * 1024,
        referrersPageMaxBytes: 1024 * 1024,
        uploadSessionsPerRepository: 1000,
        uploadSessionsPerPrincipal: 200,
      },
      log: { level: 'info' },
      auth: undefined,
    });
    expect(parseConfig({ auth: { issuer: '', service: null } }).auth).toEqual({
      issuer: 'berth',
      service: 'berth-registry',
      realm: '',
      tokenTtlMs: 5 * 60_000,
      signingKeyFile: 'signing-key.pem',
      verificationKeyFiles: [],
      policyFile: 'policy.yaml',
      failedLoginsPerMinute: 10,
      maxConcurrentLoginsPerAddress: 4,
      maxConcurrentLoginsPerAccount: 2,
      loginLockoutMaxMs: 15 * 60_000,
    });
  });

  test.each<[string, unknown, string]>([
    ['a bad duration', { storage: { uploadPurge: { maxAge: 'forever' } } }, 'config: storage.uploadPurge.maxAge: must be a duration such as 90s, 5m or 24h'],
    ['an unknown field', { http: { adr: 'x' } }, 'config: http.adr: unknown field (allowed: addr, externalUrl, trustProxy, headersTimeout, bodyIdleTimeout, keepAliveTimeout, maxConnections, maxConnectionsPerAddress, tls)'],
    ['a bad log level', { log: { level: 'loud' } }, 'config: log.level: must be one of error, warn, info, debug'],
    ['a zero limit', { limits: { manifestMaxBytes: 0 } }, 'config: limits.manifestMaxBytes: must be a positive whole number'],
    ['an empty root', { storage: { root: '' } }, 'config: storage.root: must not be empty'],
    ['a short token lifetime', { auth: { tokenTtl: 30 } }, 'config: auth.tokenTtl: must be at least 60s (clients clamp shorter tokens)'],
    ['a policySecret without a namespace', { auth: { policySecret: { name: 'p' } } }, 'config: auth.policySecret.namespace: must be a namespace name'],
  ])('%s: the message says what is wrong', (_name, raw, message) => {
    expect(() => parseConfig(raw)).toThrow(message);
  });

  test('a full config', () => {
    const c = parseConfig({
      http: { addr: '0.0.0.0:5000', externalUrl: 'https://reg.example.com/', trustProxy: true },
      storage: { root: '/data', uploadPurge: { maxAge: '2h', interval: '10m' } },
      limits: { manifestMaxBytes: 1024 },
      log: { level: 'debug' },
      auth: { issuer: 'me', service: 'svc', tokenTtl: '10m', signingKeyFile: 'k.pem', policyFile: 'p.yaml' },
    });
    expect(c.http.externalUrl).toBe('https://reg.example.com');
    expect(c.storage.uploadPurge).toEqual({ maxAgeMs: 7_200_000, intervalMs: 600_000 });
    expect(c.auth?.tokenTtlMs).toBe(600_000);
    expect(c.auth?.verificationKeyFiles).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    ['unknown top-level field', { htp: {} }, 'htp'],
    ['unknown nested field', { http: { adr: 'x' } }, 'http.adr'],
    ['bad address', { http: { addr: 'localhost' } }, 'http.addr'],
    ['port out of range', { http: { addr: ':70000' } }, 'http.addr'],
    ['relative external URL', { http: { externalUrl: 'reg.example.com' } }, 'http.externalUrl'],
    ['ftp external URL', { http: { externalUrl: 'ftp://x' } }, 'http.externalUrl'],
    ['trustProxy not a boolean', { http: { trustProxy: 'yes' } }, 'http.trustProxy'],
    ['bad duration', { storage: { uploadPurge: { maxAge: 'forever' } } }, 'storage.uploadPurge.maxAge'],
    ['empty storage root', { storage: { root: '' } }, 'storage.root'],
    ['unknown storage driver', { storage: { driver: 's4' } }, 'storage.driver'],
    ['storage driver not a string', { storage: { driver: 1 } }, 'storage.driver'],
    ['zero manifest limit', { limits: { manifestMaxBytes: 0 } }, 'limits.manifestMaxBytes'],
    ['bad log level', { log: { level: 'loud' } }, 'log.level'],
    ['bad body idle timeout', { http: { bodyIdleTimeout: 'never' } }, 'http.bodyIdleTimeout'],
    ['zero connection cap', { http: { maxConnections: 0 } }, 'http.maxConnections'],
    ['fractional per-address cap', { http: { maxConnectionsPerAddress: 1.5 } }, 'http.maxConnectionsPerAddress'],
    ['zero referrers page', { limits: { referrersPageMaxBytes: 0 } }, 'limits.referrersPageMaxBytes'],
    ['zero sessions a repository', { limits: { uploadSessionsPerRepository: 0 } }, 'limits.uploadSessionsPerRepository'],
    ['fractional sessions a principal', { limits: { uploadSessionsPerPrincipal: 2.5 } }, 'limits.uploadSessionsPerPrincipal'],
    ['zero upload size', { limits: { uploadMaxBytes: 0 } }, 'limits.uploadMaxBytes'],
    ['zero login concurrency', { auth: { maxConcurrentLoginsPerAddress: 0 } }, 'auth.maxConcurrentLoginsPerAddress'],
    ['bad lockout', { auth: { loginLockoutMax: 'long' } }, 'auth.loginLockoutMax'],
    ['section not a mapping', { storage: 'x' }, 'storage'],
    ['token TTL below 60s', { auth: { tokenTtl: '30s' } }, 'auth.tokenTtl'],
    ['unknown auth field', { auth: { secret: 'x' } }, 'auth.secret'],
    ['policySecret without a namespace', { auth: { policySecret: { name: 'p' } } }, 'auth.policySecret.namespace'],
    ['policySecret with a bad name', { auth: { policySecret: { namespace: 'ns', name: 'Not_A_Name' } } }, 'auth.policySecret.name'],
    ['policySecret with a bad key', { auth: { policySecret: { namespace: 'ns', name: 'p', key: 'a/b' } } }, 'auth.policySecret.key'],
    ['policySecret with an unknown field', { auth: { policySecret: { namespace: 'ns', name: 'p', file: 'x' } } }, 'auth.policySecret.file'],
    ['policySecret not a mapping', { auth: { policySecret: 'ns/p' } }, 'auth.policySecret'],
  ])('%s names the field', (_name, raw, field) => {
    expect(() => parseConfig(raw)).toThrow(ConfigError);
    expect(() => parseConfig(raw)).toThrow(expect.objectContaining({ field }));
  });
});

test('storage.driver: filesystem by default, memory when named', () => {
  expect(parseConfig({ storage: { root: '/data' } }).storage.driver).toBe('filesystem');
  expect(parseConfig({ storage: { driver: 'memory' } }).storage.driver).toBe('memory');
  expect(() => parseConfig({ storage: { driver: 'nfs' } })).toThrow('config: storage.driver: must be one of filesystem, memory');
});

test('storage.s3: defaults, a trimmed prefix, key files resolved against the config file', () => {
  const c = parseConfig({ storage: { driver: 's3', s3: { bucket: 'berth', prefix: '/reg-a/', accessKeyIdFile: 'id', secretAccessKeyFile: 'secret' } } });
  expect(c.storage.s3).toEqual({
    bucket: 'berth',
    region: 'us-east-1',
    endpoint: '',
    forcePathStyle: false,
    prefix: 'reg-a',
    accessKeyIdFile: 'id',
    secretAccessKeyFile: 'secret',
    partSize: 10 * 1024 * 1024,
    redirect: false,
    publicEndpoint: '',
    redirectExpiryMs: 20 * 60_000,
  });
  expect(resolvePaths(c, '/etc/berth').storage.s3).toMatchObject({ accessKeyIdFile: '/etc/berth/id', secretAccessKeyFile: '/etc/berth/secret' });
  expect(resolvePaths(parseConfig({ storage: { driver: 's3', s3: { bucket: 'berth' } } }), '/etc').storage.s3?.accessKeyIdFile).toBe('');
  expect(DEFAULT_CONFIG.storage.s3).toBeUndefined();
});

test.each<[string, unknown, string]>([
  ['s3 without storage.s3', { storage: { driver: 's3' } }, 'storage.s3'],
  ['storage.s3 with another driver', { storage: { driver: 'filesystem', s3: { bucket: 'berth' } } }, 'storage.s3'],
  ['no bucket', { storage: { driver: 's3', s3: {} } }, 'storage.s3.bucket'],
  ['a bad bucket name', { storage: { driver: 's3', s3: { bucket: 'Not_A_Bucket' } } }, 'storage.s3.bucket'],
  ['one key file only', { storage: { driver: 's3', s3: { bucket: 'berth', accessKeyIdFile: 'id' } } }, 'storage.s3.accessKeyIdFile'],
  ['parts below 5 MiB', { storage: { driver: 's3', s3: { bucket: 'berth', partSize: 1024 } } }, 'storage.s3.partSize'],
  ['an endpoint that is no URL', { storage: { driver: 's3', s3: { bucket: 'berth', endpoint: 'minio:9000' } } }, 'storage.s3.endpoint'],
  ['an unknown s3 field', { storage: { driver: 's3', s3: { bucket: 'berth', secretKey: 'x' } } }, 'storage.s3.secretKey'],
])('storage.s3: %s names the field', (_name, raw, field) => {
  expect(() => parseConfig(raw)).toThrow(expect.objectContaining({ field }));
});

test('auth.policySecret: the key defaults to policy.yaml; absent means the policy file', () => {
  expect(parseConfig({ auth: { policySecret: { namespace: 'berth', name: 'reg-policy' } } }).auth?.policySecret).toEqual({
    namespace: 'berth',
    name: 'reg-policy',
    key: 'policy.yaml',
  });
  expect(parseConfig({ auth: {} }).auth?.policySecret).toBeUndefined();
});

test('resolvePaths makes relative paths relative to the config file folder', () => {
  const c = resolvePaths(parseConfig({ storage: { root: 'data' }, auth: { policyFile: '/abs/p.yaml' } }), '/etc/berth');
  expect(c.storage.root).toBe('/etc/berth/data');
  expect(c.auth?.policyFile).toBe('/abs/p.yaml');
  expect(c.auth?.signingKeyFile).toBe('/etc/berth/signing-key.pem');
});
