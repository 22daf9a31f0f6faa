/**
 * `http.tls`: the certificate and key `berth serve` answers HTTPS with, read from files and read again when they
 * change, so a renewed certificate (a Kubernetes Secret volume swaps its `..data` symlink; cert-manager, the
 * operator's renewal) applies without a restart. New connections get the new pair, open ones keep theirs. A pair
 * that does not load (half written, a key that does not match) is logged and the old one kept.
 *
 * Changes are seen two ways: a watch on each file's folder (prompt), and a poll of the files' identity and times
 * (for file systems whose watches miss changes).
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { Logger } from '../../shared/logger.js';
import type { TlsConfig } from '../../shared/registry-config.js';

/** How often the files' times are compared when no watch event came. */
export const TLS_POLL_MS = 10_000;
/** Watch events come in bursts (several files, a symlink swap): one reload after they settle. */
const SETTLE_MS = 200;

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** Reads the pair and checks that it loads (the key matches the certificate); throws a sentence naming the files. */
export async function readTlsPair(files: TlsConfig): Promise<TlsPair> {
  let pair: TlsPair;
  try {
    pair = { cert: await readFile(files.certFile), key: await readFile(files.keyFile) };
  } catch (err) {
    throw new Error(`http.tls: cannot read ${(err as NodeJS.ErrnoException).path ?? 'the files'}: ${(err as Error).message}`);
  }
  try {
    createSecureContext(pair);
    new X509Certificate(pair.cert);
  } catch (err) {
    throw new Error(`http.tls: ${files.certFile} and ${files.keyFile} do not load as a certificate and its key: ${(err as Error).message}`);
  }
  return pair;
}

/** What is logged about a certificate: never the key. */
export function describeCertificate(cert: Buffer): Record<string, string> {
  const x = new X509Certificate(cert);
  return { subject: x.subject.replace(/\n/g, ', '), names: x.subjectAltName ?? '', notAfter: new Date(x.validTo).toISOString(), sha256: x.fingerprint256 };
}

/** The identity and times of both files (a changed stamp means something to read again). */
async function stampOf(files: TlsConfig): Promise<string> {
  const parts = await Promise.all(
    [files.certFile, files.keyFile].map((f) => stat(f).then((s) => `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`, () => 'missing')),
  );
  return parts.join('|');
}

/** Reloads the server's certificate when the files change; returns a function that stops watching. */
export async function reloadOnChange(server: TlsServer, files: TlsConfig, logger: Logger, pollMs = TLS_POLL_MS): Promise<() => void> {
  let stamp = await stampOf(files);
  let settle: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const check = (): void => {
    running = running.then(async () => {
      const now = await stampOf(files);
      if (now === stamp) return;
      stamp = now;
      try {
        const pair = await readTlsPair(files);
        server.setSecureContext(pair);
        logger.info('reloaded the TLS certificate', describeCertificate(pair.cert));
      } catch (err) {
        logger.error('kept the previous TLS certificate', { error: (err as Error).message });
      }
    });
  };
  const soon = (): void => {
    clearTimeout(settle);
    settle = setTimeout(check, SETTLE_MS);
    settle.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const dir of new Set([dirname(files.certFile), dirname(files.keyFile)])) {
    try {
      const w = watch(dir, { persistent: false }, soon);
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // the poll still sees changes
    }
  }
  const poll = setInterval(check, pollMs);
  poll.unref();
  return () => {
    clearInterval(poll);
    clearTimeout(settle);
    for (const w of watchers) w.close();
  };
}
