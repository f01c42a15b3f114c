/**
 * The transport's half of remembered devices (`cognitoServices({ devices: rememberedDevices(…) })`):
 * the hook the device code plugs into, and the restarts when Cognito no longer knows a device.
 */
import { AuthError } from '../../errors.js';
import type { AuthServices, DeviceRecords, SignInChallenge, SignInStep } from '../../services/types.js';
import type { DeviceSupport } from './devices.js';
import type { CognitoCall } from './flows.js';

/**
 * Remembered devices, from `authchart/devices`' `rememberedDevices()`: the transport hands it its
 * client id and its way of calling Cognito. An app that does not import it ships none of the device
 * code (docs/cognito.md, "Remembered devices").
 */
export interface RememberedDevices {
  /** @internal How the transport plugs the device code in (its client id and its Cognito calls). */
  attach(clientId: string, call: CognitoCall): DeviceSupport;
}

/** `devices` checked, and attached once: the device code is the app's import, nothing is loaded here. */
export function attachDevices(
  devices: RememberedDevices,
  clientId: string,
  call: CognitoCall,
): () => Promise<DeviceSupport> {
  if (typeof devices?.attach !== 'function') {
    throw new AuthError('InvalidConfig', "devices must be rememberedDevices({ storage }) from 'authchart/devices'");
  }
  const support = Promise.resolve(devices.attach(clientId, call));
  return () => support;
}

/** `AuthServices.devices` over the attached device code. */
export function deviceRecords(devices: () => Promise<DeviceSupport>): DeviceRecords {
  return {
    current: async (username) => (await devices()).view.current(username),
    forget: async (username) => (await devices()).view.forget(username),
    markRemembered: async (username) => (await devices()).view.markRemembered(username),
  };
}

/** Thrown by devices.ts when Cognito no longer knows the device (its record dropped). */
const deviceGone = (error: unknown) => error instanceof Error && error.name === 'DeviceGone';

/** Runs a sign-in; once more (the device dropped, so without it) if Cognito no longer knows the device. */
export async function twiceIfDeviceGone(step: () => Promise<SignInStep>): Promise<SignInStep> {
  try {
    return await step();
  } catch (error) {
    if (!deviceGone(error)) throw error;
  }
  try {
    return await step();
  } catch (error) {
    if (deviceGone(error)) throw new AuthError('Service', 'Cognito refused a device it asked for');
    throw error;
  }
}

/**
 * A challenge answer that met a device Cognito no longer knows (dropped by then). With the password
 * in hand the sign-in starts again without the device; otherwise (a code, a passkey) the user must,
 * as after a challenge that expired: `Expired`.
 */
export function afterGoneDevice(
  error: unknown,
  input: { challenge: SignInChallenge; answer: string },
  services: AuthServices,
  signal: AbortSignal,
): Promise<SignInStep> {
  if (!deviceGone(error)) throw error;
  const { username, challengeName: name } = input.challenge;
  const password = input.answer;
  if (name === 'PASSWORD' || name === 'PASSWORD_SRP') {
    return services.signIn({ username, password, authFlow: 'USER_AUTH' }, signal);
  }
  if (name === 'NEW_PASSWORD_REQUIRED') return services.signIn({ username, password }, signal);
  throw new AuthError('Expired', 'Cognito no longer knows this device: sign in again', { challengeName: name });
}
