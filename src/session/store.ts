import { AuthError } from '../errors.js';
import type { TokenStorage, Tokens } from '../services/types.js';
import { unseal } from './sealed.js';
import { type Session, type SignedInWith, sessionFromTokens } from './session.js';

const TOKEN_FIELDS = ['accessToken', 'idToken', 'refreshToken'] as const;
const USER_FIELDS = [...TOKEN_FIELDS, 'signedInWith'] as const;

export type LoadResult =
  | { status: 'none' }
  | { status: 'found'; session: Session }
  | { status: 'invalid'; username: string | null; error: AuthError };

/**
 * The storage layout, and the only code that touches storage.
 *
 * Keys: `authchart.<clientId>.lastAuthUser` and `authchart.<clientId>.<username>.<field>`.
 * Clearing removes exactly those keys, never anything else in the storage.
 *
 * Every operation runs on one queue, so a write that started before a sign-out always lands
 * before that sign-out's clear: a late token refresh can never write tokens back.
 */
export class SessionStore {
  readonly prefix: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly storage: TokenStorage,
    clientId: string,
  ) {
    this.prefix = `authchart.${clientId}.`;
  }

  get lastUserKey(): string {
    return `${this.prefix}lastAuthUser`;
  }

  /** Every key authchart may write for this user (and the client's last-user pointer). */
  keysFor(username: string): string[] {
    return [...USER_FIELDS.map((f) => `${this.prefix}${username}.${f}`), this.lastUserKey];
  }

  isOwnKey(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op, op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  load(): Promise<LoadResult> {
    return this.#enqueue(async () => {
      const username = await this.#get(this.lastUserKey);
      if (!username) return { status: 'none' };
      const [accessToken, idToken, refreshToken, signedInWith] = await Promise.all(
        USER_FIELDS.map((f) => this.#get(`${this.prefix}${username}.${f}`)),
      );
      try {
        const session = sessionFromTokens(
          { accessToken: accessToken ?? '', idToken: idToken ?? '', refreshToken: refreshToken ?? '' },
          signedInWith === 'hostedUI' ? 'hostedUI' : 'password',
        );
        return { status: 'found', session };
      } catch (error) {
        return { status: 'invalid', username, error: error as AuthError };
      }
    });
  }

  /** Writes the user's tokens, then the last-user pointer (the commit mark read by `load`). */
  save(session: Session): Promise<void> {
    return this.#enqueue(async () => {
      // One user at a time: a different user's leftovers (e.g. from a crash) go first.
      const previous = await this.#get(this.lastUserKey);
      if (previous && previous !== session.username) await this.#remove(this.keysFor(previous));
      const tokens: Tokens = unseal(session.tokens);
      for (const f of TOKEN_FIELDS) await this.#set(`${this.prefix}${session.username}.${f}`, tokens[f]);
      await this.#set(`${this.prefix}${session.username}.signedInWith`, session.signedInWith satisfies SignedInWith);
      await this.#set(this.lastUserKey, session.username);
    });
  }

  /** Removes every key of `username` (or of whoever the pointer names). Tries every key even if one fails. */
  clear(username: string | null): Promise<void> {
    return this.#enqueue(async () => {
      const users = new Set<string>();
      if (username) users.add(username);
      const pointed = await this.#get(this.lastUserKey).catch(() => null);
      if (pointed) users.add(pointed);
      const keys = new Set<string>([this.lastUserKey]);
      for (const u of users) for (const k of this.keysFor(u)) keys.add(k);
      await this.#remove([...keys]);
    });
  }

  async #remove(keys: string[]): Promise<void> {
    // Tokens first, the pointer last: a half-finished clear still reads back as "invalid", never as a session.
    const ordered = [...keys.filter((k) => k !== this.lastUserKey), ...keys.filter((k) => k === this.lastUserKey)];
    const failures: unknown[] = [];
    for (const key of ordered) {
      try {
        await this.storage.removeItem(key);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AuthError('StorageFailure', `Could not remove ${failures.length} of ${ordered.length} stored keys`, {
        cause: failures.length === 1 ? failures[0] : new AggregateError(failures),
      });
    }
  }

  async #get(key: string): Promise<string | null> {
    try {
      return (await this.storage.getItem(key)) ?? null;
    } catch (cause) {
      throw new AuthError('StorageFailure', 'Could not read from storage', { cause });
    }
  }

  async #set(key: string, value: string): Promise<void> {
    try {
      await this.storage.setItem(key, value);
    } catch (cause) {
      throw new AuthError('StorageFailure', 'Could not write to storage', { cause });
    }
  }
}
