import type { TokenStorage } from './types.js';

/** In-memory storage: the default. Tokens live as long as the process (or page). */
export function memoryStorage(initial?: Iterable<readonly [string, string]>): TokenStorage & {
  readonly size: number;
  keys(): string[];
} {
  return new MemoryStorage(new Map<string, string>(initial));
}

/**
 * What {@link memoryStorage} answers. The methods are own arrow functions (they may be taken off the
 * object); `size` is a getter on the prototype: an object literal with a getter is a dictionary in
 * V8, about 0.45 KB more for each instance that uses the default storage.
 */
class MemoryStorage implements TokenStorage {
  readonly getItem: (key: string) => string | null;
  readonly setItem: (key: string, value: string) => void;
  readonly removeItem: (key: string) => void;
  readonly keys: () => string[];
  readonly #map: Map<string, string>;

  constructor(map: Map<string, string>) {
    this.#map = map;
    this.getItem = (key) => map.get(key) ?? null;
    this.setItem = (key, value) => {
      map.set(key, value);
    };
    this.removeItem = (key) => {
      map.delete(key);
    };
    this.keys = () => [...map.keys()];
  }

  get size(): number {
    return this.#map.size;
  }
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
