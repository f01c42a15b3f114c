import { UnsecuredJWT } from 'jose';
import type { Tokens } from '../../src/index.js';

let serial = 0;

export interface TokenOptions {
  username?: string;
  /** Seconds from `now` until the access token expires. */
  expiresIn?: number;
  /** Seconds since the epoch; default: the real clock. */
  now?: number;
  /** Add `origin_jti` (revocation enabled on the app client). */
  revocable?: boolean;
  /** The access token's `scope` claim (omitted by default, as authchart then assumes the admin scope). */
  scope?: string;
}

/** Cognito-shaped tokens (unsigned: authchart decodes, it never verifies; that is the API's job). */
export function makeTokens(opts: TokenOptions = {}): Tokens {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const username = opts.username ?? 'alice@example.com';
  const n = ++serial;
  const access = new UnsecuredJWT({
    username,
    sub: `sub-${username}`,
    token_use: 'access',
    jti: `jti-${n}`,
    ...(opts.revocable === false ? {} : { origin_jti: `origin-${n}` }),
    ...(opts.scope === undefined ? {} : { scope: opts.scope }),
  })
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresIn ?? 3600))
    .encode();
  const id = new UnsecuredJWT({ 'cognito:username': username, email: username, token_use: 'id' })
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresIn ?? 3600))
    .encode();
  // Cognito refresh tokens are JWEs: five base64url parts starting with a JSON header.
  const refresh = `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.refresh${n}part.iv${n}.cipher${n}text.tag${n}`;
  return { accessToken: access, idToken: id, refreshToken: refresh };
}

export function tokenStrings(tokens: Tokens[]): string[] {
  return tokens.flatMap((t) => [t.accessToken, t.idToken, t.refreshToken]);
}
