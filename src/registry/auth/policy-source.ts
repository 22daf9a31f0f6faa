/**
 * Where the policy text comes from, and following its changes. Standalone it is a file, watched two ways: `fs.watch`
 * on its folder (immediate; the folder, because editors and Kubernetes' volume writer replace files by rename) and
 * a `stat` poll every second as a fallback for filesystems where watching does not work. In a cluster another
 * {@link PolicySource} (the policy Secret, watched through the API) plugs into the same {@link followPolicy}.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../shared/logger.js';
import type { PolicyStore } from './policy-store.js';

export interface PolicySource {
  /** Names the source in logs (a path, `Secret ns/name`). */
  readonly origin: string;
  /** The current text. */
  read(): Promise<string>;
  /** Calls `changed` whenever the text may have changed; returns a function that stops watching. */
  watch(changed: () => void): () => void;
}

export interface FileWatchOptions {
  /** Period of the stat poll. */
  pollMs?: number;
  /** Also watch the folder with fs.watch (false: poll only, as on filesystems without change events). */
  watchFolder?: boolean;
}

/** Watches the file's folder; undefined when the platform cannot. */
function watchFolderOf(file: string, changed: () => void, logger: Logger): FSWatcher | undefined {
  const name = basename(file);
  try {
    const watcher = watch(dirname(file), { persistent: false }, (_event, f) => {
      // `..data` and friends: Kubernetes swaps a mounted Secret's files through a symlinked folder.
      if (f === null || f === name || f.startsWith('..')) changed();
    });
    watcher.on('error', (err) => logger.warn('policy folder watch failed; polling continues', { error: err.message }));
    return watcher;
  } catch (err) {
    logger.warn('cannot watch the policy folder; polling instead', { error: (err as Error).message });
    return undefined;
  }
}

/** A policy file, watched through its folder and by polling. */
export function filePolicySource(file: string, logger: Logger, { pollMs = 1000, watchFolder = true }: FileWatchOptions = {}): PolicySource {
  return {
    origin: file,
    read: () => readFile(file, 'utf8'),
    watch(changed) {
      const watcher = watchFolder ? watchFolderOf(file, changed, logger) : undefined;
      let last: string | undefined;
      const poll = async (): Promise<void> => {
        const s = await stat(file).then(
          (st) => `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`,
          (err: NodeJS.ErrnoException) => `error:${err.code ?? ''}`,
        );
        if (s !== last) changed(); // the first poll too: catches a change made before watching began
        last = s;
      };
      void poll();
      const timer = setInterval(() => void poll(), pollMs);
      timer.unref();
      return () => {
        clearInterval(timer);
        watcher?.close();
      };
    },
  };
}

export interface PolicyFollower {
  /** Reads the source now and applies what it holds (also what a change notification triggers). */
  reload(): Promise<void>;
  close(): void;
}

/**
 * Applies every change of `source` to `store`: notifications are coalesced for `debounceMs` (a rename arrives as
 * several events) and reloads never overlap; a notification during a reload causes one more reload after it.
 */
export function followPolicy(source: PolicySource, store: PolicyStore, debounceMs = 50): PolicyFollower {
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const readAndApply = async (): Promise<void> => {
    let text: string;
    try {
      text = await source.read();
    } catch (err) {
      store.readFailed(source.origin, (err as Error).message);
      return;
    }
    store.update(text, source.origin);
  };
  const reload = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await readAndApply();
      } while (again && !closed);
    })().finally(() => (running = undefined));
    return running;
  };
  const stop = source.watch(() => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
    timer.unref();
  });
  return {
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      stop();
    },
  };
}
