import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { authMachine } from '../src/chart.js';
import { AuthError, type AuthStateValue, createAuth, isAuthError, memoryStorage } from '../src/index.js';
import { deferred, fakeServices, faultyStorage, ownKeys } from './helpers/fakes.js';
import { readRecord } from './helpers/records.js';
import { makeTokens } from './helpers/tokens.js';

afterEach(() => {
  vi.useRealTimers();
});

const CREDS = { username: 'alice@example.com', password: 'correct horse' };

describe('sign-in', () => {
  it('saves the tokens before the user counts as signed in', async () => {
    const storage = faultyStorage();
    const auth = createAuth({ services: fakeServices(), storage });
    let keysWhenSignedIn: string[] = [];
    auth.on('signedIn', () => {
      keysWhenSignedIn = ownKeys(storage);
    });
    await auth.signIn(CREDS);
    expect(keysWhenSignedIn).toEqual(['authchart.client123.session']);
    expect(auth.getSession()).toMatchObject({
      username: 'alice@example.com',
      signedInWith: 'password',
      revocable: true,
    });
  });

  it('a failed sign-in ends signed out with the typed error and stores nothing', async () => {
    const services = fakeServices();
    services.script.signIn = { error: new AuthError('NotAuthorized', 'Incorrect username or password.') };
    const storage = faultyStorage();
    const auth = createAuth({ services, storage });
    const error = await auth.signIn(CREDS).catch((e: unknown) => e);
    expect(isAuthError(error, 'NotAuthorized')).toBe(true);
    expect(auth.state).toBe('signedOut');
    expect(ownKeys(storage)).toEqual([]);
  });

  it('a storage failure while saving reports StorageFailure, revokes the tokens it could not keep, stores nothing', async () => {
    const storage = faultyStorage();
    const services = fakeServices();
    const auth = createAuth({ services, storage, revocation: 'always' });
    await auth.ready;
    let writes = 0;
    const set = storage.setItem.bind(storage);
    storage.setItem = (k, v) => {
      if (++writes === 1) throw new Error('QuotaExceededError');
      set(k, v);
    };
    const error = await auth.signIn(CREDS).catch((e: unknown) => e);
    expect(isAuthError(error, 'StorageFailure')).toBe(true);
    // No refresh token is left valid that nothing holds (docs/sign-out.md row 25).
    await vi.waitFor(() => expect(auth.state).toBe('signedOut'));
    expect(services.calls.revokeToken).toHaveLength(1);
    expect(ownKeys(storage)).toEqual([]);
  });

  it('a sign-in that never answers is bounded by remoteStepMs', async () => {
    vi.useFakeTimers();
    const services = fakeServices();
    services.script.signIn = 'hang';
    const auth = createAuth({ services, timeouts: { remoteStepMs: 1000 } });
    const pending = auth.signIn(CREDS).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(isAuthError(await pending, 'Timeout')).toBe(true);
    expect(auth.state).toBe('signedOut');
  });

  it('rejects bad input and bad options with typed errors', async () => {
    const auth = createAuth({ services: fakeServices() });
    await expect(auth.signIn({ username: '', password: 'x' })).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(auth.signIn({ username: 'a', password: '' })).rejects.toMatchObject({ code: 'InvalidInput' });
    // A null password is no password-less sign-in: it is refused, not sent as USER_AUTH.
    await expect(auth.signIn({ username: 'a', password: null } as never)).rejects.toMatchObject({
      code: 'InvalidInput',
      message: 'password must be a non-empty string',
    });
    // A session sign-in needs the session; a password and a session are never sent together.
    await expect(auth.signIn({ username: 'a', session: '', authFlow: 'USER_AUTH' })).rejects.toMatchObject({
      code: 'InvalidInput',
      message: 'session must be a non-empty string',
    });
    await expect(
      auth.signIn({ username: 'a', password: 'x', session: 'y', authFlow: 'USER_AUTH' } as never),
    ).rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('signIn takes') });
    // Without a password only USER_AUTH can sign in; a preferred factor goes with neither secret.
    await expect(auth.signIn({ username: 'a', authFlow: 'USER_SRP_AUTH' } as never)).rejects.toMatchObject({
      code: 'InvalidInput',
      message: expect.stringContaining('{ username, preferredChallenge? }'),
    });
    await expect(
      auth.signIn({ username: 'a', password: 'x', preferredChallenge: 'EMAIL_OTP' } as never),
    ).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(auth.signIn({ username: 'a', preferredChallenge: 'MAGIC_LINK' } as never)).rejects.toMatchObject({
      code: 'InvalidInput',
    });
    // A password factor is asked for with the password (authFlow USER_AUTH), never without it.
    await expect(auth.signIn({ username: 'a', preferredChallenge: 'PASSWORD' } as never)).rejects.toMatchObject({
      code: 'InvalidInput',
    });
    await expect(auth.signIn({ username: 'a', password: 'x', authFlow: 'CUSTOM_AUTH' } as never)).rejects.toMatchObject(
      {
        code: 'InvalidInput',
      },
    );
    expect(() => createAuth({ services: fakeServices(), timeouts: { remoteStepMs: -1 } })).toThrow(
      expect.objectContaining({ code: 'InvalidConfig' }),
    );
    // A bound no timer can hold (past 2^31 - 1 ms a timer fires at once) is refused, not run as 1 ms.
    for (const storageMs of [2 ** 31, 1e12, Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(() => createAuth({ services: fakeServices(), timeouts: { storageMs } })).toThrow(
        expect.objectContaining({
          code: 'InvalidConfig',
          message: 'timeouts.storageMs must be a number of ms in (0, 2^31)',
        }),
      );
    }
    expect(createAuth({ services: fakeServices(), timeouts: { storageMs: 2 ** 31 - 1 } }).stop()).toBeUndefined();
    expect(() => createAuth({ services: { ...fakeServices(), clientId: '' } })).toThrow(
      expect.objectContaining({ code: 'InvalidConfig' }),
    );
    expect(() => createAuth({} as never)).toThrow(expect.objectContaining({ code: 'InvalidConfig' }));
    await expect(auth.adoptSession({ accessToken: 'nope', idToken: 'x', refreshToken: 'y' })).rejects.toMatchObject({
      code: 'InvalidToken',
    });
  });
});

