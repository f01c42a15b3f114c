/**
 * The one place where tokens that come from outside are checked before authchart keeps them:
 * sign-in and challenge answers, the hosted-UI redirect, every refresh, and `adoptSession`.
 *
 * The checklist follows OIDC Core 3.1.3.7 (ID token validation; the signature is not checked,
 * since the tokens come straight from Cognito over TLS) and Cognito's documented claims. Each row
 * of {@link TOKEN_CHECKS} is one check with the message a failure reports; a failed check is
 * `InvalidToken` and nothing is stored. docs/security.md, "Token checks", lists them.
 */
import { AuthError } from '../errors.js';
import type { Tokens } from '../services/types.js';
import { jwtClaims as decode } from './jwt.js';

/** What the tokens must say, from the app's configuration and the request they answer. */
export interface TokenExpectations {
  /** The app client: the ID token's `aud` (and `azp`), the access token's `client_id`. */
  clientId: string;
  /** The pool's issuer; unset, both tokens must still share one `iss` (and keep it across a refresh). */
  issuer?: string | undefined;
  /** The local clock, ms since the epoch. */
  now: number;
  /** How far `exp` may lie in the past by the local clock (device clocks drift). */
  clockToleranceMs: number;
  /** The hosted-UI redirect's nonce: the ID token must carry exactly it. */
  nonce?: string;
  /** The tokens held before a refresh: `sub` and `iss` must not change. */
  previous?: Tokens;
  /** Which tokens are new (their `exp` is checked); default both. A refresh may keep the ID token. */
  fresh?: { accessToken: boolean; idToken: boolean };
}

type Claims = Record<string, unknown>;

/** One check: its name (for tests and docs) and the failure it reports, or `null` when it holds. */
interface TokenCheck {
  name: string;
  run(access: Claims, id: Claims, expect: TokenExpectations): string | null;
}

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const expired = (claims: Claims, expect: TokenExpectations): boolean =>
  typeof claims['exp'] !== 'number' ||
  !Number.isFinite(claims['exp']) ||
  claims['exp'] * 1000 + expect.clockToleranceMs <= expect.now;

/**
 * The checklist, in the order it runs. Messages name the claim and what was expected, never a
 * claim's value (a hostile token's claims may carry anything).
 */
export const TOKEN_CHECKS: readonly TokenCheck[] = [
  {
    name: 'token_use',
    run: (a, i) =>
      a['token_use'] !== 'access'
        ? 'the access token has the wrong token_use'
        : i['token_use'] !== 'id'
          ? 'the ID token has the wrong token_use'
          : null,
  },
  {
    name: 'iss',
    run: (a, i, e) => {
      if (!text(i['iss']) || !text(a['iss'])) return 'a token names no issuer (iss)';
      if (e.issuer !== undefined && (i['iss'] !== e.issuer || a['iss'] !== e.issuer)) {
        return "a token is from another issuer than the pool's (iss)";
      }
      return i['iss'] === a['iss'] ? null : 'the ID and access tokens name different issuers (iss)';
    },
  },
  {
    name: 'aud',
    run: (a, i, e) => {
      const aud = Array.isArray(i['aud']) ? i['aud'] : [i['aud']];
      if (!aud.includes(e.clientId)) return 'the ID token is for another app client (aud)';
      // OIDC Core 3.1.3.7 (4, 5): several audiences need an azp, and an azp must be this client.
      if (aud.length > 1 && i['azp'] === undefined) return 'the ID token has several audiences and no azp';
      if (i['azp'] !== undefined && i['azp'] !== e.clientId) return 'the ID token was issued to another party (azp)';
      return a['client_id'] === e.clientId ? null : 'the access token is for another app client (client_id)';
    },
  },
  {
    name: 'exp',
    run: (a, i, e) =>
      (e.fresh?.accessToken ?? true) && expired(a, e)
        ? 'the access token has expired by this device clock (exp)'
        : (e.fresh?.idToken ?? true) && expired(i, e)
          ? 'the ID token has expired by this device clock (exp)'
          : null,
  },
  {
    name: 'nonce',
    run: (_a, i, e) =>
      e.nonce === undefined || i['nonce'] === e.nonce ? null : "the ID token's nonce is not this app's",
  },
  {
    name: 'sub',
    run: (a, i) =>
      !text(i['sub']) || !text(a['sub'])
        ? 'a token names no subject (sub)'
        : i['sub'] === a['sub']
          ? null
          : 'the ID and access tokens are for different users (sub)',
  },
  {
    name: 'same user',
    run: (a, _i, e) => {
      if (!e.previous) return null;
      const before = decode(e.previous.accessToken, 'previous access token');
      if (before['sub'] !== a['sub']) return 'the refreshed tokens are for another user (sub)';
      return before['iss'] === a['iss'] ? null : 'the refreshed tokens are from another issuer (iss)';
    },
  },
];

/**
 * The first check the tokens fail, as its message; `null` when they pass every one. Pure: the
 * clock and every expectation come in `expect`.
 *
 * @example
 * ```ts
 * tokenCheckFailure(tokens, { clientId: 'abc', now: Date.now(), clockToleranceMs: 300_000 }); // null, or why not
 * ```
 */
export function tokenCheckFailure(tokens: Tokens, expect: TokenExpectations): string | null {
  const access = decode(tokens.accessToken, 'access token');
  const id = decode(tokens.idToken, 'ID token');
  for (const check of TOKEN_CHECKS) {
    const failure = check.run(access, id, expect);
    if (failure !== null) return failure;
  }
  return null;
}

/** Throws `InvalidToken` (`<what>: <the first failed check>`) unless the tokens pass every check. */
export function assertTokens(tokens: Tokens, expect: TokenExpectations, what: string): void {
  const failure = tokenCheckFailure(tokens, expect);
  if (failure !== null) throw new AuthError('InvalidToken', `${what}: ${failure}`);
}
