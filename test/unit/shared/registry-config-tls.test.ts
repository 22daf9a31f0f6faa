import { parseConfig, resolvePaths } from '../../../src/shared/registry-config.js';

describe('http.tls', () => {
  test('absent: plain HTTP (no tls in the parsed config)', () => {
    expect(parseConfig({}).http.tls).toBeUndefined();
    expect(parseConfig({ http: { tls: null } }).http.tls).toBeUndefined();
  });

  test('a certificate and its key', () => {
    expect(parseConfig({ http: { tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' } } }).http.tls).toEqual({
      certFile: '/tls/tls.crt',
      keyFile: '/tls/tls.key',
    });
  });

  test.each<[string, unknown, string]>([
    ['no key', { certFile: 'c.pem' }, 'config: http.tls.keyFile: '],
    ['no certificate', { keyFile: 'k.pem' }, 'config: http.tls.certFile: '],
    ['an empty certificate path', { certFile: '', keyFile: 'k.pem' }, 'config: http.tls.certFile: must not be empty'],
    ['a path that is not a string', { certFile: 1, keyFile: 'k.pem' }, 'config: http.tls.certFile: must be a string'],
    ['an unknown field', { certFile: 'c', keyFile: 'k', caFile: 'ca' }, 'config: http.tls.caFile: unknown field (allowed: certFile, keyFile)'],
    ['not a mapping', 'on', 'config: http.tls: must be a mapping'],
  ])('%s: refused, naming the field', (_name, tls, message) => {
    expect(() => parseConfig({ http: { tls } })).toThrow(message);
  });

  test('relative paths resolve against the config file folder, absolute ones stay', () => {
    const c = resolvePaths(parseConfig({ http: { tls: { certFile: 'tls/tls.crt', keyFile: '/keys/tls.key' } } }), '/etc/berth');
    expect(c.http.tls).toEqual({ certFile: '/etc/berth/tls/tls.crt', keyFile: '/keys/tls.key' });
    expect(resolvePaths(parseConfig({}), '/etc/berth').http.tls).toBeUndefined();
  });
});
