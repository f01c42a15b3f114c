/**
 * The outbox through the public API against a Cognito that rotates refresh tokens, throttles, and
 * contexts whose clocks disagree: what a drain keeps, what it drops, and who revokes what.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  AuthError,
  createAuth,
  manualConnectivity,
  memoryStorage,
  type TokenStorage,
  type Tokens,
} from '../../src/index.js';
import { sleep as tick } from '../helpers/async.js';
import { deferred, fakeServices, ownKeys } from '../helpers/fakes.js';
import { signedInHarness } from '../helpers/harness.js';
import { makeTokens } from '../helpers/tokens.js';
import { LEGACY, storedEntries, storedTokens } from './helpers.js';

/** A signed-in context whose global sign-out could not reach Cognito: its entry waits in the outbox. */
async function deferredGlobalSignOut() {
  const h = await signedInHarness({ auth: { deferRevocation: true, revocation: 'always' } });
  h.connectivity.set(false);
  expect(await h.auth.signOut({ global: true })).toMatchObject({ deferred: true });
  h.connectivity.set(true);
  return h;
}

/**
 * Cognito with refresh-token rotation: each refresh issues a new refresh token and the one used
 * dies (refused from then on). Tracks which tokens are still alive and whether GlobalSignOut ran.
 */
function rotatingCognito(h: Awaited<ReturnType<typeof deferredGlobalSignOut>>) {
  const alive = new Set([h.tokens.refreshToken]);
  const issued: string[] = [];
  h.services.script.refresh = async () => {
    const used = h.services.calls.refresh.at(-1)?.arg as string;
    if (!alive.delete(used)) throw new AuthError('NotAuthorized', 'Refresh Token has been revoked');
    const fresh: Tokens = makeTokens({ expiresIn: 3600 });
    alive.add(fresh.refreshToken);
    issued.push(fresh.refreshToken);
    return fresh;
  };
  h.services.script.revokeToken = async () => {
    const token = h.services.calls.revokeToken.at(-1)?.arg as string;
    if (!alive.delete(token)) throw new AuthError('NotAuthorized', 'Invalid token');
  };
  return { alive, issued };
}

