/**
 * Publishes report documents (key → JSON) to a sink, without ever holding up the caller: `publish` only records the
 * newest document of its key, and one writer loop sends what is pending at most once per `minIntervalMs`, all keys
 * in one write. A document published again before it was sent replaces the pending one (coalescing), so what waits
 * is bounded by the number of keys. A failed write is retried with backoff (up to `maxBackoffMs`), keeping the
 * newest document of each key; a document identical to the last one written is not sent again.
 */
import type { Logger } from '../../shared/logger.js';
import { MAX_REPORT_BYTES } from '../../shared/schemas/report.js';

/** Writes some keys of the report (the others stay as they are). */
export type ReportSink = (entries: Record<string, string>) => Promise<void>;

export interface ReportPublisher {
  /** Records the newest document of `key`; returns at once. */
  publish(key: string, document: unknown): void;
  /** Resolves once everything published so far was written (or its write failed). */
  flush(): Promise<void>;
  /** Stops the loop after one last attempt to write what is pending. */
  close(): Promise<void>;
}

export interface ReportWriterOptions {
  minIntervalMs: number;
  /** Longest wait between retries after failures (default 5 min). */
  maxBackoffMs?: number;
  /** How long `close` waits for the last write at most (default 5 s). */
  closeTimeoutMs?: number;
  logger: Logger;
  now?: () => number;
}

/** A publisher that drops everything (a registry outside a cluster). */
export const NO_REPORTS: ReportPublisher = { publish() {}, async flush() {}, async close() {} };

/** The delay before the next write after `failures` failures in a row (pure). */
export function retryDelay(minIntervalMs: number, failures: number, maxBackoffMs: number): number {
  if (failures === 0) return minIntervalMs;
  return Math.min(maxBackoffMs, Math.max(minIntervalMs, 1000) * 2 ** Math.min(failures - 1, 16));
}

export function createReportWriter(sink: ReportSink, opts: ReportWriterOptions): ReportPublisher {
  const now = opts.now ?? Date.now;
  const maxBackoffMs = opts.maxBackoffMs ?? 300_000;
  const pending = new Map<string, string>();
  const written = new Map<string, string>();
  let lastWriteAt = -Infinity;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let closed = false;

  const write = async (): Promise<void> => {
    timer = undefined;
    const entries = Object.fromEntries(pending);
    pending.clear();
    lastWriteAt = now();
    try {
      await sink(entries);
      for (const [k, v] of Object.entries(entries)) written.set(k, v);
      if (failures > 0) opts.logger.info('report written again after failures', { failures });
      failures = 0;
    } catch (err) {
      failures++;
      for (const [k, v] of Object.entries(entries)) if (!pending.has(k)) pending.set(k, v);
      const level = failures === 1 || failures % 10 === 0 ? 'warn' : 'debug';
      opts.logger.log(level, 'cannot write the report; retrying', { keys: Object.keys(entries), failures, error: (err as Error).message });
    }
  };

  const schedule = (): void => {
    if (closed || timer || inFlight || pending.size === 0) return;
    const delay = Math.max(0, lastWriteAt + retryDelay(opts.minIntervalMs, failures, maxBackoffMs) - now());
    timer = setTimeout(() => {
      inFlight = write().finally(() => {
        inFlight = undefined;
        schedule();
      });
    }, delay);
    timer.unref();
  };

  return {
    publish(key, document) {
      if (closed) return;
      let text: string;
      try {
        text = JSON.stringify(document);
      } catch (err) {
        opts.logger.error('report document cannot be serialised; dropped', { key, error: (err as Error).message });
        return;
      }
      if (Buffer.byteLength(text) > MAX_REPORT_BYTES) {
        opts.logger.error('report document too large; dropped', { key, bytes: Buffer.byteLength(text), max: MAX_REPORT_BYTES });
        return;
      }
      if (!pending.has(key) && written.get(key) === text) return;
      pending.set(key, text);
      schedule();
    },
    async flush() {
      while (inFlight || (timer && pending.size > 0)) {
        if (timer) {
          clearTimeout(timer);
          timer = undefined;
          inFlight = write().finally(() => {
            inFlight = undefined;
          });
        }
        await inFlight;
        if (failures > 0) break;
      }
      schedule();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      const last = (async () => {
        await inFlight;
        if (pending.size > 0) await write();
      })();
      // a shutdown waits for the last report at most closeTimeoutMs (the API may be unreachable)
      let cap: NodeJS.Timeout | undefined;
      await Promise.race([last, new Promise<void>((resolve) => (cap = setTimeout(resolve, opts.closeTimeoutMs ?? 5_000)))]);
      clearTimeout(cap);
    },
  };
}
