/**
 * The outbox actor runs only while it has something to do (docs/sign-out.md, "The revocation
 * outbox"): it drains at start, and once quiet (nothing to watch, nothing to look at again, no
 * request unanswered) the chart stops it, so an idle instance carries no second actor. Asked again
 * (`retryDeferredRevocations()`, or the chart's own drain), it starts again and drains.
 */
import { describe, expect, it } from 'vitest';
import { type Auth, AuthError, createAuth, manualConnectivity, memoryStorage } from '../../src/index.js';
import { sleep } from '../helpers/async.js';
import { fakeServices } from '../helpers/fakes.js';
import { INDEX, latentStorage, seeded, storedTokens } from './helpers.js';

const outboxRuns = (auth: Auth) => 'outbox' in auth.actor.getSnapshot().children;

/** Puts `tokens` in the stored outbox, as another context's offline sign-out would. */
function deferInStorage(storage: ReturnType<typeof memoryStorage>, tokens: string[]) {
  storage.setItem(INDEX, JSON.stringify(tokens.map((_, i) => i)));
  tokens.forEach((refreshToken, i) => {
    storage.setItem(`${INDEX}.${i}`, JSON.stringify({ refreshToken, addedAt: 1 }));
  });
}

describe('the outbox actor runs only while it has work', () => {
  it('an instance with nothing deferred carries no outbox actor once its start drain has ended', async () => {
    const auth = createAuth({ services: fakeServices(), storage: memoryStorage(), sync: null });
    await auth.ready;
    await expect.poll(() => outboxRuns(auth)).toBe(false);
    auth.stop();
  });

  it('retryDeferredRevocations() starts it again: what another context deferred since is revoked, then it stops again', async () => {
    const storage = memoryStorage();
    const services = fakeServices();
    const auth = createAuth({ services, storage, sync: null });
    await auth.ready;
    await expect.poll(() => outboxRuns(auth)).toBe(false);
    deferInStorage(storage, ['rt-a', 'rt-b']);
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 2, remaining: 0 });
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual(['rt-a', 'rt-b']);
    expect(storedTokens(storage)).toEqual([]);
    await expect.poll(() => outboxRuns(auth)).toBe(false);
    // And again: every restart answers its caller.
    deferInStorage(storage, ['rt-c']);
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
    auth.stop();
  });

  it('started again while offline (its start drain skipped), a retry is still answered: the entry stays for a drain online', async () => {
    const storage = memoryStorage();
    const services = fakeServices();
    const connectivity = manualConnectivity(true);
    const auth = createAuth({ services, storage, connectivity, sync: null });
    await auth.ready;
    await expect.poll(() => outboxRuns(auth)).toBe(false);
    connectivity.set(false);
    services.script.revokeToken = { error: new AuthError('Network', 'offline') };
    deferInStorage(storage, ['rt-offline']);
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
    expect(storedTokens(storage)).toEqual(['rt-offline']);
    connectivity.set(true);
    services.script.revokeToken = { ok: undefined };
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
    auth.stop();
  });

  it('requests that cross the outbox stopping are each answered (20 seeds, random storage latency)', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seeded(seed);
      const shared = memoryStorage();
      const services = fakeServices();
      const auth = createAuth({ services, storage: latentStorage(shared, null, random), sync: null });
      const answers: Promise<unknown>[] = [];
      for (let i = 0; i < 6; i++) {
        if (random() < 0.5) deferInStorage(shared, [`rt-${seed}-${i}`]);
        answers.push(auth.retryDeferredRevocations());
        await sleep(Math.floor(random() * 8));
      }
      const settled = await Promise.race([
        Promise.all(answers).then(() => 'all answered'),
        sleep(5_000).then(() => `seed ${seed}: a retryDeferredRevocations() call was never answered`),
      ]);
      expect(settled).toBe('all answered');
      // Nothing deferred is left behind, and the idle instance lets the actor go.
      expect(await auth.retryDeferredRevocations()).toMatchObject({ remaining: 0 });
      expect(storedTokens(shared)).toEqual([]);
      await expect.poll(() => outboxRuns(auth)).toBe(false);
      auth.stop();
    }
  });

  it('with deferRevocation it stays, watching connectivity: coming back online drains what was deferred', async () => {
    const storage = memoryStorage();
    const services = fakeServices();
    const connectivity = manualConnectivity(true);
    const auth = createAuth({ services, storage, connectivity, sync: null, deferRevocation: true });
    await auth.ready;
    await sleep(10);
    expect(outboxRuns(auth)).toBe(true);
    connectivity.set(false);
    deferInStorage(storage, ['rt-later']);
    connectivity.set(true);
    await expect.poll(() => services.calls.revokeToken.map((c) => c.arg)).toEqual(['rt-later']);
    auth.stop();
  });
});
