import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError, isAuthError, type SignOutResult } from '../src/index.js';
import { type faultyStorage, ownKeys } from './helpers/fakes.js';
import { signedInHarness } from './helpers/harness.js';

afterEach(() => {
  vi.useRealTimers();
});

const UNRELATED = { 'app.theme': 'dark', 'authchart.otherClient.lastAuthUser': 'bob' };

function expectClearedExceptUnrelated(storage: ReturnType<typeof faultyStorage>) {
  expect(ownKeys(storage)).toEqual([]);
  expect(storage.dump()).toEqual(UNRELATED);
}

describe('local sign-out', () => {
  it('revokes the refresh token, then clears every key of ours and no other', async () => {
    const h = await signedInHarness();
    expect(ownKeys(h.storage).sort()).toEqual(['authchart.client123.session']);
    h.states.length = 0;
    const result = await h.auth.signOut();
    expect(result).toEqual({
      status: 'complete',
      signedOutLocally: true,
      scope: 'local',
      steps: { hostedUISignOut: 'notRun', globalSignOut: 'notRun', revokeToken: 'done', clearCache: 'done' },
    });
    expect(h.services.calls.revokeToken.map((c) => c.arg)).toEqual([h.tokens.refreshToken]);
    expect(h.services.calls.globalSignOut).toHaveLength(0);
    expect(h.states).toEqual([
      'signingOut.writingJournal',
      'signingOut.revokingRefreshToken',
      'signingOut.clearingCache',
      'signedOut',
    ]);
    expectClearedExceptUnrelated(h.storage);
    expect(h.auth.getSession()).toBeNull();
    expect(h.auth.getTokens()).toBeNull();
  });

  it('with revocation "auto" skips RevokeToken when the token has no origin_jti (revocation disabled)', async () => {
    const h = await signedInHarness({ token: { revocable: false } });
    const result = await h.auth.signOut();
    expect(result.status).toBe('complete');
    expect(result.steps.revokeToken).toBe('notRun');
    expect(h.services.calls.revokeToken).toHaveLength(0);
    expectClearedExceptUnrelated(h.storage);
  });

  it('with revocation "always" revokes even without origin_jti; "never" never revokes', async () => {
    const always = await signedInHarness({ token: { revocable: false }, auth: { revocation: 'always' } });
    expect((await always.auth.signOut()).steps.revokeToken).toBe('done');
    expect(always.services.calls.revokeToken).toHaveLength(1);

    const never = await signedInHarness({ token: { revocable: true }, auth: { revocation: 'never' } });
    const result = await never.auth.signOut();
    expect(result.status).toBe('complete');
    expect(result.steps.revokeToken).toBe('notRun');
    expect(never.services.calls.revokeToken).toHaveLength(0);
  });

  it('a RevokeToken service error is recorded and the cache is still cleared: partial', async () => {
    const h = await signedInHarness();
    h.services.script.revokeToken = { error: new AuthError('RevocationUnsupported', 'revocation is not enabled') };
    const result = await h.auth.signOut();
    expect(result.status).toBe('partial');
    if (result.status !== 'partial') throw new Error('unreachable');
    expect(result.revokeTokenError?.code).toBe('RevocationUnsupported');
    expect(result.steps).toMatchObject({ revokeToken: 'failed', clearCache: 'done' });
    expect(h.auth.state).toBe('signedOut');
    expectClearedExceptUnrelated(h.storage);
  });

  it('a non-AuthError thrown by a service is reported as Service with its name', async () => {
    const h = await signedInHarness();
    h.services.script.revokeToken = { error: new TypeError('boom') };
    const result = await h.auth.signOut();
    if (result.status !== 'partial') throw new Error(`expected partial, got ${result.status}`);
    expect(result.revokeTokenError).toMatchObject({ code: 'Service', serviceName: 'TypeError' });
  });
});

