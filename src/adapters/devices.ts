/**
 * `authchart/devices`: remembered devices for `authchart/cognito` and `authchart/cognito-sdk`.
 * `cognitoServices({ devices: rememberedDevices({ storage }) })` confirms the device a sign-in's
 * `NewDeviceMetadata` names and keeps its record, sends `DEVICE_KEY` at later sign-ins and answers
 * `DEVICE_SRP_AUTH` (a remembered device skips MFA). An app that does not import this ships none
 * of it (docs/cognito.md, "Remembered devices").
 */
import type { TokenStorage } from '../services/types.js';
import type { RememberedDevices } from './cognito/device-wiring.js';
import { deviceSupport } from './cognito/devices.js';

export type { RememberedDevices } from './cognito/device-wiring.js';

/** Where this device's key and password are kept, and the name Cognito lists it by. */
export interface DeviceOptions {
  /**
   * Where the device records go (`authchart.<clientId>.device.<username>`): usually the storage
   * given to `createAuth`. A sign-out leaves them; `forgetDevice` (authchart/account) removes them.
   */
  storage: Pick<TokenStorage, 'getItem' | 'setItem' | 'removeItem'>;
  /** ConfirmDevice's `DeviceName`. Default: the browser's user agent (first 256 characters), else `authchart`. */
  name?: string;
}

/**
 * Remembered devices, for `cognitoServices({ devices })`.
 *
 * @example
 * ```ts
 * import { createAuth, webStorage } from 'authchart';
 * import { cognitoServices } from 'authchart/cognito';
 * import { rememberedDevices } from 'authchart/devices';
 *
 * const storage = webStorage(localStorage);
 * const auth = createAuth({
 *   services: cognitoServices({
 *     clientId: 'abc123',
 *     region: 'eu-west-1',
 *     userPoolId: 'eu-west-1_AbC123',
 *     devices: rememberedDevices({ storage }),
 *   }),
 *   storage,
 * });
 * ```
 */
export function rememberedDevices(options: DeviceOptions): RememberedDevices {
  const agent = (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent;
  const name = (options.name || (typeof agent === 'string' && agent) || 'authchart').slice(0, 256);
  return { attach: (clientId, call) => deviceSupport({ clientId, storage: options.storage, name, call }) };
}
