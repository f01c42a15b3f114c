import type { AuthError } from '../errors.js';
import type { DeferredRevocation } from './outbox.js';
import type { Session } from './session.js';

/**
 * What the sign-out journal's read of storage found beside the session held here (docs/sign-out.md
 * rows 26–27): this session refreshed elsewhere (its newer tokens are the ones to revoke), another
 * context's sign-in (a caller's `signOut()` covers it too), or nothing that changes the plan.
 */
export type JournalOutcome<S> = { kind: 'newerTokens'; newer: S } | { kind: 'othersSession' } | { kind: 'asHeld' };

export function journalOutcome<S extends StoredSession>(
  stored: S | null,
  held: StoredSession | null,
): JournalOutcome<S> {
  if (!stored || !held) return { kind: 'asHeld' };
  if (stored.sessionId !== held.sessionId) return { kind: 'othersSession' };
  return stored.refreshToken === held.refreshToken ? { kind: 'asHeld' } : { kind: 'newerTokens', newer: stored };
}

/**
 * A sign-out's clear, decided apart from doing it: `planClear` reads what storage holds and what
 * the sign-out did, and says what to keep for revocation and what to remove; `clearOutcome` says,
 * from what the clear then did, the one thing the chart goes on with. Both pure, tested alone
 * (test/clear-plan.test.ts); `SessionStore.clear` only carries them out. docs/sign-out.md rows
 * 12, 16a, 24–29 are the cases.
 */

/** A stored session, as far as the plan looks at it. */
export interface StoredSession {
  sessionId: string;
  refreshToken: string;
  /** A token waiting in the outbox for GlobalSignOut (another context's deferred global sign-out). */
  global?: boolean;
}

/** What a clear finds and what it is asked to do. Refresh tokens as strings (never logged). */
export interface ClearScene<S extends StoredSession = StoredSession> {
  /** The record storage holds: a session (its id and refresh token), `none`, or a record that does not parse. */
  stored: S | 'none' | 'unreadable';
  /** The session this sign-out signs out; `null`: none held here (clearing what storage holds, row 12). */
  sessionId: string | null;
  /** This device's refresh token, to keep in the outbox (`deferRevocation`: not revoked yet). */
  keepForRevocation?: DeferredRevocation | null | undefined;
  /** A sign-in cancelled or unsaved: its tokens may never have reached storage (row 25). */
  neverStored?: boolean | undefined;
  /** The refresh token this sign-out revoked (RevokeToken or GlobalSignOut done). */
  revoked?: string | null | undefined;
  /** The refresh token Cognito refused at a refresh (the sign-out of a rejected refresh, row 27). */
  refused?: string | null | undefined;
  /** This session with another refresh token waiting in the outbox (rotated elsewhere, kept by an offline sign-out). */
  waiting?: S | null | undefined;
  /** Refresh tokens earlier rounds of this sign-out revoked: never taken to revoke again (each round ends). */
  earlier?: readonly string[] | undefined;
}

export type ClearPlan<S extends StoredSession = StoredSession> =
  /**
   * Storage holds this session with a newer refresh token (another context rotated it), in its
   * record or in the outbox: revoke that first, remove nothing (row 27).
   */
  | { kind: 'revokeNewer'; newer: S }
  | {
      kind: 'clear';
      /** This device's token for the outbox, unless another context signed the session out or replaced it (`gone`). */
      keep: DeferredRevocation | null;
      /** Storage's newer token of this session, kept beside ours (it is kept for revocation too). */
      keepNewest: string | null;
      /** Another context's session (else the record, if any, is removed) is there (a newer sign-in, or this one refreshed elsewhere): left, and followed. */
      othersSession: boolean;
      /** A token to keep was asked for, but another context already took care of this session (row 16a). */
      gone: boolean;
    };

export function planClear<S extends StoredSession>(scene: ClearScene<S>): ClearPlan<S> {
  const { stored, sessionId, revoked, refused } = scene;
  const found = typeof stored === 'object' ? stored : null;
  const ours = found?.sessionId === sessionId;
  // A sign-in cancelled or unsaved may never have reached storage: its token is kept all the same.
  const gone = !ours && !(scene.neverStored && !found);
  const keep = gone ? null : (scene.keepForRevocation ?? null);
  const newest = ours && found ? found.refreshToken : null;
  const fresh = (t: string) => t !== revoked && !scene.earlier?.includes(t);
  if (newest && revoked && fresh(newest) && found) return { kind: 'revokeNewer', newer: found };
  const { waiting } = scene;
  if (revoked && waiting && fresh(waiting.refreshToken)) return { kind: 'revokeNewer', newer: waiting };
  return {
    kind: 'clear',
    keep,
    keepNewest: newest && keep && newest !== keep.refreshToken ? newest : null,
    // This context's token was refused because another context rotated it: that session lives on (row 27).
    othersSession: (!!newest && !!refused && newest !== refused) || (!!found && (sessionId === null || !ours)),
    gone: gone && !!scene.keepForRevocation,
  };
}

/** What the clear did beside removing keys; said in the sign-out's answer (docs/sign-out.md rows 23, 29). */
export interface ClearNotes {
  /** The outbox could not keep this device's token: it was not revoked. */
  outboxError?: AuthError;
  /** A token to keep was asked for, but another context took care of the session (row 16a). */
  gone?: true;
  /** The old layout's token beside the record went to the outbox, or could not (row 29). */
  oldLayout?: { deferred: true } | { deferred: false; error: AuthError };
}

/**
 * The one outcome of a clear, by the order the chart gives them: the newer tokens of this session
 * to revoke; a full outbox (said, never silently); another context's session to follow; the old
 * layout's token to revoke now; or simply cleared.
 */
export type ClearOutcome = ClearNotes &
  /** `global`: it waits for another context's deferred GlobalSignOut, which this sign-out runs. */
  (
    | { kind: 'newerTokens'; newer: Session; global?: true }
    /** A full outbox dropped that many older tokens to keep these. */
    | { kind: 'outboxFull'; dropped: number }
    | { kind: 'othersSession' }
    | { kind: 'oldLayoutKept' }
    | { kind: 'cleared' }
  );

export function clearOutcome(plan: ClearPlan & { kind: 'clear' }, notes: ClearNotes, dropped: number): ClearOutcome {
  const said = plan.gone ? { ...notes, gone: true as const } : notes;
  if (dropped > 0) return { ...said, kind: 'outboxFull', dropped };
  if (plan.othersSession) return { ...said, kind: 'othersSession' };
  return { ...said, kind: notes.oldLayout?.deferred ? 'oldLayoutKept' : 'cleared' };
}
