import { describe, expect, it, vi } from 'vitest';
import { AuthError, createAuth, memoryStorage, memorySyncBus } from '../src/index.js';
import {
  ALICE,
  alice,
  BOB,
  bob,
  credentialsWorld,
  GET_CREDS,
  GET_ID,
  instances,
  until,
} from './helpers/credentials-world.js';
import { deferred, fakeServices } from './helpers/fakes.js';
import { identityPoolEndpoint, POOL_ID } from './helpers/identity-pool-endpoint.js';
import { makeTokens } from './helpers/tokens.js';

/**
 * `createAuth({ credentials: identityPool() })` and `auth.fetchCredentials()` used as a hostile app
 * would (docs/sign-out.md rows 36–39): no credentials after a sign-out, and the races around it.
 * A hostile endpoint and the secrets: identity-pool-hostile.test.ts; misuse: identity-pool-misuse.test.ts.
 */
/** What a call settled with: its credentials, or its error code. */
const outcome = (p: Promise<{ secretAccessKey: string; identityId: string }>) =>
  p.then(
    (c) => ({ ok: c }),
    (e: unknown) => ({ code: e instanceof AuthError ? e.code : String(e) }),
  );
/** Every secret the endpoint handed out for `sub` (or its identity). */
const secretsOf = (pool: ReturnType<typeof identityPoolEndpoint>, sub: string) =>
  pool.issued.filter((c) => pool.identities.get(c.identityId) === sub).flatMap((c) => [c.secretKey, c.sessionToken]);

describe('no credentials after a sign-out, ever (rows 36–39)', () => {
  it("a fetch in flight at signOut() with allowGuest: Cancelled, and the next guest call gets neither the user's keys nor identity; GetId is sent without Logins", async () => {
    const { auth, pool } = credentialsWorld({ allowGuest: true });
    await auth.ready;
    await auth.signIn(ALICE);
    const user = await auth.fetchCredentials();
    pool.gate();
    const inFlight = outcome(auth.fetchCredentials({ forceRefresh: true }));
    await until(() => pool.heldCount() === 1);
    await auth.signOut();
    pool.release();
    expect(await inFlight).toEqual({ code: 'Cancelled' });
    const before = pool.calls.length;
    const guest = await auth.fetchCredentials();
    expect(guest.identityId).not.toBe(user.identityId);
    expect(secretsOf(pool, 'sub-alice')).not.toContain(guest.secretAccessKey);
    const sent = pool.calls.slice(before);
    expect(sent.map((c) => c.target)).toEqual([GET_ID, GET_CREDS]);
    expect(sent[0]?.body).toEqual({ IdentityPoolId: POOL_ID });
    expect(sent[1]?.body).toEqual({ IdentityId: guest.identityId });
  });

  it('a fetch in flight at a refused refresh (the chart leaves signedIn): Cancelled, nothing of the user lands', async () => {
    const { auth, pool, services } = credentialsWorld({ allowGuest: true });
    await auth.ready;
    await auth.signIn(ALICE);
    const user = await auth.fetchCredentials();
    pool.gate();
    const inFlight = outcome(auth.fetchCredentials({ forceRefresh: true }));
    await until(() => pool.heldCount() === 1);
    services.script.refresh = { error: new AuthError('NotAuthorized', 'Refresh Token has been revoked') };
    await auth.fetchTokens({ forceRefresh: true }).catch(() => {});
    await until(() => auth.state === 'signedOut');
    pool.release();
    expect(await inFlight).toEqual({ code: 'Cancelled' });
    const guest = await auth.fetchCredentials();
    expect(guest.identityId).not.toBe(user.identityId);
    expect(pool.calls.at(-1)?.body).toEqual({ IdentityId: guest.identityId });
  });

  it("a fetch in flight at another context's sign-out followed through storage: Cancelled; then NotSignedIn, never the user's", async () => {
    const storage = memoryStorage();
    const bus = memorySyncBus();
    const pool = identityPoolEndpoint();
    const a = credentialsWorld({ pool, auth: { storage, sync: bus.connect } });
    const b = createAuth({ services: fakeServices(alice), storage, sync: bus.connect, credentials: pool.provider() });
    instances.push(b);
    await a.auth.ready;
    await b.ready;
    await a.auth.signIn(ALICE);
    await until(() => b.state.startsWith('signedIn'));
    pool.gate();
    const inFlight = outcome(b.fetchCredentials());
    await until(() => pool.heldCount() === 1);
    await a.auth.signOut();
    await until(() => b.state === 'signedOut');
    pool.release();
    expect(await inFlight).toEqual({ code: 'Cancelled' });
    expect(await outcome(b.fetchCredentials())).toEqual({ code: 'NotSignedIn' });
  });

  it('stop() with a fetch in flight and callers queued behind it: every caller Cancelled, later calls Cancelled', async () => {
    const { auth, pool } = credentialsWorld();
    await auth.ready;
    await auth.signIn(ALICE);
    pool.gate();
    const calls = Array.from({ length: 5 }, () => outcome(auth.fetchCredentials()));
    await until(() => pool.heldCount() === 1);
    auth.stop();
    pool.release();
    expect((await Promise.all(calls)).map((o) => ('code' in o ? o.code : 'resolved'))).toEqual(
      Array(5).fill('Cancelled'),
    );
    expect(await outcome(auth.fetchCredentials())).toEqual({ code: 'Cancelled' });
  });
});

