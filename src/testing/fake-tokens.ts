/**
 * Cognito-shaped tokens for tests: an ID token and an access token with the claims authchart
 * checks (`iss`, `aud`/`client_id`, `token_use`, `exp`, `sub`), and a refresh token shaped like
 * Cognito's (a five-part JWE). They are unsigned (`alg: none`): authchart decodes tokens and never
 * verifies a signature, but an API that verifies them will refuse these.
 */
import { UnsecuredJWT } from 'jose';
import type { Tokens } from '../services/types.js';

/** The app client id of {@link fakeTokens} and `fakeCognito()` unless told otherwise. */
export const FAKE_CLIENT_ID = 'fakeclient';
/** The user pool id of {@link fakeTokens} and `fakeCognito()` unless told otherwise. */
export const FAKE_USER_POOL_ID = 'eu-west-1_Fake';

/** The issuer a user pool's tokens carry: `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
export function issuerOf(userPoolId: string, region = userPoolId.split('_')[0] ?? ''): string {
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** Options of {@link fakeTokens}. */
export interface FakeTokenOptions {
  /** Default `alice@example.com`. */
  username?: string;
  /** Both tokens' `sub`; default `sub-<username>`. */
  sub?: string;
  /** The app client: the ID token's `aud`, the access token's `client_id`. Default {@link FAKE_CLIENT_ID}. */
  clientId?: string;
  /** Both tokens' `iss`. Default the issuer of {@link FAKE_USER_POOL_ID}. */
  issuer?: string;
  /** When the tokens were issued, in seconds since the epoch. Default now. */
  now?: number;
  /** Seconds from `now` until both tokens expire. Default 3600 (Cognito's default). */
  expiresIn?: number;
  /** Whether the access token carries `origin_jti` (token revocation enabled on the app client). Default true. */
  revocable?: boolean;
  /** The access token's `scope`; default none (authchart then takes it as a password sign-in's). */
  scope?: string;
  /** The ID token's `nonce` (hosted-UI sign-ins). */
  nonce?: string;
  /** User attributes, as ID token claims. Default `{ email: username }` when the username is an e-mail address. */
  attributes?: Record<string, string>;
  /** The refresh token to answer with; default a new one. */
  refreshToken?: string;
  /** Claims that replace the ID token's (a hostile token endpoint's `aud`, `azp`, `iss`, …). */
  idClaims?: Record<string, unknown>;
  /** Claims that replace the access token's. */
  accessClaims?: Record<string, unknown>;
}

const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');

/** `n` random bytes, base64url. */
export function randomPart(n: number): string {
  return b64url(globalThis.crypto.getRandomValues(new Uint8Array(n)));
}

// A JWE header as Cognito's refresh tokens have: {"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}.
const JWE_HEADER = b64url(new TextEncoder().encode('{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}'));

/** A new refresh token shaped like Cognito's: a compact JWE (header, key, IV, ciphertext, tag). */
export function fakeRefreshToken(): string {
  return [JWE_HEADER, randomPart(32), randomPart(12), randomPart(48), randomPart(16)].join('.');
}

/**
 * Tokens that pass authchart's token checks for `clientId` and `issuer`: for seeding storage,
 * `adoptSession()`, or a custom `fakeCognito().respond()`.
 *
 * @example
 * ```ts
 * const tokens = fakeTokens({ username: 'alice@example.com', expiresIn: 60 });
 * ```
 */
export function fakeTokens(options: FakeTokenOptions = {}): Tokens {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const exp = now + (options.expiresIn ?? 3600);
  const username = options.username ?? 'alice@example.com';
  const sub = options.sub ?? `sub-${username}`;
  const iss = options.issuer ?? issuerOf(FAKE_USER_POOL_ID);
  const clientId = options.clientId ?? FAKE_CLIENT_ID;
  const attributes = options.attributes ?? (username.includes('@') ? { email: username } : {});
  const accessToken = new UnsecuredJWT({
    username,
    sub,
    iss,
    client_id: clientId,
    token_use: 'access',
    jti: globalThis.crypto.randomUUID(),
    ...(options.revocable === false ? {} : { origin_jti: globalThis.crypto.randomUUID() }),
    ...(options.scope === undefined ? {} : { scope: options.scope }),
    ...options.accessClaims,
  })
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .encode();
  const idToken = new UnsecuredJWT({
    'cognito:username': username,
    ...attributes,
    sub,
    iss,
    aud: clientId,
    token_use: 'id',
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...options.idClaims,
  })
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .encode();
  return { accessToken, idToken, refreshToken: options.refreshToken ?? fakeRefreshToken() };
}
