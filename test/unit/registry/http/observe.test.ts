import { requestLogLevel } from '../../../../src/registry/http/observe.js';

test.each([
  ['/healthz', 'debug'],
  ['/readyz', 'debug'],
  ['/metrics', 'debug'],
  ['/readyz?x=1', 'debug'],
  ['/v2/', 'info'],
  ['/token?service=x', 'info'],
  ['/healthz/extra', 'info'],
])('request line level of %s is %s', (url, level) => {
  expect(requestLogLevel(url)).toBe(level);
});
