import { AuthError } from '../errors.js';
import type { RedirectTransaction } from '../services/hosted-ui.js';
import type { TokenStorage } from '../services/types.js';
import {
  type ClearNotes,
  type ClearOutcome,
  clearOutcome,
  type JournalOutcome,
  journalOutcome,
  planClear,
  type StoredSession,
} from './clear-plan.js';
import { type FenceIo, fencedWrite } from './fence.js';
import {
  legacyFieldKeys,
  legacyKeys,
  legacyPointerKey,
  readLegacyRefreshTokens,
  readLegacySession,
} from './legacy-layout.js';
import { withStorageLock } from './lock.js';
import {
  type ClaimOptions,
  type DeferredRevocation,
  type OutboxClaim,
  RevocationOutbox,
  type RevocationOutboxOptions,
  type SettleOutcome,
} from './outbox.js';
import {
  journalToFinish,
  parseJournal,
  parseRecord,
  type SignOutJournal,
  serializeRecord,
  unhandledTokens,
} from './records.js';
import { unseal } from './sealed.js';
import { plannedForm, type Session, withWaitingToken } from './session.js';
import { noticingCorruption, readKey } from './storage-io.js';

export type LoadResult = (
  | { status: 'none' }
  | { status: 'found'; session: Session }
  | { status: 'invalid'; username: string | null; error: AuthError }
) & {
  /** A sign-out that started and never finished (the process died): finish it instead of restoring. */
  journal: SignOutJournal | null;
};

/** What a refresh's write found: its own record (written), or storage moved on without it. */
export type RefreshWrite = 'written' | 'notOurs';

/**
 * The storage layout, and the only code that touches storage.
 *
 * Keys, all under `authchart.<clientId>.`: `session` (the whole session, one JSON record with its
 * id: written and removed in one storage call, so no crash or fault leaves half of it),
 * `signOutJournal`, `redirectTransaction` (a hosted-UI sign-in under way) and the outbox
 * (`outbox.ts`). The layout before it (`lastAuthUser` and `<username>.<field>` keys) is read once
 * and migrated.
 *
 * Every operation holds the storage's lock, so operations of every context run one at a time
 * and a compare-then-write sees no other write in between.
 */
export class SessionStore {
  readonly prefix: string;
  /** The deferred-revocation outbox. Its `…Held` methods run inside this store's lock. */
  readonly outbox: RevocationOutbox;
  readonly #lockName: string;
  readonly #holdMs: number;
  /** What a late write's undo needs (`fence.ts`). */
  readonly #fenceIo: FenceIo;
  /** A `StorageCorrupt` another operation saw (and swallowed): the next load reports it. */
  #corrupt: AuthError | null = null;

  constructor(
    private readonly storage: TokenStorage,
    clientId: string,
    options: { holdMs?: number; outbox?: RevocationOutboxOptions; undone?: () => void } = {},
  ) {
    this.prefix = `authchart.${clientId}.`;
    this.#lockName = `authchart.${clientId}`;
    this.#holdMs = options.holdMs ?? 10_000;
    this.#fenceIo = { storage, lockName: this.#lockName, holdMs: this.#holdMs, undone: options.undone };
    const noted = noticingCorruption(storage, (error) => {
      this.#corrupt ??= error;
    });
    this.outbox = new RevocationOutbox(noted, this.prefix, options.outbox);
  }

  get sessionKey(): string {
    return `${this.prefix}session`;
  }

  get journalKey(): string {
    return `${this.prefix}signOutJournal`;
  }

  /** A redirect sign-in in progress (the PKCE verifier is a secret): removed when the redirect is handled. */
  get redirectKey(): string {
    return `${this.prefix}redirectTransaction`;
  }

  /**
   * One operation at a time across every context of this storage (see `withStorageLock`). `op`
   * passes the section's fence to every write it makes: a write that outlives the lock must not land.
   */
  #locked<T>(op: (fence: AbortSignal) => Promise<T>, cancel?: AbortSignal): Promise<T> {
    return withStorageLock(this.storage, this.#lockName, this.#holdMs, op, cancel);
  }

