/**
 * Races with the device steps (docs/sign-out.md rows 14, 25, 34–35), through the public API:
 * signOut() or stop() during ConfirmDevice, DEVICE_SRP_AUTH or a passkey prompt; two instances on one
 * device storage; forgetDevice() while another instance proves that device.
 */
import { describe, expect, it, vi } from 'vitest';
import { forgetDevice } from '../../src/account/index.js';
import { memoryStorage } from '../../src/index.js';
import { ALICE, CLIENT_ID, within, world } from '../helpers/device-probe-world.js';
import { PASSWORD, registerDirectly, USERNAME, userAuthWorld } from '../helpers/user-auth-world.js';

const arrivedAt = (w: ReturnType<typeof world>, key: string) =>
  vi.waitFor(() => expect(w.arrived).toContain(key), { timeout: 3000, interval: 5 });

/** A signed-in-then-signed-out world whose next sign-in uses the remembered device. */
async function remembered(opts: Parameters<typeof world>[0] = {}) {
  const w = world({ remember: 'always', ...opts });
  await w.signIn();
  await w.auth.signOut();
  return w;
}

describe('races with the device steps', () => {
  // The tokens come back after the chart left the step: the core revokes them (row 40).
  it('signOut() during ConfirmDevice: the sign-in rejects Cancelled, signOut completes, and the issued refresh token is revoked (none lost)', async () => {
    const w = world({ remember: 'always' });
    w.hanging.add('ConfirmDevice');
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e);
    await arrivedAt(w, 'ConfirmDevice:');
    expect(await w.auth.signOut()).toMatchObject({ status: 'complete' });
    expect(await answer).toMatchObject({ code: 'Cancelled' });
    await vi.waitFor(() => expect(w.orphans()).toEqual([]), { timeout: 3000 });
  });

  // ConfirmDevice runs under the sign-in's signal too: an abort ends it at once (the request
  // aborted, nothing written), not at CONFIRM_DEVICE_MS.
  it('signOut() during ConfirmDevice: the ConfirmDevice request is aborted at once, no record kept', async () => {
    const w = world({ remember: 'always' });
    w.hanging.add('ConfirmDevice');
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e);
    await arrivedAt(w, 'ConfirmDevice:');
    const started = Date.now();
    await w.auth.signOut();
    await vi.waitFor(() => expect(w.aborted).toContain('ConfirmDevice:'), { timeout: 1000, interval: 5 });
    expect(Date.now() - started).toBeLessThan(1000);
    await answer;
    expect(w.storage.getItem(w.keyOf(w.user.userId))).toBeNull();
  });

  it('signOut() during ConfirmDevice: the observed part that holds (Cancelled, complete, signedOut, nothing stored)', async () => {
    const w = world({ remember: 'always' });
    w.hanging.add('ConfirmDevice');
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e);
    await arrivedAt(w, 'ConfirmDevice:');
    expect(await w.auth.signOut()).toMatchObject({ status: 'complete' });
    expect(await answer).toMatchObject({ code: 'Cancelled' });
    expect(w.auth.state).toBe('signedOut');
    expect(w.storage.getItem(`authchart.${CLIENT_ID}.session`)).toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect(w.storage.getItem(w.keyOf(w.user.userId))).toBeNull(); // the aborted ConfirmDevice keeps no record
  });

  // The tokens come back after the chart left the step: the core revokes them (row 40).
  it('stop() during ConfirmDevice: the sign-in settles and the issued refresh token is revoked (none lost)', async () => {
    const w = world({ remember: 'always' });
    w.hanging.add('ConfirmDevice');
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e);
    await arrivedAt(w, 'ConfirmDevice:');
    w.auth.stop();
    expect(await within(answer, 3000)).not.toBe('pending');
    await vi.waitFor(() => expect(w.orphans()).toEqual([]), { timeout: 3000 });
  });

  it.each(['DEVICE_SRP_AUTH', 'DEVICE_PASSWORD_VERIFIER'])(
    'signOut() during %s: the sign-in rejects Cancelled, signOut completes, signedOut, no tokens issued, the record kept',
    async (step) => {
      const w = await remembered();
      const record = w.storage.getItem(w.keyOf(w.user.userId));
      w.hanging.add(`RespondToAuthChallenge:${step}`);
      const signIn = w.auth.signIn({ username: w.user.email, password: w.user.password }).catch((e: unknown) => e);
      await arrivedAt(w, `RespondToAuthChallenge:${step}`);
      expect(await w.auth.signOut()).toMatchObject({ status: 'complete' });
      expect(await signIn).toMatchObject({ code: 'Cancelled' });
      expect(w.auth.state).toBe('signedOut');
      expect(w.orphans()).toEqual([]);
      expect(w.storage.getItem(w.keyOf(w.user.userId))).toBe(record);
    },
  );

  it('stop() during DEVICE_SRP_AUTH: the sign-in settles at once, nothing issued, the record kept', async () => {
    const w = await remembered();
    const record = w.storage.getItem(w.keyOf(w.user.userId));
    w.hanging.add('RespondToAuthChallenge:DEVICE_SRP_AUTH');
    const signIn = w.auth.signIn({ username: w.user.email, password: w.user.password }).catch((e: unknown) => e);
    await arrivedAt(w, 'RespondToAuthChallenge:DEVICE_SRP_AUTH');
    w.auth.stop();
    expect(await within(signIn, 1000)).toMatchObject({ ok: { code: 'Cancelled' } });
    expect(w.orphans()).toEqual([]);
    expect(w.storage.getItem(w.keyOf(w.user.userId))).toBe(record);
  });

  it.each(['signOut', 'stop'] as const)(
    '%s() during the passkey prompt: the prompt is aborted, the sign-in rejects Cancelled',
    async (how) => {
      const w = userAuthWorld();
      await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
      await registerDirectly(w);
      let aborted: AbortSignal | undefined;
      w.authenticator.get = (_request, signal) => {
        aborted = signal;
        return new Promise<string>(() => {});
      };
      const signIn = w.auth.signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' }).catch((e: unknown) => e);
      await vi.waitFor(() => expect(w.auth.state).toBe('signingIn.challenged.passkey'));
      if (how === 'signOut') expect(await w.auth.signOut()).toMatchObject({ status: 'complete' });
      else w.auth.stop();
      expect(await within(signIn, 1000)).toMatchObject({ ok: { code: 'Cancelled' } });
      expect(aborted?.aborted).toBe(true);
      if (how === 'signOut') expect(w.auth.state).toBe('signedOut');
    },
  );

  it('two instances, one device storage, the same user signing in at once: both signed in; the record kept is one whole device that a third instance then uses (no MFA)', async () => {
    const device = memoryStorage();
    const a = world({ remember: 'always', deviceStorage: device });
    const b = world({ remember: 'always', deviceStorage: device, endpoint: a.endpoint });
    const [ra, rb] = await Promise.all([a.signIn(), b.signIn()]);
    expect([ra, rb]).toEqual([{ mfa: true }, { mfa: true }]);
    const byId = JSON.parse(String(device.getItem(a.keyOf(ALICE.userId))));
    expect(JSON.parse(String(device.getItem(a.keyOf(ALICE.email))))).toEqual(byId);
    const c = world({ remember: 'always', deviceStorage: device, endpoint: a.endpoint });
    expect(await c.signIn()).toEqual({ mfa: false });
    // Both earlier sessions still refresh with their own device's key.
    await a.auth.fetchTokens({ forceRefresh: true });
    await b.auth.fetchTokens({ forceRefresh: true });
  });

  it('two instances, one device storage, two users signing in at once: each record names only its user, and each user’s next sign-in uses only its own device', async () => {
    const device = memoryStorage();
    const BOB = { userId: 'uuid-bob', email: 'bob@example.com', password: 'Bob-Pass-77', totpCode: '135790' };
    const a = world({ remember: 'always', deviceStorage: device });
    const b = world({ remember: 'always', deviceStorage: device, user: BOB });
    await Promise.all([a.signIn(), b.signIn()]);
    const alice = JSON.parse(String(device.getItem(a.keyOf(ALICE.userId))));
    const bob = JSON.parse(String(device.getItem(a.keyOf(BOB.userId))));
    expect(alice.names.sort()).toEqual([ALICE.email, ALICE.userId].sort());
    expect(bob.names.sort()).toEqual([BOB.email, BOB.userId].sort());
    await Promise.all([a.auth.signOut(), b.auth.signOut()]);
    expect(await Promise.all([a.signIn(), b.signIn()])).toEqual([{ mfa: false }, { mfa: false }]);
    expect(JSON.stringify(b.endpoint.calls)).not.toContain(alice.deviceKey);
    expect(JSON.stringify(a.endpoint.calls)).not.toContain(bob.deviceKey);
  });

  it('forgetDevice() in one instance while another’s sign-in is proving that device: forgetDevice resolves; the sign-in drops the device and goes on (MFA asked), then keeps a new one', async () => {
    const device = memoryStorage();
    const a = world({ remember: 'always', deviceStorage: device });
    await a.signIn();
    const old = JSON.parse(String(device.getItem(a.keyOf(ALICE.userId)))).deviceKey;
    const b = world({ remember: 'always', deviceStorage: device, endpoint: a.endpoint });
    let release = () => {};
    b.gates.set('RespondToAuthChallenge:DEVICE_SRP_AUTH', new Promise<void>((r) => (release = r)));
    const signIn = b.auth.signIn({ username: ALICE.email, password: ALICE.password });
    await arrivedAt(b, 'RespondToAuthChallenge:DEVICE_SRP_AUTH');
    await forgetDevice(a.auth);
    expect(device.getItem(a.keyOf(ALICE.userId))).toBeNull();
    release();
    expect(await signIn).toMatchObject({ status: 'challenge', challenge: 'totpCode' });
    expect(await b.auth.confirmSignIn(ALICE.totpCode)).toEqual({ status: 'signedIn' });
    const now = JSON.parse(String(device.getItem(a.keyOf(ALICE.userId)))).deviceKey;
    expect(now).not.toBe(old);
    expect(a.endpoint.devices.has(now)).toBe(true);
  });
});
