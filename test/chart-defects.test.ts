import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Auth, AuthError, type AuthEventPayload, createAuth, memorySyncBus } from '../src/index.js';
import {
  flush,
  type GatedServices,
  type GatedStorage,
  gatedServices,
  gatedStorage,
  storedSession,
  T0,
  tokensExpiringIn,
  useModelTimers,
} from './helpers/gated.js';

/**
 * issue 24: chart defects found by probes through the public API (fake time, gated fakes). Every
 * promise is tracked, never awaited, so one that never settles fails the test instead of hanging it.
 */
const TIMEOUTS = { remoteStepMs: 1000, storageMs: 100, refreshLeewayMs: 1000, refreshRetryMs: 600_000 };

function track<T>(promise: Promise<T>) {
  const t: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(t, { settled: true, value }),
    (error) => Object.assign(t, { settled: true, error }),
  );
  return t;
}
const codeOf = (t: { error?: unknown }) =>
  t.error instanceof AuthError ? t.error.code : `not an AuthError: ${t.error}`;
const gateOf = (s: GatedServices, step: string) => {
  const g = s.open.find((x) => x.step === step);
  if (!g) throw new Error(`no open ${step} call (open: ${s.open.map((x) => x.step).join(', ')})`);
  return g;
};

let auth: Auth | undefined;
beforeEach(() => useModelTimers());
afterEach(() => {
  auth?.stop();
  auth = undefined;
  vi.useRealTimers();
});

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

describe('issue 24 defect 5: fetchTokens() settles while a sync hint waits for storage to be readable', () => {
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
    gateOf(services, 'refresh').resolve();
    await flush();
    expect(t.value?.accessToken).toBe(services.refreshed[1]?.accessToken);
  });
});
