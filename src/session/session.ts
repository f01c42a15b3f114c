import { AuthError } from '../errors.js';
import type { Tokens } from '../services/types.js';
import { jwtClaims } from './jwt.js';
import { type Sealed, seal, unseal } from './sealed.js';

/** How the session began: `hostedUI` sessions sign out through the hosted UI `/logout` first. */
export type SignedInWith = 'password' | 'hostedUI';

/** What is known about the signed-in user without opening the tokens. Safe to log and inspect. */
export interface SessionInfo {
  /** Cognito's username (`username` claim; the `sub` UUID in pools that sign in by e-mail). */
  username: string;
  /** The ID token's `email` claim, when present. */
  email?: string;
  signedInWith: SignedInWith;
  /** Access token `exp`, in ms since the epoch. */
  accessTokenExpiresAt: number;
  /** Access token `iat`, in ms since the epoch. */
  accessTokenIssuedAt: number;
  /** The access token carries `origin_jti`: token revocation is enabled on the app client. */
  revocable: boolean;
  /**
   * The access token may call Cognito's user APIs such as GlobalSignOut: its `scope` includes
   * `aws.cognito.signin.user.admin` (always so for password sign-ins; a hosted-UI sign-in must ask for it).
   */
  adminScope: boolean;
  /**
   * Local clock (ms) when these tokens came from Cognito, if known. With it, refreshes are
   * scheduled from the token lifetime (`exp - iat`) rather than from `exp`, so a skewed device
   * clock can neither trigger a refresh loop nor let the token lapse.
   */
  obtainedAt?: number;
}

/** A session in the machine's context: {@link SessionInfo} plus the sealed tokens and its stored record's id. */
export interface Session extends SessionInfo {
  tokens: Sealed<Tokens>;
  /** Random, given at sign-in and kept by refreshes: a context writes or clears only the record with its id. */
  sessionId: string;
}

