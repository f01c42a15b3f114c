import { AuthError } from '../errors.js';
import type { RedirectTransaction } from '../services/hosted-ui.js';
import type { TokenStorage, Tokens } from '../services/types.js';
import { withStorageLock } from './lock.js';
import { type DeferredRevocation, RevocationOutbox } from './outbox.js';
import { unseal } from './sealed.js';
import { type Session, type SignedInWith, sessionFromTokens } from './session.js';

const TOKEN_FIELDS = ['accessToken', 'idToken', 'refreshToken'] as const;
const USER_FIELDS = [...TOKEN_FIELDS, 'signedInWith'] as const;

/** Written before a sign-out's first remote step; read at start to finish an interrupted one. No token. */
export interface SignOutJournal {
  scope: 'local' | 'global';
  startedAt: number;
  username: string | null;
}

export type LoadResult = (
  | { status: 'none' }
  | { status: 'found'; session: Session }
  | { status: 'invalid'; username: string | null; error: AuthError }
) & {
  /** A sign-out that started and never finished (the process died): finish it instead of restoring. */
  journal: SignOutJournal | null;
};

/**
 * The storage layout, and the only code that touches storage.
 *
 * Keys, all under `authchart.<clientId>.`: `lastAuthUser`, `<username>.{accessToken,idToken,
 * refreshToken,signedInWith}`, `signOutJournal`, `redirectTransaction` (a hosted-UI sign-in under way) and the outbox (`outbox.ts`). Clearing removes exactly the session's keys and the journal, never anything
 * else in the storage.
 *
 * Every operation holds the storage's lock, so operations of every context run one at a time
 * and a compare-then-write sees no other write in between.
 */
export type { DeferredRevocation } from './outbox.js';

export class SessionStore {
  readonly prefix: string;
  readonly #lockName: string;
  readonly #holdMs: number;

  constructor(
    private readonly storage: TokenStorage,
    clientId: string,
    options: { holdMs?: number } = {},
  ) {
    this.prefix = `authchart.${clientId}.`;
    this.#lockName = `authchart.${clientId}`;
    this.#holdMs = options.holdMs ?? 10_000;
    this.outbox = new RevocationOutbox(storage, this.prefix);
  }

  /** The deferred-revocation outbox. Its `…Held` methods run inside this store's lock. */
  readonly outbox: RevocationOutbox;

  get lastUserKey(): string {
    return `${this.prefix}lastAuthUser`;
  }

  get journalKey(): string {
    return `${this.prefix}signOutJournal`;
  }

  /** A redirect sign-in in progress (the PKCE verifier is a secret): removed when the redirect is handled. */
  get redirectKey(): string {
    return `${this.prefix}redirectTransaction`;
  }

  /** Every key authchart may write for this user (and the client's last-user pointer). */
  keysFor(username: string): string[] {
    return [...USER_FIELDS.map((f) => `${this.prefix}${username}.${f}`), this.lastUserKey];
  }

  /** One operation at a time across every context of this storage (see `withStorageLock`). */
  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    return withStorageLock(this.storage, this.#lockName, this.#holdMs, op);
  }

