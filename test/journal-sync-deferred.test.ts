import { describe, expect, it, vi } from 'vitest';
import {
  AuthError,
  createAuth,
  manualConnectivity,
  memoryStorage,
  memorySyncBus,
  storageEventSync,
} from '../src/index.js';
import { sessionFromTokens } from '../src/session/session.js';
import { SessionStore } from '../src/session/store.js';
import { sleep } from './helpers/async.js';
import { fakeServices, ownKeys } from './helpers/fakes.js';
import { signedInHarness } from './helpers/harness.js';
import { makeTokens } from './helpers/tokens.js';
import { storedTokens } from './outbox/helpers.js';

const CREDS = { username: 'alice@example.com', password: 'pw' };
const JOURNAL = 'authchart.client123.signOutJournal';
const LEGACY_OUTBOX = 'authchart.client123.revocationOutbox';
const OUTBOX = 'authchart.client123.outbox';
const tick = () => sleep(0);

describe('crash-safe journal', () => {
  it('is written before the first remote step, holds no token, and is gone when the sign-out finishes', async () => {
    const h = await signedInHarness();
    let journalDuringRevoke: string | null = null;
    h.services.script.revokeToken = async () => {
      journalDuringRevoke = h.storage.getItem(JOURNAL) as string | null;
    };
    await h.auth.signOut({ global: false });
    expect(JSON.parse(journalDuringRevoke ?? 'null')).toMatchObject({ scope: 'local', username: 'alice@example.com' });
    for (const t of [h.tokens.accessToken, h.tokens.idToken, h.tokens.refreshToken]) {
      expect(journalDuringRevoke).not.toContain(t);
    }
    expect(h.storage.getItem(JOURNAL)).toBeNull();
  });

  it('an offline sign-out writes its journal too (a crash during the clear is finished at restart), then removes it', async () => {
    const h = await signedInHarness();
    h.connectivity.set(false);
    const writes: string[] = [];
    const set = h.storage.setItem.bind(h.storage);
    h.storage.setItem = (k, v) => {
      writes.push(k);
      set(k, v);
    };
    await h.auth.signOut();
    expect(writes).toContain(JOURNAL);
    expect(h.storage.getItem(JOURNAL)).toBeNull();
  });

  it('a start that finds a journal finishes that sign-out (by the same rules) instead of restoring', async () => {
    const tokens = makeTokens({ revocable: true });
    const storage = memoryStorage();
    const store = new SessionStore(storage, 'client123');
    await store.save(sessionFromTokens(tokens, 'password'));
    await store.writeJournal({ scope: 'global', startedAt: 1, username: 'alice@example.com' });
    const services = fakeServices(tokens);
    services.script.globalSignOut = { error: new AuthError('Service', 'HTTP 500') };
    const auth = createAuth({ services, storage });
    const events: unknown[] = [];
    auth.on('signedOut', (e) => events.push(e));
    const signedIn: unknown[] = [];
    auth.on('signedIn', (e) => signedIn.push(e));
    await auth.ready;
    await tick();
    expect(auth.state).toBe('signedOut');
    expect(services.calls.globalSignOut.map((c) => c.arg)).toEqual([tokens.accessToken]);
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual([tokens.refreshToken]);
    expect(storage.keys()).toEqual([]);
    expect(signedIn).toEqual([]);
    expect(events).toMatchObject([{ reason: 'interrupted', result: { status: 'partial', scope: 'global' } }]);
  });

  it('a journal whose tokens are already gone just clears, with no network', async () => {
    const storage = memoryStorage([[JOURNAL, '{"scope":"local","startedAt":1,"username":"alice@example.com"}']]);
    const services = fakeServices();
    const auth = createAuth({ services, storage });
    await auth.ready;
    await tick();
    expect(auth.state).toBe('signedOut');
    expect(services.calls.revokeToken).toHaveLength(0);
    expect(storage.keys()).toEqual([]);
  });
});

describe('cross-tab sync', () => {
  it('when one tab signs out, the other follows without network calls; when one signs in, the other restores', async () => {
    const bus = memorySyncBus();
    const storage = memoryStorage(); // shared, like localStorage
    const tokens = makeTokens();
    const servicesA = fakeServices(tokens);
    const servicesB = fakeServices(tokens);
    const a = createAuth({ services: servicesA, storage, sync: bus.connect });
    const b = createAuth({ services: servicesB, storage, sync: bus.connect });
    await Promise.all([a.ready, b.ready]);

    await a.signIn(CREDS);
    await tick();
    await tick();
    expect(b.state).toBe('signedIn.waitingToRefresh');
    expect(b.getSession()?.username).toBe('alice@example.com');
    expect(servicesB.calls.signIn).toHaveLength(0);

    const followed: unknown[] = [];
    b.on('signedOut', (e) => followed.push(e));
    await a.signOut();
    await tick();
    await tick();
    expect(b.state).toBe('signedOut');
    expect(followed).toMatchObject([{ reason: 'otherTab', result: { status: 'complete' } }]);
    expect(servicesB.calls.revokeToken).toHaveLength(0);
    expect(servicesB.calls.globalSignOut).toHaveLength(0);
    expect(servicesA.calls.revokeToken).toHaveLength(1);
    a.stop();
    b.stop();
  });

  it('the storage-event fallback alone: a tab follows another tab sign in and out through the events localStorage fires', async () => {
    type Listener = (e: { key: string | null; newValue: string | null }) => void;
    const shared = memoryStorage(); // localStorage: one per origin
    const windows = [new Set<Listener>(), new Set<Listener>()];
    // A browser fires `storage` in every other window of the origin, never in the writer's own.
    const tab = (own: number) => {
      const fire = (key: string | null, newValue: string | null) => {
        for (const [w, ls] of windows.entries()) if (w !== own) for (const l of ls) l({ key, newValue });
      };
      const storage = {
        getItem: (k: string) => shared.getItem(k) as string | null,
        setItem: (k: string, v: string) => {
          shared.setItem(k, v);
          fire(k, v);
        },
        removeItem: (k: string) => {
          shared.removeItem(k);
          fire(k, null);
        },
      };
      const win = {
        addEventListener: (_t: 'storage', l: Listener) => windows[own]?.add(l),
        removeEventListener: (_t: 'storage', l: Listener) => windows[own]?.delete(l),
      };
      return createAuth({ services: fakeServices(), storage, sync: storageEventSync(win) });
    };
    const a = tab(0);
    const b = tab(1);
    await Promise.all([a.ready, b.ready]);
    await a.signIn(CREDS);
    await vi.waitFor(() => expect(b.state).toBe('signedIn.waitingToRefresh'));
    const followed: unknown[] = [];
    b.on('signedOut', (e) => followed.push(e));
    await a.signOut();
    await vi.waitFor(() => expect(b.state).toBe('signedOut'));
    expect(followed).toMatchObject([{ reason: 'otherTab' }]);
    a.stop();
    b.stop();
    expect(windows.map((w) => w.size)).toEqual([0, 0]);
  });
});