  load(): Promise<LoadResult> {
    return this.#locked(async (fence) => {
      let journal = parseJournal(await this.#get(this.journalKey));
      await this.outbox.dropCorruptHeld(fence);
      const raw = await this.#get(this.sessionKey);
      // The tokens a corrupt storage held are gone: said once, at the load after it was seen (storage.md).
      const corrupt = this.#corrupt;
      this.#corrupt = null;
      if (raw !== null) {
        const record = parseRecord(raw);
        const finish = journalToFinish(journal, record.status === 'found' ? record.session.sessionId : null);
        if (journal && !finish) {
          // Another session's sign-out (row 16a): its record is gone, its token was revoked or put
          // in the outbox by whoever replaced it, and this start's drain revokes it. Only its
          // journal is left to finish; the newer record is restored, untouched.
          await this.#remove([this.journalKey], fence);
          journal = null;
        }
        if (record.status === 'found') await this.#retireOldLayout(record.session, fence);
        return record.status === 'found' ? { ...record, journal } : { ...record, username: null, journal };
      }
      const legacy = await readLegacySession(this.#legacyIo());
      if (legacy.status === 'none' && corrupt) {
        const error = new AuthError('StorageFailure', 'The stored session was lost: storage was corrupt', {
          cause: corrupt,
        });
        return { status: 'invalid', username: null, error, journal };
      }
      if (legacy.status !== 'found') return { ...legacy, journal };
      // Migrate: the record first, then the old keys (a crash between leaves both; the record wins).
      await this.#set(this.sessionKey, serializeRecord(legacy.session), fence);
      // The pointer goes last, and only once every field went: a clear looks where it points (row 29).
      await this.#remove(legacyFieldKeys(this.prefix, legacy.session.username), fence)
        .then(() => this.#remove([legacyPointerKey(this.prefix)], fence))
        .catch(() => undefined);
      return { status: 'found', session: legacy.session, journal };
    });
  }

  /**
   * Saves a new sign-in in one write: the latest sign-in wins. A different session found there
   * (another context's sign-in, or a crash's leftover) is not left valid: its refresh token goes
   * to the outbox, to be revoked. Answers whether that happened.
   */
  save(session: Session, cancel?: AbortSignal): Promise<{ superseded: boolean; dropped?: number }> {
    return this.#locked(async (fence) => {
      const previous = parseRecord(await this.#get(this.sessionKey));
      let superseded = false;
      let dropped = 0;
      if (previous.status === 'found' && previous.session.sessionId !== session.sessionId) {
        const old = unseal(previous.session.tokens).refreshToken;
        if (old !== unseal(session.tokens).refreshToken) {
          // A full outbox drops its oldest token to keep this one: said, never silently (storage.md).
          const replaced = previous.session.sessionId;
          ({ dropped } = await this.outbox.addHeld({ refreshToken: old, global: false, sessionId: replaced }, fence));
          superseded = true;
        }
      }
      await this.#set(this.sessionKey, serializeRecord(session), fence);
      return dropped > 0 ? { superseded, dropped } : { superseded };
    }, cancel);
  }

