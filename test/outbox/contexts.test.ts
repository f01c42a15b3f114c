/**
 * The outbox through the public API: several `createAuth` instances (tabs, processes) over one
 * storage with random latency per call and one shared lock.
 */
import { describe, expect, it } from 'vitest';
import { AuthError, createAuth, manualConnectivity, memoryStorage, type TokenStorage } from '../../src/index.js';
import { sleep as tick } from '../helpers/async.js';
import { deferred, fakeServices } from '../helpers/fakes.js';
import { makeTokens } from '../helpers/tokens.js';
import { INDEX, LEGACY, latentStorage, seeded, sharedLocks, storedEntries } from './helpers.js';

const CREDS = { username: 'alice@example.com', password: 'pw' };

/** Revoked tokens, counted across every context. */
function revocations() {
  const counts = new Map<string, number>();
  return {
    counts,
    services() {
      const services = fakeServices();
      services.script.revokeToken = async () => {
        const token = services.calls.revokeToken.at(-1)?.arg as string;
        counts.set(token, (counts.get(token) ?? 0) + 1);
        await tick(5);
      };
      return services;
    },
  };
}

/** Drains with a fresh context and tells how many times each token was revoked. */
async function drainAll(storage: TokenStorage) {
  const revoked = revocations();
  const auth = createAuth({ services: revoked.services(), storage, sync: null, deferRevocation: true });
  await auth.ready;
  await auth.retryDeferredRevocations();
  auth.stop();
  return revoked.counts;
}

describe('offline sign-outs in several contexts at once lose no deferred token', () => {
  for (const contexts of [2, 3]) {
    it(`${contexts} contexts, 16 sign-ins and deferred sign-outs each`, async () => {
      const shared = memoryStorage();
      const locks = sharedLocks();
      const random = seeded(contexts);
      const issued: string[] = [];
      await Promise.all(
        Array.from({ length: contexts }, async () => {
          const services = fakeServices();
          services.script.signIn = async () => {
            const tokens = makeTokens();
            issued.push(tokens.refreshToken);
            return tokens;
          };
          services.script.revokeToken = { error: new AuthError('Network', 'down') };
          const storage = latentStorage(shared, locks, random);
          const auth = createAuth({ services, storage, sync: null, deferRevocation: true });
          await auth.ready;
          for (let i = 0; i < 16; i++) {
            // The contexts overwrite each other's sessions (the latest sign-in wins; the one it
            // replaced goes to the outbox), and may find themselves holding another's session.
            await auth.signIn(CREDS).catch(() => undefined);
            const result = await auth.signOut();
            expect(result.status).not.toBe('failed');
          }
          auth.stop();
        }),
      );
      expect(issued.length).toBeGreaterThanOrEqual(16);
      // Every refresh token issued waits in the outbox, once: by its own deferred sign-out, or put
      // there by the sign-in that replaced its session.
      const counts = await drainAll(shared);
      expect([...counts.keys()].sort()).toEqual([...issued].sort());
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(shared.keys()).toEqual([]);
    });
  }
});

describe('a drain claims its entries', () => {
  it('three contexts draining at once (start and retry) revoke each token exactly once', async () => {
    const tokens = Array.from({ length: 9 }, (_, i) => `rt-${i}`);
    const shared = memoryStorage([[LEGACY, JSON.stringify(tokens)]]);
    const locks = sharedLocks();
    const random = seeded(3);
    const revoked = revocations();
    const auths = [0, 1, 2].map(() =>
      createAuth({
        services: revoked.services(),
        storage: latentStorage(shared, locks, random),
        sync: null,
        deferRevocation: true,
      }),
    );
    await Promise.all(auths.map((a) => a.ready));
    await Promise.all(auths.map((a) => a.retryDeferredRevocations()));
    await tick(50);
    for (const a of auths) a.stop();
    expect(Object.fromEntries(revoked.counts)).toEqual(Object.fromEntries(tokens.map((t) => [t, 1])));
    expect(shared.keys()).toEqual([]);
  });

  it('an entry claimed by a dead context is drained once its claim expires', async () => {
    let now = 1_000_000;
    const until = now + 60_000;
    const entry = { refreshToken: 'rt-orphan', addedAt: 1, claim: { by: 'dead-tab', until } };
    const shared = memoryStorage([
      [INDEX, '[0]'],
      [`${INDEX}.0`, JSON.stringify(entry)],
    ]);
    const services = fakeServices();
    const auth = createAuth({ services, storage: shared, sync: null, clock: { now: () => now } });
    await auth.ready;
    await tick(10);
    // The start's drain and a retry leave it to its (maybe live) owner.
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
    expect(services.calls.revokeToken).toHaveLength(0);
    now = until;
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual(['rt-orphan']);
    expect(shared.keys()).toEqual([]);
    auth.stop();
  });
});

