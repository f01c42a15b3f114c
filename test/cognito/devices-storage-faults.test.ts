/**
 * Faults in the device record storage (docs/cognito.md "Remembered devices"), through the public API:
 * a storage that throws (at once, as `localStorage` does, or later), hangs, or answers garbage costs
 * the device, never the sign-in or its tokens, within the documented bounds (READ_DEVICE_MS for a
 * sign-in's read, CONFIRM_DEVICE_MS for ConfirmDevice, `storageMs` for authchart/account's steps).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { forgetDevice, rememberDevice } from '../../src/account/index.js';
import { isAuthError, memoryStorage } from '../../src/index.js';
import { faultyStorage, seen, within, world } from '../helpers/device-probe-world.js';

afterEach(() => vi.restoreAllMocks());

describe('faults in the device record storage', () => {
  const setUp = async (remember: 'always' | 'optIn' = 'always') => {
    const device = faultyStorage();
    const w = world({ remember, deviceStorage: device.storage, timeouts: { remoteStepMs: 1500, storageMs: 1500 } });
    return { w, device };
  };
  const noSecret = (w: ReturnType<typeof world>, password: string | undefined, ...more: unknown[]) => {
    const out = seen(w, ...more);
    for (const v of w.endpoint.verifiers) {
      expect(out).not.toContain(v.PasswordVerifier);
      expect(out).not.toContain(v.Salt);
    }
    if (password) expect(out).not.toContain(password);
  };

  it('read throws at sign-in: the sign-in goes on without the device (MFA asked), signed in', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    await w.auth.signOut();
    device.faults.get = 'throw';
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.auth.getSession()?.username).toBe(w.user.userId);
  });

  // A sign-in reads the record within READ_DEVICE_MS (1 s): a read that hangs is no device, and the
  // storage is not read again by a sign-in until that read settles (no second wait in the same step).
  it('read hangs at sign-in: the sign-in goes on without the device within the bound (no Timeout)', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    await w.auth.signOut();
    device.faults.get = 'hang';
    const first = await within(w.auth.signIn({ username: w.user.email, password: w.user.password }), 4000);
    expect(first).toEqual({ ok: { status: 'challenge', challenge: 'totpCode' } });
    expect(JSON.stringify(w.endpoint.calls)).not.toContain('DEVICE_KEY');
  });

  it.each([
    ['not JSON', '{"deviceKey": '],
    ['a number', 7],
    ['an object, not a string', { deviceKey: 'k' }],
    [
      'huge fields',
      JSON.stringify({
        deviceKey: 'k'.repeat(1e5),
        deviceGroupKey: 'g',
        devicePassword: 'p',
        remembered: true,
        names: ['alice@example.com'],
      }),
    ],
    [
      'another user’s record',
      JSON.stringify({
        deviceKey: 'eu-west-1_bob',
        deviceGroupKey: 'g',
        devicePassword: 'cGFzcw==',
        remembered: true,
        names: ['bob', 'uuid-bob'],
      }),
    ],
  ])('read answers garbage (%s): no DEVICE_KEY sent, the record removed, MFA asked, signed in', async (_, value) => {
    const { w, device } = await setUp();
    device.faults.get = { value };
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(JSON.stringify(w.endpoint.calls[0]?.body)).not.toContain('DEVICE_KEY');
    expect(device.seen).toContain(`remove ${w.keyOf(w.user.email)}`);
    expect(w.auth.getSession()?.username).toBe(w.user.userId);
  });

  it('write throws after ConfirmDevice: signed in, no record kept, the device password in no error, event or console line', async () => {
    const { w, device } = await setUp();
    const logs: unknown[] = [];
    for (const m of ['log', 'warn', 'error', 'info', 'debug'] as const)
      vi.spyOn(console, m).mockImplementation((...a) => logs.push(a));
    device.faults.set = 'throw';
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.auth.getSession()?.username).toBe(w.user.userId);
    const written = device.seen.find((s) => s.startsWith('set '));
    const password =
      written && (JSON.parse(written.slice(written.indexOf('=') + 1)) as { devicePassword: string }).devicePassword;
    expect(password).toBeTruthy();
    expect(device.base.getItem(w.keyOf(w.user.userId))).toBeNull();
    noSecret(w, password, logs);
    expect(w.orphans()).toEqual([]);
  });

  // The whole of ConfirmDevice (verifier, request, record writes, cleanup) runs under one bound,
  // CONFIRM_DEVICE_MS (2 s) or the sign-in's signal: past it the tokens are answered, whatever the
  // storage does. (With remoteStepMs below 2 s the step's own bound comes first: devices-hostile-server.)
  it('write hangs after ConfirmDevice: signed in within the bound, no refresh token lost', async () => {
    const device = faultyStorage();
    const w = world({ deviceStorage: device.storage, timeouts: { remoteStepMs: 5000 } });
    device.faults.set = 'hang';
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = await within(w.auth.confirmSignIn(w.user.totpCode), 4000);
    expect(answer).toEqual({ ok: { status: 'signedIn' } });
    expect(w.orphans()).toEqual([]);
  });

  it('forgetDevice with a storage whose remove throws: ForgetDevice done, rejects StorageFailure without the device password, the session stays', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    const record = JSON.parse(String(device.base.getItem(w.keyOf(w.user.userId))));
    device.faults.remove = 'throw';
    const error = await forgetDevice(w.auth).catch((e: unknown) => e);
    expect(isAuthError(error) && error.code).toBe('StorageFailure');
    expect(w.calls()).toContain('ForgetDevice');
    expect(w.auth.state).toMatch(/^signedIn/);
    expect(seen(w, error)).not.toContain(record.devicePassword);
    // The record left behind names a device Cognito forgot: the next sign-in drops it and goes on.
    device.faults.remove = 'pass';
    await w.auth.signOut();
    expect(await w.signIn()).toEqual({ mfa: true });
  });

  // The account calls' storage steps are bounded by the instance's storageMs: a storage that never
  // answers is `Timeout` (the record may be left), never a call that hangs.
  it('forgetDevice with a storage whose remove hangs: settles within storageMs (Timeout, no device password in it)', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    const record = JSON.parse(String(device.base.getItem(w.keyOf(w.user.userId))));
    device.faults.remove = 'hang';
    const outcome = await within(forgetDevice(w.auth), 4000);
    expect(outcome).toMatchObject({ error: { name: 'AuthError', code: 'Timeout' } });
    expect(seen(w, outcome)).not.toContain(record.devicePassword);
  });

  it('rememberDevice with a storage whose write hangs: settles within storageMs (Timeout)', async () => {
    const { w, device } = await setUp('optIn');
    await w.signIn();
    device.faults.set = 'hang';
    expect(await within(rememberDevice(w.auth), 4000)).toMatchObject({ error: { code: 'Timeout' } });
  });

  it('forgetDevice with a storage whose read answers another user’s record: InvalidState, no ForgetDevice for that device', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    device.faults.get = {
      value: JSON.stringify({
        deviceKey: 'eu-west-1_bob',
        deviceGroupKey: 'g',
        devicePassword: 'cGFzcw==',
        remembered: true,
        names: ['bob'],
      }),
    };
    await expect(forgetDevice(w.auth)).rejects.toMatchObject({ code: 'InvalidState' });
    expect(w.calls()).not.toContain('ForgetDevice');
  });

  it('a device storage apart from the session one, rejecting (async) every call: costs only the device', async () => {
    const device = faultyStorage(memoryStorage());
    device.faults.get = device.faults.set = device.faults.remove = 'reject';
    const w = world({ deviceStorage: device.storage });
    device.faults.get = { value: '{garbage' };
    expect(await w.signIn()).toEqual({ mfa: true });
    device.faults.get = 'reject';
    await w.auth.signOut();
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.orphans()).toEqual([]);
  });

  // Storage calls that throw synchronously (as localStorage does: SecurityError, a sandboxed frame)
  // are caught as a rejection would be: ConfirmDevice never throws, the tokens stand.
  it('write and remove throw synchronously after ConfirmDevice: still signed in, no refresh token lost', async () => {
    const device = faultyStorage(memoryStorage());
    const w = world({ deviceStorage: device.storage });
    device.faults.set = device.faults.remove = 'throw';
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = await w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e);
    expect(answer).toEqual({ status: 'signedIn' });
    expect(w.orphans()).toEqual([]);
  });

  // A record that is not a well-formed one is taken as none (docs/cognito.md), even when removing it
  // throws: the sign-in goes on without the device.
  it('a malformed record and a removeItem that throws synchronously: the sign-in goes on without the device', async () => {
    const device = faultyStorage(memoryStorage());
    const w = world({ deviceStorage: device.storage });
    device.faults.get = { value: '{garbage' };
    device.faults.remove = 'throw';
    expect(await w.auth.signIn({ username: w.user.email, password: w.user.password })).toMatchObject({
      challenge: 'totpCode',
    });
  });
});
