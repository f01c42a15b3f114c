import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { type Auth, AuthError, createAuth, manualConnectivity, memoryStorage } from '../../src/index.js';
import { sleep } from '../helpers/async.js';
import { fakeServices } from '../helpers/fakes.js';
import { makeTokens } from '../helpers/tokens.js';
import { latentStorage, seeded, sharedLocks, storedTokens } from '../outbox/helpers.js';
import { controlledStorage, deferInStorage, outboxRuns, within } from './outbox-hostile.helpers.js';

const FAST = { storageMs: 60, remoteStepMs: 80 };

describe('retry storms and the quiet moment', () => {
  it('60 concurrent retries during a gated start drain, then one retry per answer: every call answered, none lost', async () => {
    const { storage, inner, ctl } = controlledStorage();
    deferInStorage(inner, ['rt-1', 'rt-2', 'rt-3']);
    ctl.mode = 'gate';
    const services = fakeServices();
    const auth = createAuth({ services, storage, sync: null });
    const calls = Array.from({ length: 60 }, () => auth.retryDeferredRevocations());
    // Each answer asks again at once (a microtask after the report that may have stopped the actor).
    const chained = calls.map((p) => p.then(() => auth.retryDeferredRevocations()));
    for (let i = 0; i < 200 && ctl.mode === 'gate'; i++) {
      ctl.open();
      await sleep(0);
      if (storedTokens(inner).length === 0 && i > 20) ctl.mode = 'ok';
    }
    ctl.mode = 'ok';
    ctl.open();
    const outcomes = await Promise.all([...calls, ...chained].map((p) => within(p)));
    expect(outcomes.filter((o) => o === 'HANG')).toEqual([]);
    expect(outcomes.filter((o) => o !== 'HANG' && 'error' in o)).toEqual([]);
    expect(services.calls.revokeToken.map((c) => c.arg).sort()).toEqual(['rt-1', 'rt-2', 'rt-3']);
    expect(storedTokens(inner)).toEqual([]);
    await expect.poll(() => outboxRuns(auth)).toBe(false);
    auth.stop();
  });

  it('retries fired 0..6 microtasks after each storage answer (crossing the quiet report and the stop): all answered (10 seeds)', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const random = seeded(seed);
      const { storage, inner, ctl } = controlledStorage();
      const services = fakeServices();
      const auth = createAuth({ services, storage, sync: null });
      ctl.mode = 'gate';
      const answers: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        if (random() < 0.2) deferInStorage(inner, [`rt-${seed}-${i}`], i * 10);
        ctl.open();
        const depth = Math.floor(random() * 7);
        for (let d = 0; d < depth; d++) await Promise.resolve();
        answers.push(auth.retryDeferredRevocations());
        if (random() < 0.3) await sleep(0);
      }
      ctl.mode = 'ok';
      ctl.open();
      const outcomes = await Promise.all(answers.map((p) => within(p)));
      expect(
        outcomes.filter((o) => o === 'HANG'),
        `seed ${seed}`,
      ).toEqual([]);
      expect(await auth.retryDeferredRevocations()).toMatchObject({ remaining: 0 });
      expect(storedTokens(inner)).toEqual([]);
      await expect.poll(() => outboxRuns(auth)).toBe(false);
      auth.stop();
    }
  });
});

