import { AuthError } from '../errors.js';
import { unseal } from './sealed.js';
import { type Session, type SignedInWith, sessionFromTokens } from './session.js';

/**
 * The stored forms of the session record and the sign-out journal, and the pure decisions the store
 * makes on them (see docs/storage.md, "What authchart keeps, and how contexts share it").
 */

/** Written before a sign-out's first step; read at start to finish an interrupted one. No token. */
export interface SignOutJournal {
  scope: 'local' | 'global';
  startedAt: number;
  username: string | null;
  /** The session being signed out: the clear that finishes it removes only that record. */
  sessionId?: string | null;
  /** DeleteUser succeeded: finishing this clear revokes nothing (docs/sign-out.md, "Deleting the user"). */
  deleted?: true | undefined;
}

/** The `session` record: the tokens, how the session began, and its id. */
interface SessionRecord {
  v: 1;
  id: string;
  signedInWith: SignedInWith;
  accessToken: string;
  idToken: string;
  refreshToken: string;
}

/** Characters `JSON.stringify` escapes in a string: quote, backslash, controls, and (if lone) surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what JSON escapes
const JSON_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * The record as `JSON.stringify` writes it (same keys, same order, same text). When no value needs
 * escaping (a JWT never does) it is joined with `+` from the template's constant parts and the
 * session's own strings: the record then shares the token strings instead of holding a copy of
 * them (about 4 KB per instance where storage keeps the string itself, as `memoryStorage` does).
 */
export function serializeRecord(session: Session): string {
  const { accessToken, idToken, refreshToken } = unseal(session.tokens);
  const { sessionId: id, signedInWith } = session;
  const values: unknown[] = [id, signedInWith, accessToken, idToken, refreshToken];
  if (values.some((v) => typeof v !== 'string' || JSON_ESCAPED.test(v))) {
    const record: SessionRecord = { v: 1, id, signedInWith, accessToken, idToken, refreshToken };
    return JSON.stringify(record);
  }
  return `{"v":1,"id":"${id}","signedInWith":"${signedInWith}","accessToken":"${accessToken}","idToken":"${idToken}","refreshToken":"${refreshToken}"}`;
}

type Parsed = { status: 'found'; session: Session } | { status: 'invalid'; error: AuthError };

/** The record in `raw`; `none` for no record (no error is built: most reads find none). */
export function parseRecord(raw: string): Parsed;
export function parseRecord(raw: string | null): Parsed | { status: 'none' };
export function parseRecord(raw: string | null): Parsed | { status: 'none' } {
  if (raw === null) return { status: 'none' };
  try {
    const r = JSON.parse(raw) as Partial<SessionRecord>;
    if (typeof r !== 'object' || r === null || typeof r.id !== 'string') throw new Error('not a session record');
    const tokens = { accessToken: r.accessToken ?? '', idToken: r.idToken ?? '', refreshToken: r.refreshToken ?? '' };
    const how = r.signedInWith === 'hostedUI' ? 'hostedUI' : 'password';
    // Expiry of a restored session comes from `exp` (no local receipt time is kept across restarts).
    return { status: 'found', session: sessionFromTokens(tokens, how, undefined, r.id) };
  } catch (cause) {
    // Never the value in the message: it may hold tokens.
    const error =
      cause instanceof AuthError ? cause : new AuthError('InvalidToken', 'The stored session is unreadable');
    return { status: 'invalid', error };
  }
}

export function parseJournal(raw: string | null): SignOutJournal | null {
  if (!raw) return null;
  try {
    const j = JSON.parse(raw) as Partial<SignOutJournal>;
    return {
      scope: j.scope === 'global' ? 'global' : 'local',
      startedAt: typeof j.startedAt === 'number' ? j.startedAt : 0,
      username: typeof j.username === 'string' ? j.username : null,
      sessionId: typeof j.sessionId === 'string' ? j.sessionId : null,
      deleted: j.deleted === true || undefined,
    };
  } catch {
    // A torn journal still means a sign-out was under way: finish it, locally.
    return { scope: 'local', startedAt: 0, username: null, sessionId: null };
  }
}

/**
 * The journal a start finishes, if any. A journal names its session: beside a record of another
 * session it is that session's sign-out (still running elsewhere, or cut short after a newer
 * sign-in replaced its record, row 26), never this record's (docs/sign-out.md row 16a). A journal
 * without an id (torn, or older) is finished as before.
 */
export function journalToFinish(journal: SignOutJournal | null, storedSessionId: string | null): SignOutJournal | null {
  if (!journal?.sessionId || storedSessionId === null) return journal;
  return journal.sessionId === storedSessionId ? journal : null;
}

/**
 * The old layout's refresh tokens left beside a record that no step of this clear took care of
 * (not the one it keeps, revoked or leaves stored): each is a session of its own (row 29).
 */
export function unhandledTokens(found: readonly (string | null)[], handled: readonly (string | null | undefined)[]) {
  return [...new Set(found.filter((t): t is string => !!t && !handled.includes(t)))];
}
