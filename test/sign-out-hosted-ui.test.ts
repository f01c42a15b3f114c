/** Sign-out of a session that came through the hosted UI: its `/logout` step, bounded and cancellable (docs/sign-out.md rows 10–11b). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../src/index.js';
import { ownKeys } from './helpers/fakes.js';
import { signedInHarness } from './helpers/harness.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('hosted UI sessions', () => {
  async function hostedHarness() {
    const h = await signedInHarness({ signedIn: false });
    await h.auth.adoptSession(h.tokens, { signedInWith: 'hostedUI' });
    expect(h.auth.getSession()?.signedInWith).toBe('hostedUI');
    return h;
  }

  it('run the /logout step first, then the rest', async () => {
    const h = await hostedHarness();
    h.states.length = 0;
    const result = await h.auth.signOut();
    expect(result).toMatchObject({ status: 'complete', steps: { hostedUISignOut: 'done', revokeToken: 'done' } });
    expect(h.states[0]).toBe('signingOut.signingOutOfHostedUI');
    expect(h.services.calls.hostedUISignOut).toHaveLength(1);
  });

  it('a /logout cancelled by the user runs nothing else and keeps the user signed in', async () => {
    const h = await hostedHarness();
    h.services.script.hostedUISignOut = { error: new AuthError('Cancelled', 'popup closed') };
    const result = await h.auth.signOut({ global: true });
    expect(result).toMatchObject({
      status: 'failed',
      signedOutLocally: false,
      error: { code: 'Cancelled' },
      steps: { hostedUISignOut: 'failed', globalSignOut: 'notRun', revokeToken: 'notRun', clearCache: 'notRun' },
    });
    expect(h.services.calls.globalSignOut).toHaveLength(0);
    expect(h.services.calls.revokeToken).toHaveLength(0);
    expect(h.auth.state).toBe('signedIn.waitingToRefresh');
    expect(ownKeys(h.storage)).toEqual(['authchart.client123.session']);
  });

  it('a failed /logout does not block: the local sign-out goes on and the result is partial', async () => {
    const h = await hostedHarness();
    h.services.script.hostedUISignOut = { error: new Error('popup blocked') };
    const result = await h.auth.signOut();
    expect(result).toMatchObject({
      status: 'partial',
      signedOutLocally: true,
      hostedUISignOutError: { code: 'Service' },
      steps: { hostedUISignOut: 'failed', revokeToken: 'done', clearCache: 'done' },
    });
    expect(h.services.calls.revokeToken).toHaveLength(1);
    expect(h.auth.state).toBe('signedOut');
    expect(ownKeys(h.storage)).toEqual([]);
  });

  it('offline, /logout is skipped (not silently): signed out locally, partial with Offline', async () => {
    const h = await hostedHarness();
    h.connectivity.set(false);
    const result = await h.auth.signOut();
    expect(result).toMatchObject({
      status: 'partial',
      signedOutLocally: true,
      hostedUISignOutError: { code: 'Offline' },
      steps: { hostedUISignOut: 'skipped', revokeToken: 'skipped', clearCache: 'done' },
    });
    expect(h.services.calls.hostedUISignOut).toHaveLength(0);
    expect(ownKeys(h.storage)).toEqual([]);
  });

  // `hostedUISignOutMs` is the bound's old name, still read when `hostedUIMs` is absent.
  it.each(['hostedUIMs', 'hostedUISignOutMs'] as const)(
    'a /logout that never finishes is bounded by %s, then the local sign-out goes on',
    async (bound) => {
      vi.useFakeTimers();
      const h = await signedInHarness({ signedIn: false, auth: { timeouts: { [bound]: 10_000 } } });
      await h.auth.adoptSession(h.tokens, { signedInWith: 'hostedUI' });
      h.services.script.hostedUISignOut = 'hang';
      const pending = h.auth.signOut();
      await vi.advanceTimersByTimeAsync(10_000);
      const result = await pending;
      expect(result).toMatchObject({ status: 'partial', hostedUISignOutError: { code: 'Timeout' } });
      expect(h.services.calls.hostedUISignOut[0]?.aborted).toBe(true);
      expect(h.auth.state).toBe('signedOut');
    },
  );
});
