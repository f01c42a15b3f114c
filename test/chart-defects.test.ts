import { describe, expect, it, vi } from 'vitest';
import { type Auth, AuthError, type AuthEventPayload, createAuth, memorySyncBus } from '../src/index.js';
import {
  flush,
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

/**
 * Chart defects found by probes through the public API (fake time, gated fakes). Every
 * promise is tracked, never awaited, so one that never settles fails the test instead of hanging it.
 */
const TIMEOUTS = { remoteStepMs: 1000, storageMs: 100, refreshLeewayMs: 1000, refreshRetryMs: 600_000 };

const codeOf = (t: { error?: unknown }) =>
  t.error instanceof AuthError ? t.error.code : `not an AuthError: ${t.error}`;

let auth: Auth | undefined;
withGatedTestHooks(() => auth);

/** Restored from storage, the access token expiring `leftS` seconds after T0, on a bus a stranger shares. */
async function signedIn(leftS: number, options: { revocation?: 'auto' | 'always' | 'never' } = {}) {
  const stored = tokensExpiringIn(leftS);
  const services = gatedServices();
  const storage: GatedStorage = gatedStorage(storedSession(stored));
  const bus = memorySyncBus();
  const a = createAuth({ services, storage, sync: bus.connect, timeouts: TIMEOUTS, ...options });
  auth = a;
  await flush();
  expect(a.state).toBe('signedIn.waitingToRefresh');
  return { auth: a, services, storage, stored, stranger: bus.connect('authchart.client123') };
}

/** A sync hint arrives and storage reads fail: the chart waits to recheck storage. */
async function waitingToRecheck(leftS: number) {
  const ctx = await signedIn(leftS);
  ctx.storage.mode = 'failing';
  ctx.stranger.publish({ type: 'signedOut' });
  await flush();
  expect(ctx.auth.state).toBe('signedIn.waitingToRecheck');
  return ctx;
}

describe('fetchTokens() settles while a sync hint waits for storage to be readable (docs/storage.md)', () => {
  it('storage still unreadable, the held tokens fresh enough: fetchTokens() answers them, and the recheck goes on', async () => {
    const { auth, stored } = await waitingToRecheck(3600);
    const t = track(auth.fetchTokens());
    await flush();
    await vi.advanceTimersByTimeAsync(TIMEOUTS.storageMs);
    await flush();
    expect(t.settled).toBe(true);
    expect(t.value?.accessToken).toBe(stored.accessToken);
    expect(auth.state).toBe('signedIn.waitingToRecheck');
  });

  it('storage still unreadable, the held tokens not fresh enough: fetchTokens() rejects StorageFailure with their expiry, no refresh', async () => {
    const { auth, services } = await waitingToRecheck(3600);
    const t = [
      track(auth.fetchTokens({ minValidityMs: 2 * 3600_000 })),
      track(auth.fetchTokens({ forceRefresh: true })),
    ];
    await flush();
    await vi.advanceTimersByTimeAsync(TIMEOUTS.storageMs);
    await flush();
    expect(t.map((x) => x.settled)).toEqual([true, true]);
    expect(t.map(codeOf)).toEqual(['StorageFailure', 'StorageFailure']);
    expect(t.map((x) => (x.error as AuthError).tokenExpiresAt)).toEqual([(T0 + 3600) * 1000, (T0 + 3600) * 1000]);
    expect(services.made).toEqual([]);
    expect(auth.state).toBe('signedIn.waitingToRecheck');
  });

  it('a storage read that never answers: fetchTokens() settles after timeouts.storageMs', async () => {
    const { auth, storage, stored } = await waitingToRecheck(3600);
    storage.mode = 'hung';
    const t = track(auth.fetchTokens());
    await flush();
    expect(t.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(TIMEOUTS.storageMs);
    await flush();
    expect(t.value?.accessToken).toBe(stored.accessToken);
  });

  it('storage readable again: fetchTokens() is answered from what storage holds (refreshing if due)', async () => {
    const { auth, storage, services } = await waitingToRecheck(45);
    storage.mode = 'open';
    const t = track(auth.fetchTokens());
    await flush();
    openGate(services, 'refresh').resolve();
    await flush();
    expect(t.value?.accessToken).toBe(services.refreshed[1]?.accessToken);
  });
});

describe('stop() with a refreshed token that storage never took (docs/storage.md)', () => {
  /** Signed in with rotation: a refresh whose answer carries a new refresh token, and whose write fails. */
  async function unstoredRotation(options: { revocation?: 'auto' | 'always' | 'never' } = {}) {
    const ctx = await signedIn(45, options);
    const notStored: AuthEventPayload<'tokensNotStored'>[] = [];
    ctx.auth.on('tokensNotStored', (p) => notStored.push(p));
    const rotated = 'rotated-refresh-token';
    const refresh = ctx.services.refresh;
    ctx.services.refresh = (token, signal) => refresh(token, signal).then((t) => ({ ...t, refreshToken: rotated }));
    const t = track(ctx.auth.fetchTokens());
    await flush();
    ctx.storage.mode = 'failing';
    openGate(ctx.services, 'refresh').resolve();
    await flush();
    expect(t.value?.refreshToken).toBe(rotated);
    expect(ctx.auth.state).toBe('signedIn.waitingToRetryStore');
    return { ...ctx, notStored, rotated };
  }

  it('stop() revokes the rotated refresh token no storage holds (best effort) and reports it as not known to be revoked', async () => {
    const { auth, services, notStored, rotated } = await unstoredRotation({ revocation: 'always' });
    auth.stop();
    await flush();
    const revoke = services.open.filter((g) => g.step === 'revokeToken');
    expect(revoke.map((g) => g.token)).toEqual([rotated]);
    expect(notStored.map((p) => p.error.code)).toEqual(['StorageFailure', 'Cancelled']);
    expect(notStored[1]?.error.message).toMatch(/stop\(\).*not (known to be )?revoked/);
    // Bounded: the revocation is abandoned after timeouts.remoteStepMs, and nothing waits on it.
    await vi.advanceTimersByTimeAsync(TIMEOUTS.remoteStepMs);
    await flush();
    expect(services.open).toEqual([]);
  });

  it('signOut() while it waits to store the rotated token: that token is revoked, then the older one storage holds (row 27), never only the older one', async () => {
    const { auth, services, storage, rotated, stored } = await unstoredRotation({ revocation: 'always' });
    storage.mode = 'open';
    const out = track(auth.signOut());
    const revoked: (string | undefined)[] = [];
    for (let i = 0; i < 5 && !out.settled; i++) {
      await flush();
      const gate = services.open.find((g) => g.step === 'revokeToken');
      revoked.push(gate?.token);
      gate?.resolve();
    }
    await flush();
    expect(out.value?.status).toBe('complete');
    expect(revoked.filter(Boolean)).toEqual([rotated, stored.refreshToken]);
    expect(storage.dump()).toEqual({});
  });

  it('stop() with revocation off: nothing is sent, and the token is reported as not revoked', async () => {
    const { auth, services, notStored } = await unstoredRotation({ revocation: 'never' });
    auth.stop();
    await flush();
    expect(services.made.filter((s) => s === 'revokeToken')).toEqual([]);
    expect(notStored.map((p) => p.error.code)).toEqual(['StorageFailure', 'Cancelled']);
  });

  it('stop() while the rotated token is being written: reported (the write may land), never revoked', async () => {
    const { auth, services, storage, notStored } = await unstoredRotation({ revocation: 'always' });
    storage.mode = 'held';
    await vi.advanceTimersByTimeAsync(TIMEOUTS.refreshRetryMs);
    await flush();
    expect(auth.state).toBe('signedIn.storingRefreshedTokens');
    auth.stop();
    await flush();
    expect(services.made.filter((s) => s === 'revokeToken')).toEqual([]);
    expect(notStored.map((p) => p.error.code)).toEqual(['StorageFailure', 'Cancelled']);
    expect(notStored[1]?.error.message).toMatch(/write may still land/);
  });

  it('stop() after a refresh without rotation whose write failed: storage still holds that refresh token, so nothing is revoked or reported', async () => {
    const { auth, services, storage } = await signedIn(45, { revocation: 'always' });
    const notStored: AuthEventPayload<'tokensNotStored'>[] = [];
    auth.on('tokensNotStored', (p) => notStored.push(p));
    const t = track(auth.fetchTokens());
    await flush();
    storage.mode = 'failing';
    openGate(services, 'refresh').resolve();
    await flush();
    expect(t.settled).toBe(true);
    auth.stop();
    await flush();
    expect(services.made).toEqual(['refresh']);
    expect(notStored.map((p) => p.error.code)).toEqual(['StorageFailure']);
  });

  it('stop() with every refreshed token stored: no revocation, no report', async () => {
    const { auth, services } = await signedIn(45, { revocation: 'always' });
    const notStored: unknown[] = [];
    auth.on('tokensNotStored', (p) => notStored.push(p));
    auth.stop();
    await flush();
    expect(services.made).toEqual([]);
    expect(notStored).toEqual([]);
  });
});

describe('a sign-in that is stopped or cancelled while its tokens are being saved', () => {
  const CREDS = { username: 'alice@example.com', password: 'pw' };
  const SESSION_KEY = 'authchart.client123.session';

  it('stop() during the save: the write is fenced off, the app hears tokensNotStored, the refresh token is revoked, and no later start restores the rejected sign-in', async () => {
    const services = gatedServices();
    const storage = gatedStorage();
    const a = createAuth({ services, storage, timeouts: TIMEOUTS, revocation: 'always' });
    auth = a;
    await flush();
    const notStored: AuthEventPayload<'tokensNotStored'>[] = [];
    a.on('tokensNotStored', (p) => notStored.push(p));
    const signIn = track(a.signIn(CREDS));
    await flush();
    storage.mode = 'held';
    openGate(services, 'signIn').resolve();
    await flush();
    expect(a.state).toBe('signingIn.savingSession');
    a.stop();
    storage.release();
    await flush();
    expect(codeOf(signIn)).toBe('Cancelled');
    expect(storage.dump()[SESSION_KEY]).toBeUndefined();
    expect(notStored.map((p) => p.error.code)).toEqual(['Cancelled']);
    expect(notStored[0]?.error.message).toMatch(/stop\(\).*being saved/);
    expect(services.open.map((g) => [g.step, g.token])).toEqual([['revokeToken', services.signInTokens.refreshToken]]);
    const next = createAuth({ services: gatedServices(), storage, timeouts: TIMEOUTS });
    auth = next;
    await flush();
    expect(next.state).toBe('signedOut');
  });

  it('stop() while the save writes, and a new instance on the same storage at once (a remount): it reads storage only once that write is undone, so it never restores the rejected sign-in', async () => {
    const services = gatedServices();
    const storage = gatedStorage();
    // The record's write waits until the test lets it go; a read of it after stop() answers only
    // once that write landed (what an unlocked reader would see). Everything else answers at once.
    let letGo = () => {};
    let landed = Promise.resolve();
    let stopped = false;
    const { setItem, getItem } = storage;
    storage.setItem = (key, value) => {
      if (key !== SESSION_KEY) return setItem(key, value);
      const write = new Promise<void>((resolve) => {
        letGo = () => resolve(setItem(key, value));
      });
      landed = write;
      return write;
    };
    storage.getItem = (key) => (stopped && key === SESSION_KEY ? landed.then(() => getItem(key)) : getItem(key));
    const a = createAuth({ services, storage, timeouts: TIMEOUTS, revocation: 'always' });
    auth = a;
    await flush();
    track(a.signIn(CREDS));
    await flush();
    openGate(services, 'signIn').resolve();
    await flush();
    expect(a.state).toBe('signingIn.savingSession');
    a.stop();
    stopped = true;
    const next = createAuth({ services: gatedServices(), storage, timeouts: TIMEOUTS });
    auth = next;
    await flush();
    letGo();
    await flush();
    expect(next.state).toBe('signedOut');
    expect(storage.dump()[SESSION_KEY]).toBeUndefined();
  });

  it("signOut() joins the chart's sign-out of a sign-in it could not save, and storage holds another context's session: RevokeToken's failure for the first is said in a signedOut event before that session is signed out too", async () => {
    const services = gatedServices();
    const storage = gatedStorage();
    let failSessionReads = 0;
    const getItem = storage.getItem;
    storage.getItem = (key) =>
      key === SESSION_KEY && failSessionReads-- > 0 ? Promise.reject(new Error('read failed')) : getItem(key);
    const a = createAuth({ services, storage, timeouts: TIMEOUTS, revocation: 'always' });
    auth = a;
    await flush();
    const events: AuthEventPayload<'signedOut'>[] = [];
    a.on('signedOut', (p) => events.push(p));
    const signIn = track(a.signIn(CREDS));
    await flush();
    // Another context signs in meanwhile; this one's save then cannot read storage.
    const other = tokensExpiringIn(3000);
    for (const [k, v] of Object.entries(storedSession(other, { id: 'other-context' }))) await storage.setItem(k, v);
    failSessionReads = 1;
    openGate(services, 'signIn').resolve();
    await flush();
    expect(codeOf(signIn)).toBe('StorageFailure');
    const signOut = track(a.signOut());
    await flush();
    openGate(services, 'revokeToken').reject(new AuthError('Service', 'HTTP 500'));
    await flush();
    expect(events.map((e) => [e.reason, e.result?.status, e.result && 'revokeTokenError' in e.result])).toEqual([
      ['signInCancelled', 'partial', true],
    ]);
    openGate(services, 'revokeToken').resolve();
    await flush();
    // The caller's one answer reports both rounds: the first RevokeToken failed (never complete).
    expect(signOut.value).toMatchObject({ status: 'partial', steps: { revokeToken: 'failed' } });
    expect(events.map((e) => e.reason)).toEqual(['signInCancelled', 'signOut']);
    expect(storage.dump()[SESSION_KEY]).toBeUndefined();
  });
});

describe('a signedIn hint while a refresh runs (another tab started and announced the session)', () => {
  it('does not cut the refresh short (a token Cognito rotated would be lost): it finishes, and its tokens are served', async () => {
    const { auth, services, stranger } = await signedIn(45);
    const t = track(auth.fetchTokens());
    await flush();
    expect(auth.state).toBe('signedIn.refreshingTokens');
    stranger.publish({ type: 'signedIn' });
    await flush();
    expect(services.open.map((g) => g.step)).toEqual(['refresh']);
    openGate(services, 'refresh').resolve();
    await flush();
    expect(t.value?.accessToken).toBe(services.refreshed[1]?.accessToken);
  });
});

describe('a context whose read of storage failed at start (signed out, storage unread)', () => {
  it('reads storage again at a sync message, not after its back-off: it follows the session storage holds', async () => {
    const stored = tokensExpiringIn(3600);
    const storage = gatedStorage(storedSession(stored), 'failing');
    const bus = memorySyncBus();
    const a = createAuth({ services: gatedServices(), storage, sync: bus.connect, timeouts: TIMEOUTS });
    auth = a;
    await flush();
    expect(a.state).toBe('signedOut');
    storage.release();
    bus.connect('authchart.client123').publish({ type: 'signedOut' });
    await flush();
    expect(a.state).toBe('signedIn.waitingToRefresh');
    expect(a.getTokens()?.refreshToken).toBe(stored.refreshToken);
  });
});

describe('stop() while a sign-out clears storage (docs/sign-out.md, "stop()")', () => {
  const JOURNAL_KEY = 'authchart.client123.signOutJournal';

  /** Two contexts signed in to one session; the journal's removal never answers, so A's clear lands but never ends. */
  async function twoContextsClearing() {
    const stored = tokensExpiringIn(3600);
    const storage = gatedStorage(storedSession(stored));
    const removeItem = storage.removeItem;
    storage.removeItem = (key) => (key === JOURNAL_KEY ? new Promise<void>(() => {}) : removeItem(key));
    const bus = memorySyncBus();
    const services = gatedServices();
    const a = createAuth({ services, storage, sync: bus.connect, timeouts: TIMEOUTS, revocation: 'always' });
    const b = createAuth({ services: gatedServices(), storage, sync: bus.connect, timeouts: TIMEOUTS });
    auth = b;
    await flush();
    expect([a.state, b.state]).toEqual(['signedIn.waitingToRefresh', 'signedIn.waitingToRefresh']);
    return { a, b, services, storage };
  }

  it('the other contexts are told to read storage: one whose clear landed just before stop() is followed everywhere', async () => {
    const { a, b, services, storage } = await twoContextsClearing();
    const signOut = track(a.signOut());
    await flush();
    openGate(services, 'revokeToken').resolve();
    await flush();
    expect(a.state).toBe('signingOut.clearingCache');
    expect(storage.dump()['authchart.client123.session']).toBeUndefined();
    a.stop();
    await vi.advanceTimersByTimeAsync(TIMEOUTS.storageMs * 2);
    await flush();
    expect(signOut.value).toMatchObject({ status: 'failed', error: { code: 'Cancelled' } });
    expect(b.state).toBe('signedOut');
  });

  it('stop() while clearing a sign-in that could not be stored, its RevokeToken failed: the app hears tokensNotStored, and the others are told too', async () => {
    const services = gatedServices();
    const storage = gatedStorage();
    const bus = memorySyncBus();
    const heard: string[] = [];
    bus.connect('authchart.client123').subscribe((m) => heard.push(m.type));
    const a = createAuth({ services, storage, sync: bus.connect, timeouts: TIMEOUTS, revocation: 'always' });
    auth = a;
    await flush();
    const notStored: AuthEventPayload<'tokensNotStored'>[] = [];
    a.on('tokensNotStored', (p) => notStored.push(p));
    const signIn = track(a.signIn({ username: 'alice@example.com', password: 'pw' }));
    await flush();
    storage.mode = 'failing';
    openGate(services, 'signIn').resolve();
    await flush();
    expect(codeOf(signIn)).toBe('StorageFailure');
    storage.mode = 'hung';
    openGate(services, 'revokeToken').reject(new AuthError('Service', 'HTTP 500'));
    await flush();
    expect(a.state).toBe('signingOut.clearingCache');
    heard.length = 0;
    a.stop();
    await flush();
    expect(notStored.map((p) => p.error.code)).toEqual(['Cancelled']);
    expect(heard).toEqual(['signedOut']);
  });
});