describe('global sign-out', () => {
  it('calls GlobalSignOut with the access token and skips the now-redundant RevokeToken', async () => {
    const h = await signedInHarness();
    h.states.length = 0;
    const result = await h.auth.signOut({ global: true });
    expect(result).toMatchObject({
      status: 'complete',
      scope: 'global',
      steps: { globalSignOut: 'done', revokeToken: 'notRun', clearCache: 'done' },
    });
    expect(h.services.calls.globalSignOut.map((c) => c.arg)).toEqual([h.tokens.accessToken]);
    expect(h.services.calls.revokeToken).toHaveLength(0);
    expect(h.states).toEqual([
      'signingOut.writingJournal',
      'signingOut.signingOutGlobally',
      'signingOut.clearingCache',
      'signedOut',
    ]);
    expectClearedExceptUnrelated(h.storage);
  });

  it('after a service error it falls back to revoking this device’s refresh token: partial', async () => {
    const h = await signedInHarness();
    h.services.script.globalSignOut = { error: new AuthError('NotAuthorized', 'Access Token has been revoked') };
    h.states.length = 0;
    const result = await h.auth.signOut({ global: true });
    if (result.status !== 'partial') throw new Error(`expected partial, got ${result.status}`);
    expect(result.globalSignOutError?.code).toBe('NotAuthorized');
    expect(result.revokeTokenError).toBeUndefined();
    expect(result.steps).toMatchObject({ globalSignOut: 'failed', revokeToken: 'done', clearCache: 'done' });
    expect(h.services.calls.revokeToken.map((c) => c.arg)).toEqual([h.tokens.refreshToken]);
    expect(h.states).toEqual([
      'signingOut.writingJournal',
      'signingOut.signingOutGlobally',
      'signingOut.revokingRefreshToken',
      'signingOut.clearingCache',
      'signedOut',
    ]);
    expectClearedExceptUnrelated(h.storage);
  });

  it('after a service error with revocation "never", goes straight to clearing', async () => {
    const h = await signedInHarness({ auth: { revocation: 'never' } });
    h.services.script.globalSignOut = { error: new AuthError('Service', 'HTTP 500') };
    const result = await h.auth.signOut({ global: true });
    expect(result.status).toBe('partial');
    expect(result.steps).toMatchObject({ globalSignOut: 'failed', revokeToken: 'notRun' });
    expect(h.services.calls.revokeToken).toHaveLength(0);
  });

  it('after a network error skips RevokeToken (recorded as skipped, code Network)', async () => {
    const h = await signedInHarness();
    h.services.script.globalSignOut = { error: new AuthError('Network', 'fetch failed') };
    const result = await h.auth.signOut({ global: true });
    if (result.status !== 'partial') throw new Error(`expected partial, got ${result.status}`);
    expect(result.globalSignOutError?.code).toBe('Network');
    expect(result.revokeTokenError?.code).toBe('Network');
    expect(result.revokeTokenError?.message).toMatch(/skipped/);
    expect(result.steps).toMatchObject({ globalSignOut: 'failed', revokeToken: 'skipped', clearCache: 'done' });
    expect(h.services.calls.revokeToken).toHaveLength(0);
    expectClearedExceptUnrelated(h.storage);
  });
});

describe('offline', () => {
  it('offline at the start: no remote call, cache cleared, each planned step skipped with Offline', async () => {
    const h = await signedInHarness();
    h.connectivity.set(false);
    h.states.length = 0;
    const result = await h.auth.signOut({ global: true });
    expect(result).toMatchObject({
      status: 'partial',
      signedOutLocally: true,
      globalSignOutError: { code: 'Offline' },
      revokeTokenError: { code: 'Offline' },
      steps: { globalSignOut: 'skipped', revokeToken: 'skipped', clearCache: 'done' },
    });
    expect(h.services.calls.globalSignOut).toHaveLength(0);
    expect(h.services.calls.revokeToken).toHaveLength(0);
    // The journal is written offline too: a crash during the clear is finished at restart.
    expect(h.states).toEqual(['signingOut.writingJournal', 'signingOut.clearingCache', 'signedOut']);
    expectClearedExceptUnrelated(h.storage);
  });

  it('offline with nothing remote planned (auto policy, revocation disabled) is complete', async () => {
    const h = await signedInHarness({ token: { revocable: false } });
    h.connectivity.set(false);
    const result = await h.auth.signOut();
    expect(result.status).toBe('complete');
    expect(result.steps.revokeToken).toBe('notRun');
  });

  it('a connectivity service that throws is treated as online (the step timeout still bounds it)', async () => {
    const h = await signedInHarness();
    h.connectivity.isOnline = () => {
      throw new Error('no idea');
    };
    const result = await h.auth.signOut();
    expect(result.status).toBe('complete');
    expect(h.services.calls.revokeToken).toHaveLength(1);
  });
});