describe('restoring', () => {
  it('a second createAuth on the same storage restores the session; after sign-out it restores none', async () => {
    const storage = memoryStorage();
    const services = fakeServices();
    const first = createAuth({ services, storage });
    await first.signIn(CREDS);
    first.stop();

    const second = createAuth({ services, storage });
    const restored: unknown[] = [];
    second.on('signedIn', (e) => restored.push(e));
    await second.ready;
    expect(second.state).toBe('signedIn.waitingToRefresh');
    expect(second.getTokens()).toEqual(
      services.script.signIn !== 'hang' && 'ok' in services.script.signIn ? services.script.signIn.ok : null,
    );
    expect(restored).toMatchObject([{ restored: true, session: { username: 'alice@example.com' } }]);
    await second.signOut();
    second.stop();

    const third = createAuth({ services, storage });
    await third.ready;
    expect(third.state).toBe('signedOut');
    expect(storage.keys()).toEqual([]);
  });

  it('a malformed stored token is discarded (keys cleared) and reported as InvalidToken, never thrown', async () => {
    const storage = faultyStorage({
      'authchart.client123.lastAuthUser': 'alice@example.com',
      'authchart.client123.alice@example.com.accessToken': 'garbage',
      'authchart.client123.alice@example.com.idToken': 'garbage',
      'authchart.client123.alice@example.com.refreshToken': 'r',
      'app.theme': 'dark',
    });
    const events: unknown[] = [];
    const auth = createAuth({ services: fakeServices(), storage });
    auth.on('signedOut', (e) => events.push(e));
    await auth.ready;
    await vi.waitFor(() => expect(auth.state).toBe('signedOut'));
    expect(events).toMatchObject([{ reason: 'invalidSession', error: { code: 'InvalidToken' } }]);
    // Its refresh token may still be honoured: revoked before it goes (docs/sign-out.md row 29).
    await vi.waitFor(() => expect(storage.dump()).toEqual({ 'app.theme': 'dark' }));
  });

  it('a missing refresh token is treated as signed out', async () => {
    const t = makeTokens();
    const storage = faultyStorage({
      'authchart.client123.lastAuthUser': 'alice@example.com',
      'authchart.client123.alice@example.com.accessToken': t.accessToken,
      'authchart.client123.alice@example.com.idToken': t.idToken,
    });
    const auth = createAuth({ services: fakeServices(), storage });
    await auth.ready;
    await vi.waitFor(() => expect(auth.state).toBe('signedOut'));
    expect(ownKeys(storage)).toEqual([]);
  });

  it('a storage that throws on read starts signed out, with the error reported', async () => {
    const storage = faultyStorage();
    storage.faults.get = true;
    const events: unknown[] = [];
    const auth = createAuth({ services: fakeServices(), storage });
    auth.on('signedOut', (e) => events.push(e));
    await auth.ready;
    expect(auth.state).toBe('signedOut');
    expect(events).toMatchObject([{ reason: 'invalidSession', error: { code: 'StorageFailure' } }]);
  });
});

