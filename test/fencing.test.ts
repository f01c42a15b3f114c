/**
 * Through the public API: a write that outlives its lock must not land (docs/storage.md, "A write
 * that outlives its lock does not land"). Two contexts share one storage with `storageMs` 100; A's
 * save takes 300 ms, so A's lock is let go (and its sign-in rejected) while its write still runs,
 * and B signs in meanwhile. Whatever the storage can do (check a fence at its commit point, or
 * nothing), storage must end with B's session, B must hold it, A's tokens must be revoked, and a
 * fresh start must restore B's session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuth, memoryStorage, memorySyncBus, type TokenStorage, type Tokens } from '../src/index.js';
import { fencedWrite } from '../src/session/fence.js';
import { withStorageLock } from '../src/session/lock.js';
import { RevocationOutbox } from '../src/session/outbox.js';
import { removeKey, writeKey } from '../src/session/storage-io.js';
import { sleep } from './helpers/async.js';
import { fakeServices } from './helpers/fakes.js';
import { readRecord } from './helpers/records.js';
import { makeTokens } from './helpers/tokens.js';

const SESSION = 'authchart.client123.session';
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/**
 * memoryStorage whose next write of the session record takes 300 ms (a slow disk, a far Redis).
 * `fenced`: it checks the fence authchart passes right before it commits, as fileStorage does.
 */
function slowStorage(fenced: boolean) {
  const inner = memoryStorage();
  const state = { slowNext: false, landed: [] as Promise<unknown>[] };
  const storage: TokenStorage = {
    getItem: (key) => inner.getItem(key),
    setItem: (key, value, options?: { fence?: AbortSignal }) => {
      if (!(state.slowNext && key === SESSION)) return inner.setItem(key, value);
      state.slowNext = false;
      const write = sleep(300).then(() => {
        if (fenced && options?.fence?.aborted) throw new Error('the lock was let go before this write committed');
        inner.setItem(key, value);
      });
      state.landed.push(write.catch(() => undefined));
      return write;
    },
    removeItem: (key) => inner.removeItem(key),
    ...(fenced ? { fencedWrites: true as const } : {}),
  };
  return { storage, state };
}

function context(storage: TokenStorage, bus: ReturnType<typeof memorySyncBus>, tokens: Tokens) {
  const services = fakeServices(tokens);
  const auth = createAuth({ services, storage, sync: bus.connect, timeouts: { storageMs: 100, refreshRetryMs: 50 } });
  stops.push(() => auth.stop());
  return { auth, services };
}

describe.each([
  ['a storage that checks the fence at its commit point', true],
  ['a storage that cannot (its late write is detected and undone)', false],
])('a sign-in whose write outlives its lock, on %s', (_name, fenced) => {
  it('does not land over the newer sign-in: storage, B and a fresh start hold bob, and alice’s token is revoked', async () => {
    const { storage, state } = slowStorage(fenced);
    const bus = memorySyncBus();
    const alice = makeTokens({ username: 'alice@example.com' });
    const bob = makeTokens({ username: 'bob@example.com' });
    const a = context(storage, bus, alice);
    const b = context(storage, bus, bob);
    await Promise.all([a.auth.ready, b.auth.ready]);

    state.slowNext = true;
    const aSignIn = a.auth.signIn({ username: 'alice@example.com', password: 'pw' });
    await expect(aSignIn).rejects.toMatchObject({ code: 'StorageFailure' });
    await b.auth.signIn({ username: 'bob@example.com', password: 'pw' });
    // A's write comes to its end (it lands, or it is refused), and whatever follows it settles.
    await Promise.all(state.landed);
    await sleep(100);

    expect((await readRecord(storage))?.refreshToken).toBe(bob.refreshToken);
    expect((await b.auth.fetchTokens({ minValidityMs: 0 })).refreshToken).toBe(bob.refreshToken);
    expect(b.auth.getTokens()?.refreshToken).toBe(bob.refreshToken);
    const revoked = [...a.services.calls.revokeToken, ...b.services.calls.revokeToken].map((c) => c.arg);
    expect(revoked).toContain(alice.refreshToken);
    expect(revoked).not.toContain(bob.refreshToken);

    const fresh = context(storage, bus, makeTokens());
    await fresh.auth.ready;
    expect(fresh.auth.getTokens()?.refreshToken).toBe(bob.refreshToken);
  });
});

describe('a late write whose undo cannot read storage at first', () => {
  it('is undone at a later try, and a context that restored it meanwhile is told and signs out', async () => {
    const { storage, state } = slowStorage(false);
    let failNextRead = false;
    const flaky: TokenStorage = {
      ...storage,
      getItem: (key) => {
        if (!(failNextRead && key === SESSION)) return storage.getItem(key);
        failNextRead = false;
        throw new Error('storage read failed');
      },
      setItem: (key, value, options) => {
        const write = storage.setItem(key, value, options);
        // The undo's first read of the record, right after the late write lands, fails.
        if (key === SESSION && write instanceof Promise) void write.then(() => (failNextRead = true));
        return write;
      },
    };
    const bus = memorySyncBus();
    const alice = makeTokens({ username: 'alice@example.com' });
    const a = context(flaky, bus, alice);
    await a.auth.ready;
    state.slowNext = true;
    await expect(a.auth.signIn({ username: 'alice@example.com', password: 'pw' })).rejects.toMatchObject({
      code: 'StorageFailure',
    });
    await Promise.all(state.landed);
    await sleep(50);
    // The documented window: the late write is what storage holds, and a new context restores it.
    expect((await readRecord(storage))?.refreshToken).toBe(alice.refreshToken);
    const b = context(flaky, bus, makeTokens());
    await b.auth.ready;
    expect(b.auth.state).toMatch(/^signedIn/);
    // The undo is tried again after 1 s: the record goes, and B follows storage.
    await sleep(1_200);
    expect(await readRecord(storage)).toBeNull();
    expect(b.auth.state).toBe('signedOut');
    expect(a.services.calls.revokeToken.map((c) => c.arg)).toContain(alice.refreshToken);
  });
});

