import { afterEach, describe, expect, it } from 'vitest';
import { type Auth, type CreateAuthOptions, createAuth, isAuthError } from '../../src/index.js';
import { tokenCheckFailure } from '../../src/session/token-checks.js';
import { type FakeCognito, fakeCognito, fakeTokens } from '../../src/testing/index.js';
import { signal } from '../helpers/async.js';

const ALICE = { username: 'alice@example.com', password: 'Correct-Horse-9' };

let auth: Auth | undefined;
afterEach(() => {
  auth?.stop();
  auth = undefined;
});

function start(cognito: FakeCognito, options: Partial<CreateAuthOptions> = {}): Auth {
  auth = createAuth({ services: cognito, connectivity: cognito.connectivity, sync: null, ...options });
  return auth;
}

describe('fakeCognito through createAuth', () => {
  it('signs in a user of its table; a wrong password is NotAuthorized, and both calls are recorded', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password } });
    const a = start(cognito);
    const wrong = await a.signIn({ ...ALICE, password: 'nope-nope' }).catch((e: unknown) => e);
    expect(isAuthError(wrong, 'NotAuthorized')).toBe(true);
    expect(a.state).toBe('signedOut');
    await a.signIn(ALICE);
    expect(a.getSnapshot().status).toBe('signedIn');
    expect(a.getSession()).toMatchObject({ username: ALICE.username, revocable: true });
    expect(cognito.calls.map((c) => [c.operation, c.username, c.outcome])).toEqual([
      ['signIn', ALICE.username, 'failed'],
      ['signIn', ALICE.username, 'ok'],
    ]);
    expect(JSON.stringify(cognito.calls)).not.toContain(ALICE.password);
  });

  it('issues tokens that pass the token checks for its client and issuer, with the user attributes', () => {
    const cognito = fakeCognito({
      users: { bob: { password: 'pw-123456', attributes: { email: 'bob@example.com' } } },
    });
    const tokens = cognito.issueTokens('bob');
    const expectations = { clientId: cognito.clientId, issuer: cognito.issuer, now: Date.now(), clockToleranceMs: 0 };
    expect(tokenCheckFailure(tokens, expectations)).toBeNull();
    expect(tokenCheckFailure(fakeTokens(), { ...expectations, clientId: 'fakeclient' })).toBeNull();
    expect(tokenCheckFailure(tokens, { ...expectations, clientId: 'another' })).toMatch(/aud/);
    const id = JSON.parse(atob(tokens.idToken.split('.')[1] ?? '')) as Record<string, unknown>;
    expect(id).toMatchObject({ 'cognito:username': 'bob', email: 'bob@example.com', token_use: 'id' });
  });

  it('rotating refresh tokens: a refresh stores the new refresh token, and the old one is refused', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password }, rotateRefreshTokens: true });
    const a = start(cognito);
    await a.signIn(ALICE);
    const before = a.getTokens()!;
    const after = await a.fetchTokens({ forceRefresh: true });
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(cognito.isRevoked(before.refreshToken)).toBe(true);
    const reuse = await cognito.refresh(before.refreshToken, signal()).catch((e: unknown) => e);
    expect(isAuthError(reuse, 'NotAuthorized')).toBe(true);
    expect(cognito.callsTo('refresh').map((c) => c.token)).toEqual([before.refreshToken, before.refreshToken]);
  });

  it('without rotation a refresh keeps the refresh token (the answer has none)', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password } });
    const a = start(cognito);
    await a.signIn(ALICE);
    const before = a.getTokens()!;
    const answer = await cognito.refresh(before.refreshToken, signal());
    expect(answer.refreshToken).toBeUndefined();
    expect((await a.fetchTokens({ forceRefresh: true })).refreshToken).toBe(before.refreshToken);
  });

  it('sign-out calls RevokeToken once with the session refresh token, which then no longer refreshes', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password } });
    const a = start(cognito);
    await a.signIn(ALICE);
    const { refreshToken } = a.getTokens()!;
    expect(await a.signOut()).toMatchObject({ status: 'complete', steps: { revokeToken: 'done' } });
    expect(cognito.callsTo('revokeToken').map((c) => [c.token, c.outcome])).toEqual([[refreshToken, 'ok']]);
    expect(cognito.isRevoked(refreshToken)).toBe(true);
    await expect(cognito.refresh(refreshToken, signal())).rejects.toMatchObject({ code: 'NotAuthorized' });
  });

  it('global sign-out revokes every session of the user, and the revoked access token is refused', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password } });
    const other = cognito.issueTokens(ALICE.username);
    const a = start(cognito);
    await a.signIn(ALICE);
    const { accessToken } = a.getTokens()!;
    expect(await a.signOut({ global: true })).toMatchObject({ status: 'complete', steps: { globalSignOut: 'done' } });
    expect(cognito.isRevoked(other.refreshToken)).toBe(true);
    expect(cognito.isRevoked(accessToken)).toBe(true);
    await expect(cognito.globalSignOut(accessToken, signal())).rejects.toMatchObject({ code: 'NotAuthorized' });
  });

  it('fail(): the operation throws an AuthError with that code, `times` times, then answers again', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password } });
    const a = start(cognito);
    await a.signIn(ALICE);
    cognito.fail('revokeToken', 'Throttled', { times: 1 });
    const result = await a.signOut();
    expect(result).toMatchObject({
      status: 'partial',
      signedOutLocally: true,
      revokeTokenError: { code: 'Throttled' },
    });
    await a.signIn(ALICE);
    expect(await a.signOut()).toMatchObject({ status: 'complete' });
    cognito.fail('signIn', 'Service', { serviceName: 'InternalErrorException' });
    await expect(a.signIn(ALICE)).rejects.toMatchObject({ code: 'Service', serviceName: 'InternalErrorException' });
    cognito.heal();
    await a.signIn(ALICE);
    expect(a.getSnapshot().status).toBe('signedIn');
  });

  it('hang(): the call answers only when its signal aborts (Timeout), so the step bound ends it', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password } });
    const a = start(cognito, { timeouts: { remoteStepMs: 50 } });
    await a.signIn(ALICE);
    cognito.hang('revokeToken');
    const result = await a.signOut();
    expect(result).toMatchObject({ status: 'partial', signedOutLocally: true, steps: { revokeToken: 'failed' } });
    const [call] = cognito.callsTo('revokeToken');
    expect(call?.signal.aborted).toBe(true);
    expect(call).toMatchObject({ outcome: 'failed', error: { code: 'Timeout' } });
    expect(cognito.inFlight()).toBe(0);
  });

  it('a hung call rejects as soon as its signal aborts, and not before', async () => {
    const cognito = fakeCognito();
    cognito.hang('globalSignOut');
    const controller = new AbortController();
    let settled = false;
    const pending = cognito.globalSignOut('token', controller.signal).finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect([settled, cognito.inFlight('globalSignOut')]).toEqual([false, 1]);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'Timeout' });
  });

  it('offline: sign-out is partial and signed out locally, and RevokeToken is never called', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password } });
    const a = start(cognito);
    await a.signIn(ALICE);
    cognito.setOffline(true);
    const result = await a.signOut();
    expect(result).toMatchObject({ status: 'partial', signedOutLocally: true, steps: { revokeToken: 'skipped' } });
    expect(cognito.callsTo('revokeToken')).toHaveLength(0);
    // A call made anyway fails at once, as a request does with no network.
    await expect(cognito.signIn(ALICE, signal())).rejects.toMatchObject({ code: 'Network' });
    cognito.setOffline(false);
    await a.signIn(ALICE);
    expect(a.getSnapshot().status).toBe('signedIn');
  });

  it('latency: a call answers after it, and an abort during it rejects Timeout', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password }, latencyMs: { signIn: 40 } });
    const t0 = performance.now();
    await cognito.signIn(ALICE, signal());
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
    await expect(cognito.signIn(ALICE, AbortSignal.timeout(5))).rejects.toMatchObject({ code: 'Timeout' });
  });

  it('a user with a temporary password meets the newPassword challenge; confirmSignIn sets the password', async () => {
    const cognito = fakeCognito({ users: { carol: { password: 'Temp-Pass-1', temporary: true } } });
    const a = start(cognito);
    const step = await a.signIn({ username: 'carol', password: 'Temp-Pass-1' });
    expect(step).toMatchObject({ status: 'challenge', challenge: 'newPassword' });
    expect(await a.confirmSignIn('Brand-New-Pass-2')).toMatchObject({ status: 'signedIn' });
    await a.signOut();
    await a.signIn({ username: 'carol', password: 'Brand-New-Pass-2' });
    expect(a.getSnapshot().status).toBe('signedIn');
  });

  it('an app client without token revocation: tokens are not revocable and RevokeToken is RevocationUnsupported', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password }, revocable: false });
    const a = start(cognito, { revocation: 'always' });
    await a.signIn(ALICE);
    expect(a.getSession()?.revocable).toBe(false);
    expect(await a.signOut()).toMatchObject({ status: 'partial', revokeTokenError: { code: 'RevocationUnsupported' } });
  });

  it('respond(): a custom answer replaces the user table, and undefined restores it', async () => {
    const cognito = fakeCognito({ users: { [ALICE.username]: ALICE.password } });
    const hostile = fakeTokens({ clientId: 'someone-else', issuer: cognito.issuer });
    cognito.respond('signIn', async () => hostile);
    const a = start(cognito);
    await expect(a.signIn(ALICE)).rejects.toMatchObject({ code: 'InvalidToken' });
    cognito.respond('signIn', undefined);
    await a.signIn(ALICE);
    expect(a.getSnapshot().status).toBe('signedIn');
  });
});
