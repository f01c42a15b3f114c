import { describe, expect, it, vi } from 'vitest';
import { AuthError, createAuth, memoryStorage, memorySyncBus } from '../src/index.js';
import {
  ALICE,
  alice,
  bob,
  credentialsWorld,
  GET_CREDS,
  GET_ID,
  instances,
  until,
} from './helpers/credentials-world.js';
import { fakeServices } from './helpers/fakes.js';
import { identityPoolEndpoint } from './helpers/identity-pool-endpoint.js';

/**
 * `auth.fetchCredentials()` (docs/identity-pool.md; docs/sign-out.md rows 36–39) against the fake
 * identity-pool endpoint, which answers the documented shapes and records every call, and the
 * in-memory Cognito of the other tests.
 */
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof AuthError ? e.code : String(e)),
  );

describe('fetchCredentials()', () => {
  it("guest → sign-in: the user's identity (the guest's, linked to the user); after the sign-out a guest never gets it; a second user never gets the first's (rows 38–39)", async () => {
    const { auth, pool, services } = credentialsWorld({ allowGuest: true });
    await auth.ready;
    const guest = await auth.fetchCredentials();
    expect(pool.identities.get(guest.identityId)).toBeNull();

    await auth.signIn(ALICE);
    const user = await auth.fetchCredentials();
    // Cognito's link (as Amplify does): the guest's identity with the user's Logins, no GetId.
    expect(pool.calls.at(-1)?.body).toMatchObject({ IdentityId: guest.identityId, Logins: expect.any(Object) });
    expect(pool.identities.get(user.identityId)).toBe('sub-alice');
    expect(user.secretAccessKey).not.toBe(guest.secretAccessKey);

    await auth.signOut();
    const after = await auth.fetchCredentials();
    expect(pool.identities.get(after.identityId)).toBeNull();
    expect(after.identityId).not.toBe(user.identityId);
    expect([user.secretAccessKey, user.sessionToken]).not.toContain(after.secretAccessKey);

    // Bob: his own identity, never Alice's; Alice again: her own.
    services.script.signIn = { ok: bob };
    await auth.signIn({ username: 'bob', password: 'correct horse' });
    const bobs = await auth.fetchCredentials();
    expect(pool.identities.get(bobs.identityId)).toBe('sub-bob');
    expect(bobs.identityId).not.toBe(user.identityId);
    expect(bobs.secretAccessKey).not.toBe(user.secretAccessKey);
    await auth.signOut();
    services.script.signIn = { ok: alice };
    await auth.signIn(ALICE);
    expect((await auth.fetchCredentials()).identityId).toBe(user.identityId);
  });

  it('the provider keys what it holds by user: without a clear between them, a second user still gets their own', async () => {
    const pool = identityPoolEndpoint();
    const provider = pool.provider();
    const request = (tokens: typeof alice) => ({
      tokens: async () => tokens,
      forceRefresh: false,
      stopped: new AbortController().signal,
      remoteStepMs: 5000,
      hold: () => () => {},
    });
    const a = await provider.fetchCredentials(request(alice));
    const b = await provider.fetchCredentials(request(bob));
    expect(pool.identities.get(b.identityId)).toBe('sub-bob');
    expect(b.secretAccessKey).not.toBe(a.secretAccessKey);
    expect((await provider.fetchCredentials(request(alice))).secretAccessKey).toBe(a.secretAccessKey);
  });

  it('a user: GetId with Logins, then GetCredentialsForIdentity; held until 5 minutes before Expiration; forceRefresh fetches', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth, pool } = credentialsWorld();
    await auth.ready;
    expect(await codeOf(auth.fetchCredentials())).toBe('NotSignedIn');
    await auth.signIn(ALICE);
    const first = await auth.fetchCredentials();
    expect(pool.calls.map((c) => c.target)).toEqual([GET_ID, GET_CREDS]);
    expect((await auth.fetchCredentials()).secretAccessKey).toBe(first.secretAccessKey);
    expect(pool.calls).toHaveLength(2);
    // forceRefresh: one GetCredentialsForIdentity for the identity held (no GetId).
    const forced = await auth.fetchCredentials({ forceRefresh: true });
    expect(forced.secretAccessKey).not.toBe(first.secretAccessKey);
    expect(pool.calls.map((c) => c.target)).toEqual([GET_ID, GET_CREDS, GET_CREDS]);
    vi.advanceTimersByTime(54 * 60_000);
    expect((await auth.fetchCredentials()).secretAccessKey).toBe(forced.secretAccessKey);
    vi.advanceTimersByTime(2 * 60_000);
    expect((await auth.fetchCredentials()).secretAccessKey).not.toBe(forced.secretAccessKey);
  });

  it('expiry → ten concurrent callers cause one GetCredentialsForIdentity', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth, pool } = credentialsWorld();
    await auth.ready;
    await auth.signIn(ALICE);
    const first = await auth.fetchCredentials();
    const before = pool.calls.length;
    vi.advanceTimersByTime(56 * 60_000); // within 5 minutes of Expiration
    pool.gate();
    const ten = Array.from({ length: 10 }, () => auth.fetchCredentials());
    await until(() => pool.heldCount() === 1);
    pool.release();
    const got = await Promise.all(ten);
    expect(pool.calls.slice(before).map((c) => c.target)).toEqual([GET_CREDS]);
    expect(new Set(got.map((c) => c.secretAccessKey)).size).toBe(1);
    expect(got[0]?.secretAccessKey).not.toBe(first.secretAccessKey);
    expect(got[0]?.identityId).toBe(first.identityId);
  });

  it('a sign-out during a fetch: its callers reject Cancelled, and its answer never lands (row 37)', async () => {
    const { auth, pool } = credentialsWorld({ allowGuest: true });
    await auth.ready;
    await auth.signIn(ALICE);
    pool.gate();
    const fetching = Array.from({ length: 3 }, () => codeOf(auth.fetchCredentials()));
    await until(() => pool.heldCount() === 1);
    const signOut = auth.signOut();
    expect((await signOut).status).toBe('complete');
    pool.release();
    expect(await Promise.all(fetching)).toEqual(['Cancelled', 'Cancelled', 'Cancelled']);
    // A guest's now: a new guest identity, never the user's.
    const guest = await auth.fetchCredentials();
    expect(pool.identities.get(guest.identityId)).toBeNull();
    expect(pool.issued.filter((c) => c.identityId === guest.identityId)).toHaveLength(1);
  });

  it('a sign-out during a fetch whose request ignores the abort: the answer comes, and still never lands (row 37)', async () => {
    const pool = identityPoolEndpoint();
    const deaf: typeof fetch = (url, init) => pool.fetch(url, { ...init, signal: null });
    const auth = createAuth({ services: fakeServices(alice), sync: null, credentials: pool.provider({ fetch: deaf }) });
    instances.push(auth);
    await auth.ready;
    await auth.signIn(ALICE);
    pool.gate();
    const fetching = codeOf(auth.fetchCredentials());
    await until(() => pool.heldCount() === 1);
    await auth.signOut();
    await auth.signIn(ALICE);
    pool.release();
    expect(await fetching).toBe('Cancelled');
    await until(() => pool.issued.length === 1);
    // The answer the endpoint gave during the sign-out is not what the next caller gets.
    const next = await auth.fetchCredentials();
    expect(next.secretAccessKey).not.toBe(pool.issued[0]?.secretKey);
  });

  it('a sign-out forgets them: the same user signing in again gets new ones (row 36)', async () => {
    const { auth, pool } = credentialsWorld();
    await auth.ready;
    await auth.signIn(ALICE);
    const first = await auth.fetchCredentials();
    await auth.signOut();
    expect(await codeOf(auth.fetchCredentials())).toBe('NotSignedIn');
    await auth.signIn(ALICE);
    const before = pool.calls.length;
    const again = await auth.fetchCredentials();
    expect(again.secretAccessKey).not.toBe(first.secretAccessKey);
    // Nothing kept, not even the identity id: GetId again.
    expect(pool.calls.slice(before).map((c) => c.target)).toEqual([GET_ID, GET_CREDS]);
  });

  it('a refused refresh forgets them too (row 36)', async () => {
    const { auth, pool, services } = credentialsWorld();
    await auth.ready;
    await auth.signIn(ALICE);
    const first = await auth.fetchCredentials();
    services.script.refresh = { error: new AuthError('NotAuthorized', 'Refresh Token has been revoked') };
    expect(await codeOf(auth.fetchTokens({ forceRefresh: true }))).toBe('NotAuthorized');
    await until(() => auth.state === 'signedOut');
    services.script.refresh = { ok: { accessToken: alice.accessToken, idToken: alice.idToken } };
    await auth.signIn(ALICE);
    expect((await auth.fetchCredentials()).secretAccessKey).not.toBe(first.secretAccessKey);
    expect(pool.calls.filter((c) => c.target === GET_ID)).toHaveLength(2);
  });

  it("another context's sign-out, followed through storage, forgets them (row 36)", async () => {
    const storage = memoryStorage();
    const bus = memorySyncBus();
    const a = credentialsWorld({ auth: { storage, sync: bus.connect } });
    const b = credentialsWorld({ auth: { storage, sync: bus.connect } });
    await a.auth.ready;
    await b.auth.ready;
    await a.auth.signIn(ALICE);
    await until(() => b.auth.state.startsWith('signedIn'));
    const held = await b.auth.fetchCredentials();
    await a.auth.signOut();
    await until(() => b.auth.state === 'signedOut');
    expect(await codeOf(b.auth.fetchCredentials())).toBe('NotSignedIn');
    await a.auth.signIn(ALICE);
    await until(() => b.auth.state.startsWith('signedIn'));
    expect((await b.auth.fetchCredentials()).secretAccessKey).not.toBe(held.secretAccessKey);
  });

  it('no provider → InvalidConfig; after stop() → Cancelled; stop() during a fetch → Cancelled (row 36)', async () => {
    const plain = createAuth({ services: fakeServices(alice), sync: null });
    instances.push(plain);
    expect(await codeOf(plain.fetchCredentials())).toBe('InvalidConfig');

    const { auth, pool } = credentialsWorld();
    await auth.ready;
    await auth.signIn(ALICE);
    pool.gate();
    const fetching = codeOf(auth.fetchCredentials());
    await until(() => pool.heldCount() === 1);
    auth.stop();
    pool.release();
    expect(await fetching).toBe('Cancelled');
    expect(await codeOf(auth.fetchCredentials())).toBe('Cancelled');
  });

  it('a fetch that gets no answer is bounded by timeouts.remoteStepMs: Timeout, and the next call asks again', async () => {
    const pool = identityPoolEndpoint();
    let silent = true;
    const hanging: typeof fetch = (url, init) =>
      silent
        ? new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)))
        : pool.fetch(url, init);
    const auth = createAuth({
      services: fakeServices(alice),
      sync: null,
      timeouts: { remoteStepMs: 50 },
      credentials: pool.provider({ fetch: hanging }),
    });
    instances.push(auth);
    await auth.ready;
    await auth.signIn(ALICE);
    expect(await codeOf(auth.fetchCredentials())).toBe('Timeout');
    silent = false;
    expect((await auth.fetchCredentials()).secretAccessKey).toBeTruthy();
  });

  it('the identity pool refuses: the callers hear its typed error, and the next call tries again; the ID token sent is in no message', async () => {
    const { auth, pool } = credentialsWorld();
    await auth.ready;
    await auth.signIn(ALICE);
    pool.state.failNext = { status: 400, type: 'NotAuthorizedException' };
    const error = await auth.fetchCredentials().catch((e: AuthError) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('NotAuthorized');
    expect(JSON.stringify({ m: (error as AuthError).message })).not.toContain(alice.idToken);
    expect((await auth.fetchCredentials()).secretAccessKey).toBeTruthy();
  });
});
