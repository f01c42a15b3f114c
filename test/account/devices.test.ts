/**
 * `rememberDevice`, `forgetDevice` and `fetchDevices` (authchart/account) over `authchart/cognito`
 * with `devices: rememberedDevices({ storage })`, against the device-tracking endpoint of test/helpers/device-endpoint.ts.
 */
import { describe, expect, it } from 'vitest';
import { fetchDevices, forgetDevice, rememberDevice } from '../../src/account/index.js';
import { DEVICE_NAME, deviceWorld, USER } from '../helpers/device-world.js';

describe('rememberDevice, forgetDevice, fetchDevices', () => {
  it('forgetDevice removes the device at Cognito and in storage (every name); the next sign-in asks MFA again', async () => {
    const w = deviceWorld({ remember: 'always' });
    await w.signIn();
    const key = w.record()?.deviceKey ?? '';
    await forgetDevice(w.auth);
    expect(w.endpoint.devices.has(key)).toBe(false);
    expect(w.record()).toBeNull();
    expect(w.record(USER.email)).toBeNull();
    const forgot = w.endpoint.calls.find((c) => c.target === 'ForgetDevice');
    expect(forgot?.body).toMatchObject({ DeviceKey: key });
    await w.auth.signOut();
    expect(await w.signIn()).toEqual({ mfa: true });
  });

  it('fetchDevices lists the device, marked current, with its name and dates; every page is read', async () => {
    const w = deviceWorld();
    await w.signIn();
    await rememberDevice(w.auth);
    const [listed, ...rest] = await fetchDevices(w.auth);
    expect(rest).toEqual([]);
    expect(listed).toMatchObject({ id: w.record()?.deviceKey, name: DEVICE_NAME, remembered: true, current: true });
    expect(listed?.lastAuthenticatedAt).toBeInstanceOf(Date);
    // A second device (a second browser with its own storage): two pages of one, one current.
    const pages = w.endpoint.handle;
    w.endpoint.handle = (operation, body) =>
      pages(operation, operation === 'ListDevices' ? { ...body, Limit: 1 } : body);
    await w.auth.signOut();
    await w.storage.removeItem(w.deviceKeyOf(USER.email));
    await w.storage.removeItem(w.deviceKeyOf(USER.userId));
    await w.signIn();
    const all = await fetchDevices(w.auth);
    expect(all).toHaveLength(2);
    expect(all.filter((d) => d.current).map((d) => d.id)).toEqual([w.record()?.deviceKey]);
    expect(w.endpoint.calls.filter((c) => c.target === 'ListDevices').length).toBeGreaterThanOrEqual(3);
  });

  it('a failed ForgetDevice keeps the record and says so; ResourceNotFound (already forgotten) removes it', async () => {
    const w = deviceWorld({ remember: 'always' });
    await w.signIn();
    const record = w.record();
    w.endpoint.failNext('ForgetDevice', 'InternalErrorException', 'try later');
    const error = await forgetDevice(w.auth).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Service', message: expect.stringContaining('device record is kept') });
    expect(w.record()).toEqual(record);
    w.endpoint.forgetElsewhere(record?.deviceKey ?? '');
    await forgetDevice(w.auth);
    expect(w.record()).toBeNull();
    expect(String(error)).not.toContain(record?.devicePassword);
  });

  it('forgetDevice(auth, id) forgets another device at Cognito and keeps this one', async () => {
    const w = deviceWorld({ remember: 'always' });
    await w.signIn();
    const mine = w.record();
    const other = w.endpoint.devices.size;
    // Another device of the user, as a second browser would have confirmed.
    w.endpoint.devices.set('eu-west-1_other', {
      username: USER.userId,
      status: 'remembered',
      createdAt: 1,
      lastAuthenticatedAt: 1,
    });
    await forgetDevice(w.auth, 'eu-west-1_other');
    expect(w.endpoint.devices.size).toBe(other);
    expect(w.record()).toEqual(mine);
    await forgetDevice(w.auth, mine?.deviceKey);
    expect(w.record()).toBeNull();
  });

  it('a storage that fails to write the record, quoting the value: StorageFailure, and the device password is nowhere in it', async () => {
    const w = deviceWorld();
    await w.signIn();
    const password = w.record()?.devicePassword ?? '-';
    (w.storage as { setItem: (key: string, value: string) => void }).setItem = (_key, value) => {
      throw new Error(`quota exceeded writing ${value}`);
    };
    const error = await rememberDevice(w.auth).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'StorageFailure' });
    const seen = JSON.stringify([String(error), (error as Error).stack, String((error as Error).cause), w.observed]);
    expect(seen).not.toContain(password);
  });

  it('signed out: NotSignedIn; without the devices option: InvalidConfig; no device kept: InvalidState', async () => {
    const w = deviceWorld();
    await expect(rememberDevice(w.auth)).rejects.toMatchObject({ code: 'NotSignedIn' });
    await expect(forgetDevice(w.auth)).rejects.toMatchObject({ code: 'NotSignedIn' });
    await expect(fetchDevices(w.auth)).rejects.toMatchObject({ code: 'NotSignedIn' });
    expect(w.endpoint.calls).toEqual([]);
    const bare = deviceWorld({ devices: false });
    await bare.signIn();
    await expect(rememberDevice(bare.auth)).rejects.toMatchObject({ code: 'InvalidConfig' });
    await expect(forgetDevice(bare.auth)).rejects.toMatchObject({ code: 'InvalidConfig' });
    // Listing needs no record: none is current.
    expect(await fetchDevices(bare.auth)).toEqual([]);
    const failed = deviceWorld();
    failed.endpoint.failNext('ConfirmDevice', 'InternalErrorException', 'no');
    await failed.signIn();
    await expect(rememberDevice(failed.auth)).rejects.toMatchObject({ code: 'InvalidState' });
    expect(failed.targets()).not.toContain('UpdateDeviceStatus');
  });
});