describe('every drain settles', () => {
  it('the revoke calls run outside the lock: a sign-out elsewhere adds meanwhile, and the settle keeps its entry', async () => {
    const shared = memoryStorage([[LEGACY, '["rt-1"]']]);
    const gate = deferred();
    const services = fakeServices();
    services.script.revokeToken = () => gate.promise;
    const a = createAuth({ services, storage: shared, sync: null, deferRevocation: true });
    await a.ready;
    for (let i = 0; i < 10 && services.calls.revokeToken.length === 0; i++) await tick(5);
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual(['rt-1']);
    // Another context signs out offline while A's RevokeToken is out: its entry goes in at once.
    const other = fakeServices();
    other.script.revokeToken = { error: new AuthError('Network', 'down') };
    const b = createAuth({ services: other, storage: shared, sync: null, deferRevocation: true });
    await b.signIn(CREDS);
    const kept = b.getTokens()?.refreshToken as string;
    expect(await b.signOut()).toMatchObject({ deferred: true });
    expect(storedEntries(shared).map((e) => e.refreshToken)).toContain(kept);
    gate.resolve();
    for (let i = 0; i < 10 && storedEntries(shared).length > 1; i++) await tick(5);
    expect(storedEntries(shared).map((e) => e.refreshToken)).toEqual([kept]);
    a.stop();
    b.stop();
  });

  it('a claim whose storage never answers ends at the storage time limit, with a StorageFailure', async () => {
    const shared = memoryStorage();
    const hung: TokenStorage = {
      getItem: (k) => (k === INDEX ? new Promise<null>(() => {}) : shared.getItem(k)),
      setItem: (k, v) => shared.setItem(k, v),
      removeItem: (k) => shared.removeItem(k),
    };
    const auth = createAuth({ services: fakeServices(), storage: hung, sync: null, timeouts: { storageMs: 50 } });
    const started = Date.now();
    const error = await auth.retryDeferredRevocations().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'StorageFailure' });
    expect(Date.now() - started).toBeLessThan(2_000);
    auth.stop();
  });
});

describe('drain at start', () => {
  it('runs with deferRevocation off: what an earlier run kept is revoked', async () => {
    const shared = memoryStorage([[LEGACY, JSON.stringify(['rt-1', { refreshToken: 'rt-2', global: true }])]]);
    const services = fakeServices();
    const auth = createAuth({ services, storage: shared, sync: null });
    await auth.ready;
    for (let i = 0; i < 10 && shared.size > 0; i++) await tick(5);
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual(['rt-1', 'rt-2']);
    expect(services.calls.refresh.map((c) => c.arg)).toEqual(['rt-2']); // then GlobalSignOut
    expect(shared.keys()).toEqual([]);
    auth.stop();
  });

  it('with the option off, connectivity coming back does not drain (retryDeferredRevocations does)', async () => {
    const connectivity = manualConnectivity(false);
    const shared = memoryStorage([[LEGACY, '["rt-1"]']]);
    const services = fakeServices();
    const auth = createAuth({ services, storage: shared, sync: null, connectivity });
    await auth.ready;
    await tick(10);
    connectivity.set(true);
    await tick(10);
    expect(services.calls.revokeToken).toHaveLength(0);
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
    auth.stop();
  });

  it('with an empty outbox, reads and writes nothing more than the index and the legacy key', async () => {
    const shared = memoryStorage([['app.theme', 'dark']]);
    const log: string[] = [];
    const counted: TokenStorage = {
      getItem(k) {
        log.push(`get ${k}`);
        return shared.getItem(k);
      },
      setItem(k, v) {
        log.push(`set ${k}`);
        return shared.setItem(k, v);
      },
      removeItem(k) {
        log.push(`remove ${k}`);
        return shared.removeItem(k);
      },
    };
    const auth = createAuth({ services: fakeServices(), storage: counted, sync: null });
    await auth.ready;
    await tick(10);
    const outbox = log.filter((l) => / authchart\.client123\.(outbox|revocationOutbox)/.test(l));
    // The restore's check and the drain's claim read the index; the legacy key is read once per context.
    expect(outbox.sort()).toEqual([`get ${INDEX}`, `get ${INDEX}`, `get ${LEGACY}`]);
    expect(log.filter((l) => !l.startsWith('get '))).toEqual([]);
    auth.stop();
  });

  it('a stored entry written by this layout carries no claim once a drain that could not reach Cognito ends', async () => {
    const shared = memoryStorage([[LEGACY, '["rt-1"]']]);
    const services = fakeServices();
    services.script.revokeToken = { error: new AuthError('Network', 'down') };
    const auth = createAuth({ services, storage: shared, sync: null });
    await auth.ready;
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
    expect(storedEntries(shared)).toEqual([{ refreshToken: 'rt-1', addedAt: expect.any(Number) }]);
    auth.stop();
  });
});