describe('bounded remote steps', () => {
  it('a hanging RevokeToken times out at remoteStepMs, is aborted, and the cache is cleared', async () => {
    vi.useFakeTimers();
    const h = await signedInHarness({ auth: { timeouts: { remoteStepMs: 3000 } } });
    h.services.script.revokeToken = 'hang';
    let settled: SignOutResult | undefined;
    void h.auth.signOut().then((r) => {
      settled = r;
    });
    await vi.advanceTimersByTimeAsync(2999);
    expect(settled).toBeUndefined();
    expect(h.auth.state).toBe('signingOut.revokingRefreshToken');
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toMatchObject({
      status: 'partial',
      revokeTokenError: { code: 'Timeout' },
      steps: { revokeToken: 'failed', clearCache: 'done' },
    });
    expect(h.services.calls.revokeToken[0]?.signal.aborted).toBe(true);
    expectClearedExceptUnrelated(h.storage);
  });

  it('a hanging GlobalSignOut times out and skips RevokeToken: settles after one bound, not two', async () => {
    vi.useFakeTimers();
    const h = await signedInHarness({ auth: { timeouts: { remoteStepMs: 2000 } } });
    h.services.script.globalSignOut = 'hang';
    let settled: SignOutResult | undefined;
    void h.auth.signOut({ global: true }).then((r) => {
      settled = r;
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(settled).toMatchObject({
      status: 'partial',
      globalSignOutError: { code: 'Timeout' },
      revokeTokenError: { code: 'Timeout' },
      steps: { globalSignOut: 'failed', revokeToken: 'skipped' },
    });
    expect(h.services.calls.globalSignOut[0]?.signal.aborted).toBe(true);
    expect(h.services.calls.revokeToken).toHaveLength(0);
  });
});

describe('clearing fails', () => {
  it('the user stays signed in, the result is failed, and a later sign-out retries', async () => {
    const h = await signedInHarness();
    h.storage.faults.remove = true;
    const failedEvents: unknown[] = [];
    h.auth.on('signOutFailed', (e) => failedEvents.push(e));
    const result = await h.auth.signOut();
    expect(result).toMatchObject({
      status: 'failed',
      signedOutLocally: false,
      error: { code: 'StorageFailure' },
      steps: { revokeToken: 'done', clearCache: 'failed' },
    });
    expect(h.auth.state).toBe('signedIn.waitingToRecheck'); // still signed in; storage is read again after a back-off (row 24)
    expect(h.auth.getSession()?.username).toBe('alice@example.com');
    expect(failedEvents).toHaveLength(1);

    h.storage.faults.remove = false;
    const retry = await h.auth.signOut();
    expect(retry.status).toBe('complete');
    expect(h.auth.state).toBe('signedOut');
    expectClearedExceptUnrelated(h.storage);
  });
});

describe('edges', () => {
  it('sign-out while signed out reads storage, clears what is there and is complete, with no network', async () => {
    const h = await signedInHarness({ signedIn: false });
    const result = await h.auth.signOut({ global: true });
    expect(result).toEqual({
      status: 'complete',
      signedOutLocally: true,
      scope: 'global',
      steps: { hostedUISignOut: 'notRun', globalSignOut: 'notRun', revokeToken: 'notRun', clearCache: 'done' },
    });
    expect(h.services.calls.globalSignOut).toHaveLength(0);
    expect(h.services.calls.revokeToken).toHaveLength(0);
  });

  it('a second signOut() while one runs joins it: one call per step, the same result', async () => {
    const h = await signedInHarness();
    let release!: () => void;
    h.services.script.revokeToken = () => new Promise<void>((r) => (release = r));
    const first = h.auth.signOut();
    await new Promise((r) => setTimeout(r, 0));
    const second = h.auth.signOut();
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(b);
    expect(a.status).toBe('complete');
    expect(h.services.calls.revokeToken).toHaveLength(1);
  });

  it('sign-in while signed in is rejected with AlreadySignedIn', async () => {
    const h = await signedInHarness();
    const error = await h.auth.signIn({ username: 'bob@example.com', password: 'pw' }).catch((e: unknown) => e);
    expect(isAuthError(error, 'AlreadySignedIn')).toBe(true);
    expect(h.services.calls.signIn).toHaveLength(1);
    expect(h.auth.getSession()?.username).toBe('alice@example.com');
  });

  it('a sign-out during sign-in cancels the sign-in and leaves nothing stored', async () => {
    const h = await signedInHarness({ signedIn: false });
    let answer!: (t: typeof h.tokens) => void;
    h.services.script.signIn = () => new Promise((r) => (answer = r));
    const signingIn = h.auth.signIn({ username: 'alice@example.com', password: 'pw' }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 0));
    expect(h.auth.state).toBe('signingIn.authenticating');
    const result = await h.auth.signOut();
    expect(result.status).toBe('complete');
    answer(h.tokens);
    expect(isAuthError(await signingIn, 'Cancelled')).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(h.auth.state).toBe('signedOut');
    expectClearedExceptUnrelated(h.storage);
  });

  it('signIn() called during a sign-out waits for it, then signs in', async () => {
    const h = await signedInHarness();
    let release!: () => void;
    h.services.script.revokeToken = () => new Promise<void>((r) => (release = r));
    const out = h.auth.signOut();
    const back = h.auth.signIn({ username: 'alice@example.com', password: 'pw' });
    await new Promise((r) => setTimeout(r, 0));
    release();
    expect((await out).status).toBe('complete');
    await back;
    expect(h.auth.state).toBe('signedIn.waitingToRefresh');
  });
});

describe('secrets', () => {
  it('no token appears in any result, error message or emitted event', async () => {
    const h = await signedInHarness();
    const seen: unknown[] = [];
    for (const name of ['signedIn', 'signedOut', 'signOutFailed', 'tokensRefreshed', 'tokenRefreshFailed'] as const) {
      h.auth.on(name, (p) => seen.push(p));
    }
    h.services.script.revokeToken = {
      error: new Error(`server echoed ${h.tokens.refreshToken} and ${h.tokens.accessToken}`),
    };
    const result = await h.auth.signOut();
    seen.push(result);
    if (result.status !== 'partial') throw new Error('expected partial');
    const text = JSON.stringify(seen) + (result.revokeTokenError?.message ?? '') + String(result.revokeTokenError);
    for (const secret of [h.tokens.accessToken, h.tokens.idToken, h.tokens.refreshToken]) {
      expect(text).not.toContain(secret);
    }
    expect(result.revokeTokenError?.message).toContain('[redacted token]');
  });
});
