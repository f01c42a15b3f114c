/**
 * Remembered devices on `authchart/cognito-sdk` (the same flows as `authchart/cognito`): every SDK
 * command is answered by the endpoint that derives the device verifier and checks every SRP proof
 * (test/helpers/device-endpoint.ts), through aws-sdk-client-mock.
 */
import {
  ConfirmDeviceCommand,
  ForgetDeviceCommand,
  InitiateAuthCommand,
  ListDevicesCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
  UpdateDeviceStatusCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { fetchDevices, forgetDevice, rememberDevice } from '../../src/account/index.js';
import { cognitoServices } from '../../src/adapters/cognito-sdk.js';
import { rememberedDevices } from '../../src/adapters/devices.js';
import { createAuth, memoryStorage } from '../../src/index.js';
import { deviceEndpoint } from '../helpers/device-endpoint.js';
import { CLIENT_ID, DEVICE_NAME, POOL, USER } from '../helpers/device-world.js';
import { mockedSdkClient, sdkException } from '../helpers/sdk-mock.js';

const { client, mock } = mockedSdkClient();

const COMMANDS = {
  InitiateAuth: InitiateAuthCommand,
  RespondToAuthChallenge: RespondToAuthChallengeCommand,
  RevokeToken: RevokeTokenCommand,
  ConfirmDevice: ConfirmDeviceCommand,
  UpdateDeviceStatus: UpdateDeviceStatusCommand,
  ForgetDevice: ForgetDeviceCommand,
  ListDevices: ListDevicesCommand,
};

/** Every command goes to `endpoint`; its refusals come back as the SDK's exceptions. */
function routeTo(endpoint: ReturnType<typeof deviceEndpoint>) {
  for (const [name, command] of Object.entries(COMMANDS)) {
    mock.on(command as typeof InitiateAuthCommand).callsFake(async (input: Record<string, unknown>) => {
      const out = await endpoint.handle(name, input);
      const body = out.body as Record<string, unknown>;
      if (out.status === 200) return body;
      throw sdkException(String(body['__type']), out.status, String(body['message']));
    });
  }
}

describe('remembered devices on authchart/cognito-sdk', () => {
  it('confirmed, remembered, MFA skipped by a checked device proof; a sign-out keeps it, forgetDevice removes it', async () => {
    const endpoint = deviceEndpoint({ clientId: CLIENT_ID, userPoolId: POOL, user: USER, remember: 'optIn' });
    routeTo(endpoint);
    const storage = memoryStorage();
    const auth = createAuth({
      services: cognitoServices({
        clientId: CLIENT_ID,
        region: 'eu-west-1',
        userPoolId: POOL,
        client,
        devices: rememberedDevices({ storage, name: DEVICE_NAME }),
      }),
      storage,
      sync: null,
    });
    const signIn = async () => {
      const first = await auth.signIn({ username: USER.email, password: USER.password });
      if (first.status === 'signedIn') return 'no MFA';
      await auth.confirmSignIn(USER.totpCode);
      return 'MFA';
    };
    try {
      expect(await signIn()).toBe('MFA');
      expect([...endpoint.devices.values()]).toMatchObject([{ status: 'not_remembered', name: DEVICE_NAME }]);
      await rememberDevice(auth);
      expect(await fetchDevices(auth)).toMatchObject([{ name: DEVICE_NAME, remembered: true, current: true }]);
      await auth.signOut();
      expect(await signIn()).toBe('no MFA');
      const names = endpoint.calls.map((c) => c.body['ChallengeName']).filter(Boolean);
      expect(names).toContain('DEVICE_PASSWORD_VERIFIER');
      await auth.signOut({ global: false });
      expect(storage.keys().some((k) => k.includes('.device.'))).toBe(true);
      expect(await signIn()).toBe('no MFA');
      await forgetDevice(auth);
      expect(storage.keys().some((k) => k.includes('.device.'))).toBe(false);
      await auth.signOut();
      expect(await signIn()).toBe('MFA');
    } finally {
      auth.stop();
    }
  });
});
