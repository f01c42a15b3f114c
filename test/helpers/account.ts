/**
 * One set-up for the `authchart/account` tests: an instance on the fetch transport whose Cognito is
 * a fake answering with `handler`, signed out or signed in, stopped after each test.
 */
import { afterEach, expect } from 'vitest';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { type Auth, createAuth, memoryStorage } from '../../src/index.js';
import { type Call, fakeFetch, type Handler } from './fake-cognito-fetch.js';
import { makeTokens } from './tokens.js';

/** The tokens the fake's sign-in answers (for app client `client-1`). */
export const accountTokens = makeTokens({ clientId: 'client-1' });

/** The rejection of `p` (a test fails if `p` resolves). */
export const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );

/** Instances made by this suite's tests, stopped after each one. */
export function accountInstances() {
  const made: Auth[] = [];
  afterEach(() => {
    for (const auth of made.splice(0)) auth.stop();
  });
  /** A signed-out instance; `calls` records every request. */
  const signedOut = (handler: Handler, extra: { clientSecret?: string; remoteStepMs?: number } = {}) => {
    const f = fakeFetch(handler);
    const auth = createAuth({
      services: cognitoServices({
        clientId: 'client-1',
        region: 'eu-west-1',
        authFlow: 'USER_PASSWORD_AUTH',
        fetch: f.fetch,
        retryDelayMs: 5,
        ...(extra.clientSecret ? { clientSecret: extra.clientSecret } : {}),
      }),
      storage: memoryStorage(),
      sync: null,
      ...(extra.remoteStepMs ? { timeouts: { remoteStepMs: extra.remoteStepMs } } : {}),
    });
    made.push(auth);
    return { auth, calls: f.calls };
  };
  /** A signed-in instance; `later()` is every request after the sign-in. */
  const signedIn = async (handler: Handler) => {
    const { accessToken, idToken, refreshToken } = accountTokens;
    const result = { AuthenticationResult: { AccessToken: accessToken, IdToken: idToken, RefreshToken: refreshToken } };
    const { auth, calls } = signedOut((call, n) =>
      call.target.endsWith('.InitiateAuth') ? { body: result } : handler(call, n),
    );
    await auth.signIn({ username: 'alice@example.com', password: 'Old-Passw0rd!' });
    const later = (): Call[] => calls.filter((c) => !c.target.endsWith('.InitiateAuth'));
    return { auth, calls, later };
  };
  return { signedOut, signedIn };
}
