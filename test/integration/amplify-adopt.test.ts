/**
 * `adoptAmplifySession` on storage the real Amplify v6 (`aws-amplify`, a dev dependency for the
 * bench) wrote after its own sign-in against the embedded Cognito: authchart is signed in as that
 * user, Amplify's token keys are gone, a refresh through authchart works, and a sign-out revokes.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { adoptAmplifySession } from '../../src/account/index.js';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { createAuth, isAuthError, memoryStorage } from '../../src/index.js';
import { freshPool } from './helpers.js';

const hasCognitoLocal = (() => {
  try {
    createRequire(import.meta.url).resolve('cognito-local/package.json');
    return true;
  } catch {
    return false;
  }
})();
if (!hasCognitoLocal)
  console.info('[authchart] Amplify adoption test skipped: cognito-local is not installed (npm ci)');

describe.skipIf(!hasCognitoLocal)('adoptAmplifySession on what the real Amplify v6 stored', () => {
  it('adopts the session Amplify signed in, removes its keys; authchart refreshes it and revokes it', async () => {
    const pool = await freshPool();
    const { Amplify } = await import('aws-amplify');
    const { signIn, signOut: amplifySignOut } = await import('aws-amplify/auth');
    const { cognitoUserPoolsTokenProvider } = await import('aws-amplify/auth/cognito');
    // Amplify's storage: a Map, as its KeyValueStorageInterface (async) over which authchart reads.
    const map = new Map<string, string>();
    const written: string[] = [];
    const amplifyStorage = {
      setItem: async (k: string, v: string) => {
        written.push(k);
        map.set(k, v);
      },
      getItem: async (k: string) => map.get(k) ?? null,
      removeItem: async (k: string) => {
        map.delete(k);
      },
      clear: async () => map.clear(),
    };
    Amplify.configure({
      Auth: {
        Cognito: { userPoolId: pool.userPoolId, userPoolClientId: pool.clientId, userPoolEndpoint: pool.endpoint },
      },
    });
    cognitoUserPoolsTokenProvider.setKeyValueStorage(amplifyStorage);
    const signedIn = await signIn({
      username: pool.username,
      password: pool.password,
      options: { authFlowType: 'USER_PASSWORD_AUTH' },
    });
    expect(signedIn.isSignedIn).toBe(true);
    const base = `CognitoIdentityServiceProvider.${pool.clientId}`;
    const user = map.get(`${base}.LastAuthUser`);
    expect(user).toBeTruthy();
    const amplifyRefresh = map.get(`${base}.${user}.refreshToken`);
    expect(amplifyRefresh).toBeTruthy();
    console.info(
      `[authchart] Amplify v6 wrote: ${[...new Set(written)].map((k) => k.replace(`${base}.${user}.`, '<user>.').replace(`${base}.`, '')).join(', ')}`,
    );

    const services = cognitoServices({
      clientId: pool.clientId,
      region: 'local',
      authFlow: 'USER_PASSWORD_AUTH',
      endpoint: pool.endpoint,
      userPoolId: pool.userPoolId,
    });
    const storage = memoryStorage();
    const auth = createAuth({ services, storage, sync: null, revocation: 'always' });
    try {
      const answer = await adoptAmplifySession(auth, amplifyStorage);
      expect(answer).toMatchObject({ adopted: true, alreadyAdopted: false, leftKeys: [], keptKeys: [] });
      expect(answer.adopted && answer.username).toBe(auth.getSession()?.username);
      expect(auth.getSession()).toMatchObject({ signedInWith: 'password', email: pool.username });
      expect(answer.removedKeys).toEqual(
        expect.arrayContaining([`${base}.${user}.accessToken`, `${base}.${user}.refreshToken`, `${base}.LastAuthUser`]),
      );
      // Amplify's session keys are gone (cognito-local remembers no device: none kept).
      expect([...map.keys()].filter((k) => k.startsWith(base))).toEqual([]);
      expect(auth.getTokens()?.refreshToken).toBe(amplifyRefresh);
      expect(storage.keys()).toEqual([`authchart.${pool.clientId}.session`]);

      // Amplify now finds no session (its keys are gone): it is not signed in twice.
      const { fetchAuthSession } = await import('aws-amplify/auth');
      expect((await fetchAuthSession()).tokens).toBeUndefined();

      // authchart's own refresh of the adopted session, against cognito-local.
      const before = auth.getTokens()?.accessToken;
      const refreshed = await auth.fetchTokens({ forceRefresh: true });
      expect(refreshed.accessToken).not.toBe(before);

      // A second call finds nothing left to adopt.
      expect(await adoptAmplifySession(auth, amplifyStorage)).toMatchObject({ adopted: false, reason: 'none' });

      const result = await auth.signOut();
      expect(result).toMatchObject({ status: 'complete', steps: { revokeToken: 'done', clearCache: 'done' } });
      const after = await services.refresh(amplifyRefresh ?? '', new AbortController().signal).catch((e: unknown) => e);
      expect(isAuthError(after, 'NotAuthorized')).toBe(true);
    } finally {
      auth.stop();
      await amplifySignOut().catch(() => {});
    }
  });
});
