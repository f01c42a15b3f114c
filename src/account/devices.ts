/**
 * Remembered devices: mark this device remembered (a sign-in from it then skips MFA), forget it
 * (at Cognito, then its record here), list the user's devices. The device record is the
 * transport's (`cognitoServices({ devices })`): it keeps the device key and password apart from
 * the session record, so a sign-out leaves it.
 */
import { AuthError } from '../errors.js';
import type { Auth } from '../public-types.js';
import type { DeviceRecords, DeviceRecordView } from '../services/types.js';
import { depsOf, given, storageStep, userCall } from './call.js';

/** One of the user's devices (Cognito's `DeviceType`). */
export interface DeviceDescription {
  /** Cognito's `DeviceKey`. */
  id: string;
  /** The `DeviceName` it was confirmed with (`device_name`). */
  name?: string;
  /** Remembered (`device_status` `valid`): a sign-in from it skips MFA. */
  remembered?: boolean;
  /** This device (the one whose record this instance's transport keeps). */
  current: boolean;
  createdAt?: Date;
  lastModifiedAt?: Date;
  lastAuthenticatedAt?: Date;
}

/** The transport's device records and the signed-in user's name (`NotSignedIn` otherwise). */
function records(auth: Auth, what: string): { devices: DeviceRecords | undefined; username: string } {
  const { devices } = depsOf(auth, what).services;
  const session = auth.getSession();
  if (!session) throw new AuthError('NotSignedIn', `${what} needs a signed-in user`);
  return { devices, username: session.username };
}

/** This device's record for the signed-in user, or the reason there is none. */
async function current(
  auth: Auth,
  what: string,
): Promise<{ record: DeviceRecordView; devices: DeviceRecords; username: string }> {
  const { devices, username } = records(auth, what);
  if (!devices) throw new AuthError('InvalidConfig', `${what} needs cognitoServices({ devices })`);
  const record = await deviceStep(auth, () => devices.current(username), what);
  if (!record) {
    throw new AuthError(
      'InvalidState',
      `${what}: this device is not known for the user (the sign-in got no NewDeviceMetadata: device tracking off, or its ConfirmDevice failed)`,
    );
  }
  return { record, devices, username };
}

/**
 * One step on the device record, bounded by the instance's `storageMs`: a storage that fails is
 * `StorageFailure`, one that does not answer `Timeout` (the record may then be left as it was).
 */
async function deviceStep<T>(auth: Auth, step: () => Promise<T>, what: string): Promise<T> {
  try {
    return await storageStep(auth, step, what, 'Timeout');
  } catch (error) {
    if (error instanceof AuthError) throw error;
    // No cause: a storage's error may quote the value it was given, and that holds the device password.
    throw new AuthError('StorageFailure', `${what}: the device record could not be read or written`);
  }
}

/**
 * Remembers this device for the signed-in user (Cognito's UpdateDeviceStatus `remembered`): a later
 * sign-in from it answers DEVICE_SRP_AUTH instead of MFA. For pools that remember devices "on the
 * user's opt-in"; a pool that always remembers needs no call. Rejects `NotSignedIn` while signed out,
 * `InvalidConfig` without `cognitoServices({ devices })`, `InvalidState` when the sign-in kept no device.
 *
 * @example
 * ```ts
 * import { rememberDevice } from 'authchart/account';
 * declare const auth: import('authchart').Auth;
 * await rememberDevice(auth);
 * ```
 */
export async function rememberDevice(auth: Auth): Promise<void> {
  const { record, devices, username } = await current(auth, 'rememberDevice');
  await userCall(auth, 'UpdateDeviceStatus', { DeviceKey: record.deviceKey, DeviceRememberedStatus: 'remembered' });
  await deviceStep(auth, () => devices.markRemembered(username), 'rememberDevice');
}

