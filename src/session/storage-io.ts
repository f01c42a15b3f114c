import { AuthError } from '../errors.js';
import type { TokenStorage } from '../services/types.js';

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

/** `setItem`, its failure as `StorageFailure`. */
export async function writeKey(storage: TokenStorage, key: string, value: string): Promise<void> {
  try {
    await storage.setItem(key, value);
  } catch (cause) {
    throw new AuthError('StorageFailure', 'Could not write to storage', { cause });
  }
}

/** `removeItem`, its failure as `StorageFailure`. */
export async function removeKey(storage: TokenStorage, key: string): Promise<void> {
  try {
    await storage.removeItem(key);
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

  setItem(key: string, value: string): Promise<void> {
    return this.#watch(() => this.#storage.setItem(key, value));
  }

  removeItem(key: string): Promise<void> {
    return this.#watch(() => this.#storage.removeItem(key));
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
