import { describe, expect, it, vi } from 'vitest';
import { type Auth, AuthError, type CreateAuthOptions, createAuth, type SignOutResult } from '../src/index.js';
import { fakeServices } from './helpers/fakes.js';
import { flush, gatedServices, gatedStorage, storedSession, track, withGatedTestHooks } from './helpers/gated.js';

/**
 * Regressions for the call-order defects once found (the rules: docs/sign-out.md, "Call order: the
 * chart decides"), each through the public API only. Every promise is tracked instead of awaited, so
 * a promise that never settles fails the test instead of hanging it.
 */
const CREDENTIALS = { username: 'alice@example.com', password: 'correct horse' };
const OWN = 'authchart.client123.';

const codeOf = (error: unknown) => (error instanceof AuthError ? error.code : String(error));
const ownKeysOf = (storage: { dump(): Record<string, string> }) =>
  Object.keys(storage.dump()).filter((k) => k.startsWith(OWN));

function make(options: Partial<CreateAuthOptions> & Pick<CreateAuthOptions, 'services'>): Auth {
  return createAuth({ sync: null, connectivity: { isOnline: () => true }, ...options });
}

let auth: Auth | undefined;
withGatedTestHooks(() => auth);

describe('the latest intent wins: a sign-out overtakes a sign-in', () => {
  it('signIn() then signOut() in the same tick: the sign-in rejects Cancelled, the user ends signed out', async () => {
    const services = fakeServices();
    const storage = gatedStorage();
    auth = make({ services, storage });
    await flush();
    expect(auth.state).toBe('signedOut');
    const signIn = track(auth.signIn(CREDENTIALS));
    const signOut = track(auth.signOut());
    await flush();
    expect(codeOf(signIn.error)).toBe('Cancelled');
    expect(signOut.value).toMatchObject({ signedOutLocally: true, status: 'complete' });
    expect(auth.state).toBe('signedOut');
    expect(auth.getSession()).toBeNull();
    expect(ownKeysOf(storage)).toEqual([]);
  });

  it.each([
    ['nothing stored', {}],
    ['a session stored', storedSession()],
  ])('signOut() before ready while a sign-in is queued (%s): Cancelled, then signed out', async (_, initial) => {
    const services = gatedServices();
    const storage = gatedStorage(initial);
    auth = make({ services, storage });
    expect(auth.state).toBe('restoring.readingStoredSession');
    const signIn = track(auth.signIn(CREDENTIALS));
    const signOut = track(auth.signOut());
    await flush();
    services.open.at(-1)?.resolve(); // RevokeToken of the restored session, if any
    await flush();
    expect(codeOf(signIn.error)).toBe('Cancelled');
    expect(signOut.value).toMatchObject({ signedOutLocally: true, status: 'complete' });
    expect(services.made.filter((s) => s === 'signIn')).toEqual([]);
    expect(auth.state).toBe('signedOut');
    expect(ownKeysOf(storage)).toEqual([]);
  });

  it('a signOut() that joins a running sign-out also cancels the sign-in queued behind it', async () => {
    // signedIn → signOut() (RevokeToken pending) → signIn() (queued) → signOut() (joins).
    // Rule: a signOut overtakes a queued sign-in. Today the sign-in runs after the sign-out,
    // and the user ends signed in although the last call was a signOut that answered `complete`.
    const services = gatedServices();
    const storage = gatedStorage(storedSession());
    auth = make({ services, storage });
    await flush();
    const first = track(auth.signOut());
    await flush();
    expect(services.open.map((g) => g.step)).toEqual(['revokeToken']);
    const signIn = track(auth.signIn(CREDENTIALS));
    const second = track(auth.signOut());
    services.open.at(-1)?.resolve();
    await flush();
    services.open.at(-1)?.resolve(); // the queued sign-in's call, if it was (wrongly) made
    await flush();
    expect(first.value?.status).toBe('complete');
    expect(second.value?.status).toBe('complete');
    expect(codeOf(signIn.error)).toBe('Cancelled');
    expect(services.made).not.toContain('signIn');
    expect(auth.state).toBe('signedOut');
  });
});