describe('deferred revocation (opt-in)', () => {
  it('offline: the refresh token alone waits in the outbox; back online, it is revoked and the outbox removed', async () => {
    const connectivity = manualConnectivity(true);
    const h = await signedInHarness({ auth: { deferRevocation: true, connectivity } });
    connectivity.set(false);
    const result = await h.auth.signOut();
    expect(result).toMatchObject({ status: 'partial', deferred: true, revokeTokenError: { code: 'Offline' } });
    // One key per entry behind an index of slots (the layout changed from one array key).
    expect(ownKeys(h.storage).sort()).toEqual([OUTBOX, `${OUTBOX}.0`]);
    expect(storedTokens(h.storage)).toEqual([h.tokens.refreshToken]);
    expect(h.services.calls.revokeToken).toHaveLength(0);

    connectivity.set(true);
    await tick();
    await tick();
    expect(h.services.calls.revokeToken.map((c) => c.arg)).toEqual([h.tokens.refreshToken]);
    expect(ownKeys(h.storage)).toEqual([]);
  });

  it('a network failure keeps the token for later; a final service answer drops it; the next start retries', async () => {
    const storage = memoryStorage([[LEGACY_OUTBOX, JSON.stringify(['rt-network', 'rt-final'])]]);
    const services = fakeServices();
    services.script.revokeToken = () => Promise.reject(new AuthError('Network', 'down'));
    const first = createAuth({ services, storage, deferRevocation: true });
    await first.ready;
    expect(await first.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 2 });
    first.stop();

    let n = 0;
    services.script.revokeToken = () =>
      ++n === 1 ? Promise.resolve() : Promise.reject(new AuthError('NotAuthorized', 'already revoked'));
    const second = createAuth({ services, storage, deferRevocation: true });
    await second.ready;
    for (let i = 0; i < 5; i++) await tick();
    expect(storage.keys()).toEqual([]);
    second.stop();
  });

  it('without deferRevocation nothing is kept', async () => {
    const h = await signedInHarness();
    h.connectivity.set(false);
    const result = await h.auth.signOut();
    expect(result).not.toHaveProperty('deferred');
    expect(ownKeys(h.storage)).toEqual([]);
  });
});

describe('calls that arrive while the machine is busy on its own', () => {
  it('signOut() during a restore woken by another tab settles (after the restore) instead of hanging', async () => {
    const bus = memorySyncBus();
    const shared = memoryStorage();
    // Tab B reads storage slowly, so it is still restoring when signOut() is called.
    const slow = {
      getItem: (k: string) =>
        new Promise<string | null>((r) => setTimeout(() => r(shared.getItem(k) as string | null), 30)),
      setItem: (k: string, v: string) => shared.setItem(k, v),
      removeItem: (k: string) => shared.removeItem(k),
    };
    const a = createAuth({ services: fakeServices(), storage: shared, sync: bus.connect });
    const servicesB = fakeServices();
    const b = createAuth({ services: servicesB, storage: slow, sync: bus.connect });
    await Promise.all([a.ready, b.ready]);
    await a.signIn(CREDS);
    await tick();
    expect(b.state).toBe('restoring.readingStoredSession');
    const result = await b.signOut();
    expect(result.status).toBe('complete');
    expect(b.state).toBe('signedOut');
    expect(servicesB.calls.revokeToken).toHaveLength(1); // it restored A's session, then signed it out
    a.stop();
    b.stop();
  });

  it('signIn() during a sign-out the machine started itself (refresh rejected) waits for it, then signs in', async () => {
    const services = fakeServices(makeTokens({ expiresIn: 2 }));
    services.script.refresh = { error: new AuthError('NotAuthorized', 'revoked') };
    const storage = memoryStorage();
    let releaseClear!: () => void;
    const gate = new Promise<void>((r) => (releaseClear = r));
    const gated = {
      getItem: (k: string) => storage.getItem(k),
      setItem: (k: string, v: string) => storage.setItem(k, v),
      removeItem: async (k: string) => {
        await gate;
        storage.removeItem(k);
      },
    };
    const auth = createAuth({ services, storage: gated, sync: null });
    await auth.signIn(CREDS);
    await new Promise((r) => setTimeout(r, 1100)); // half the 2 s lifetime: the refresh runs and is rejected
    expect(auth.state).toBe('signingOut.clearingCache');
    services.script.signIn = { ok: makeTokens() };
    const again = auth.signIn(CREDS);
    await tick();
    releaseClear();
    await again;
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    auth.stop();
  });
});
