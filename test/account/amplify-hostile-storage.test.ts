/**
 * Hostile probes of `adoptAmplifySession`: hostile Amplify storage contents and a storage
 * that throws or hangs. Expected: typed errors, no half-adopted state, Amplify's keys removed only
 * after the session is adopted, nothing lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type AmplifyStorage, adoptAmplifySession } from '../../src/account/index.js';
import { type Auth, createAuth, isAuthError, memoryStorage, type TokenStorage, type Tokens } from '../../src/index.js';
import { fakeServices, faultyStorage } from '../helpers/fakes.js';
import { makeTokens, TEST_ISSUER } from '../helpers/tokens.js';

const made: Auth[] = [];
afterEach(() => {
  for (const a of made.splice(0)) a.stop();
});
const BASE = 'CognitoIdentityServiceProvider.client123';
const alice = makeTokens();

function keys(t: Partial<Tokens>, user = 'alice-sub'): Record<string, string> {
  const out: Record<string, string> = { [`${BASE}.LastAuthUser`]: user, [`${BASE}.${user}.clockDrift`]: '0' };
  if (t.accessToken !== undefined) out[`${BASE}.${user}.accessToken`] = t.accessToken;
  if (t.idToken !== undefined) out[`${BASE}.${user}.idToken`] = t.idToken;
  if (t.refreshToken !== undefined) out[`${BASE}.${user}.refreshToken`] = t.refreshToken;
  return out;
}

function make(opts: { issuer?: string; storage?: TokenStorage } = {}) {
  const fake = fakeServices();
  if (opts.issuer) Object.assign(fake, { issuer: opts.issuer });
  const auth = createAuth({
    services: fake,
    storage: opts.storage ?? memoryStorage(),
    sync: null,
    timeouts: { remoteStepMs: 200, storageMs: 100 },
  });
  made.push(auth);
  return { auth, fake };
}

const codeOf = (e: unknown) => (isAuthError(e) ? e.code : `not an AuthError: ${String(e)}`);
const settle = <T>(p: Promise<T>, ms = 1000) =>
  Promise.race([
    p.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<{ hung: true }>((r) => setTimeout(() => r({ hung: true }), ms)),
  ]);

/** Refused with `code`: signed out, nothing of Amplify's removed, nothing stored by authchart. */
async function refusedWhole(amplify: Record<string, string>, code: string | RegExp, opts: { issuer?: string } = {}) {
  const store = faultyStorage(amplify);
  const own = faultyStorage();
  const { auth } = make({ ...opts, storage: own });
  const r = await settle(adoptAmplifySession(auth, store));
  expect('error' in r ? codeOf(r.error) : r).toMatch(code);
  expect(store.dump()).toEqual(amplify);
  expect(auth.getTokens()).toBeNull();
  expect(auth.state).toBe('signedOut');
  expect(own.keys().filter((k) => k.endsWith('.session'))).toEqual([]);
  return r;
}

