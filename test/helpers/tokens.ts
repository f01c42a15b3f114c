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
  /** The app client (`aud`, `client_id`); default `client123`, as `fakeServices()`. */
  clientId?: string;
  /** `iss` of both tokens; default {@link TEST_ISSUER}. */
  issuer?: string;
  /** The ID token's `nonce` (hosted-UI sign-ins). */
  nonce?: string;
  /** Claims that replace the ID token's (a hostile token endpoint's `aud`, `azp`, `iss`, `sub`, …). */
  idClaims?: Record<string, unknown>;
  /** Claims that replace the access token's. */
  accessClaims?: Record<string, unknown>;
}

/** The issuer test tokens carry by default: a Cognito pool's. */
export const TEST_ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test';

/** Cognito-shaped tokens (unsigned: authchart decodes, it never verifies; that is the API's job). */
export function makeTokens(opts: TokenOptions = {}): Tokens {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const username = opts.username ?? 'alice@example.com';
  const n = ++serial;
  const clientId = opts.clientId ?? 'client123';
  const iss = opts.issuer ?? TEST_ISSUER;
  const access = new UnsecuredJWT({
    username,
    sub: `sub-${username}`,
    iss,
    client_id: clientId,
    token_use: 'access',
    jti: `jti-${n}`,
    ...(opts.revocable === false ? {} : { origin_jti: `origin-${n}` }),
    ...(opts.scope === undefined ? {} : { scope: opts.scope }),
    ...opts.accessClaims,
  })
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresIn ?? 3600))
    .encode();
  const id = new UnsecuredJWT({
    'cognito:username': username,
    email: username,
    sub: `sub-${username}`,
    iss,
    aud: clientId,
    token_use: 'id',
    ...(opts.nonce === undefined ? {} : { nonce: opts.nonce }),
    ...opts.idClaims,
  })
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