/**
 * Forgets this device (Cognito's ForgetDevice), then removes its record here: the next sign-in asks
 * for MFA again. With `deviceId` (from {@link fetchDevices}) another of the user's devices is
 * forgotten at Cognito and this one's record is left. If ForgetDevice fails the record stays, and
 * the rejection says so; a device Cognito no longer knows (`ResourceNotFound`) is removed here all
 * the same. A sign-out never forgets the device: this does.
 *
 * @example
 * ```ts
 * import { forgetDevice } from 'authchart/account';
 * declare const auth: import('authchart').Auth;
 * await forgetDevice(auth);
 * ```
 */
export async function forgetDevice(auth: Auth, deviceId?: string): Promise<void> {
  if (deviceId !== undefined) {
    const { devices, username } = records(auth, 'forgetDevice');
    const here = devices && (await deviceStep(auth, () => devices.current(username), 'forgetDevice'));
    if (here?.deviceKey !== given(deviceId, 'deviceId')) {
      await userCall(auth, 'ForgetDevice', { DeviceKey: deviceId });
      return;
    }
  }
  const { record, devices, username } = await current(auth, 'forgetDevice');
  try {
    await userCall(auth, 'ForgetDevice', { DeviceKey: record.deviceKey });
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    // Cognito no longer knows it: forgotten all the same; else the record stays for a retry.
    if (error.serviceName !== 'ResourceNotFoundException') {
      throw new AuthError(error.code, `${error.message} (the device record is kept: forgetDevice may be retried)`, {
        cause: error,
        ...(error.serviceName ? { serviceName: error.serviceName } : {}),
      });
    }
  }
  await deviceStep(auth, () => devices.forget(username), 'forgetDevice');
}

const text = (value: unknown, max = 1024) => (typeof value === 'string' ? value.slice(0, max) : undefined);
const date = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? new Date(value * 1000) : undefined;

/**
 * The signed-in user's devices (Cognito's ListDevices, every page, at most 20 of 60), `current`
 * marking this one. Works without `cognitoServices({ devices })` too (then none is `current`).
 *
 * @example
 * ```ts
 * import { fetchDevices } from 'authchart/account';
 * declare const auth: import('authchart').Auth;
 * const devices = await fetchDevices(auth);
 * ```
 */
export async function fetchDevices(auth: Auth): Promise<DeviceDescription[]> {
  const { devices, username } = records(auth, 'fetchDevices');
  const here =
    devices && (await deviceStep(auth, () => devices.current(username), 'fetchDevices').catch(() => undefined));
  const out: DeviceDescription[] = [];
  let next: string | undefined;
  // Bounded: a server that always answers a PaginationToken does not keep this loop going.
  for (let page = 0; page < 20; page++) {
    const answer = await userCall(auth, 'ListDevices', { Limit: 60, ...(next ? { PaginationToken: next } : {}) });
    const list = Array.isArray(answer['Devices']) ? answer['Devices'] : [];
    for (const raw of list.slice(0, 60)) {
      const d = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
      const id = text(d['DeviceKey'], 256);
      if (!id) continue;
      const attributes = new Map<string, string>();
      for (const a of Array.isArray(d['DeviceAttributes']) ? d['DeviceAttributes'].slice(0, 32) : []) {
        const { Name, Value } = (a && typeof a === 'object' ? a : {}) as Record<string, unknown>;
        if (typeof Name === 'string' && typeof Value === 'string') attributes.set(Name, Value.slice(0, 1024));
      }
      const device: DeviceDescription = { id, current: id === here?.deviceKey };
      const name = attributes.get('device_name');
      if (name !== undefined) device.name = name;
      const status = attributes.get('device_status');
      if (status !== undefined) device.remembered = status === 'valid';
      const created = date(d['DeviceCreateDate']);
      if (created) device.createdAt = created;
      const modified = date(d['DeviceLastModifiedDate']);
      if (modified) device.lastModifiedAt = modified;
      const authenticated = date(d['DeviceLastAuthenticatedDate']);
      if (authenticated) device.lastAuthenticatedAt = authenticated;
      out.push(device);
    }
    next = text(answer['PaginationToken']);
    if (!next) break;
  }
  return out;
}