describe('refresh', () => {
  // Whole seconds, so JWT times (seconds) and timers (ms) line up.
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });

  it('refreshes before the access token expires, keeping the refresh token when none comes back', async () => {
    vi.useFakeTimers();
    const now = Math.floor(Date.now() / 1000);
    const tokens = makeTokens({ now, expiresIn: 600 });
    const services = fakeServices(tokens);
    const fresh = makeTokens({ now: now + 540, expiresIn: 600 });
    services.script.refresh = { ok: { accessToken: fresh.accessToken, idToken: fresh.idToken } };
    const storage = memoryStorage();
    const auth = createAuth({ services, storage, timeouts: { refreshLeewayMs: 60_000 } });
    const refreshed: unknown[] = [];
    auth.on('tokensRefreshed', (e) => refreshed.push(e));
    await auth.signIn(CREDS);
    await vi.advanceTimersByTimeAsync(539_000 - 1000);
    expect(services.calls.refresh).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2000);
    expect(services.calls.refresh.map((c) => c.arg)).toEqual([tokens.refreshToken]);
    expect(refreshed).toHaveLength(1);
    expect(auth.getTokens()).toEqual({ ...fresh, refreshToken: tokens.refreshToken });
    expect(await readRecord(storage)).toMatchObject({
      accessToken: fresh.accessToken,
      refreshToken: tokens.refreshToken,
    });
    auth.stop();
  });

  it('a refresh rejected with NotAuthorized signs the user out locally, without remote calls', async () => {
    vi.useFakeTimers();
    const services = fakeServices(makeTokens({ expiresIn: 120 }));
    services.script.refresh = { error: new AuthError('NotAuthorized', 'Refresh Token has been revoked') };
    const storage = faultyStorage();
    const auth = createAuth({ services, storage });
    const out: unknown[] = [];
    auth.on('signedOut', (e) => out.push(e));
    await auth.signIn(CREDS);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(auth.state).toBe('signedOut');
    expect(out).toMatchObject([{ reason: 'refreshRejected', result: { status: 'complete' } }]);
    expect(services.calls.revokeToken).toHaveLength(0);
    expect(ownKeys(storage)).toEqual([]);
  });

  it('a refresh that fails on the network keeps the user signed in and retries with backoff', async () => {
    vi.useFakeTimers();
    const services = fakeServices(makeTokens({ expiresIn: 120 }));
    services.script.refresh = { error: new AuthError('Network', 'fetch failed') };
    const auth = createAuth({ services, timeouts: { refreshRetryMs: 1000 } });
    const failures: { willRetry: boolean }[] = [];
    auth.on('tokenRefreshFailed', (e) => failures.push(e));
    await auth.signIn(CREDS);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(services.calls.refresh).toHaveLength(1);
    expect(auth.state).toBe('signedIn.waitingToRetryRefresh');
    await vi.advanceTimersByTimeAsync(1000);
    expect(services.calls.refresh).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(services.calls.refresh).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(services.calls.refresh).toHaveLength(3);
    expect(failures.every((f) => f.willRetry)).toBe(true);
    expect(auth.getSession()).not.toBeNull();
    auth.stop();
  });

  it('a sign-out during an in-flight refresh ends signed out and the refresh never writes tokens back', async () => {
    vi.useFakeTimers();
    const services = fakeServices(makeTokens({ expiresIn: 120 }));
    const late = deferred<{ accessToken: string; idToken: string }>();
    services.script.refresh = () => late.promise;
    const storage = faultyStorage();
    const auth = createAuth({ services, storage });
    await auth.signIn(CREDS);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(auth.state).toBe('signedIn.refreshingTokens');
    const result = await auth.signOut();
    expect(result.status).toBe('complete');
    expect(services.calls.refresh[0]?.signal.aborted).toBe(true);
    const fresh = makeTokens();
    late.resolve({ accessToken: fresh.accessToken, idToken: fresh.idToken });
    await vi.advanceTimersByTimeAsync(10);
    expect(auth.state).toBe('signedOut');
    expect(ownKeys(storage)).toEqual([]);
  });
});

