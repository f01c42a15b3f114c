import { AuthError } from '../errors.js';
import type { StorageWriteOptions, TokenStorage } from '../services/types.js';

/**
 * One storage call, its failure as `StorageFailure` (the cause kept, never the value). A non-string
 * value read back (another app's, a broken adapter) is made a string.
 *
 * @example
 * ```ts
 * const raw = await readKey(storage, 'authchart.client.session');
 * ```
 */
export async function readKey(storage: TokenStorage, key: string): Promise<string | null> {
  try {
    const raw = await storage.getItem(key);
    return typeof raw === 'string' ? raw : raw == null ? null : String(raw);
  } catch (cause) {
    throw new AuthError('StorageFailure', 'Could not read from storage', { cause });
  }
}

/**
 * `setItem`, its failure as `StorageFailure`. Given the fence of the lock section it is made in, the
 * storage gets it, and a fence already aborted (the lock was let go) refuses before calling it.
 */
export function writeKey(storage: TokenStorage, key: string, value: string, fence?: AbortSignal): Promise<void> {
  return write(fence, () => storage.setItem(key, value, { fence } as StorageWriteOptions));
}

/** `removeItem`, as {@link writeKey}. */
export function removeKey(storage: TokenStorage, key: string, fence?: AbortSignal): Promise<void> {
  return write(fence, () => storage.removeItem(key, { fence } as StorageWriteOptions));
}

async function write(fence: AbortSignal | undefined, call: () => void | Promise<void>): Promise<void> {
  if (fence?.aborted) throw new AuthError('StorageFailure', 'The storage lock was let go before this write');
  try {
    await call();
  } catch (cause) {
    throw new AuthError('StorageFailure', 'Could not write to storage', { cause });
  }
}

/**
 * `storage`, telling `note` of every `StorageCorrupt` a call reports. A file storage reports a
 * corrupt file once, to whichever call reads first (often the outbox's drain at start, which
 * swallows it): the store reports it at its next load instead, so it is never lost unsaid.
 */
export function noticingCorruption(storage: TokenStorage, note: (error: AuthError) => void): TokenStorage {
  return new NoticingStorage(storage, note);
}

/** What {@link noticingCorruption} answers: its methods on the prototype, not three closures per store. */
class NoticingStorage implements TokenStorage {
  readonly #storage: TokenStorage;
  readonly #note: (error: AuthError) => void;

  constructor(storage: TokenStorage, note: (error: AuthError) => void) {
    this.#storage = storage;
    this.#note = note;
  }

  getItem(key: string): Promise<string | null | undefined> {
    return this.#watch(() => this.#storage.getItem(key));
  }

  setItem(key: string, value: string, options?: StorageWriteOptions): Promise<void> {
    return this.#watch(() => this.#storage.setItem(key, value, options));
  }

  removeItem(key: string, options?: StorageWriteOptions): Promise<void> {
    return this.#watch(() => this.#storage.removeItem(key, options));
  }

  #watch<T>(call: () => T | Promise<T>): Promise<T> {
    return Promise.resolve()
      .then(call)
      .catch((error: unknown) => {
        if (error instanceof AuthError && error.code === 'StorageCorrupt') this.#note(error);
        throw error;
      });
  }
}
