import { describe, expect, it } from 'vitest';
import { AuthError, manualConnectivity } from '../src/index.js';
import { ownKeys } from './helpers/fakes.js';
import { signedInHarness } from './helpers/harness.js';
import { makeTokens } from './helpers/tokens.js';
import { storedEntries } from './outbox/helpers.js';

// One key per entry behind an index of slots (the layout changed from one array key).
const OUTBOX = 'authchart.client123.outbox';

async function offlineGlobalSignOut() {
  const connectivity = manualConnectivity(true);
  const h = await signedInHarness({ auth: { deferRevocation: true, connectivity, revocation: 'always' } });
  connectivity.set(false);
  const result = await h.auth.signOut({ global: true });
  return { h, connectivity, result };
}

describe('deferred global sign-out (deferRevocation)', () => {
  it('a global sign-out that cannot reach Cognito keeps the whole sign-out in the outbox, and says deferred per step', async () => {
    const { h, result } = await offlineGlobalSignOut();
    expect(result).toMatchObject({
      status: 'partial',
      scope: 'global',
      deferred: true,
      steps: { globalSignOut: 'deferred', revokeToken: 'deferred', clearCache: 'done' },
      globalSignOutError: { code: 'Offline' },
    });
    expect(ownKeys(h.storage).sort()).toEqual([OUTBOX, `${OUTBOX}.0`]);
    expect(storedEntries(h.storage)).toEqual([
      { refreshToken: h.tokens.refreshToken, global: true, sid: expect.any(String), addedAt: expect.any(Number) },
    ]);
    expect(h.services.calls.globalSignOut).toHaveLength(0);
  });

  it('a GlobalSignOut that fails on the network mid-way is deferred too', async () => {
    const h = await signedInHarness({ auth: { deferRevocation: true, revocation: 'always' } });
    h.services.script.globalSignOut = { error: new AuthError('Network', 'connection reset') };
    const result = await h.auth.signOut({ global: true });
    expect(result).toMatchObject({ deferred: true, steps: { globalSignOut: 'deferred', revokeToken: 'deferred' } });
    expect(h.services.calls.globalSignOut).toHaveLength(1);
    expect(ownKeys(h.storage).sort()).toEqual([OUTBOX, `${OUTBOX}.0`]);
  });

  it('when online: refresh, GlobalSignOut with the refreshed access token, then RevokeToken; the outbox empties', async () => {
    const { h, connectivity } = await offlineGlobalSignOut();
    const fresh = makeTokens({ expiresIn: 3600 });
    h.services.script.refresh = { ok: { accessToken: fresh.accessToken, idToken: fresh.idToken } };
    connectivity.set(true);
    const drained = await h.auth.retryDeferredRevocations();
    expect(drained).toEqual({ settled: 1, remaining: 0 });
    expect(h.services.calls.refresh.map((c) => c.arg)).toEqual([h.tokens.refreshToken]);
    expect(h.services.calls.globalSignOut.map((c) => c.arg)).toEqual([fresh.accessToken]);
    expect(h.services.calls.revokeToken.map((c) => c.arg)).toEqual([h.tokens.refreshToken]);
    expect(ownKeys(h.storage)).toEqual([]);
  });

  it('still no network: the entry stays, global and all', async () => {
    const { h } = await offlineGlobalSignOut();
    h.services.script.refresh = { error: new AuthError('Network', 'down') };
    expect(await h.auth.retryDeferredRevocations()).toEqual({ settled: 0, remaining: 1 });
    expect(h.services.calls.globalSignOut).toHaveLength(0);
    // Kept, with the drain's claim let go.
    expect(storedEntries(h.storage)).toEqual([
      { refreshToken: h.tokens.refreshToken, global: true, sid: expect.any(String), addedAt: expect.any(Number) },
    ]);
  });

  it('a refresh refused for good: GlobalSignOut cannot run, RevokeToken is still tried, the entry settles', async () => {
    const { h } = await offlineGlobalSignOut();
    h.services.script.refresh = { error: new AuthError('NotAuthorized', 'Refresh Token has been revoked') };
    expect(await h.auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
    expect(h.services.calls.globalSignOut).toHaveLength(0);
    expect(h.services.calls.revokeToken).toHaveLength(1);
    expect(ownKeys(h.storage)).toEqual([]);
  });
});
