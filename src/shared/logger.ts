/**
 * JSON logs (winston) on stdout, one object a line. Never pass secrets, tokens or Authorization headers in.
 */
import winston from 'winston';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export function createLogger(level: LogLevel = 'info', defaultMeta: Record<string, unknown> = {}): Logger {
  return winston.createLogger({
    level,
    defaultMeta,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}

/** A logger that drops everything (unit tests of code that logs). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

/**
 * A lifecycle line (listening, shutting down) printed whatever the log level, in the same JSON shape: tools and
 * people starting a process rely on seeing where it listens.
 */
export function announce(message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level: 'info', message, ...fields, timestamp: new Date().toISOString() })}\n`);
}
