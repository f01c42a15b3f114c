import { AuthError } from '../errors.js';

/**
 * One decoder for every call, made at the first decode (inside its `try`: a runtime without
 * `TextDecoder`, or a polyfill without `fatal`, fails that decode with `InvalidToken`, never the
 * import). `fatal` makes a token that is not UTF-8 an error, not U+FFFD.
 */
let utf8: TextDecoder | undefined;

/**
 * A JWT's claims, read and not verified: Cognito's tokens come straight from Cognito over TLS, and
 * every claim that matters is checked in `token-checks.ts` (docs/security.md, "Token checks").
 * Written here, not taken from `jose`'s `decodeJwt`: the same rules (three parts, base64url, a
 * JSON object) cost the core a fifth of the bytes (docs/benchmarks.md). `which` names the token
 * in the error, never its value.
 */
export function jwtClaims(token: string, which: string): Record<string, unknown> {
  try {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0 || token.includes('.', second + 1)) throw new TypeError('not three parts');
    const binary = atob(
      token
        .slice(first + 1, second)
        .replace(/-/g, '+')
        .replace(/_/g, '/'),
    );
    // A plain loop, not `Uint8Array.from(binary, fn)`: eight times faster, and every sign-in, refresh
    // and storage read decodes two tokens (docs/benchmarks.md, P3).
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    utf8 ??= new TextDecoder('utf-8', { fatal: true });
    const claims: unknown = JSON.parse(utf8.decode(bytes));
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new TypeError('not an object');
    return claims as Record<string, unknown>;
  } catch (cause) {
    throw new AuthError('InvalidToken', `The ${which} is not a decodable JWT`, { cause });
  }
}
