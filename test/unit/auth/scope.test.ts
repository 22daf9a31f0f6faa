import { covers, formatScopes, parseScope, parseScopes, MAX_SCOPE_RESOURCES } from '../../../src/registry/auth/scope.js';

describe('parseScope (distribution scope.md grammar)', () => {
  test.each([
    ['repository:team/app:pull', { type: 'repository', name: 'team/app', actions: ['pull'] }],
    ['repository:team/app:pull,push', { type: 'repository', name: 'team/app', actions: ['pull', 'push'] }],
    ['repository:team/app:*', { type: 'repository', name: 'team/app', actions: ['*'] }],
    ['repository(plugin):team/app:pull', { type: 'repository', name: 'team/app', actions: ['pull'] }],
    ['registry:catalog:*', { type: 'registry', name: 'catalog', actions: ['*'] }],
    // a host:port prefix: split on the first and the last colon
    ['repository:localhost:5000/team/app:pull', { type: 'repository', name: 'localhost:5000/team/app', actions: ['pull'] }],
    ['repository:team/app:pull,,pull', { type: 'repository', name: 'team/app', actions: ['pull'] }],
  ])('%s', (scope, expected) => {
    expect(parseScope(scope)).toEqual(expected);
  });

  test.each([
    'repository',
    'repository:team/app',
    ':team/app:pull',
    'repository::pull',
    'repository:team/app:',
    'repository:team/app:,',
    'repository:team/app:PULL',
    'repository:team/app:pull;rm',
    'Repository:team/app:pull',
    'repository(:team/app:pull',
  ])('malformed %j is ignored', (scope) => {
    expect(parseScope(scope)).toBeUndefined();
  });
});

describe('parseScopes', () => {
  test('several values, each possibly space-separated, merged per resource', () => {
    const items = parseScopes(['repository:a:pull repository:b:push', 'repository:a:push', 'registry:catalog:*']);
    expect(items).toEqual([
      { type: 'repository', name: 'a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'b', actions: ['push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  test('malformed scopes among good ones are dropped, the good ones kept', () => {
    expect(parseScopes(['garbage repository:a:pull  :x:y'])).toEqual([{ type: 'repository', name: 'a', actions: ['pull'] }]);
  });

  test('the number of distinct resources is capped, but a capped resource still merges actions', () => {
    const many = Array.from({ length: MAX_SCOPE_RESOURCES + 10 }, (_, i) => `repository:r${i}:pull`);
    const items = parseScopes([...many, 'repository:r0:push']);
    expect(items).toHaveLength(MAX_SCOPE_RESOURCES);
    expect(items[0]).toEqual({ type: 'repository', name: 'r0', actions: ['pull', 'push'] });
  });

  test('no scope at all is an empty request', () => {
    expect(parseScopes([])).toEqual([]);
  });
});

describe('covers', () => {
  const granted = [
    { type: 'repository', name: 'a', actions: ['pull'] },
    { type: 'repository', name: 'b', actions: ['pull', 'push'] },
  ];
  test.each([
    [[], true],
    [[{ type: 'repository', name: 'a', actions: ['pull'] }], true],
    [[{ type: 'repository', name: 'b', actions: ['pull', 'push'] }], true],
    [[{ type: 'repository', name: 'a', actions: ['push'] }], false],
    [[{ type: 'repository', name: 'a', actions: ['delete'] }], false],
    [[{ type: 'repository', name: 'c', actions: ['pull'] }], false],
    [[{ type: 'registry', name: 'a', actions: ['pull'] }], false],
    [[{ type: 'registry', name: 'catalog', actions: ['*'] }], false],
  ])('required %j → %s', (required, expected) => {
    expect(covers(granted, required)).toBe(expected);
  });

  test('a literal * action in a token covers only *, never pull/push/delete', () => {
    expect(covers([{ type: 'repository', name: 'a', actions: ['*'] }], [{ type: 'repository', name: 'a', actions: ['push'] }])).toBe(false);
  });
});

test('formatScopes leaves out items without actions', () => {
  expect(
    formatScopes([
      { type: 'repository', name: 'a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'b', actions: [] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]),
  ).toBe('repository:a:pull,push registry:catalog:*');
});
