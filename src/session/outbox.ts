import { AuthError } from '../errors.js';
import type { TokenStorage } from '../services/types.js';

/** A refresh token kept by `deferRevocation`: revoke it, after GlobalSignOut when `global`. */
export interface DeferredRevocation {
  refreshToken: string;
  global: boolean;
}

/**
 * The deferred-revocation outbox: refresh tokens a sign-out could not revoke. Its methods named
 * `…Held` expect the caller to hold the storage lock (`SessionStore` does).
 *
 * Layout: `<prefix>revocationOutbox`, a JSON array of refresh tokens (revoke only) and
 * `{ refreshToken, global: true }` entries.
 */
export class RevocationOutbox {
  readonly key: string;

  constructor(
    private readonly storage: TokenStorage,
    prefix: string,
  ) {
    this.key = `${prefix}revocationOutbox`;
  }

  /** Adds one entry (the same token once). */
  async addHeld(entry: DeferredRevocation): Promise<void> {
    const entries = (await this.readHeld()).filter((e) => e.refreshToken !== entry.refreshToken);
    entries.push(entry);
    await this.#set(serializeOutbox(entries));
  }

  async readHeld(): Promise<DeferredRevocation[]> {
    const raw = await this.#get();
    return (raw && parseOutbox(raw)) || [];
  }

  /** Drops these tokens (revoked, or refused for good); removes the key when empty. */
  async settleHeld(done: readonly string[]): Promise<void> {
    const left = (await this.readHeld()).filter((e) => !done.includes(e.refreshToken));
    if (left.length > 0) return this.#set(serializeOutbox(left));
    try {
      await this.storage.removeItem(this.key);
    } catch (cause) {
      throw new AuthError('StorageFailure', 'Could not write to storage', { cause });
    }
  }

  /** Removes an unreadable outbox value. Best effort: never fails a restore. */
  async dropCorruptHeld(): Promise<void> {
    try {
      const raw = await this.storage.getItem(this.key);
      if (raw !== null && raw !== undefined && !(typeof raw === 'string' && parseOutbox(raw) !== null)) {
        await this.storage.removeItem(this.key);
      }
    } catch {
      // A failing storage is reported by the reads that matter.
    }
  }

  async #get(): Promise<string | null> {
    try {
      return (await this.storage.getItem(this.key)) ?? null;
    } catch (cause) {
      throw new AuthError('StorageFailure', 'Could not read from storage', { cause });
    }
  }

  async #set(value: string): Promise<void> {
    try {
      await this.storage.setItem(this.key, value);
    } catch (cause) {
      throw new AuthError('StorageFailure', 'Could not write to storage', { cause });
    }
  }
}

/** The outbox key: a JSON array of refresh tokens (revoke only) and `{ refreshToken, global: true }` entries. */
function parseOutbox(raw: string): DeferredRevocation[] | null {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return null;
    const entries: DeferredRevocation[] = [];
    for (const e of parsed) {
      if (typeof e === 'string') entries.push({ refreshToken: e, global: false });
      else if (e && typeof e === 'object' && typeof (e as DeferredRevocation).refreshToken === 'string') {
        entries.push({
          refreshToken: (e as DeferredRevocation).refreshToken,
          global: (e as DeferredRevocation).global === true,
        });
      } else return null;
    }
    return entries;
  } catch {
    return null;
  }
}

function serializeOutbox(entries: readonly DeferredRevocation[]): string {
  return JSON.stringify(
    entries.map((e) => (e.global ? { refreshToken: e.refreshToken, global: true } : e.refreshToken)),
  );
}