describe('fencedWrite: a late write whose undo failed, tried again later (src/session/fence.ts)', () => {
  const KEY = 'k';
  /** A storage whose first write is slow (300 ms) and whose next read after it fails once. */
  function flakyLate() {
    const inner = memoryStorage();
    let slow = true;
    let failRead = false;
    const storage: TokenStorage = {
      getItem: (key) => {
        if (!failRead) return inner.getItem(key);
        failRead = false;
        throw new Error('read failed');
      },
      setItem: async (key, value) => {
        if (slow) {
          slow = false;
          await sleep(300);
          failRead = true;
        }
        inner.setItem(key, value);
      },
      removeItem: (key) => inner.removeItem(key),
      // A lock of its own (as navigator.locks, or Redis): an undo cannot know what was due, so it removes.
      lock: (_name, critical) => critical(),
    };
    return { inner, storage };
  }
  const io = (storage: TokenStorage, undone?: () => void) => ({ storage, lockName: 'fence-test', holdMs: 100, undone });

  it('undoes it a second later, and says so through the hook', async () => {
    const { inner, storage } = flakyLate();
    let told = 0;
    const write = withStorageLock(storage, 'fence-test', 100, (fence) =>
      fencedWrite(
        io(storage, () => told++),
        KEY,
        'late',
        fence,
      ),
    );
    await expect(write).rejects.toMatchObject({ code: 'StorageFailure' });
    expect(inner.getItem(KEY)).toBe('late');
    await sleep(1_200);
    expect(inner.getItem(KEY)).toBeNull();
    expect(told).toBe(1);
  });

  it('leaves it when this process wrote the key in time meanwhile, though with the same value', async () => {
    const { inner, storage } = flakyLate();
    const write = withStorageLock(storage, 'fence-test', 100, (fence) => fencedWrite(io(storage), KEY, 'same', fence));
    await expect(write).rejects.toMatchObject({ code: 'StorageFailure' });
    // A retried save writes the same record, in time.
    await withStorageLock(storage, 'fence-test', 100, (fence) => fencedWrite(io(storage), KEY, 'same', fence));
    await sleep(1_200);
    expect(inner.getItem(KEY)).toBe('same');
  });

  it('a hook that throws (a sync closed by stop()) breaks nothing', async () => {
    const { inner, storage } = flakyLate();
    const write = withStorageLock(storage, 'fence-test', 100, (fence) =>
      fencedWrite(
        io(storage, () => {
          throw new Error('InvalidStateError: the channel is closed');
        }),
        KEY,
        'late',
        fence,
      ),
    );
    await expect(write).rejects.toMatchObject({ code: 'StorageFailure' });
    await sleep(1_200);
    expect(inner.getItem(KEY)).toBeNull();
  });
});

describe('the outbox’s writes carry the section’s fence (src/session/storage-io.ts, outbox.ts)', () => {
  it('withStorageLock gives the storage’s lock() the fence it gives the section, and the outbox gives it to every write', async () => {
    const seen: { lock?: AbortSignal | undefined; writes: (AbortSignal | undefined)[] } = { writes: [] };
    const base = memoryStorage();
    const storage: TokenStorage = {
      getItem: (k) => base.getItem(k),
      setItem: (k, v, o) => {
        seen.writes.push(o?.fence);
        return base.setItem(k, v);
      },
      removeItem: (k, o) => {
        seen.writes.push(o?.fence);
        return base.removeItem(k);
      },
      lock: (_name, critical, section) => {
        seen.lock = section?.fence;
        return critical();
      },
    };
    const outbox = new RevocationOutbox(storage, 'p.');
    let given: AbortSignal | undefined;
    await withStorageLock(storage, 'p', 1000, (fence) => {
      given = fence;
      return outbox.addHeld({ refreshToken: 'rt', global: false }, fence);
    });
    expect(given).toBeDefined();
    expect(seen.lock).toBe(given);
    expect(seen.writes.length).toBeGreaterThan(0);
    expect(seen.writes.every((f) => f === given)).toBe(true);
  });

  it('a write given an aborted fence is refused (StorageFailure) before the storage is called', async () => {
    let calls = 0;
    const storage: TokenStorage = {
      getItem: () => null,
      setItem: () => {
        calls++;
      },
      removeItem: () => {
        calls++;
      },
    };
    const fence = AbortSignal.abort();
    await expect(writeKey(storage, 'k', 'v', fence)).rejects.toMatchObject({ code: 'StorageFailure' });
    await expect(removeKey(storage, 'k', fence)).rejects.toMatchObject({ code: 'StorageFailure' });
    expect(calls).toBe(0);
  });
});
