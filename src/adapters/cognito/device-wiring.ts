/**
 * The static half of remembered devices (`cognitoServices({ devices })`): the option, and the lazy
 * load of `devices.ts` (with the SRP code it uses) at the first sign-in that needs it.
 */
import { AuthError } from '../../errors.js';
import type { AuthServices, DeviceRecords, SignInChallenge, SignInStep, TokenStorage } from '../../services/types.js';
import type { DeviceSupport } from './devices.js';
import type { CognitoCall } from './flows.js';

/** The remembered-device code (and the SRP code it uses), loaded at the first sign-in with `devices`. */
const deviceCode = () =>
  import('./devices.js').catch((cause: unknown) => {
    throw new AuthError('Network', 'The device code could not be loaded (if this persists, reload the page)', {
      cause,
    });
  });

/** Remembered devices: where this device's key and password are kept, and the name Cognito lists it by. */
export interface DeviceOptions {
  /**
   * Where the device records go (`authchart.<clientId>.device.<username>`): usually the storage
   * given to `createAuth`. A sign-out leaves them; `forgetDevice` (authchart/account) removes them.
   */
  storage: Pick<TokenStorage, 'getItem' | 'setItem' | 'removeItem'>;
  /** ConfirmDevice's `DeviceName`. Default: the browser's user agent (first 256 characters), else `authchart`. */
  name?: string;
}

/** The device code, loaded once (again after a failed load). */
export function lazyDevices(options: DeviceOptions, clientId: string, call: CognitoCall): () => Promise<DeviceSupport> {
  const agent = (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent;
  const name = (options.name || (typeof agent === 'string' && agent) || 'authchart').slice(0, 256);
  let loaded: Promise<DeviceSupport> | undefined;
  return () => {
    loaded ??= deviceCode().then(
      (m) => m.deviceSupport({ clientId, storage: options.storage, name, call }),
      (error: unknown) => {
        loaded = undefined;
        throw error;
      },
    );
    return loaded;
  };
}

/** `AuthServices.devices` over the lazily loaded device code. */
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
