/** A real winston logger whose JSON lines are kept in memory, so tests can read what would have been logged. */
import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '../../../src/shared/logger.js';

export function captureLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString().trimEnd());
      done();
    },
  });
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, lines };
}