describe('stop() settles everything', () => {
  it('stop() while the stored session is being read (getItem never settles): ready, signIn and signOut settle', async () => {
    const never = () => new Promise<never>(() => {});
    const storage = { getItem: never, setItem: never, removeItem: never };
    auth = make({ services: fakeServices(), storage });
    const ready = track(auth.ready);
    // A sign-out, then a sign-in queued behind it: both wait for the read.
    const signOut = track(auth.signOut({ global: true }));
    const signIn = track(auth.signIn(CREDENTIALS));
    await flush();
    expect([ready.settled, signIn.settled, signOut.settled]).toEqual([false, false, false]);
    auth.stop();
    await flush();
    expect(ready.settled).toBe(true);
    expect(codeOf(signIn.error)).toBe('Cancelled');
    const result = signOut.value as SignOutResult;
    expect(result).toMatchObject({ status: 'failed', signedOutLocally: false, scope: 'global' });
    expect(result.status === 'failed' && result.error.code).toBe('Cancelled');
    // And calls after stop() answer the same at once.
    const late = [track(auth.signIn(CREDENTIALS)), track(auth.adoptSession(storedTokens())), track(auth.signOut())];
    await flush();
    expect(late.map((t) => (t.error ? codeOf(t.error) : (t.value as SignOutResult | undefined)?.status))).toEqual([
      'Cancelled',
      'Cancelled',
      'failed',
    ]);
  });
});

function storedTokens() {
  const { accessToken, idToken, refreshToken } = JSON.parse(String(storedSession()[`${OWN}session`]));
  return { accessToken, idToken, refreshToken };
}

describe('storage is bounded like the network', () => {
  it('a storage call that never settles: signOut() settles failed with StorageFailure after timeouts.storageMs', async () => {
    const storageMs = 100;
    const services = fakeServices();
    const storage = gatedStorage(storedSession());
    auth = make({ services, storage, timeouts: { storageMs } });
    await flush();
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    storage.mode = 'hung';
    const signOut = track(auth.signOut());
    await flush();
    await vi.advanceTimersByTimeAsync(storageMs - 1);
    expect(signOut.settled).toBe(false); // the journal write is still within its bound
    // Journal bound, RevokeToken (answers at once), then the clear's bound.
    await vi.advanceTimersByTimeAsync(storageMs + 2);
    await flush();
    expect(signOut.settled).toBe(true);
    const result = signOut.value as SignOutResult;
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.error.code).toBe('StorageFailure');
    expect(result.error.message).toContain(`did not answer within ${storageMs} ms`);
    expect(result.steps.clearCache).toBe('failed');
    expect(services.calls.revokeToken).toHaveLength(1);
    // Still signed in, may retry; the clear may land late, so storage is read again after a back-off (row 24).
    expect(auth.state).toBe('signedIn.waitingToRecheck');
  });
});

describe('signOut({ global: true }) during a local sign-out: upgraded, or told GlobalSignOut did not run', () => {
  async function signedInWithHeldJournal() {
    const services = gatedServices();
    const storage = gatedStorage(storedSession());
    const a = make({ services, storage });
    auth = a;
    await flush();
    expect(a.state).toBe('signedIn.waitingToRefresh');
    return { a, services, storage };
  }

  it('asked while the journal is being written: upgraded, GlobalSignOut runs once, both callers get the global result', async () => {
    const { a, services, storage } = await signedInWithHeldJournal();
    storage.mode = 'held';
    const local = track(a.signOut());
    await flush();
    expect(a.state).toBe('signingOut.writingJournal');
    const global = track(a.signOut({ global: true }));
    storage.release();
    await flush();
    expect(services.open.map((g) => g.step)).toEqual(['globalSignOut']);
    services.open[0]?.resolve();
    await flush();
    expect(services.made).toEqual(['globalSignOut']);
    for (const t of [local, global]) {
      expect(t.value).toMatchObject({ status: 'complete', scope: 'global', steps: { globalSignOut: 'done' } });
    }
    expect(a.state).toBe('signedOut');
  });

  it('asked while RevokeToken runs: the global caller gets partial with GlobalSignOutNotRun, never the local answer', async () => {
    const { a, services } = await signedInWithHeldJournal();
    const local = track(a.signOut());
    await flush();
    expect(services.open.map((g) => g.step)).toEqual(['revokeToken']);
    const global = track(a.signOut({ global: true }));
    services.open[0]?.resolve();
    await flush();
    expect(services.made).toEqual(['revokeToken']);
    expect(local.value).toMatchObject({ status: 'complete', scope: 'local', steps: { revokeToken: 'done' } });
    const g = global.value as SignOutResult & { globalSignOutError?: AuthError };
    expect(g).toMatchObject({ status: 'partial', scope: 'global', signedOutLocally: true });
    expect(g.steps.globalSignOut).toBe('skipped');
    expect(g.globalSignOutError?.code).toBe('GlobalSignOutNotRun');
    expect(a.state).toBe('signedOut');
  });
});

describe('options are checked up front', () => {
  it('createAuth({ storage: {} }) throws InvalidConfig naming getItem, setItem and removeItem', () => {
    let thrown: unknown;
    try {
      auth = createAuth({ services: fakeServices(), storage: {} as never });
    } catch (error) {
      thrown = error;
    }
    expect(codeOf(thrown)).toBe('InvalidConfig');
    const message = (thrown as Error).message;
    for (const name of ['getItem', 'setItem', 'removeItem']) expect(message).toContain(name);
  });
});
