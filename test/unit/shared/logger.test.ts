import { jest } from '@jest/globals';
import { createLogger, lineWriter, silentLogger } from '../../../src/shared/logger.js';

function captureStdout(run: () => void): string[] {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

test('lineWriter writes the JSON shape of winston lines, filtered by the logger level read at each call', () => {
  const logger = createLogger('info', { component: 'registry' });
  const write = lineWriter(logger);
  const lines = captureStdout(() => {
    write('info', 'request', { status: 200, repository: undefined });
    write('debug', 'request', { status: 204 });
    logger.level = 'debug';
    write('debug', 'request', { status: 202 });
  });
  expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
    { level: 'info', message: 'request', component: 'registry', status: 200, timestamp: expect.any(String) },
    { level: 'debug', message: 'request', component: 'registry', status: 202, timestamp: expect.any(String) },
  ]);
  expect(lines.every((l) => l.endsWith('}\n'))).toBe(true);
});

test('lineWriter writes nothing for a silent logger', () => {
  const write = lineWriter(silentLogger());
  expect(captureStdout(() => write('error', 'request', { status: 500 }))).toEqual([]);
});