  /** A refresh's tokens: written only over its own record, so a write never brings back a signed-out session. */
  saveRefreshed(session: Session): Promise<RefreshWrite> {
    return this.#locked(async (fence) => {
      const stored = parseRecord(await this.#get(this.sessionKey));
      if (stored.status !== 'found' || stored.session.sessionId !== session.sessionId) return 'notOurs';
      await this.#set(this.sessionKey, serializeRecord(session), fence);
      return 'written';
    });
  }

  writeRedirect(transaction: RedirectTransaction): Promise<void> {
    return this.#locked((fence) => this.#set(this.redirectKey, JSON.stringify(transaction), fence));
  }

  /** Reads and removes the redirect transaction: a code is exchanged once, whatever happens. */
  takeRedirect(): Promise<RedirectTransaction | null> {
    return this.#locked(async (fence) => {
      const raw = await this.#get(this.redirectKey);
      if (raw === null) return null;
      await this.#remove([this.redirectKey], fence);
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

  /** Writes the journal, then says what storage holds beside `held` (`journalOutcome`, `clear-plan.ts`). */
  writeJournal(journal: SignOutJournal, held?: Session | null): Promise<JournalOutcome<Session>> {
    return this.#locked(async (fence) => {
      await this.#set(this.journalKey, JSON.stringify(journal), fence);
      if (!held) return { kind: 'asHeld' };
      const record = parseRecord(await this.#get(this.sessionKey).catch(() => null));
      const stored = record.status === 'found' ? plannedForm(record.session) : null;
      const outcome = journalOutcome(stored, plannedForm(held));
      return outcome.kind === 'newerTokens' ? { kind: 'newerTokens', newer: outcome.newer.session } : outcome;
    });
  }

  /**
   * Removes the session record if it is still `sessionId`'s (with `null`: if it holds no valid
   * session of someone else), the old layout's keys, the redirect transaction, then the journal;
   * with `keepForRevocation`, that refresh token goes to the outbox first. What to keep and remove
   * is `planClear`'s call, the answer `clearOutcome`'s (`clear-plan.ts`). A full or failing outbox
   * never stops the clear; a clear that fails part-way keeps its journal.
   */
  clear(
    target: { sessionId: string | null; username: string | null },
    options: {
      keepForRevocation?: DeferredRevocation | null;
      neverStored?: boolean;
      /** The refresh token this sign-out revoked, with `held`: the session it was revoked as. */
      revoked?: string | null;
      held?: Session | null;
      /** `revoked` by GlobalSignOut: every token of this session is dead. */
      globally?: boolean;
      /** Refresh tokens earlier rounds of this sign-out revoked: never taken to revoke again. */
      earlier?: readonly string[];
      refused?: string | null;
    } = {},
    cancel?: AbortSignal,
  ): Promise<ClearOutcome> {
    return this.#locked(async (fence) => {
      const raw = await this.#get(this.sessionKey);
      const record = parseRecord(raw);
      const stored =
        record.status === 'found'
          ? { ...record, sessionId: record.session.sessionId, refreshToken: unseal(record.session.tokens).refreshToken }
          : raw === null
            ? ('none' as const)
            : ('unreadable' as const);
      const storedToken = typeof stored === 'object' ? stored.refreshToken : null;
      const { sessionId } = target;
      const { held, earlier, ...asked } = options;
      const revoked = options.revoked ?? null;
      // Revoked here: a copy another context deferred (offline) has nothing left to wait for, and
      // another token of this session kept there (rotated elsewhere) is this sign-out's to revoke.
      const done = revoked ? [revoked, ...(options.earlier ?? [])] : [];
      const other = revoked
        ? await this.outbox.settleRevokedHeld(done, sessionId, options.globally, fence).catch(() => null)
        : null;
      const waiting = held && other ? { ...withWaitingToken(held, other.refreshToken), global: other.global } : null;
      const plan = planClear<StoredSession & { session: Session }>({ ...asked, stored, sessionId, waiting, earlier });
      if (plan.kind === 'revokeNewer') {
        const { session: newer, global } = plan.newer;
        return global ? { kind: 'newerTokens', newer, global } : { kind: 'newerTokens', newer };
      }
      const notes: ClearNotes = {};
      let dropped = 0;
      if (plan.keep) {
        try {
          ({ dropped } = await this.outbox.addHeld({ ...plan.keep, sessionId: sessionId ?? undefined }, fence));
        } catch (error) {
          notes.outboxError = asStorageFailure(error);
        }
      }
      if (plan.keepNewest) {
        const newest = { refreshToken: plan.keepNewest, global: false, sessionId: sessionId ?? undefined };
        await this.outbox.addHeld(newest, fence).catch(() => undefined);
      }
      const keys = raw !== null && !plan.othersSession ? [this.sessionKey] : [];
      // The old layout, only where its pointer is still there (a migration cut short).
      const pointed = await this.#get(legacyPointerKey(this.prefix)).catch(() => null);
      if (pointed) {
        keys.push(...legacyKeys(this.prefix, target.username), ...legacyKeys(this.prefix, pointed));
        // Beside a record or alone (a migration not done yet), a token there that this clear
        // neither revokes nor keeps is a session of its own: kept for revocation first (row 29).
        const kept = await this.#keepOldLayoutTokens(
          [target.username, pointed],
          [options.keepForRevocation?.refreshToken, revoked, storedToken],
          fence,
        );
        dropped += kept.dropped;
        if (kept.oldLayout) notes.oldLayout = kept.oldLayout;
      }
      await this.#remove([...new Set(keys), this.redirectKey, this.journalKey], fence);
      return clearOutcome(plan, notes, dropped);
    }, cancel);
  }

  /** Claims the outbox entries a drain will try: across contexts, each token is tried by one. */
  claimOutbox(options: ClaimOptions): Promise<OutboxClaim> {
    return this.#locked((fence) => this.outbox.claimHeld(options, fence));
  }

  /** A drain's refresh rotated a claimed token: the new one replaces it (`RevocationOutbox.replaceHeld`). */
  replaceInOutbox(claimed: { slots: readonly number[]; refreshToken: string }, newest: string): Promise<number> {
    return this.#locked((fence) => this.outbox.replaceHeld(claimed, newest, fence));
  }

  /** Removes what a drain settled and lets go of its claims on the rest. */
  settleOutbox(outcome: SettleOutcome): Promise<void> {
    return this.#locked((fence) => this.outbox.settleHeld(outcome, fence));
  }

  /**
   * Beside a record, the old layout's refresh tokens are sessions of their own: each one this
   * operation does not otherwise handle is kept for revocation before its keys go, never removed
   * unrevoked (docs/sign-out.md row 29).
   */
  async #keepOldLayoutTokens(
    usernames: (string | null)[],
    handled: (string | null | undefined)[],
    fence: AbortSignal,
  ): Promise<{ dropped: number; oldLayout?: ClearNotes['oldLayout'] }> {
    let dropped = 0;
    const leftover = unhandledTokens(await readLegacyRefreshTokens(this.#legacyIo(), usernames), handled);
    if (leftover.length === 0) return { dropped };
    try {
      for (const refreshToken of leftover)
        dropped += (await this.outbox.addHeld({ refreshToken, global: false }, fence)).dropped;
      return { dropped, oldLayout: { deferred: true } };
    } catch (error) {
      // As a sign-out's own token (row 23): the clear goes on, and the answer says nothing waits.
      return { dropped, oldLayout: { deferred: false, error: asStorageFailure(error) } };
    }
  }

  /**
   * A record beside the old layout's pointer: a migration whose key removals were fenced off after
   * a newer sign-in replaced its record. Its token goes to the outbox, then its keys (fields, then
   * the pointer); if the outbox cannot keep it, they stay where a clear looks (row 29).
   */
  async #retireOldLayout(stored: Session, fence: AbortSignal): Promise<void> {
    const pointed = await this.#get(legacyPointerKey(this.prefix)).catch(() => null);
    if (!pointed) return;
    const { oldLayout } = await this.#keepOldLayoutTokens([pointed], [unseal(stored.tokens).refreshToken], fence);
    if (oldLayout?.deferred === false) return;
    await this.#remove(legacyFieldKeys(this.prefix, pointed), fence)
      .then(() => this.#remove([legacyPointerKey(this.prefix)], fence))
      .catch(() => undefined);
  }

  #legacyIo() {
    return { prefix: this.prefix, get: (key: string) => this.#get(key) };
  }

  /**
   * Removes `keys`, trying every one. Throws if a key that may hold a token stayed; the redirect
   * transaction and the journal (no session token) only keep the journal, for the next call or start.
   */
  async #remove(keys: string[], fence: AbortSignal): Promise<void> {
    // The journal goes last, and only if everything else went: the next call or start finishes the rest.
    const ordered = [...keys.filter((k) => k !== this.journalKey), ...keys.filter((k) => k === this.journalKey)];
    const failures: unknown[] = [];
    let tokensLeft = false;
    for (const key of ordered) {
      if (key === this.journalKey && failures.length > 0) continue;
      try {
        await fencedWrite(this.#fenceIo, key, null, fence);
      } catch (error) {
        failures.push(error);
        if (key !== this.journalKey && (key !== this.redirectKey || ordered.length === 1)) tokensLeft = true;
      }
    }
    if (tokensLeft) {
      throw new AuthError('StorageFailure', `Could not remove ${failures.length} of ${ordered.length} stored keys`, {
        cause: failures.length === 1 ? failures[0] : new AggregateError(failures),
      });
    }
  }

  #get(key: string): Promise<string | null> {
    return readKey(this.storage, key);
  }

  #set(key: string, value: string, fence: AbortSignal): Promise<void> {
    return fencedWrite(this.#fenceIo, key, value, fence);
  }
}

function asStorageFailure(error: unknown): AuthError {
  return error instanceof AuthError
    ? error
    : new AuthError('StorageFailure', 'Could not keep the refresh token for later', { cause: error });
}
