import { describe, expect, it } from 'vitest';
import { createAuth, manualConnectivity, memoryStorage, type TokenStorage } from '../src/index.js';
import { fakeServices, ownKeys } from './helpers/fakes.js';
import { signedInHarness } from './helpers/harness.js';
import { makeTokens } from './helpers/tokens.js';

const JOURNAL = 'authchart.client123.signOutJournal';

/** A storage that refuses to remove one key, once told to. */
function stickyStorage() {
  const inner = memoryStorage([['app.theme', 'dark']]);
  const state = { refuse: null as string | null };
  const storage: TokenStorage & { keys(): string[] } = {
    getItem: (k) => inner.getItem(k),
    setItem: (k, v) => inner.setItem(k, v),
    removeItem: (k) => {
      if (k === state.refuse) throw new Error('EBUSY');
      inner.removeItem(k);
    },
    keys: () => inner.keys(),
  };
  return { storage, state };
}

describe('a clear that fails part-way (docs/sign-out.md row 24)', () => {
  it('keeps its journal and answers failed; the next start finishes the sign-out', async () => {
    const tokens = makeTokens();
    const services = fakeServices(tokens);
    const { storage, state } = stickyStorage();
    const first = createAuth({ services, storage, sync: null, revocation: 'always' });
    await first.ready;
    await first.signIn({ username: 'alice@example.com', password: 'pw' });
    state.refuse = 'authchart.client123.session';

    const result = await first.signOut();
    expect(result).toMatchObject({ status: 'failed', error: { code: 'StorageFailure' } });
    // The refresh token could not be removed: the journal stays, so nothing forgets it.
    expect(storage.keys()).toContain(JOURNAL);
    expect(storage.keys()).toContain('authchart.client123.session');
    first.stop();

    state.refuse = null;
    const next = createAuth({ services, storage, sync: null, revocation: 'always' });
    await next.ready;
    await new Promise((r) => setTimeout(r, 10));
    expect(next.state).toBe('signedOut');
    expect(ownKeys(storage)).toEqual([]);
    expect(storage.keys()).toEqual(['app.theme']);
    next.stop();
  });
});

describe('a full storage and deferRevocation (docs/sign-out.md row 23)', () => {
  it('the outbox write fails, the clear goes on: partial, deferred: false, with the storage error', async () => {
    const connectivity = manualConnectivity(true);
    const h = await signedInHarness({ auth: { deferRevocation: true, connectivity, revocation: 'always' } });
    connectivity.set(false);
    h.storage.faults.set = true; // QuotaExceededError on every write
    const result = await h.auth.signOut();
    expect(result).toMatchObject({
      status: 'partial',
      signedOutLocally: true,
      deferred: false,
      deferredError: { code: 'StorageFailure' },
      steps: { revokeToken: 'skipped', clearCache: 'done' },
    });
    expect(h.auth.state).toBe('signedOut');
    expect(ownKeys(h.storage)).toEqual([]);
    // No token in what the app is told.
    expect(JSON.stringify(result)).not.toContain(h.tokens.refreshToken);
  });
});
