import type { AuthError } from '../errors.js';
import { type Session, sessionFromTokens } from './session.js';

/**
 * The layout before the one-record session (authchart ≤ 0.1): `lastAuthUser` names the user, and
 * `<username>.{accessToken,idToken,refreshToken,signedInWith}` hold the session. Read once, to
 * migrate; cleared wherever found.
 */
const FIELDS = ['accessToken', 'idToken', 'refreshToken', 'signedInWith'] as const;

/** The old layout's keys for `username` (none for `null`). */
export const legacyFieldKeys = (prefix: string, username: string | null): string[] =>
  username ? FIELDS.map((f) => `${prefix}${username}.${f}`) : [];

/** `lastAuthUser`: while it is there, a clear looks at the keys it names. */
export const legacyPointerKey = (prefix: string): string => `${prefix}lastAuthUser`;

/** The old layout's keys for `username` (none for `null`), and the pointer. */
export function legacyKeys(prefix: string, username: string | null): string[] {
  return [...legacyFieldKeys(prefix, username), legacyPointerKey(prefix)];
}

type LegacyResult =
  | { status: 'none' }
  | { status: 'found'; session: Session }
  | { status: 'invalid'; username: string | null; error: AuthError };

/** The old layout's session, if `lastAuthUser` names one. */
export async function readLegacySession(io: {
  prefix: string;
  get(key: string): Promise<string | null>;
}): Promise<LegacyResult> {
  const username = await io.get(legacyPointerKey(io.prefix));
  if (!username) return { status: 'none' };
  const [accessToken, idToken, refreshToken, signedInWith] = await Promise.all(
    FIELDS.map((f) => io.get(`${io.prefix}${username}.${f}`)),
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
}

/** The refresh tokens the old layout holds for `usernames` (a leftover beside a record is revoked, never just removed). */
export async function readLegacyRefreshTokens(
  io: { prefix: string; get(key: string): Promise<string | null> },
  usernames: readonly (string | null)[],
): Promise<(string | null)[]> {
  const names = [...new Set(usernames.filter((u): u is string => !!u))];
  return Promise.all(names.map((u) => io.get(`${io.prefix}${u}.refreshToken`).catch(() => null)));
}