describe('state names', () => {
  it('AuthStateValue lists exactly the leaf states of the machine', () => {
    const leaves: string[] = [];
    const walk = (node: { states: Record<string, unknown>; path: string[] }) => {
      const children = Object.values(node.states) as (typeof node)[];
      if (children.length === 0) leaves.push(node.path.join('.'));
      for (const c of children) walk(c);
    };
    walk(authMachine.root as never);
    const declared: AuthStateValue[] = [
      'restoring.readingStoredSession',
      'restoring.discardingInvalidSession',
      'signedOut',
      'signingIn.checkingConnectivity',
      'signingIn.authenticating',
      'signingIn.redirecting',
      'signingIn.exchangingCode',
      'signingIn.challenged.routing',
      'signingIn.challenged.newPasswordRequired',
      'signingIn.challenged.totpCodeRequired',
      'signingIn.challenged.smsCodeRequired',
      'signingIn.challenged.emailCodeRequired',
      'signingIn.challenged.mfaSelectionRequired',
      'signingIn.challenged.challengeSelectionRequired',
      'signingIn.challenged.passwordRequired',
      'signingIn.challenged.passkey',
      'signingIn.challenged.answering',
      'signingIn.savingSession',
      'signedIn.waitingToRefresh',
      'signedIn.checkingTokens',
      'signedIn.checkingStorage',
      'signedIn.refreshingTokens',
      'signedIn.waitingToRetryRefresh',
      'signedIn.waitingToRetryStore',
      'signedIn.checkingRefusedSession',
      'signedIn.waitingToRecheck',
      'signingOut.choosingRemoteStep',
      'signedIn.storingRefreshedTokens',
      'signingOut.checkingHostedUI',
      'signingOut.signingOutOfHostedUI',
      'signingOut.checkingConnectivity',
      'signingOut.writingJournal',
      'signingOut.refreshingForGlobalSignOut',
      'signingOut.signingOutGlobally',
      'signingOut.revokingRefreshToken',
      'signingOut.clearingCache',
      'signingOut.deletingUser',
    ];
    expect(leaves.sort()).toEqual([...declared].sort());
  });
});

describe('refresh scheduling under clock skew', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });

  it('tokens that arrive already inside the refresh window (device clock ahead) do not cause a refresh loop', async () => {
    const serverNow = Math.floor(Date.now() / 1000) - 100; // the server's clock is 100 s behind ours
    const tokens = makeTokens({ now: serverNow, expiresIn: 120 });
    const services = fakeServices(tokens);
    services.script.refresh = () => {
      const t = makeTokens({ now: serverNow, expiresIn: 120 });
      return Promise.resolve({ accessToken: t.accessToken, idToken: t.idToken });
    };
    const auth = createAuth({ services });
    await auth.signIn(CREDS);
    // Lifetime 120 s, leeway 60 s: one refresh a minute, not one per tick.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(services.calls.refresh.length).toBeGreaterThanOrEqual(9);
    expect(services.calls.refresh.length).toBeLessThanOrEqual(11);
    auth.stop();
  });

  it('a restored, already-expired session refreshes at once', async () => {
    const storage = memoryStorage();
    const services = fakeServices(makeTokens({ expiresIn: 60 }));
    const first = createAuth({ services, storage });
    await first.signIn(CREDS);
    first.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    const second = createAuth({ services, storage });
    await second.ready;
    await vi.advanceTimersByTimeAsync(1);
    expect(services.calls.refresh).toHaveLength(1);
    second.stop();
  });
});

describe('stop()', () => {
  it('settles pending calls: signOut() resolves failed with Cancelled, signIn() rejects with Cancelled', async () => {
    const services = fakeServices();
    services.script.revokeToken = 'hang';
    const auth = createAuth({ services, sync: null });
    await auth.signIn(CREDS);
    const out = auth.signOut();
    await new Promise((r) => setTimeout(r, 0));
    auth.stop();
    expect(await out).toMatchObject({ status: 'failed', error: { code: 'Cancelled' } });
    expect(services.calls.revokeToken[0]?.signal.aborted).toBe(true);

    const services2 = fakeServices();
    services2.script.signIn = 'hang';
    const auth2 = createAuth({ services: services2, sync: null });
    const signingIn = auth2.signIn(CREDS).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 0));
    auth2.stop();
    expect(isAuthError(await signingIn, 'Cancelled')).toBe(true);
  });
});
