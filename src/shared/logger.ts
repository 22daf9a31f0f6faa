/**
 * JSON logs (winston) on stdout, one object a line. Never pass secrets, tokens or Authorization headers in.
 *
 * Hot, fixed-shape lines (the per-request line) go through {@link lineWriter}: for a logger made by
 * {@link createLogger} it writes the same JSON object straight to stdout, skipping winston's format pipeline and
 * stream hops (a measurable share of a small request's CPU); any other logger gets the line through winston.
 */
import winston from 'winston';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** winston's npm levels: lower is more severe. */
const SEVERITY: Record<string, number> = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 };

/** Loggers that write JSON lines to stdout through one Console transport (the ones createLogger makes). */
const STDOUT_LOGGERS = new WeakMap<Logger, Record<string, unknown>>();

export function createLogger(level: LogLevel = 'info', defaultMeta: Record<string, unknown> = {}): Logger {
  const logger = winston.createLogger({
    level,
    defaultMeta,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
  STDOUT_LOGGERS.set(logger, defaultMeta);
  return logger;
}

/** A logger that drops everything (unit tests of code that logs). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

/** Writes one line at `level` with `fields` (primitive values only; `undefined` ones are left out). */
export type LineWriter = (level: LogLevel, message: string, fields: Record<string, unknown>) => void;

/**
 * A fast writer of log lines through `logger`: the same level filter and JSON shape (`level`, `message`, the
 * logger's default fields, `fields`, `timestamp`) as `logger.log`, without winston's pipeline when the logger
 * writes to stdout. The level is read on each call, so changing `logger.level` takes effect.
 */
export function lineWriter(logger: Logger): LineWriter {
  const meta = STDOUT_LOGGERS.get(logger);
  if (!meta) return (level, message, fields) => void logger.log(level, message, fields);
  return (level, message, fields) => {
    if (logger.silent || SEVERITY[level]! > (SEVERITY[logger.level] ?? SEVERITY.info!)) return;
    const line = JSON.stringify({ level, message, ...meta, ...fields, timestamp: new Date().toISOString() });
    process.stdout.write(`${line}\n`);
  };
}

/**
 * A lifecycle line (listening, shutting down) printed whatever the log level, in the same JSON shape: tools and
 * people starting a process rely on seeing where it listens.
 */
export function announce(message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level: 'info', message, ...fields, timestamp: new Date().toISOString() })}\n`);
}