describe('races', () => {
  it('fetchCredentials() while signing in: NotSignedIn without allowGuest (never waits into the new session)', async () => {
    const { auth, services, pool } = credentialsWorld();
    await auth.ready;
    const gate = deferred<typeof alice>();
    services.script.signIn = () => gate.promise;
    const signingIn = auth.signIn(ALICE);
    await until(() => auth.state.startsWith('signingIn'));
    const during = outcome(auth.fetchCredentials());
    gate.resolve(alice);
    await signingIn;
    expect(await during).toEqual({ code: 'NotSignedIn' });
    expect(pool.calls).toHaveLength(0);
  });

  it("fetchCredentials() while signing in with allowGuest: the guest's own identity, never the user's (GetId without Logins)", async () => {
    const { auth, services, pool } = credentialsWorld({ allowGuest: true });
    await auth.ready;
    const gate = deferred<typeof alice>();
    services.script.signIn = () => gate.promise;
    const signingIn = auth.signIn(ALICE);
    await until(() => auth.state.startsWith('signingIn'));
    pool.gate();
    const during = outcome(auth.fetchCredentials());
    await until(() => pool.heldCount() === 1);
    gate.resolve(alice);
    await signingIn;
    pool.release();
    const got = await during;
    expect('ok' in got).toBe(true);
    expect(pool.calls[0]?.body).toEqual({ IdentityPoolId: POOL_ID });
    const user = await auth.fetchCredentials();
    expect(pool.identities.get(user.identityId)).toBe('sub-alice');
    if ('ok' in got) expect(got.ok.secretAccessKey).not.toBe(user.secretAccessKey);
  });

  it('fetchCredentials() while a refresh runs: waits for it and gets the credentials for the refreshed ID token', async () => {
    const { auth, services, pool } = credentialsWorld();
    await auth.ready;
    await auth.signIn(ALICE);
    const gate = deferred<{ accessToken: string; idToken: string }>();
    services.script.refresh = () => gate.promise;
    const refreshing = auth.fetchTokens({ forceRefresh: true });
    await until(() => services.inFlight.refresh === 1);
    const during = outcome(auth.fetchCredentials());
    const fresh = makeTokens({ username: 'alice', sub: 'sub-alice' });
    gate.resolve({ accessToken: fresh.accessToken, idToken: fresh.idToken });
    await refreshing;
    const got = await during;
    expect('ok' in got && pool.identities.get(got.ok.identityId)).toBe('sub-alice');
    expect(Object.values(pool.calls[0]?.body['Logins'] as object)).toEqual([fresh.idToken]);
  });

  it('fetchCredentials() while signing out (allowGuest): a guest identity, never the leaving user', async () => {
    const { auth, services, pool } = credentialsWorld({ allowGuest: true });
    await auth.ready;
    await auth.signIn(ALICE);
    const user = await auth.fetchCredentials();
    const gate = deferred();
    services.script.revokeToken = () => gate.promise;
    const signingOut = auth.signOut();
    await until(() => auth.state.startsWith('signingOut'));
    const during = await outcome(auth.fetchCredentials());
    gate.resolve();
    await signingOut;
    expect('ok' in during && during.ok.identityId).not.toBe(user.identityId);
    expect('ok' in during && pool.identities.get(during.ok.identityId)).toBeNull();
  });

  it('ten concurrent callers with the held credentials expiring: one GetCredentialsForIdentity, all the same fresh keys', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth, pool } = credentialsWorld();
    await auth.ready;
    await auth.signIn(ALICE);
    const first = await auth.fetchCredentials();
    vi.advanceTimersByTime(59 * 60_000);
    const before = pool.calls.length;
    const ten = await Promise.all(Array.from({ length: 10 }, () => auth.fetchCredentials()));
    expect(pool.calls.slice(before).map((c) => c.target)).toEqual([GET_CREDS]);
    expect(new Set(ten.map((c) => c.secretAccessKey))).toEqual(new Set([ten[0]?.secretAccessKey]));
    expect(ten[0]?.secretAccessKey).not.toBe(first.secretAccessKey);
  });

  it('forceRefresh concurrent with a normal call while fresh: the normal call gets the held keys, the forced one new keys, one request', async () => {
    const { auth, pool } = credentialsWorld();
    await auth.ready;
    await auth.signIn(ALICE);
    const first = await auth.fetchCredentials();
    const before = pool.calls.length;
    const [forced, normal] = await Promise.all([
      auth.fetchCredentials({ forceRefresh: true }),
      auth.fetchCredentials(),
    ]);
    expect(forced.secretAccessKey).not.toBe(first.secretAccessKey);
    expect([first.secretAccessKey, forced.secretAccessKey]).toContain(normal.secretAccessKey);
    expect(pool.calls.slice(before)).toHaveLength(1);
  });

  it("sign-out, then sign-in as bob while alice's fetch is in flight, its answer arriving last: alice's caller Cancelled, bob never gets alice's keys or identity", async () => {
    const pool = identityPoolEndpoint();
    // A transport deaf to the abort: alice's answer really arrives, after bob's.
    const deaf: typeof fetch = (url, init) => pool.fetch(url, { ...init, signal: null });
    const services = fakeServices(alice);
    const auth = createAuth({ services, sync: null, credentials: pool.provider({ fetch: deaf }) });
    instances.push(auth);
    await auth.ready;
    await auth.signIn(ALICE);
    const aliceFirst = await auth.fetchCredentials();
    pool.gate();
    const alices = outcome(auth.fetchCredentials({ forceRefresh: true }));
    await until(() => pool.heldCount() === 1);
    await auth.signOut();
    services.script.signIn = { ok: bob };
    await auth.signIn(BOB);
    pool.release(); // alice's GetCredentialsForIdentity answers now
    const bobs = auth.fetchCredentials();
    const got = await bobs;
    expect(await alices).toEqual({ code: 'Cancelled' });
    expect(pool.identities.get(got.identityId)).toBe('sub-bob');
    expect(got.identityId).not.toBe(aliceFirst.identityId);
    await until(() => pool.issued.length >= 3);
    const again = await auth.fetchCredentials();
    expect(secretsOf(pool, 'sub-alice')).not.toContain(again.secretAccessKey);
    expect(again.identityId).toBe(got.identityId);
  });
});
