/**
 * A storage driver that forwards to another and records every call (method and path), so a test can assert how
 * much storage work one request did.
 */
import type { StorageDriver } from '../../src/registry/storage/driver.js';

export interface StorageCall {
  method: string;
  path: string;
}

/** Wraps `inner`; `calls` grows with every driver call made through the wrapper. */
export function countingDriver(inner: StorageDriver): { driver: StorageDriver; calls: StorageCall[] } {
  const calls: StorageCall[] = [];
  const driver = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push({ method: String(key), path: typeof args[0] === 'string' ? args[0] : '' });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { driver, calls };
}
