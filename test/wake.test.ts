import { describe, expect, it, vi } from 'vitest';
import { type Auth, createAuth, defaultWake, manualConnectivity, type WakeSource } from '../src/index.js';
import {
  flush,
  gatedServices,
  gatedStorage,
  openGate,
  storedSession,
  T0,
  tokensExpiringIn,
  withGatedTestHooks,
} from './helpers/gated.js';

/**
 * Refresh when it matters: a tab in the background or a laptop asleep runs no timers, so the
 * refresh timer can fire after the access token expired. The page coming back (or the network)
 * makes the chart look at the clock: one refresh if due, through the timer's own path.
 */
const TIMEOUTS = { remoteStepMs: 1000, storageMs: 100, refreshLeewayMs: 60_000, refreshRetryMs: 600_000 };

/** A wake source the test fires by hand (what `visibilitychange` to visible does in a browser). */
function manualWake(): WakeSource & { fire(): void; listeners: number } {
  const listeners = new Set<() => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    fire: () => {
      for (const l of listeners) l();
    },
    get listeners() {
      return listeners.size;
    },
  };
}

let auth: Auth | undefined;
withGatedTestHooks(() => auth);

/** Restored, the access token expiring in 30 minutes; the clock then jumps past it with no timer firing (sleep). */
async function asleepPastExpiry() {
  const services = gatedServices();
  const wake = manualWake();
  const connectivity = manualConnectivity(true);
  const a = createAuth({
    services,
    storage: gatedStorage(storedSession(tokensExpiringIn(1800))),
    sync: null,
    connectivity,
    wake,
    timeouts: TIMEOUTS,
  });
  auth = a;
  await flush();
  expect(a.state).toBe('signedIn.waitingToRefresh');
  vi.setSystemTime((T0 + 7200) * 1000); // Date moved on; no timer ran
  await flush();
  expect(services.made).toEqual([]);
  return { auth: a, services, wake, connectivity };
}

describe('checking the tokens when the page comes back or the network does', () => {
  it('the page becomes visible after a sleep past expiry: one refresh at once, however many wake-ups', async () => {
    const { auth, services, wake } = await asleepPastExpiry();
    wake.fire();
    wake.fire();
    await vi.advanceTimersByTimeAsync(0); // the timer, rescheduled by the clock: due now
    wake.fire();
    await vi.advanceTimersByTimeAsync(0);
    expect(services.made).toEqual(['refresh']);
    openGate(services, 'refresh').resolve();
    await flush();
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    expect(auth.getTokens()?.accessToken).toBe(services.refreshed[1]?.accessToken);
  });

  it('the network comes back after a sleep past expiry: the same one refresh', async () => {
    const { services, connectivity } = await asleepPastExpiry();
    connectivity.set(false);
    connectivity.set(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(services.made).toEqual(['refresh']);
  });

  it('tokens still fresh: a wake-up sends nothing, and the timer still refreshes on time', async () => {
    const services = gatedServices();
    const wake = manualWake();
    auth = createAuth({
      services,
      storage: gatedStorage(storedSession(tokensExpiringIn(1800))),
      sync: null,
      wake,
      timeouts: TIMEOUTS,
    });
    await flush();
    wake.fire();
    await flush();
    expect(services.made).toEqual([]);
    await vi.advanceTimersByTimeAsync((1800 - 60) * 1000);
    await flush();
    expect(services.made).toEqual(['refresh']);
  });

  it('stop() lets go of the wake source', async () => {
    const { auth, wake } = await asleepPastExpiry();
    expect(wake.listeners).toBe(1);
    auth.stop();
    expect(wake.listeners).toBe(0);
  });

  it('the browser default fires on visibilitychange to visible only; there is none without a document', () => {
    const listeners = new Set<() => void>();
    const doc = {
      visibilityState: 'hidden',
      addEventListener: (_t: 'visibilitychange', l: () => void) => listeners.add(l),
      removeEventListener: (_t: 'visibilitychange', l: () => void) => listeners.delete(l),
    };
    const source = defaultWake({ document: doc });
    let woke = 0;
    const off = source?.subscribe(() => woke++);
    for (const l of listeners) l(); // hidden
    doc.visibilityState = 'visible';
    for (const l of listeners) l();
    expect(woke).toBe(1);
    off?.();
    expect(listeners.size).toBe(0);
    expect(defaultWake({})).toBeNull();
  });
});