/** `n` random bytes as hex (not a secret: ids that tell one session, context or claim from another). */
export function randomHex(n: number): string {
  const bytes = new Uint8Array(n);
  // Not a secret, so a runtime without WebCrypto (React Native without a polyfill) may use Math.random.
  if (typeof globalThis.crypto?.getRandomValues === 'function') globalThis.crypto.getRandomValues(bytes);
  else for (let i = 0; i < n; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new random session id (not a secret: it only tells one stored session from another). */
export function newSessionId(): string {
  // randomUUID where there is one (a tenth of the cost in Node; browsers have it in secure contexts).
  return globalThis.crypto?.randomUUID?.().replace(/-/g, '') ?? randomHex(16);
}

const ADMIN_SCOPE = 'aws.cognito.signin.user.admin';

const TOKEN_KEYS = ['accessToken', 'idToken', 'refreshToken'] as const;

/**
 * A service's answer as an object, or `InvalidToken` naming what is wrong with it (never its value:
 * garbage from a service may still hold a secret).
 *
 * @example
 * ```ts
 * answerObject(null, 'Sign-in'); // throws InvalidToken "Sign-in answered null instead of an object"
 * ```
 */
export function answerObject(answer: unknown, what: string): Record<string, unknown> {
  if (answer === null || (typeof answer !== 'object' && typeof answer !== 'function')) {
    const kind = answer === null ? 'null' : typeof answer;
    throw new AuthError('InvalidToken', `${what} answered ${kind} instead of an object`);
  }
  return answer as Record<string, unknown>;
}

/** One token field: a non-empty string, or `undefined` when absent. Anything else is `InvalidToken`. */
function tokenField(answer: Record<string, unknown>, key: (typeof TOKEN_KEYS)[number]): string | undefined {
  let value: unknown;
  try {
    value = answer[key];
  } catch (cause) {
    throw new AuthError('InvalidToken', `The ${key} could not be read`, { cause });
  }
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new AuthError('InvalidToken', `The ${key} is a ${typeof value}, not a string`);
  return value;
}

/**
 * Builds a session from raw tokens, checking what authchart relies on. Throws `InvalidToken` for
 * anything else (not an object, a missing or non-string field, a token that is not a JWT).
 */
export function sessionFromTokens(
  tokens: Tokens,
  signedInWith: SignedInWith,
  obtainedAt?: number,
  sessionId: string = newSessionId(),
): Session {
  const answer = answerObject(tokens, 'The token source');
  const checked = {} as Tokens;
  for (const key of TOKEN_KEYS) {
    const value = tokenField(answer, key);
    if (value === undefined) throw new AuthError('InvalidToken', `The ${key} is missing`);
    checked[key] = value;
  }
  const access = jwtClaims(checked.accessToken, 'access token');
  const id = jwtClaims(checked.idToken, 'ID token');
  const username = [access['username'], id['cognito:username'], access['sub']].find(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );
  if (username === undefined) throw new AuthError('InvalidToken', 'The access token names no user');
  const exp = access['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new AuthError('InvalidToken', 'The access token has no numeric exp claim');
  }
  const iat = typeof access['iat'] === 'number' ? access['iat'] : exp - 3600;
  const email = typeof id['email'] === 'string' ? id['email'] : undefined;
  return {
    username,
    ...(email === undefined ? {} : { email }),
    signedInWith,
    accessTokenExpiresAt: exp * 1000,
    accessTokenIssuedAt: iat * 1000,
    revocable: typeof access['origin_jti'] === 'string',
    adminScope: typeof access['scope'] !== 'string' || access['scope'].split(' ').includes(ADMIN_SCOPE),
    ...(obtainedAt === undefined ? {} : { obtainedAt }),
    tokens: seal(checked),
    sessionId,
  };
}

/**
 * Merges a refresh answer into a session; Cognito omits the refresh token when it is not rotated
 * (an absent field keeps the current token). A non-object answer or a non-string field is `InvalidToken`.
 */
export function refreshedSession(session: Session, fresh: Partial<Tokens>, obtainedAt: number): Session {
  const answer = answerObject(fresh, 'The token refresh');
  const current = unseal(session.tokens);
  return sessionFromTokens(
    {
      accessToken: tokenField(answer, 'accessToken') ?? current.accessToken,
      idToken: tokenField(answer, 'idToken') ?? current.idToken,
      refreshToken: tokenField(answer, 'refreshToken') ?? current.refreshToken,
    },
    session.signedInWith,
    obtainedAt,
    session.sessionId,
  );
}

/**
 * The token strings of an answer that are strings, whatever else is wrong with it: they are
 * secrets to remember even when the answer is refused.
 *
 * @example
 * ```ts
 * tokenStringsOf({ accessToken: 'a', refreshToken: 7 }); // ['a']
 * ```
 */
export function tokenStringsOf(answer: unknown): string[] {
  if (answer === null || typeof answer !== 'object') return [];
  const out: string[] = [];
  for (const key of [...TOKEN_KEYS, 'session'] as const) {
    try {
      const value = (answer as Record<string, unknown>)[key];
      if (typeof value === 'string') out.push(value);
    } catch {
      // A throwing getter: nothing to remember from it.
    }
  }
  return out;
}

export function sessionInfo(session: Session): SessionInfo {
  const { tokens: _tokens, sessionId: _id, ...info } = session;
  return info;
}

/** `held` as a stored session with another refresh token: the plan's form of a token waiting in the outbox. */
export function withWaitingToken(held: Session, refreshToken: string) {
  // Its access token went with the refresh token revoked: GlobalSignOut needs a refresh first.
  const expired = { accessTokenExpiresAt: 0, accessTokenIssuedAt: 0, obtainedAt: 0 };
  const session = { ...held, ...expired, tokens: seal({ ...unseal(held.tokens), refreshToken }) };
  return { session, sessionId: held.sessionId, refreshToken };
}

/** A session as the planners look at it: its id and refresh token (never logged). */
export function plannedForm(session: Session) {
  return { session, sessionId: session.sessionId, refreshToken: unseal(session.tokens).refreshToken };
}
