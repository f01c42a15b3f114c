import type { Tokens } from '../../src/index.js';
import { type FakeTokenOptions, fakeTokens } from '../../src/testing/index.js';

/** `fakeTokens` options (authchart/testing), with this suite's defaults: client `client123`, issuer {@link TEST_ISSUER}. */
export type TokenOptions = FakeTokenOptions;

/** The issuer test tokens carry by default: a Cognito pool's. */
export const TEST_ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test';

/**
 * Cognito-shaped tokens (unsigned: authchart decodes, it never verifies; that is the API's job):
 * authchart/testing's `fakeTokens`, for the app client `client123` of {@link TEST_ISSUER}, as `fakeServices()`.
 */
export function makeTokens(opts: TokenOptions = {}): Tokens {
  const username = opts.username ?? 'alice@example.com';
  return fakeTokens({
    attributes: { email: username },
    ...opts,
    username,
    clientId: opts.clientId ?? 'client123',
    issuer: opts.issuer ?? TEST_ISSUER,
  });
}

export function tokenStrings(tokens: Tokens[]): string[] {
  return tokens.flatMap((t) => [t.accessToken, t.idToken, t.refreshToken]);
}
