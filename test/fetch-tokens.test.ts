import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type Auth,
  AuthError,
  type AuthEventPayload,
  createAuth,
  memorySyncBus,
  type SignOutResult,
  type Tokens,
} from '../src/index.js';
import { fakeServices } from './helpers/fakes.js';
import {
  flush,
  type GatedServices,
  type GatedStorage,
  gatedServices,
  gatedStorage,
  openGate,
  storedSession,
  T0,
  tokensExpiringIn,
  track,
  withGatedTestHooks,
} from './helpers/gated.js';
import { makeTokens } from './helpers/tokens.js';

/**
 * `fetchTokens()` (docs/guide.md, "Tokens for your API calls"), one rule per test, through the
 * public API with gated fakes (every remote answer is the test's) and fake time. Every promise is
 * tracked, never awaited, so one that never settles fails the test instead of hanging it.
 */
const TIMEOUTS = { remoteStepMs: 1000, storageMs: 100, refreshLeewayMs: 1000, refreshRetryMs: 600_000 };
const CREDENTIALS = { username: 'alice@example.com', password: 'correct horse' };

const failure = (t: { error?: unknown }) => {
  const e = t.error;
  if (!(e instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(e)}`);
  return { code: e.code, tokenExpiresAt: e.tokenExpiresAt };
};
const refreshCalls = (s: GatedServices) => s.made.filter((m) => m === 'refresh').length;

let auth: Auth | undefined;
let online = true;
withGatedTestHooks(() => auth);
beforeEach(() => {
  online = true;
});

/** A signed-in instance restored from storage, its access token expiring `leftS` seconds after T0. */
async function signedIn(leftS: number, storage?: GatedStorage) {
  const stored = tokensExpiringIn(leftS);
  const services = gatedServices();
  const store = storage ?? gatedStorage(storedSession(stored));
  if (storage) for (const [k, v] of Object.entries(storedSession(stored))) await storage.setItem(k, v);
  const a = createAuth({
    services,
    storage: store,
    sync: null,
    connectivity: { isOnline: () => online },
    timeouts: TIMEOUTS,
  });
  auth = a;
  await flush();
  expect(a.state).toBe('signedIn.waitingToRefresh');
  return { auth: a, services, storage: store, stored, expiresAt: (T0 + leftS) * 1000 };
}

describe('fetchTokens(): one refresh for every caller', () => {
  it('Ten concurrent fetchTokens() calls on a near-expiry session make exactly one refresh call', async () => {
    const { auth, services, storage } = await signedIn(45);
    const calls = Array.from({ length: 10 }, () => track(auth.fetchTokens()));
    await flush();
    expect(refreshCalls(services)).toBe(1);
    expect(calls.every((c) => !c.settled)).toBe(true);
    openGate(services, 'refresh').resolve();
    await flush();
    const fresh = services.refreshed[1] as Tokens;
    expect(calls.map((c) => c.value?.accessToken)).toEqual(Array(10).fill(fresh.accessToken));
    expect(calls.map((c) => c.value?.idToken)).toEqual(Array(10).fill(fresh.idToken));
    expect(refreshCalls(services)).toBe(1);
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    expect(JSON.stringify(storage.dump())).toContain(fresh.accessToken);
  });

  it('callers joining while the refresh runs, or while its tokens are stored, are answered when it ends', async () => {
    const { auth, services, storage } = await signedIn(45);
    const first = track(auth.fetchTokens());
    await flush();
    const joinsRefresh = track(auth.fetchTokens({ minValidityMs: 0 }));
    storage.mode = 'held';
    openGate(services, 'refresh').resolve();
    await flush();
    expect(auth.state).toBe('signedIn.storingRefreshedTokens');
    const joinsStore = track(auth.fetchTokens());
    await flush();
    expect([first.settled, joinsRefresh.settled, joinsStore.settled]).toEqual([false, false, false]);
    storage.release();
    await flush();
    const fresh = (services.refreshed[1] as Tokens).accessToken;
    expect([first, joinsRefresh, joinsStore].map((c) => c.value?.accessToken)).toEqual([fresh, fresh, fresh]);
    expect(refreshCalls(services)).toBe(1);
  });
});

describe('fetchTokens(): when no refresh is needed, or none can run', () => {
  it('tokens valid for minValidityMs: resolves at once with the tokens held, no call', async () => {
    const { auth, services, stored } = await signedIn(45);
    const exact = track(auth.fetchTokens({ minValidityMs: 45_000 }));
    await flush();
    expect(exact.value?.accessToken).toBe(stored.accessToken);
    expect(services.made).toEqual([]);
    // One millisecond more than the token has left: a refresh.
    track(auth.fetchTokens({ minValidityMs: 45_001 }));
    await flush();
    expect(services.made).toEqual(['refresh']);
  });

  it('validity is read on the local clock: with clockToleranceMs, tokens whose exp is past on a skewed device clock still do', async () => {
    // The server's clock is 2 h behind: the tokens' exp is in the device's past, yet they live an hour.
    // The token checks refuse such tokens unless the app allows that much skew (docs/security.md).
    const services = gatedServices(makeTokens({ now: T0 - 7200 }));
    auth = createAuth({
      services,
      sync: null,
      connectivity: { isOnline: () => true },
      timeouts: TIMEOUTS,
      clockToleranceMs: 3 * 3_600_000,
    });
    await flush();
    track(auth.signIn(CREDENTIALS));
    await flush();
    openGate(services, 'signIn').resolve();
    await flush();
    vi.advanceTimersByTime(3_000_000); // 50 min of the hour pass
    const t = track(auth.fetchTokens({ minValidityMs: 9 * 60_000 }));
    await flush();
    expect(t.value?.accessToken).toBe(services.signInTokens.accessToken);
    expect(services.made).toEqual(['signIn']);
  });

  it('forceRefresh: refreshes even when the tokens are fresh', async () => {
    const { auth, services } = await signedIn(3600);
    const t = track(auth.fetchTokens({ forceRefresh: true }));
    await flush();
    expect(services.made).toEqual(['refresh']);
    openGate(services, 'refresh').resolve();
    await flush();
    expect(t.value?.accessToken).toBe(services.refreshed[1]?.accessToken);
  });

  it('while restoring: waits for the restore, then answers from the restored session', async () => {
    const stored = tokensExpiringIn(3600);
    const storage = gatedStorage(storedSession(stored), 'held');
    auth = createAuth({ services: gatedServices(), storage, sync: null, timeouts: TIMEOUTS });
    const t = track(auth.fetchTokens());
    await flush();
    expect(t.settled).toBe(false);
    storage.release();
    await flush();
    expect(t.value?.accessToken).toBe(stored.accessToken);
  });

  it('signed out, signing in, signing out: rejects NotSignedIn at once, no call', async () => {
    const services = gatedServices();
    auth = createAuth({ services, storage: gatedStorage(storedSession()), sync: null, timeouts: TIMEOUTS });
    await flush();
    track(auth.signOut());
    await flush();
    expect(auth.state).toBe('signingOut.revokingRefreshToken');
    const duringSignOut = track(auth.fetchTokens());
    await flush();
    openGate(services, 'revokeToken').resolve();
    await flush();
    const signedOut = track(auth.fetchTokens({ forceRefresh: true }));
    track(auth.signIn(CREDENTIALS));
    await flush();
    const duringSignIn = track(auth.fetchTokens());
    await flush();
    expect([duringSignOut, signedOut, duringSignIn].map((t) => failure(t).code)).toEqual([
      'NotSignedIn',
      'NotSignedIn',
      'NotSignedIn',
    ]);
    expect(services.made).toEqual(['revokeToken', 'signIn']);
  });

  it('offline: rejects Offline with the held token expiry, no call; the session stays', async () => {
    online = false;
    const { auth, services, expiresAt } = await signedIn(45);
    const t = track(auth.fetchTokens());
    await flush();
    expect(failure(t)).toEqual({ code: 'Offline', tokenExpiresAt: expiresAt });
    expect(services.made).toEqual([]);
    expect(auth.state).toBe('signedIn.waitingToRefresh');
  });
});

describe('fetchTokens(): what the refresh answered', () => {
  it('network failure: rejects Network with tokenExpiresAt, the session stays', async () => {
    const { auth, services, stored, expiresAt } = await signedIn(45);
    const t = track(auth.fetchTokens());
    await flush();
    openGate(services, 'refresh').reject(new AuthError('Network', 'fetch failed'));
    await flush();
    expect(failure(t)).toEqual({ code: 'Network', tokenExpiresAt: expiresAt });
    expect(auth.state).toBe('signedIn.waitingToRetryRefresh');
    expect(auth.getTokens()?.accessToken).toBe(stored.accessToken);
    expect(refreshCalls(services)).toBe(1);
  });

  it('no answer: rejects Timeout with tokenExpiresAt exactly at remoteStepMs, the session stays', async () => {
    const { auth, services, expiresAt } = await signedIn(45);
    const t = track(auth.fetchTokens());
    await flush();
    await vi.advanceTimersByTimeAsync(TIMEOUTS.remoteStepMs - 1);
    expect(t.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(failure(t)).toEqual({ code: 'Timeout', tokenExpiresAt: expiresAt });
    expect(services.open).toEqual([]); // the refresh was aborted
    expect(auth.state).toBe('signedIn.waitingToRetryRefresh');
  });

  it('refused (NotAuthorized): the session ends, signedOut with reason refreshRejected, storage cleared', async () => {
    const { auth, services, storage } = await signedIn(45);
    const events: AuthEventPayload<'signedOut'>[] = [];
    auth.on('signedOut', (p) => events.push(p));
    const t = track(auth.fetchTokens());
    await flush();
    openGate(services, 'refresh').reject(new AuthError('NotAuthorized', 'Refresh Token has been revoked'));
    await flush();
    expect(t.settled && t.error instanceof AuthError).toBe(true);
    expect(auth.state).toBe('signedOut');
    expect(events.map((e) => e.reason)).toEqual(['refreshRejected']);
    expect(Object.keys(storage.dump()).filter((k) => k.startsWith('authchart.'))).toEqual([]);
    expect(services.made).toEqual(['refresh']);
  });

  it('refused (NotAuthorized): the callers reject NotAuthorized', async () => {
    const { auth, services } = await signedIn(45);
    const t = track(auth.fetchTokens());
    await flush();
    openGate(services, 'refresh').reject(new AuthError('NotAuthorized', 'Refresh Token has been revoked'));
    await flush();
    expect(failure(t).code).toBe('NotAuthorized');
  });

  it.each([
    ['rejects', 'failing'],
    ['never answers', 'hung'],
  ] as const)('storing the refreshed tokens %s: the callers still get them (in memory)', async (_, mode) => {
    const { auth, services, storage, stored } = await signedIn(45);
    const failures: AuthEventPayload<'tokensNotStored'>[] = [];
    auth.on('tokensNotStored', (p) => failures.push(p));
    const t = track(auth.fetchTokens());
    await flush();
    storage.mode = mode;
    openGate(services, 'refresh').resolve();
    await flush();
    if (mode === 'hung') {
      expect(t.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(TIMEOUTS.storageMs);
      await flush();
    }
    const fresh = services.refreshed[1] as Tokens;
    expect(t.value?.accessToken).toBe(fresh.accessToken);
    expect(auth.getTokens()?.accessToken).toBe(fresh.accessToken);
    expect(failures.map((f) => f.error.code)).toEqual(['StorageFailure']);
    storage.mode = 'open';
    expect(JSON.stringify(storage.dump())).toContain(stored.accessToken);
    // The write is retried (after the refresh back-off), not left for the next refresh (docs/storage.md,
    // "A refresh whose write fails").
    expect(auth.state).toBe('signedIn.waitingToRetryStore');
    await vi.advanceTimersByTimeAsync(TIMEOUTS.refreshRetryMs);
    await flush();
    expect(JSON.stringify(storage.dump())).toContain(fresh.accessToken);
    expect(JSON.stringify(storage.dump())).not.toContain(stored.accessToken);
    expect(auth.state).toBe('signedIn.waitingToRefresh');
  });
});

describe('fetchTokens(): a sign-out or stop() wins', () => {
  it('signOut() during the refresh: the callers reject Cancelled, the refresh is aborted', async () => {
    const { auth, services } = await signedIn(45);
    const t = [track(auth.fetchTokens()), track(auth.fetchTokens({ forceRefresh: true }))];
    await flush();
    const out = track(auth.signOut());
    await flush();
    expect(t.map((x) => failure(x))).toEqual([
      { code: 'Cancelled', tokenExpiresAt: undefined },
      { code: 'Cancelled', tokenExpiresAt: undefined },
    ]);
    expect(services.open.map((g) => g.step)).toEqual(['revokeToken']);
    openGate(services, 'revokeToken').resolve();
    await flush();
    expect(out.value?.status).toBe('complete');
    expect(auth.getTokens()).toBeNull();
  });

  it("another tab's sign-out during the refresh: the callers reject Cancelled, no call of ours", async () => {
    const bus = memorySyncBus();
    const storage = gatedStorage(storedSession(tokensExpiringIn(45)));
    const services = gatedServices();
    auth = createAuth({ services, storage, sync: bus.connect, timeouts: TIMEOUTS });
    const other = createAuth({ services: fakeServices(), storage, sync: bus.connect });
    await flush();
    const t = track(auth.fetchTokens());
    await flush();
    const out = track(other.signOut());
    await vi.advanceTimersByTimeAsync(10);
    await flush();
    expect(out.value?.status).toBe('complete');
    expect(failure(t).code).toBe('Cancelled');
    expect(auth.state).toBe('signedOut');
    expect(services.made).toEqual(['refresh']);
    other.stop();
  });

  it('stop(): pending callers reject Cancelled, later ones too', async () => {
    const { auth, services } = await signedIn(45);
    const t = track(auth.fetchTokens());
    await flush();
    auth.stop();
    const after = track(auth.fetchTokens());
    await flush();
    expect([failure(t).code, failure(after).code]).toEqual(['Cancelled', 'Cancelled']);
    expect(services.open).toEqual([]);
  });
});

describe('signOut({ global: true }) with an expired access token: one refresh first', () => {
  async function globalSignOut(leftS: number) {
    const s = await signedIn(leftS);
    const out = track<SignOutResult>(s.auth.signOut({ global: true }));
    await flush();
    return { ...s, out };
  }
  const codes = (r: SignOutResult | undefined) => {
    const e = r as unknown as Record<string, AuthError | undefined>;
    return { global: e['globalSignOutError']?.code, revoke: e['revokeTokenError']?.code };
  };

  it('refreshed: GlobalSignOut receives the NEW access token, then no RevokeToken', async () => {
    const { auth, services, stored, out } = await globalSignOut(2);
    expect(auth.state).toBe('signingOut.refreshingForGlobalSignOut');
    expect(openGate(services, 'refresh').token).toBe(stored.refreshToken);
    openGate(services, 'refresh').resolve();
    await flush();
    const fresh = services.refreshed[1] as Tokens;
    expect(openGate(services, 'globalSignOut').token).toBe(fresh.accessToken);
    openGate(services, 'globalSignOut').resolve();
    await flush();
    expect(out.value?.status).toBe('complete');
    expect(out.value?.steps).toMatchObject({ globalSignOut: 'done', revokeToken: 'notRun', clearCache: 'done' });
    expect(services.made).toEqual(['refresh', 'globalSignOut']);
  });

  it('an access token with 5 s or more left: no refresh', async () => {
    const { services } = await globalSignOut(5);
    expect(services.made).toEqual(['globalSignOut']);
  });

  it('refresh refused: GlobalSignOut skipped with NotAuthorized, RevokeToken still runs', async () => {
    const { services, stored, out } = await globalSignOut(2);
    openGate(services, 'refresh').reject(new AuthError('NotAuthorized', 'Refresh Token has been revoked'));
    await flush();
    expect(openGate(services, 'revokeToken').token).toBe(stored.refreshToken);
    openGate(services, 'revokeToken').resolve();
    await flush();
    expect(out.value?.status).toBe('partial');
    expect(out.value?.steps).toMatchObject({ globalSignOut: 'skipped', revokeToken: 'done', clearCache: 'done' });
    expect(codes(out.value)).toEqual({ global: 'NotAuthorized', revoke: undefined });
    expect(services.made).toEqual(['refresh', 'revokeToken']);
  });

  it.each([
    ['Network', 'fails on the network'],
    ['Timeout', 'never answers'],
  ] as const)(
    'refresh %s (%s): GlobalSignOut failed with it, RevokeToken skipped, no further call',
    async (code, _how) => {
      const { auth, services, out } = await globalSignOut(2);
      if (code === 'Network') openGate(services, 'refresh').reject(new AuthError('Network', 'fetch failed'));
      else await vi.advanceTimersByTimeAsync(TIMEOUTS.remoteStepMs);
      await flush();
      expect(out.value?.status).toBe('partial');
      expect(out.value?.steps).toMatchObject({ globalSignOut: 'failed', revokeToken: 'skipped', clearCache: 'done' });
      expect(codes(out.value)).toEqual({ global: code, revoke: code });
      expect(services.made).toEqual(['refresh']);
      expect(auth.state).toBe('signedOut');
    },
  );
});
