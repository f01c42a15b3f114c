/**
 * Our device SRP client against an independent server half (test/helpers/srp-server.ts): ConfirmDevice
 * stores only the salt and verifier, and DEVICE_PASSWORD_VERIFIER passes only when the proof matches
 * what the server computes from them. The known-answer test pins the encodings to AWS's; this one shows
 * a server that knows only the verifier accepts the right device and refuses the rest.
 */
import { describe, expect, it } from 'vitest';
import { devicePasswordClaim, deviceVerifier, srpStart } from '../../src/adapters/cognito/srp.js';
import { deviceSrpServer } from '../helpers/srp-server.js';

/** A server with `alice`'s device remembered, and what the device keeps. */
async function remembered() {
  const server = deviceSrpServer();
  const { DeviceGroupKey: deviceGroupKey, DeviceKey: deviceKey } = server.newDevice('alice');
  const { devicePassword, salt, passwordVerifier } = await deviceVerifier(deviceGroupKey, deviceKey);
  server.confirmDevice({
    DeviceKey: deviceKey,
    DeviceSecretVerifierConfig: { Salt: salt, PasswordVerifier: passwordVerifier },
  });
  return { server, device: { deviceGroupKey, deviceKey, devicePassword } };
}

type Device = Awaited<ReturnType<typeof remembered>>['device'];

/**
 * DEVICE_SRP_AUTH as `deviceKey`, then the DEVICE_PASSWORD_VERIFIER responses `prover` computes:
 * what Cognito would receive.
 */
async function signIn(server: ReturnType<typeof deviceSrpServer>, deviceKey: string, prover: Device) {
  const { a, srpA } = srpStart();
  const p = server.begin({ USERNAME: 'alice', DEVICE_KEY: deviceKey, SRP_A: srpA });
  const { SALT: salt, SRP_B: srpB, SECRET_BLOCK: secretBlock } = p;
  if (!salt || !srpB || !secretBlock) throw new Error('DEVICE_PASSWORD_VERIFIER came incomplete');
  const claim = await devicePasswordClaim({ a, ...prover, salt, srpB, secretBlock });
  return {
    USERNAME: 'alice',
    DEVICE_KEY: deviceKey,
    PASSWORD_CLAIM_SECRET_BLOCK: secretBlock,
    PASSWORD_CLAIM_SIGNATURE: claim.signature,
    TIMESTAMP: claim.timestamp,
  };
}

describe('device SRP against an independent server half', () => {
  it('a remembered device proves its password to a server that holds only its verifier', async () => {
    for (let round = 0; round < 8; round++) {
      const { server, device } = await remembered();
      expect(server.verify(await signIn(server, device.deviceKey, device))).toBe(true);
    }
  });

  it('a wrong device password is refused', async () => {
    const { server, device } = await remembered();
    const other = (await deviceVerifier(device.deviceGroupKey, device.deviceKey)).devicePassword;
    expect(server.verify(await signIn(server, device.deviceKey, { ...device, devicePassword: other }))).toBe(false);
  });

  it('a tampered signature, secret block or timestamp is refused', async () => {
    const { server, device } = await remembered();
    const responses = await signIn(server, device.deviceKey, device);
    const signature = Buffer.from(responses.PASSWORD_CLAIM_SIGNATURE, 'base64');
    signature[5] = (signature[5] ?? 0) ^ 1;
    expect(server.verify({ ...responses, PASSWORD_CLAIM_SIGNATURE: signature.toString('base64') })).toBe(false);
    expect(server.verify({ ...responses, PASSWORD_CLAIM_SECRET_BLOCK: Buffer.alloc(48).toString('base64') })).toBe(
      false,
    );
    expect(server.verify({ ...responses, TIMESTAMP: 'Mon Jan 1 00:00:00 UTC 2024' })).toBe(false);
    expect(server.verify(responses)).toBe(true);
  });

  it('a proof made with another device key is refused, even one of the same user and group', async () => {
    const { server, device } = await remembered();
    // A second device of alice's: same group key, its own key, salt and verifier.
    const { DeviceKey: secondKey } = server.newDevice('alice');
    const second = await deviceVerifier(device.deviceGroupKey, secondKey);
    server.confirmDevice({
      DeviceKey: secondKey,
      DeviceSecretVerifierConfig: { Salt: second.salt, PasswordVerifier: second.passwordVerifier },
    });
    // Hashing the wrong device key into the proof.
    expect(server.verify(await signIn(server, device.deviceKey, { ...device, deviceKey: secondKey }))).toBe(false);
    // Answering for the first device with the second's secrets.
    const secondDevice = { ...device, deviceKey: secondKey, devicePassword: second.devicePassword };
    expect(server.verify(await signIn(server, device.deviceKey, secondDevice))).toBe(false);
    // A right proof sent under the other device's key.
    const proof = await signIn(server, device.deviceKey, device);
    expect(server.verify({ ...proof, DEVICE_KEY: secondKey })).toBe(false);
    expect(server.verify(await signIn(server, secondKey, secondDevice))).toBe(true);
  });

  it('a device key the server never confirmed gets no challenge', async () => {
    const { server, device } = await remembered();
    const { srpA } = srpStart();
    const unconfirmed = server.newDevice('alice').DeviceKey;
    expect(() => server.begin({ USERNAME: 'alice', DEVICE_KEY: unconfirmed, SRP_A: srpA })).toThrow(/ResourceNotFound/);
    expect(() => server.begin({ USERNAME: 'alice', DEVICE_KEY: `${device.deviceKey}x`, SRP_A: srpA })).toThrow(
      /ResourceNotFound/,
    );
    expect(() => server.begin({ USERNAME: 'bob', DEVICE_KEY: device.deviceKey, SRP_A: srpA })).toThrow(/NotAuthorized/);
  });

  it('the server refuses a verifier that would make the proof independent of the password', async () => {
    const server = deviceSrpServer();
    const { DeviceKey } = server.newDevice('alice');
    const salt = Buffer.alloc(16, 7).toString('base64');
    for (const verifier of [Buffer.from([0]), Buffer.from([1])]) {
      expect(() =>
        server.confirmDevice({
          DeviceKey,
          DeviceSecretVerifierConfig: { Salt: salt, PasswordVerifier: verifier.toString('base64') },
        }),
      ).toThrow(/InvalidParameter/);
    }
  });
});