describe('stop() ends everything', () => {
  it('a retry after stop() rejects Cancelled at once, and starts nothing', async () => {
    const storage = memoryStorage();
    const services = fakeServices();
    const auth = createAuth({ services, storage, sync: null });
    await auth.ready;
    auth.stop();
    deferInStorage(storage, ['rt-late']);
    const outcome = await within(auth.retryDeferredRevocations(), 500);
    expect(outcome).toMatchObject({ error: expect.objectContaining({ code: 'Cancelled' }) });
    await sleep(30);
    expect(services.calls.revokeToken).toEqual([]);
    expect(outboxRuns(auth)).toBe(false);
  });

  for (const phase of ['claiming', 'revoking', 'settling'] as const) {
    it(`stop() while a restarted outbox is ${phase}: the retry rejects Cancelled, no later RevokeToken, nothing left running`, async () => {
      const { storage, inner, ctl } = controlledStorage();
      const services = fakeServices();
      const auth = createAuth({ services, storage, sync: null, timeouts: { remoteStepMs: 5_000, storageMs: 5_000 } });
      await auth.ready;
      await expect.poll(() => outboxRuns(auth)).toBe(false);
      deferInStorage(inner, ['rt-a', 'rt-b', 'rt-c']);
      if (phase === 'claiming') ctl.mode = 'gate';
      if (phase === 'revoking') services.script.revokeToken = 'hang';
      if (phase === 'settling') {
        ctl.only = 'write';
        // The claim's writes go through; the settle's wait at the gate.
        services.script.revokeToken = () => {
          if (services.calls.revokeToken.length === 3) ctl.mode = 'gate';
          return Promise.resolve();
        };
      }
      const retry = auth.retryDeferredRevocations();
      await sleep(20);
      expect(outboxRuns(auth)).toBe(true);
      const revokesAtStop = services.calls.revokeToken.length;
      auth.stop();
      ctl.stopped = true;
      ctl.mode = 'ok';
      ctl.open();
      expect(await within(retry, 500)).toMatchObject({ error: expect.objectContaining({ code: 'Cancelled' }) });
      await sleep(100);
      expect(services.calls.revokeToken.length).toBe(revokesAtStop);
      expect(services.calls.revokeToken.every((c) => c.signal.aborted || phase === 'settling')).toBe(true);
      expect(auth.actor.getSnapshot().status).toBe('stopped');
      // What was not revoked stays stored for a later run: nothing is lost by the stop. (In the
      // settle all three were revoked: a settle write already under way may still land.)
      if (phase !== 'settling') expect(storedTokens(inner)).toEqual(['rt-a', 'rt-b', 'rt-c']);
      else expect(['rt-a', 'rt-b', 'rt-c']).toEqual(expect.arrayContaining(storedTokens(inner)));
    });
  }

  it('stop() while a recheck of another context’s claim is pending: the recheck never runs (no storage access once in-flight reads end)', async () => {
    const shared = memoryStorage();
    const locks = sharedLocks();
    deferInStorage(shared, ['rt-held']);
    const holderServices = fakeServices();
    holderServices.script.revokeToken = 'hang';
    const holder = createAuth({
      services: holderServices,
      storage: latentStorage(shared, locks, seeded(1), 1),
      sync: null,
      timeouts: { remoteStepMs: 1_000, storageMs: 200 },
    });
    await expect.poll(() => holderServices.calls.revokeToken.length).toBe(1);
    const watcherStorage = latentStorage(shared, locks, seeded(2), 1);
    const watcher = createAuth({ services: fakeServices(), storage: watcherStorage, sync: null });
    expect(await watcher.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
    expect(outboxRuns(watcher)).toBe(true); // kept for its recheck
    watcher.stop();
    holder.stop();
    // A read the restore began before stop() may still finish its critical section: let it end.
    await sleep(150);
    const before = { ...watcherStorage.calls };
    // The holder's lease (1 s step + 2 × 200 ms) is over by then: a live recheck timer would have fired.
    await sleep(1_700);
    expect(watcherStorage.calls).toEqual(before);
    expect(watcherStorage.calls.set + watcherStorage.calls.remove).toBe(0);
  });
});

describe('storage faults around the start drain and a restarted drain', () => {
  for (const mode of ['throw', 'reject', 'hang'] as const) {
    it(`reads that ${mode} during the start drain: the drain's error report stops the actor; a retry later works`, async () => {
      const { storage, inner, ctl } = controlledStorage();
      deferInStorage(inner, ['rt-kept']);
      const services = fakeServices();
      const auth = createAuth({ services, storage, sync: null, timeouts: FAST });
      ctl.only = 'get';
      ctl.mode = mode;
      // A retry made while the fault lasts is answered (an error), never left waiting.
      const during = await within(auth.retryDeferredRevocations());
      expect(during).not.toBe('HANG');
      expect(during).toMatchObject({ error: expect.any(AuthError) });
      await expect.poll(() => outboxRuns(auth)).toBe(false);
      ctl.mode = 'ok';
      ctl.open();
      // The restore may have failed too: the instance retries it on its own; the outbox on request.
      expect(await auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
      expect(services.calls.revokeToken.map((c) => c.arg)).toEqual(['rt-kept']);
      await expect.poll(() => outboxRuns(auth)).toBe(false);
      auth.stop();
    });
  }

  it('writes that throw during a restarted drain’s settle: the caller hears StorageFailure; the token stays and the next retry revokes it again', async () => {
    const { storage, inner, ctl } = controlledStorage();
    const services = fakeServices();
    const auth = createAuth({ services, storage, sync: null, timeouts: FAST });
    await auth.ready;
    await expect.poll(() => outboxRuns(auth)).toBe(false);
    deferInStorage(inner, ['rt-s']);
    ctl.only = 'write';
    services.script.revokeToken = () => {
      ctl.mode = 'throw';
      return Promise.resolve();
    };
    const first = await within(auth.retryDeferredRevocations());
    expect(first).toMatchObject({ error: expect.objectContaining({ code: 'StorageFailure' }) });
    await expect.poll(() => outboxRuns(auth)).toBe(false);
    ctl.mode = 'ok';
    services.script.revokeToken = { ok: undefined };
    // Still stored (the settle never landed), its claim lapses, and a retry takes it again.
    expect(storedTokens(inner)).toEqual(['rt-s']);
    await sleep(2 * FAST.storageMs + FAST.remoteStepMs + 50);
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
    expect(storedTokens(inner)).toEqual([]);
    auth.stop();
  });

  it('a lock() that never calls back: retries are answered within the storage bound, and work once the lock does', async () => {
    const inner = memoryStorage();
    deferInStorage(inner, ['rt-lock']);
    let hangLock = true;
    const storage = {
      getItem: (k: string) => inner.getItem(k),
      setItem: (k: string, v: string) => inner.setItem(k, v),
      removeItem: (k: string) => inner.removeItem(k),
      lock: <T>(_name: string, critical: () => Promise<T>) => (hangLock ? new Promise<T>(() => {}) : critical()),
    };
    const services = fakeServices();
    const auth = createAuth({ services, storage, sync: null, timeouts: FAST });
    const outcomes = await Promise.all([1, 2, 3].map(() => within(auth.retryDeferredRevocations())));
    expect(outcomes).not.toContain('HANG');
    await expect.poll(() => outboxRuns(auth)).toBe(false);
    hangLock = false;
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
    auth.stop();
  });
});

describe('several contexts on one storage', () => {
  for (const holderEnds of ['times out and releases', 'is stopped (its claim goes stale)'] as const) {
    it(`an entry another context holds: the outbox stays for its recheck and revokes it once the holder ${holderEnds}`, async () => {
      const shared = memoryStorage();
      const locks = sharedLocks();
      deferInStorage(shared, ['rt-contended']);
      const holderServices = fakeServices();
      holderServices.script.revokeToken = 'hang';
      const holder = createAuth({
        services: holderServices,
        storage: latentStorage(shared, locks, seeded(3), 1),
        sync: null,
        timeouts: { remoteStepMs: 300, storageMs: 100 },
      });
      await expect.poll(() => holderServices.calls.revokeToken.length).toBe(1);
      const services = fakeServices();
      const watcher = createAuth({ services, storage: latentStorage(shared, locks, seeded(4), 1), sync: null });
      // Its start drain (which this retry joins) found the entry busy: not quiet, the actor stays.
      expect(await watcher.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
      expect(outboxRuns(watcher)).toBe(true);
      if (holderEnds === 'is stopped (its claim goes stale)') holder.stop();
      // Once the holder's lease is over the recheck revokes it, and the idle actor is then let go.
      await expect
        .poll(() => services.calls.revokeToken.map((c) => c.arg), { timeout: 5_000 })
        .toEqual(['rt-contended']);
      await expect.poll(() => storedTokens(shared), { timeout: 2_000 }).toEqual([]);
      await expect.poll(() => outboxRuns(watcher), { timeout: 2_000 }).toBe(false);
      // A third context without the option finds nothing.
      const third = createAuth({
        services: fakeServices(),
        storage: latentStorage(shared, locks, seeded(5), 1),
        sync: null,
      });
      expect(await third.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 0 });
      for (const a of [holder, watcher, third]) a.stop();
    });
  }

  it('a sign-in that replaces another context’s session while this outbox is stopped: the replaced refresh token is revoked', async () => {
    const shared = memoryStorage();
    const locks = sharedLocks();
    const tokensA = makeTokens();
    const tokensB = makeTokens({ username: 'bob@example.com' });
    expect(tokensA.refreshToken).not.toBe(tokensB.refreshToken);
    const servicesA = fakeServices(tokensA);
    const servicesB = fakeServices(tokensB);
    const a = createAuth({ services: servicesA, storage: latentStorage(shared, locks, seeded(6), 1), sync: null });
    const b = createAuth({ services: servicesB, storage: latentStorage(shared, locks, seeded(7), 1), sync: null });
    await Promise.all([a.ready, b.ready]);
    await a.signIn({ username: 'alice@example.com', password: 'pw' });
    await expect.poll(() => outboxRuns(b)).toBe(false);
    await b.signIn({ username: 'bob@example.com', password: 'pw' });
    await expect.poll(() => servicesB.calls.revokeToken.map((c) => c.arg)).toContain(tokensA.refreshToken);
    await expect.poll(() => storedTokens(shared)).toEqual([]);
    await expect.poll(() => outboxRuns(b)).toBe(false);
    a.stop();
    b.stop();
  });
});

describe('the chart’s own drain after a cancelled sign-in', () => {
  for (const steps of [0, 2, 5]) {
    it(`a sign-in cancelled by signOut() while its save (replacing another context’s session) is held, released after ${steps} steps: no refresh token is left valid and unheld`, async () => {
      const shared = memoryStorage();
      const locks = sharedLocks();
      const tokensA = makeTokens();
      const tokensB = makeTokens({ username: 'bob@example.com' });
      const servicesA = fakeServices(tokensA);
      const servicesB = fakeServices(tokensB);
      const a = createAuth({ services: servicesA, storage: latentStorage(shared, locks, seeded(8), 0), sync: null });
      const { storage, ctl } = controlledStorage(shared);
      storage.lock = (name, critical) => locks.request(name, critical);
      const b = createAuth({ services: servicesB, storage, sync: null });
      await Promise.all([a.ready, b.ready]);
      await a.signIn({ username: 'alice@example.com', password: 'pw' });
      await expect.poll(() => outboxRuns(b)).toBe(false);
      ctl.only = 'write';
      ctl.mode = 'gate';
      const signIn = b.signIn({ username: 'bob@example.com', password: 'pw' });
      const signedIn = within(signIn);
      await expect.poll(() => b.state).toContain('saving');
      const signedOut = within(b.signOut());
      for (let i = 0; i < steps; i++) {
        ctl.open();
        await sleep(0);
      }
      ctl.mode = 'ok';
      ctl.open();
      expect(await signedIn).not.toBe('HANG');
      expect(await signedOut).not.toBe('HANG');
      await expect.poll(() => outboxRuns(b)).toBe(false);
      const revoked = [...servicesA.calls.revokeToken, ...servicesB.calls.revokeToken].map((c) => c.arg);
      // A's token: revoked, or still waiting in the outbox; B's cancelled session: revoked, or still stored.
      expect(revoked.includes(tokensA.refreshToken) || storedTokens(shared).includes(tokensA.refreshToken)).toBe(true);
      expect(revoked.includes(tokensB.refreshToken) || storedTokens(shared).includes(tokensB.refreshToken)).toBe(true);
      a.stop();
      b.stop();
    });
  }
});

describe('deferRevocation keeps the actor alive', () => {
  it('across 6 offline/online flips, each entry deferred offline is revoked when the network returns', async () => {
    const storage = memoryStorage();
    const services = fakeServices();
    const connectivity = manualConnectivity(true);
    const auth = createAuth({ services, storage, connectivity, sync: null, deferRevocation: true });
    await auth.ready;
    for (let i = 0; i < 6; i++) {
      connectivity.set(false);
      await sleep(5);
      expect(outboxRuns(auth)).toBe(true);
      deferInStorage(storage, [`rt-flip-${i}`], i * 10);
      connectivity.set(true);
      await expect.poll(() => services.calls.revokeToken.map((c) => c.arg)).toContain(`rt-flip-${i}`);
      await expect.poll(() => storedTokens(storage)).toEqual([]);
    }
    expect(outboxRuns(auth)).toBe(true);
    auth.stop();
  });
});

describe('stop() from the inspection stream', () => {
  const moments: [string, (e: InspectionEvent) => boolean][] = [
    ['the outbox is spawned', (e) => e.type === '@xstate.actor' && (e.actorRef as { id?: string }).id === 'outbox'],
    ['DRAIN is relayed', (e) => e.type === '@xstate.event' && (e.event as { type: string }).type === 'DRAIN'],
    [
      'the outbox reports',
      (e) =>
        e.type === '@xstate.action' &&
        (e.actorRef as { id?: string }).id === 'outbox' &&
        e.action.type === 'xstate.sendTo',
    ],
    [
      'OUTBOX_DRAINED is relayed',
      (e) => e.type === '@xstate.event' && (e.event as { type: string }).type === 'OUTBOX_DRAINED',
    ],
    ['the chart stops the quiet outbox', (e) => e.type === '@xstate.action' && e.action.type === 'xstate.stopChild'],
  ];
  for (const [moment, when] of moments) {
    it(`stop() when ${moment}: nothing thrown, the retry rejects Cancelled, the actor is stopped`, async () => {
      const storage = memoryStorage();
      let armed = false;
      const thrown: unknown[] = [];
      const auth: Auth = createAuth({
        services: fakeServices(),
        storage,
        sync: null,
        inspect: (e) => {
          if (!armed || !when(e)) return;
          armed = false;
          try {
            auth.stop();
          } catch (error) {
            thrown.push(error);
          }
        },
      });
      await auth.ready;
      await expect.poll(() => outboxRuns(auth)).toBe(false);
      deferInStorage(storage, ['rt-a']);
      armed = true;
      const outcome = await within(auth.retryDeferredRevocations(), 1_000);
      expect(armed).toBe(false);
      expect(thrown).toEqual([]);
      expect(outcome).toMatchObject({ error: expect.objectContaining({ code: 'Cancelled' }) });
      expect(auth.actor.getSnapshot().status).toBe('stopped');
    });
  }
});
