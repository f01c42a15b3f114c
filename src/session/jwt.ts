import { AuthError } from '../errors.js';

/**
 * A JWT's claims, read and not verified: Cognito's tokens come straight from Cognito over TLS, and
 * every claim that matters is checked in `token-checks.ts` (docs/security.md, "Token checks").
 * Written here, not taken from `jose`'s `decodeJwt`: the same rules (three parts, base64url, a
 * JSON object) cost the core a fifth of the bytes (docs/benchmarks.md). `which` names the token
 * in the error, never its value.
 */
export function jwtClaims(token: string, which: string): Record<string, unknown> {
  try {
    const parts = token.split('.');
    if (parts.length !== 3) throw new TypeError('not three parts');
    const binary = atob((parts[1] ?? '').replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))),
    );
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new TypeError('not an object');
    return claims as Record<string, unknown>;
  } catch (cause) {
    throw new AuthError('InvalidToken', `The ${which} is not a decodable JWT`, { cause });
  }
}