  load(): Promise<LoadResult> {
    return this.#enqueue(async () => {
      const journal = parseJournal(await this.#get(this.journalKey));
      await this.outbox.dropCorruptHeld();
      const username = await this.#get(this.lastUserKey);
      if (!username) return { status: 'none', journal };
      const [accessToken, idToken, refreshToken, signedInWith] = await Promise.all(
        USER_FIELDS.map((f) => this.#get(`${this.prefix}${username}.${f}`)),
      );
      if (signedInWith !== 'password' && signedInWith !== 'hostedUI') {
        await this.#dropCorrupt(`${this.prefix}${username}.signedInWith`, () => false);
      }
      try {
        const session = sessionFromTokens(
          { accessToken: accessToken ?? '', idToken: idToken ?? '', refreshToken: refreshToken ?? '' },
          signedInWith === 'hostedUI' ? 'hostedUI' : 'password',
        );
        return { status: 'found', session, journal };
      } catch (error) {
        return { status: 'invalid', username, error: error as AuthError, journal };
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

  writeRedirect(transaction: RedirectTransaction): Promise<void> {
    return this.#enqueue(() => this.#set(this.redirectKey, JSON.stringify(transaction)));
  }

  /** Reads and removes the redirect transaction: a code is exchanged once, whatever happens. */
  takeRedirect(): Promise<RedirectTransaction | null> {
    return this.#enqueue(async () => {
      const raw = await this.#get(this.redirectKey);
      if (raw === null) return null;
      await this.#remove([this.redirectKey]);
      try {
        const tx = JSON.parse(raw) as Partial<RedirectTransaction>;
        const fields = ['state', 'codeVerifier', 'nonce', 'redirectUri'] as const;
        if (fields.some((f) => typeof tx[f] !== 'string') || typeof tx.createdAt !== 'number') return null;
        return tx as RedirectTransaction;
      } catch {
        return null;
      }
    });
  }

  writeJournal(journal: SignOutJournal): Promise<void> {
    return this.#enqueue(() => this.#set(this.journalKey, JSON.stringify(journal)));
  }

  /**
   * Removes every key of `username` (and of whoever the pointer names), then the journal. Tries
   * every key even if one fails. With `keepForRevocation`, that refresh token goes to the outbox first.
   */
  clear(
    username: string | null,
    options: { keepForRevocation?: DeferredRevocation | null } = {},
  ): Promise<{ outboxError?: AuthError }> {
    return this.#enqueue(async () => {
      const keep = options.keepForRevocation;
      let outboxError: AuthError | undefined;
      if (keep) {
        // A full or failing storage must not keep the user from signing out: the clear goes on.
        try {
          await this.outbox.addHeld(keep);
        } catch (error) {
          outboxError =
            error instanceof AuthError
              ? error
              : new AuthError('StorageFailure', 'Could not keep the refresh token for later', { cause: error });
        }
      }
      const users = new Set<string>();
      if (username) users.add(username);
      const pointed = await this.#get(this.lastUserKey).catch(() => null);
      if (pointed) users.add(pointed);
      const keys = new Set<string>([this.lastUserKey]);
      for (const u of users) for (const k of this.keysFor(u)) keys.add(k);
      await this.#remove([...keys, this.redirectKey, this.journalKey]);
      return outboxError ? { outboxError } : {};
    });
  }

  /** The refresh tokens waiting for a deferred RevokeToken (and, for `global` ones, GlobalSignOut first). */
  readOutbox(): Promise<DeferredRevocation[]> {
    return this.#enqueue(() => this.outbox.readHeld());
  }

  /** Drops these tokens from the outbox (revoked, or refused for good). */
  settleOutbox(done: readonly string[]): Promise<void> {
    return this.#enqueue(() => this.outbox.settleHeld(done));
  }

  /**
   * Removes a key of ours whose value is unusable (the journal is left to the interrupted sign-out it
   * means, token keys to the chart's discard of an invalid session). Best effort: never fails a restore.
   */
  async #dropCorrupt(key: string, usable: (raw: string) => boolean): Promise<void> {
    try {
      const raw = await this.storage.getItem(key);
      if (raw !== null && raw !== undefined && !(typeof raw === 'string' && usable(raw))) {
        await this.storage.removeItem(key);
      }
    } catch {
      // A failing storage is reported by the reads that matter.
    }
  }

  async #remove(keys: string[]): Promise<void> {
    // Tokens first, then the pointer, then the journal: a half-finished clear reads back as
    // "invalid" (never as a session), and an interrupted sign-out is still found and finished.
    const rank = (k: string) => (k === this.journalKey ? 2 : k === this.lastUserKey ? 1 : 0);
    const ordered = [...keys].sort((a, b) => rank(a) - rank(b));
    const failures: unknown[] = [];
    for (const key of ordered) {
      // A clear that left something behind keeps its journal: the next call or start finishes it.
      if (key === this.journalKey && failures.length > 0) continue;
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

function parseJournal(raw: string | null): SignOutJournal | null {
  if (!raw) return null;
  try {
    const j = JSON.parse(raw) as Partial<SignOutJournal>;
    return {
      scope: j.scope === 'global' ? 'global' : 'local',
      startedAt: typeof j.startedAt === 'number' ? j.startedAt : 0,
      username: typeof j.username === 'string' ? j.username : null,
    };
  } catch {
    // A torn journal still means a sign-out was under way: finish it, locally.
    return { scope: 'local', startedAt: 0, username: null };
  }
}