describe('a deferred global sign-out with refresh-token rotation', () => {
  it('keeps the rotated refresh token when GlobalSignOut then fails, and the next drain signs out globally with it', async () => {
    const h = await deferredGlobalSignOut();
    const cognito = rotatingCognito(h);
    h.services.script.globalSignOut = { error: new AuthError('Network', 'connection reset') };
    expect(await h.auth.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
    // The token the refresh issued replaced the dead one in the outbox, before GlobalSignOut ran.
    const [rotated] = [...cognito.alive];
    expect(storedTokens(h.storage)).toEqual([rotated]);
    expect(storedEntries(h.storage)[0]).toMatchObject({ global: true });
    expect(storedEntries(h.storage)[0]?.claim).toBeUndefined();

    h.services.script.globalSignOut = { ok: undefined };
    expect(await h.auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
    expect(h.services.calls.globalSignOut).toHaveLength(2);
    // RevokeToken went to the newest token: nothing the user held is left alive.
    expect(h.services.calls.refresh.map((c) => c.arg)).toEqual([h.tokens.refreshToken, rotated]);
    expect(h.services.calls.revokeToken.map((c) => c.arg)).toEqual([cognito.issued.at(-1)]);
    expect(cognito.alive.size).toBe(0);
    expect(ownKeys(h.storage)).toEqual([]);
    h.auth.stop();
  });

  it('on a storage whose writes must be made holding its own lock (as fileStorage and Redis check theirs), the rotated token still replaces the dead one', async () => {
    const inner = memoryStorage();
    let held = 0;
    const inLock = (write: () => void) => {
      if (held === 0) throw new Error('written without holding the lock');
      write();
    };
    const storage: TokenStorage = {
      getItem: (key) => inner.getItem(key),
      setItem: (key, value) => inLock(() => inner.setItem(key, value)),
      removeItem: (key) => inLock(() => inner.removeItem(key)),
      lock: async (_name, critical) => {
        held++;
        try {
          return await critical();
        } finally {
          held--;
        }
      },
    };
    const h = await signedInHarness({ auth: { deferRevocation: true, revocation: 'always', storage } });
    h.connectivity.set(false);
    expect(await h.auth.signOut({ global: true })).toMatchObject({ deferred: true });
    h.connectivity.set(true);
    const cognito = rotatingCognito(h);
    h.services.script.globalSignOut = { error: new AuthError('Throttled', 'TooManyRequestsException') };
    expect(await h.auth.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
    expect(storedTokens(inner)).toEqual([...cognito.alive]);
    h.auth.stop();
  });

  it('a GlobalSignOut throttled after the rotation keeps the newest token too', async () => {
    const h = await deferredGlobalSignOut();
    const cognito = rotatingCognito(h);
    h.services.script.globalSignOut = { error: new AuthError('Throttled', 'TooManyRequestsException') };
    expect(await h.auth.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
    expect(storedTokens(h.storage)).toEqual([...cognito.alive]);
    expect(h.services.calls.revokeToken).toHaveLength(0);
    h.auth.stop();
  });
});

/** An offline sign-out kept its refresh token; connectivity is back. */
async function deferredSignOut() {
  const h = await signedInHarness({ auth: { deferRevocation: true, revocation: 'always' } });
  h.connectivity.set(false);
  expect(await h.auth.signOut()).toMatchObject({ deferred: true });
  h.connectivity.set(true);
  return h;
}

describe('what RevokeToken refuses', () => {
  for (const [what, error] of [
    ['throttled (429)', new AuthError('Throttled', 'TooManyRequestsException (HTTP 429)')],
    ['a 5xx', new AuthError('Service', 'InternalErrorException (HTTP 500)', { serviceName: 'InternalErrorException' })],
  ] as const) {
    it(`${what}: the token stays in the outbox, and a later drain revokes it`, async () => {
      const h = await deferredSignOut();
      h.services.script.revokeToken = { error };
      expect(await h.auth.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
      expect(storedTokens(h.storage)).toEqual([h.tokens.refreshToken]);
      h.services.script.revokeToken = { ok: undefined };
      expect(await h.auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
      expect(ownKeys(h.storage)).toEqual([]);
      h.auth.stop();
    });
  }

  for (const [what, error] of [
    ['NotAuthorized', new AuthError('NotAuthorized', 'Invalid token')],
    ['InvalidToken', new AuthError('InvalidToken', 'not a token')],
    ['revocation disabled for the client', new AuthError('RevocationUnsupported', 'UnsupportedOperationException')],
    ['unsupported_token_type', new AuthError('Service', 'refused', { serviceName: 'unsupported_token_type' })],
  ] as const) {
    it(`${what}: the token can never be revoked, it leaves the outbox`, async () => {
      const h = await deferredSignOut();
      h.services.script.revokeToken = { error };
      expect(await h.auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
      expect(ownKeys(h.storage)).toEqual([]);
      h.auth.stop();
    });
  }

  it('a throttled answer ends the drain: the other entries are not tried until the next one', async () => {
    const tokens = ['rt-1', 'rt-2', 'rt-3'];
    const shared = memoryStorage([[LEGACY, JSON.stringify(tokens)]]);
    const services = fakeServices();
    services.script.revokeToken = { error: new AuthError('Throttled', 'slow down') };
    // Offline at start: the one drain is the retry's.
    const connectivity = manualConnectivity(false);
    const auth = createAuth({ services, storage: shared, sync: null, deferRevocation: true, connectivity });
    await auth.ready;
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 3 });
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual(['rt-1']);
    expect(storedTokens(shared)).toEqual(tokens);
    auth.stop();
  });
});

describe('claims across contexts whose clocks disagree', () => {
  it('a context 60 s ahead leaves a live drain its claim: each token is revoked once', async () => {
    const shared = memoryStorage([[LEGACY, '["rt-1"]']]);
    const base = 1_000_000;
    const gate = deferred();
    const a = fakeServices();
    a.script.revokeToken = () => gate.promise;
    const authA = createAuth({ services: a, storage: shared, sync: null, clock: { now: () => base } });
    await authA.ready;
    for (let i = 0; i < 20 && a.calls.revokeToken.length === 0; i++) await tick(5);
    expect(a.calls.revokeToken.map((c) => c.arg)).toEqual(['rt-1']);

    const b = fakeServices();
    const authB = createAuth({ services: b, storage: shared, sync: null, clock: { now: () => base + 60_000 } });
    await authB.ready;
    expect(await authB.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
    expect(b.calls.revokeToken).toHaveLength(0);

    gate.resolve();
    for (let i = 0; i < 20 && shared.size > 0; i++) await tick(5);
    expect(shared.keys()).toEqual([]);
    authA.stop();
    authB.stop();
  });

  it("a context 60 s behind takes a dead drain's entry once it has seen the same claim for the claim's lease on its own clock", async () => {
    const shared = memoryStorage([[LEGACY, '["rt-1"]']]);
    const a = fakeServices();
    a.script.revokeToken = 'hang';
    const authA = createAuth({ services: a, storage: shared, sync: null, clock: { now: () => 1_000_000 } });
    await authA.ready;
    for (let i = 0; i < 20 && a.calls.revokeToken.length === 0; i++) await tick(5);
    // A dies mid-drain: its claim stays in storage.
    authA.stop();
    expect(storedEntries(shared)[0]?.claim).toBeDefined();

    let now = 1_000_000 - 60_000;
    const b = fakeServices();
    const authB = createAuth({ services: b, storage: shared, sync: null, clock: { now: () => now } });
    await authB.ready;
    expect(await authB.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
    // The claim's lease: 2 storage steps (10 s each) and one remote step (5 s), by default.
    now += 25_000;
    expect(await authB.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
    expect(b.calls.revokeToken.map((c) => c.arg)).toEqual(['rt-1']);
    expect(shared.keys()).toEqual([]);
    authB.stop();
  });

  it("a drain that found a dead drain's claim looks again by itself once the lease is over", async () => {
    const shared = memoryStorage([[LEGACY, '["rt-1"]']]);
    const a = fakeServices();
    a.script.revokeToken = 'hang';
    const authA = createAuth({ services: a, storage: shared, sync: null, clock: { now: () => 5_000_000 } });
    await authA.ready;
    for (let i = 0; i < 20 && a.calls.revokeToken.length === 0; i++) await tick(5);
    authA.stop();

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let now = 0;
      const b = fakeServices();
      const authB = createAuth({ services: b, storage: shared, sync: null, clock: { now: () => now } });
      await vi.advanceTimersByTimeAsync(10);
      await authB.ready;
      // The start's drain saw the claim for the first time: it leaves it.
      expect(b.calls.revokeToken).toHaveLength(0);
      now += 25_000;
      await vi.advanceTimersByTimeAsync(25_000);
      expect(b.calls.revokeToken.map((c) => c.arg)).toEqual(['rt-1']);
      await vi.advanceTimersByTimeAsync(10);
      expect(shared.keys()).toEqual([]);
      authB.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
