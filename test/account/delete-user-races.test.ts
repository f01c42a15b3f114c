/**
 * Hostile probes of `deleteUser` through the public API (docs/sign-out.md rows 30-33):
 * concurrent with signOut(), a global sign-out, a refresh, a sign-in, another deleteUser, stop(),
 * offline; DeleteUser succeeding but storage failing. Every caller answered exactly once; the
 * account never reported alive after a successful DeleteUser.
 */
import { describe, expect, it } from 'vitest';
import { deleteUser } from '../../src/account/index.js';
import { AuthError, isAuthError, memoryStorage, type TokenStorage, type Tokens } from '../../src/index.js';
import { codeOf, make, PASSWORD, STEP_MS, stopAfterEach, whereIs } from '../helpers/account-probe.js';
import { sleep } from '../helpers/async.js';
import { deferred, fakeServices, faultyStorage } from '../helpers/fakes.js';
import { track } from '../helpers/gated.js';
import { makeTokens } from '../helpers/tokens.js';

stopAfterEach();

describe('deleteUser races (docs/sign-out.md rows 30-33)', () => {
  async function signedInWithGate(storage: TokenStorage = memoryStorage()) {
    const x = make(fakeServices(), storage);
    await x.auth.ready;
    await x.auth.signIn({ username: 'alice@example.com', password: PASSWORD });
    const gate = deferred<Record<string, unknown>>();
    x.fake.script.cognitoCall = (c) => (c.operation === 'DeleteUser' ? () => gate.promise : { ok: {} });
    const deletes = () => x.fake.calls.cognitoCall.filter((c) => c.operation === 'DeleteUser').length;
    return { ...x, gate, deletes };
  }

  it('deleteUser + signOut() → one DeleteUser, both answered once, signed out with userDeleted, no RevokeToken', async () => {
    const x = await signedInWithGate();
    const del = track(deleteUser(x.auth));
    await sleep(5);
    const out = track(x.auth.signOut());
    await sleep(5);
    x.gate.resolve({});
    await sleep(30);
    expect([del.settled, out.settled]).toEqual([true, true]);
    expect(del.value).toMatchObject({ deleted: true, cleared: true });
    expect(x.deletes()).toBe(1);
    expect(x.auth.state).toBe('signedOut');
    expect(x.signedOut.map((e) => e.reason)).toEqual(['userDeleted']);
    expect(x.fake.calls.revokeToken).toHaveLength(0);
  });

  it('deleteUser + signOut({global:true}) → both answered once, no GlobalSignOut after a successful DeleteUser', async () => {
    const x = await signedInWithGate();
    const del = track(deleteUser(x.auth));
    await sleep(5);
    const out = track(x.auth.signOut({ global: true }));
    await sleep(5);
    x.gate.resolve({});
    await sleep(30);
    expect([del.settled, out.settled]).toEqual([true, true]);
    expect(x.auth.state).toBe('signedOut');
    expect(x.fake.calls.globalSignOut).toHaveLength(0);
  });

  it('deleteUser + signOut({global:true}), DeleteUser refused → deleteUser rejects, the global sign-out still runs and is answered', async () => {
    const x = await signedInWithGate();
    const del = track(deleteUser(x.auth));
    await sleep(5);
    const out = track(x.auth.signOut({ global: true }));
    await sleep(5);
    x.gate.reject(new AuthError('NotAuthorized', 'refused'));
    await sleep(50);
    expect([del.settled, out.settled]).toEqual([true, true]);
    expect(codeOf(del.error)).toBe('NotAuthorized');
    expect(x.auth.state).toBe('signedOut');
    expect(x.fake.calls.globalSignOut).toHaveLength(1);
  });

  it('deleteUser + deleteUser → one DeleteUser, both resolve with the one answer', async () => {
    const x = await signedInWithGate();
    const a = track(deleteUser(x.auth));
    await sleep(5);
    const b = track(deleteUser(x.auth));
    await sleep(5);
    x.gate.resolve({});
    await sleep(30);
    expect([a.settled, b.settled]).toEqual([true, true]);
    expect(a.value).toMatchObject({ deleted: true });
    expect(b.value).toMatchObject({ deleted: true });
    expect(x.deletes()).toBe(1);
  });

  it('deleteUser + stop() → rejects Cancelled once', async () => {
    const x = await signedInWithGate();
    const del = track(deleteUser(x.auth));
    await sleep(5);
    x.auth.stop();
    await sleep(10);
    expect(del.settled).toBe(true);
    expect(codeOf(del.error)).toBe('Cancelled');
  });

  it('deleteUser with DeleteUser deaf (ignores abort) → Timeout within remoteStepMs, still signed in', async () => {
    const x = await signedInWithGate();
    x.fake.script.cognitoCall = () => () => new Promise<never>(() => {});
    const del = track(deleteUser(x.auth));
    await sleep(STEP_MS * 2);
    expect(del.settled).toBe(true);
    expect(codeOf(del.error)).toBe('Timeout');
    expect(x.auth.state).toMatch(/^signedIn/);
  });

  it('deleteUser offline → Offline, no request, still signed in', async () => {
    const x = await signedInWithGate();
    x.fake.cognito.setOffline(true);
    await sleep(5);
    const e = await deleteUser(x.auth).catch((err: unknown) => err);
    expect(codeOf(e)).toBe('Offline');
    expect(x.deletes()).toBe(0);
    expect(x.auth.state).toMatch(/^signedIn/);
  });

  it('deleteUser while a forced refresh runs → answered within the bound (the refresh is joined or cancelled)', async () => {
    const x = await signedInWithGate();
    x.fake.script.refresh = 'hang';
    const refresh = track(x.auth.fetchTokens({ forceRefresh: true }));
    await sleep(5);
    const del = track(deleteUser(x.auth));
    await sleep(STEP_MS * 3);
    x.gate.resolve({});
    await sleep(30);
    expect(refresh.settled).toBe(true);
    expect(del.settled).toBe(true);
  });

  it('a refresh asked while DeleteUser runs → rejected (no new tokens for a user being deleted), answered once', async () => {
    const x = await signedInWithGate();
    const del = track(deleteUser(x.auth));
    await sleep(5);
    const refresh = track(x.auth.fetchTokens({ forceRefresh: true }));
    await sleep(5);
    x.gate.resolve({});
    await sleep(30);
    expect([del.settled, refresh.settled]).toEqual([true, true]);
    expect(refresh.error).toBeDefined();
    expect(x.fake.calls.refresh).toHaveLength(0);
  });

  // With the journal unwritable too, a new process restores the session until its first refresh is
  // refused (row 32, documented): here only the removal fails, so the journal must finish the clear.
  it('DeleteUser succeeds, the clear fails (journal written) → cleared:false, signed out; a restart on that storage is never signed in', async () => {
    const storage = faultyStorage();
    const x = await signedInWithGate(storage);
    const del = track(deleteUser(x.auth));
    await sleep(5);
    storage.faults.remove = true;
    x.gate.resolve({});
    await sleep(50);
    expect(del.settled).toBe(true);
    expect(del.value).toMatchObject({ deleted: true, cleared: false });
    expect(x.auth.state).toBe('signedOut');
    expect(x.signedIn).toHaveLength(1); // only the first sign-in
    x.auth.stop();
    storage.faults.remove = false;
    const y = make(fakeServices(), storage);
    await y.auth.ready;
    await sleep(20);
    expect(y.auth.getTokens()).toBeNull();
    expect(y.fake.calls.refresh).toHaveLength(0);
  });

  it('DeleteUser succeeds, storage hangs on the clear → deleteUser still answers (bounded by storageMs), signed out', async () => {
    const inner = memoryStorage();
    let hang = false;
    const storage: TokenStorage = {
      getItem: (k) => (hang ? new Promise<never>(() => {}) : inner.getItem(k)),
      setItem: (k, v) => (hang ? new Promise<never>(() => {}) : inner.setItem(k, v)),
      removeItem: (k) => (hang ? new Promise<never>(() => {}) : inner.removeItem(k)),
    };
    const x = await signedInWithGate(storage);
    const del = track(deleteUser(x.auth));
    await sleep(5);
    hang = true;
    x.gate.resolve({});
    await sleep(1500);
    expect(del.settled).toBe(true);
    expect(x.auth.state).not.toMatch(/^signedIn/);
  });

  it('DeleteUser fails (Network) with a signOut() joined → deleteUser rejects once; the sign-out revokes the refresh token (nothing lost)', async () => {
    const x = await signedInWithGate();
    const refreshToken = x.auth.getTokens()!.refreshToken;
    const del = track(deleteUser(x.auth));
    await sleep(5);
    const out = track(x.auth.signOut());
    await sleep(5);
    x.gate.reject(new AuthError('Network', 'connection reset'));
    await sleep(50);
    expect([del.settled, out.settled]).toEqual([true, true]);
    expect(codeOf(del.error)).toBe('Network');
    expect(x.auth.state).toBe('signedOut');
    expect(whereIs(x.auth, x.fake, refreshToken)).toBe('revoked');
  });

  it("signIn() while DeleteUser runs → answered once (refused, or waits and signs in anew); the deleted user's tokens never held again", async () => {
    const x = await signedInWithGate();
    const deleted = x.auth.getTokens()!.refreshToken;
    const del = track(deleteUser(x.auth));
    await sleep(5);
    const other = track(x.auth.signIn({ username: 'bob', password: 'p' }));
    await sleep(5);
    x.gate.resolve({});
    await sleep(50);
    expect([del.settled, other.settled]).toEqual([true, true]);
    if (other.error) expect(isAuthError(other.error)).toBe(true);
    expect(x.signedOut.map((e) => e.reason)).toEqual(['userDeleted']);
    // The fake answers every sign-in with the same tokens: only their record (a new sign-in) may hold them.
    if (x.auth.getTokens()?.refreshToken === deleted) expect(x.fake.calls.signIn).toHaveLength(2);
  });

  it('after a successful deleteUser the account is never reported alive: getSession null, fetchTokens NotSignedIn, one signedOut', async () => {
    const x = await signedInWithGate();
    const del = track(deleteUser(x.auth));
    const again = track(deleteUser(x.auth));
    await sleep(5);
    x.gate.resolve({});
    await sleep(50);
    expect([del.settled, again.settled]).toEqual([true, true]);
    expect(x.auth.getSession()).toBeNull();
    expect(codeOf(await x.auth.fetchTokens().catch((e: unknown) => e))).toBe('NotSignedIn');
    await sleep(20);
    expect(x.signedOut.map((e) => e.reason)).toEqual(['userDeleted']);
    expect(x.signedIn).toHaveLength(1);
  });

  it('deleteUser after stop() → Cancelled or NotSignedIn at once, no DeleteUser sent', async () => {
    const x = await signedInWithGate();
    x.auth.stop();
    const e = await deleteUser(x.auth).catch((err: unknown) => err);
    expect(isAuthError(e)).toBe(true);
    expect(x.deletes()).toBe(0);
  });

  it('deleteUser() while a signOut() is revoking → answered once, typed; signed out, no DeleteUser for a session being signed out', async () => {
    const x = await signedInWithGate();
    const revoke = deferred<void>();
    x.fake.script.revokeToken = () => revoke.promise;
    const out = track(x.auth.signOut());
    await sleep(5);
    const del = track(deleteUser(x.auth));
    await sleep(5);
    revoke.resolve();
    await sleep(50);
    expect([out.settled, del.settled]).toEqual([true, true]);
    if (del.error) expect(isAuthError(del.error)).toBe(true);
    expect(x.auth.state).toBe('signedOut');
  });

  it('deleteUser() and signOut() in the same tick → both answered once, typed, signed out at the end', async () => {
    const x = await signedInWithGate();
    const del = track(deleteUser(x.auth));
    const out = track(x.auth.signOut());
    await sleep(10);
    x.gate.resolve({});
    await sleep(50);
    expect([out.settled, del.settled]).toEqual([true, true]);
    if (del.error) expect(isAuthError(del.error)).toBe(true);
    expect(x.auth.state).toBe('signedOut');
  });

  it('deleteUser() while a sign-in runs → typed rejection, no DeleteUser; the new session kept', async () => {
    const x = make();
    await x.auth.ready;
    const gate = deferred<Tokens>();
    x.fake.script.signIn = () => gate.promise;
    const signing = track(x.auth.signIn({ username: 'alice@example.com', password: PASSWORD }));
    await sleep(5);
    const e = await deleteUser(x.auth).catch((err: unknown) => err);
    expect(isAuthError(e)).toBe(true);
    gate.resolve(makeTokens());
    await sleep(30);
    expect(signing.settled).toBe(true);
    expect(x.fake.calls.cognitoCall.filter((c) => c.operation === 'DeleteUser')).toHaveLength(0);
    expect(x.auth.getTokens()).not.toBeNull();
  });

  it('DeleteUser deaf with a signOut() joined → deleteUser Timeout, the sign-out still runs and revokes (row 31)', async () => {
    const x = await signedInWithGate();
    const refreshToken = x.auth.getTokens()!.refreshToken;
    x.fake.script.cognitoCall = () => () => new Promise<never>(() => {});
    const del = track(deleteUser(x.auth));
    await sleep(5);
    const out = track(x.auth.signOut());
    await sleep(STEP_MS * 2);
    expect([del.settled, out.settled]).toEqual([true, true]);
    expect(codeOf(del.error)).toBe('Timeout');
    expect(x.auth.state).toBe('signedOut');
    expect(whereIs(x.auth, x.fake, refreshToken)).toBe('revoked');
  });

  it('DeleteUser rejecting with a bare string quoting the access token → typed, the token not quoted, still signed in', async () => {
    const x = await signedInWithGate();
    const { accessToken } = x.auth.getTokens()!;
    x.fake.script.cognitoCall = () => ({ error: `refused ${accessToken}` });
    const e = await deleteUser(x.auth).catch((err: unknown) => err);
    expect(isAuthError(e)).toBe(true);
    expect(`${String(e)} ${JSON.stringify(e)} ${String((e as Error).cause)}`).not.toContain(accessToken);
    expect(x.auth.state).toMatch(/^signedIn/);
  });
});
