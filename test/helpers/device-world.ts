/**
 * One set-up for the remembered-device tests: instances on `authchart/cognito` with
 * `devices: rememberedDevices({ storage })`, whose fetch is answered by {@link deviceEndpoint} (real SRP for the
 * password and the device), sharing one storage (a restart is a new instance on it).
 */
import { afterEach, expect } from 'vitest';
import { type CognitoServicesOptions, cognitoServices } from '../../src/adapters/cognito/index.js';
import { rememberedDevices } from '../../src/adapters/devices.js';
import { type Auth, createAuth, memoryStorage } from '../../src/index.js';
import { deviceEndpoint } from './device-endpoint.js';
import { fakeFetch } from './fake-cognito-fetch.js';

export const CLIENT_ID = 'client-dev';
export const POOL = 'eu-west-1_DevPool123';
export const USER = {
  userId: 'uuid-alice',
  email: 'alice@example.com',
  password: 'Correct-Horse-9',
  totpCode: '246810',
};
export const DEVICE_NAME = 'Test browser';

let auths: Auth[] = [];
afterEach(() => {
  for (const auth of auths) auth.stop();
  auths = [];
});

export interface StoredDevice {
  deviceKey: string;
  deviceGroupKey: string;
  devicePassword: string;
  remembered: boolean;
  names: string[];
}

export function deviceWorld(
  opts: {
    remember?: 'always' | 'optIn';
    transport?: Partial<CognitoServicesOptions>;
    devices?: boolean;
    /** An operation that never answers (its request is aborted only by its signal). */
    hang?: string;
  } = {},
) {
  const endpoint = deviceEndpoint({
    clientId: CLIENT_ID,
    userPoolId: POOL,
    user: USER,
    remember: opts.remember ?? 'optIn',
  });
  const storage = memoryStorage();
  const f = fakeFetch((call) => endpoint.handle(call.target.split('.')[1] ?? '', call.body));
  const fetch: typeof globalThis.fetch = (url, init) => {
    const target = new Headers(init?.headers).get('x-amz-target') ?? '';
    if (!opts.hang || !target.endsWith(`.${opts.hang}`)) return f.fetch(url, init);
    return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
  };
  /** Everything an app can observe of an instance: events, inspection events, errors. */
  const observed: unknown[] = [];
  const make = () => {
    const services = cognitoServices({
      clientId: CLIENT_ID,
      region: 'eu-west-1',
      userPoolId: POOL,
      fetch,
      ...(opts.devices === false ? {} : { devices: rememberedDevices({ storage, name: DEVICE_NAME }) }),
      ...opts.transport,
    });
    const auth = createAuth({
      services,
      storage,
      sync: null,
      inspect: (e) => {
        if (e.type === '@xstate.event') observed.push((e as { event: unknown }).event);
      },
    });
    for (const name of ['signedIn', 'signedOut', 'tokensRefreshed', 'tokenRefreshFailed', 'signInFailed'] as const) {
      auth.on(name, (payload) => observed.push(payload));
    }
    auths.push(auth);
    return auth;
  };
  const auth = make();
  const deviceKeyOf = (username: string) => `authchart.${CLIENT_ID}.device.${username}`;
  /** The device record stored for `username` (null if none). */
  const record = (username = USER.userId): StoredDevice | null => {
    const raw = storage.getItem(deviceKeyOf(username)) as string | null;
    return raw ? (JSON.parse(raw) as StoredDevice) : null;
  };
  /** The Cognito calls made so far, by name. */
  const targets = () => endpoint.calls.map((c) => c.target);
  /** Signs in; answers MFA if asked. Says whether MFA was asked. */
  const signIn = async (a = auth, username = USER.email): Promise<{ mfa: boolean }> => {
    const first = await a.signIn({ username, password: USER.password });
    if (first.status === 'signedIn') return { mfa: false };
    expect(first).toMatchObject({ status: 'challenge', challenge: 'totpCode' });
    expect(await a.confirmSignIn(USER.totpCode)).toEqual({ status: 'signedIn' });
    return { mfa: true };
  };
  return { endpoint, storage, auth, make, record, deviceKeyOf, targets, signIn, observed, calls: f.calls };
}
export type DeviceWorld = ReturnType<typeof deviceWorld>;
