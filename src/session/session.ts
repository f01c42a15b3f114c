import { decodeJwt } from 'jose';
import { AuthError } from '../errors.js';
import type { Tokens } from '../services/types.js';
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

/** A session in the machine's context: {@link SessionInfo} plus the sealed tokens. */
export interface Session extends SessionInfo {
  tokens: Sealed<Tokens>;
}

const ADMIN_SCOPE = 'aws.cognito.signin.user.admin';

function claimsOf(token: string, which: string): Record<string, unknown> {
  try {
    return decodeJwt(token) as Record<string, unknown>;
  } catch (cause) {
    throw new AuthError('InvalidToken', `The ${which} is not a decodable JWT`, { cause });
  }
}

/** Builds a session from raw tokens, checking what authchart relies on. Throws `InvalidToken`. */
export function sessionFromTokens(tokens: Tokens, signedInWith: SignedInWith, obtainedAt?: number): Session {
  for (const key of ['accessToken', 'idToken', 'refreshToken'] as const) {
    if (typeof tokens[key] !== 'string' || tokens[key].length === 0) {
      throw new AuthError('InvalidToken', `The ${key} is missing`);
    }
  }
  const access = claimsOf(tokens.accessToken, 'access token');
  const id = claimsOf(tokens.idToken, 'ID token');
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
    tokens: seal({ accessToken: tokens.accessToken, idToken: tokens.idToken, refreshToken: tokens.refreshToken }),
  };
}

/** Merges a refresh answer into a session; Cognito omits the refresh token when it is not rotated. */
export function refreshedSession(session: Session, fresh: Partial<Tokens>, obtainedAt: number): Session {
  const current = unseal(session.tokens);
  return sessionFromTokens(
    {
      accessToken: fresh.accessToken ?? current.accessToken,
      idToken: fresh.idToken ?? current.idToken,
      refreshToken: fresh.refreshToken ?? current.refreshToken,
    },
    session.signedInWith,
    obtainedAt,
  );
}

export function sessionInfo(session: Session): SessionInfo {
  const { tokens: _tokens, ...info } = session;
  return info;
}