describe('adoptAmplifySession with hostile storage', () => {
  it('the happy path: adopted, then every Amplify session key removed (device keys kept)', async () => {
    const store = faultyStorage(keys(alice));
    const { auth } = make();
    const r = await adoptAmplifySession(auth, store);
    expect(r.adopted).toBe(true);
    expect(auth.getTokens()?.refreshToken).toBe(alice.refreshToken);
    expect(store.keys()).toEqual([]);
  });

  it('garbage tokens (not JWTs) → InvalidToken, nothing removed, nothing held', async () => {
    await refusedWhole(keys({ accessToken: 'garbage', idToken: '{}', refreshToken: 'r' }), 'InvalidToken');
  });

  it("tokens for another app client → InvalidToken, Amplify's keys kept whole", async () => {
    const other = makeTokens({ clientId: 'other-client' });
    await refusedWhole(keys(other), 'InvalidToken');
  });

  it("tokens from another issuer than the pool's → InvalidToken, keys kept", async () => {
    const other = makeTokens({ issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil' });
    await refusedWhole(keys(other), 'InvalidToken', { issuer: TEST_ISSUER });
  });

  it('an access token and ID token from two issuers → InvalidToken, keys kept', async () => {
    const other = makeTokens({ issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil' });
    await refusedWhole(keys({ ...alice, idToken: other.idToken }), 'InvalidToken');
  });

  it("an access token of another user than the ID token's → InvalidToken, keys kept", async () => {
    const bob = makeTokens({ username: 'bob@example.com', sub: 'bob-sub' });
    await refusedWhole(keys({ ...alice, idToken: bob.idToken }), 'InvalidToken');
  });

  it('a torn session (no refresh token) → InvalidToken, nothing removed', async () => {
    await refusedWhole(keys({ accessToken: alice.accessToken, idToken: alice.idToken }), 'InvalidToken');
  });

  it('a huge LastAuthUser, a huge token → InvalidInput, nothing removed', async () => {
    await refusedWhole({ [`${BASE}.LastAuthUser`]: 'u'.repeat(100_000) }, 'InvalidInput');
    await refusedWhole({ ...keys(alice), [`${BASE}.alice-sub.accessToken`]: 'a'.repeat(5_000_000) }, 'InvalidInput');
  });

  it('a LastAuthUser with dots (another key path) pointing at a foreign subtree → refused, nothing removed', async () => {
    // "x.alice-sub" makes the token keys `BASE.x.alice-sub.accessToken`: not Amplify's layout.
    const user = 'x.alice-sub';
    const amplify = keys(makeTokens({ clientId: 'other-client' }), user);
    await refusedWhole(amplify, /InvalidToken|InvalidInput/);
  });

  it("LastAuthUser naming bob while bob's keys hold alice's tokens → adopted as the tokens' user (alice), never reported as bob", async () => {
    const store = faultyStorage(keys(alice, 'bob-sub'));
    const { auth } = make();
    const r = await adoptAmplifySession(auth, store);
    if (r.adopted) expect(r.username).toBe(auth.getSession()?.username);
    expect(auth.getSession()?.username).not.toBe('bob-sub');
  });

  it('getItem returning a non-string (number, object with throwing toString) → InvalidInput, nothing removed', async () => {
    const inner = faultyStorage(keys(alice));
    const hostile: AmplifyStorage = {
      getItem: (k) =>
        (k.endsWith('.refreshToken')
          ? {
              toString() {
                throw new Error(`quoting ${alice.accessToken}`);
              },
            }
          : inner.getItem(k)) as string,
      removeItem: (k) => inner.removeItem(k),
    };
    const { auth } = make();
    const r = await settle(adoptAmplifySession(auth, hostile));
    expect('error' in r && codeOf(r.error)).toBe('InvalidInput');
    expect(inner.dump()).toEqual(keys(alice));
    expect(auth.getTokens()).toBeNull();
  });

  it('getItem throwing (quoting a token) on the refresh token → StorageFailure, token scrubbed, nothing removed', async () => {
    const inner = faultyStorage(keys(alice));
    const hostile: AmplifyStorage = {
      getItem: (k) => {
        if (k.endsWith('.refreshToken')) throw new Error(`cannot read ${alice.accessToken}`);
        return inner.getItem(k);
      },
      removeItem: (k) => inner.removeItem(k),
    };
    const { auth } = make();
    const r = await settle(adoptAmplifySession(auth, hostile));
    expect('error' in r && codeOf(r.error)).toBe('StorageFailure');
    expect(String((r as { error: Error }).error?.message)).not.toContain(alice.accessToken);
    expect(inner.dump()).toEqual(keys(alice));
    expect(auth.getTokens()).toBeNull();
  });

  it('getItem rejecting with a non-Error (a string quoting the token) → StorageFailure, scrubbed', async () => {
    const inner = faultyStorage(keys(alice));
    const hostile: AmplifyStorage = {
      getItem: (k) => (k.endsWith('.idToken') ? Promise.reject(`bad ${alice.accessToken}`) : inner.getItem(k)),
      removeItem: (k) => inner.removeItem(k),
    };
    const { auth } = make();
    const r = await settle(adoptAmplifySession(auth, hostile));
    expect('error' in r && codeOf(r.error)).toBe('StorageFailure');
    expect(JSON.stringify(String((r as { error: Error }).error))).not.toContain(alice.accessToken);
  });

  // Every read and removal of Amplify's storage is bounded by storageMs (StorageFailure) and ended by
  // stop() (Cancelled), as the chart's own storage steps are (src/account/call.ts, storageStep).
  it('a getItem that hangs → StorageFailure within storageMs, nothing removed, nothing held', async () => {
    const inner = faultyStorage(keys(alice));
    const hostile: AmplifyStorage = {
      getItem: (k) => (k.endsWith('.refreshToken') ? new Promise<never>(() => {}) : inner.getItem(k)),
      removeItem: (k) => inner.removeItem(k),
    };
    const { auth } = make();
    const r = await settle(adoptAmplifySession(auth, hostile));
    expect('error' in r && codeOf(r.error)).toBe('StorageFailure');
  });

  // The same bound, ended by stop().
  it('stop() while getItem hangs → adoptAmplifySession rejects Cancelled', async () => {
    const inner = faultyStorage(keys(alice));
    const hostile: AmplifyStorage = {
      getItem: (k) => (k.endsWith('.accessToken') ? new Promise<never>(() => {}) : inner.getItem(k)),
      removeItem: (k) => inner.removeItem(k),
    };
    const { auth } = make();
    const p = settle(adoptAmplifySession(auth, hostile), 300);
    await new Promise((r) => setTimeout(r, 20));
    auth.stop();
    const r = await p;
    expect('error' in r && codeOf(r.error)).toBe('Cancelled');
  });

  // Adopted, then a removal that never answers: the answer still comes, with what is left.
  it('removeItem that hangs after the adoption → answered adopted:true with leftKeys within storageMs', async () => {
    const inner = faultyStorage(keys(alice));
    const hostile: AmplifyStorage = {
      getItem: (k) => inner.getItem(k),
      removeItem: () => new Promise<never>(() => {}),
    };
    const { auth } = make();
    const r = await settle(adoptAmplifySession(auth, hostile));
    expect('value' in r && r.value).toMatchObject({ adopted: true });
    expect(auth.getTokens()?.refreshToken).toBe(alice.refreshToken);
  });

  it('removeItem throwing after the adoption → adopted:true, leftKeys in order (refresh token, then LastAuthUser last), typed removeError', async () => {
    const store = faultyStorage(keys(alice));
    store.faults.remove = true;
    const { auth } = make();
    const r = await adoptAmplifySession(auth, store);
    expect(r).toMatchObject({ adopted: true, removedKeys: [] });
    expect(r.leftKeys.at(-1)).toBe(`${BASE}.LastAuthUser`);
    expect(r.leftKeys.at(-2)).toBe(`${BASE}.alice-sub.refreshToken`);
    expect(codeOf(r.removeError)).toBe('StorageFailure');
    expect(auth.getTokens()?.refreshToken).toBe(alice.refreshToken);
  });

  it("authchart's own storage failing the write → adoption refused (typed), Amplify's keys kept whole (nothing lost)", async () => {
    const store = faultyStorage(keys(alice));
    const own = faultyStorage();
    const { auth } = make({ storage: own });
    await auth.ready;
    own.faults.set = true;
    const r = await settle(adoptAmplifySession(auth, store));
    if ('error' in r) {
      expect(isAuthError(r.error)).toBe(true);
      expect(store.dump()).toEqual(keys(alice));
    } else {
      // Adopted although not stored: then it must at least be held, or Amplify's keys kept.
      expect('value' in r).toBe(true);
      const held = auth.getTokens()?.refreshToken === alice.refreshToken;
      expect(held || store.keys().includes(`${BASE}.alice-sub.refreshToken`)).toBe(true);
    }
  });

  it('while another session is held → AlreadySignedIn, both sessions intact', async () => {
    const store = faultyStorage(keys(alice));
    const { auth } = make();
    await auth.signIn({ username: 'bob', password: 'p' });
    const before = auth.getTokens();
    const r = await settle(adoptAmplifySession(auth, store));
    expect('error' in r && codeOf(r.error)).toBe('AlreadySignedIn');
    expect(store.dump()).toEqual(keys(alice));
    expect(auth.getTokens()).toEqual(before);
  });

  it('two concurrent adoptAmplifySession → one adoption; neither caller removes keys before the session is held', async () => {
    const store = faultyStorage(keys(alice));
    const { auth } = make();
    const [a, b] = await Promise.all([
      settle(adoptAmplifySession(auth, store)),
      settle(adoptAmplifySession(auth, store)),
    ]);
    expect([a, b].some((r) => 'value' in r && r.value.adopted)).toBe(true);
    for (const r of [a, b]) expect('hung' in r).toBe(false);
    expect(auth.getTokens()?.refreshToken).toBe(alice.refreshToken);
  });

  it("Amplify's keys stay whole while authchart's own write of the adopted session is pending; removed after", async () => {
    const store = faultyStorage(keys(alice));
    const inner = memoryStorage();
    let release!: () => void;
    let gated = false;
    const own: TokenStorage = {
      getItem: (k) => inner.getItem(k),
      setItem: (k, v) =>
        gated ? new Promise<void>((r) => (release = () => r(inner.setItem(k, v) as undefined))) : inner.setItem(k, v),
      removeItem: (k) => inner.removeItem(k),
    };
    const { auth } = make({ storage: own });
    await auth.ready;
    gated = true;
    const p = settle(adoptAmplifySession(auth, store), 2000);
    await new Promise((r) => setTimeout(r, 30));
    expect(store.dump()).toEqual(keys(alice));
    release?.();
    gated = false;
    const r = await p;
    if ('value' in r && r.value.adopted) expect(store.keys()).toEqual([]);
    else expect(store.dump()).toEqual(keys(alice));
  });

  it('stop() while the adoption is being stored → typed rejection, Amplify keys kept whole (nothing lost)', async () => {
    const store = faultyStorage(keys(alice));
    const inner = memoryStorage();
    let gated = false;
    const own: TokenStorage = {
      getItem: (k) => inner.getItem(k),
      setItem: (k, v) => (gated ? new Promise<void>(() => {}) : inner.setItem(k, v)),
      removeItem: (k) => inner.removeItem(k),
    };
    const { auth } = make({ storage: own });
    await auth.ready;
    gated = true;
    const p = settle(adoptAmplifySession(auth, store), 1000);
    await new Promise((r) => setTimeout(r, 20));
    auth.stop();
    const r = await p;
    expect('error' in r && isAuthError(r.error)).toBe(true);
    expect(store.dump()).toEqual(keys(alice));
  });

  it('an async (Promise-answering) Amplify storage → adopted, keys removed', async () => {
    const inner = faultyStorage(keys(alice));
    const store: AmplifyStorage = {
      getItem: async (k) => inner.getItem(k),
      removeItem: async (k) => inner.removeItem(k),
    };
    const { auth } = make();
    const r = await adoptAmplifySession(auth, store);
    expect(r.adopted).toBe(true);
    expect(inner.keys()).toEqual([]);
  });

  // The storage's methods are read once, inside the call: a getter that throws is a typed error.
  it('a storage whose getItem property getter throws → a typed AuthError (InvalidInput), nothing held', async () => {
    const hostile = Object.defineProperty({ removeItem: () => undefined }, 'getItem', {
      get() {
        throw new Error(`getter quoting ${alice.refreshToken}`);
      },
    }) as unknown as AmplifyStorage;
    const { auth } = make();
    const r = await settle(adoptAmplifySession(auth, hostile));
    expect('error' in r && isAuthError(r.error)).toBe(true);
    expect(auth.getTokens()).toBeNull();
  });

  // So is a Proxy whose every trap throws.
  it('a Proxy storage whose every trap throws → a typed AuthError, nothing held', async () => {
    const hostile = new Proxy({} as AmplifyStorage, {
      get() {
        throw new Error('trap');
      },
    });
    const { auth } = make();
    const r = await settle(adoptAmplifySession(auth, hostile));
    expect('error' in r && isAuthError(r.error)).toBe(true);
    expect(auth.getTokens()).toBeNull();
  });
});
