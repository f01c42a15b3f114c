import type { TokenStorage } from './types.js';

/** In-memory storage: the default. Tokens live as long as the process (or page). */
export function memoryStorage(initial?: Iterable<readonly [string, string]>): TokenStorage & {
  readonly size: number;
  keys(): string[];
} {
  const map = new Map<string, string>(initial);
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => {
      map.set(key, value);
    },
    removeItem: (key) => {
      map.delete(key);
    },
    get size() {
      return map.size;
    },
    keys: () => [...map.keys()],
  };
}

/** The subset of the DOM `Storage` interface authchart uses. */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Adapter for `localStorage` / `sessionStorage`. Passed explicitly so the core never touches
 * `window`; quota and security errors surface as `StorageFailure` results.
 */
export function webStorage(storage: WebStorageLike): TokenStorage {
  return {
    getItem: (key) => storage.getItem(key),
    setItem: (key, value) => storage.setItem(key, value),
    removeItem: (key) => storage.removeItem(key),
  };
}
