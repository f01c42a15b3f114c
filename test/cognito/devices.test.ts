/**
 * Remembered devices on `authchart/cognito` (`devices: rememberedDevices({ storage })`), against an endpoint that
 * derives the device verifier ConfirmDevice sent and checks every SRP proof (test/helpers/device-endpoint.ts).
 */
import { describe, expect, it } from 'vitest';
import { rememberDevice } from '../../src/account/index.js';
import { rememberedDevices } from '../../src/adapters/devices.js';
import { memoryStorage } from '../../src/index.js';
import { DEVICE_NAME, deviceWorld, USER } from '../helpers/device-world.js';
import { fault, make, RESULT, signal } from '../helpers/fake-cognito-fetch.js';

describe('remembered devices: sign-in', () => {
  it('first sign-in asks MFA and confirms the device; once remembered, the next sign-in proves the device instead of MFA', async () => {
    const w = deviceWorld();
    expect(await w.signIn()).toEqual({ mfa: true });
    const record = w.record();
    expect(record).toMatchObject({ remembered: false, names: expect.arrayContaining([USER.email, USER.userId]) });
    // The endpoint stored the verifier for this key and name; the record sits outside the session record.
    const device = w.endpoint.devices.get(record?.deviceKey ?? '');
    expect(device).toMatchObject({ status: 'not_remembered', name: DEVICE_NAME });
    expect(w.record(USER.email)).toEqual(record);
    expect(String(w.storage.getItem('authchart.client-dev.session'))).not.toContain(record?.devicePassword);
    await rememberDevice(w.auth);
    expect(w.record()?.remembered).toBe(true);
    await w.auth.signOut();
    const before = w.endpoint.calls.length;
    expect(await w.signIn()).toEqual({ mfa: false });
    const sent = w.endpoint.calls.slice(before);
    expect(sent.map((c) => [c.target, c.body['ChallengeName'] ?? c.body['AuthFlow']])).toEqual([
      ['InitiateAuth', 'USER_SRP_AUTH'],
      ['RespondToAuthChallenge', 'PASSWORD_VERIFIER'],
      ['RespondToAuthChallenge', 'DEVICE_SRP_AUTH'],
      ['RespondToAuthChallenge', 'DEVICE_PASSWORD_VERIFIER'],
    ]);
    // DEVICE_KEY went with InitiateAuth and every answer; no new device.
    const keys = sent.map((c) => (c.body['AuthParameters'] ?? c.body['ChallengeResponses']) as Record<string, string>);
    expect(keys.map((k) => k['DEVICE_KEY'])).toEqual(Array(4).fill(record?.deviceKey));
    expect(w.record()?.deviceKey).toBe(record?.deviceKey);
    expect(w.targets()).not.toContain('ListDevices');
  });

  it('a pool that always remembers skips MFA at the second sign-in without rememberDevice (USER_PASSWORD_AUTH)', async () => {
    const w = deviceWorld({ remember: 'always', transport: { authFlow: 'USER_PASSWORD_AUTH' } });
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.record()?.remembered).toBe(true);
    await w.auth.signOut();
    expect(await w.signIn()).toEqual({ mfa: false });
    expect(w.targets()).not.toContain('UpdateDeviceStatus');
  });

  it('alias sign-in: the e-mail typed, Cognito username differs; the device is used either way', async () => {
    const w = deviceWorld({ remember: 'always' });
    await w.signIn(w.auth, USER.email);
    await w.auth.signOut();
    // By Cognito's own username, then by the alias again.
    expect(await w.signIn(w.auth, USER.userId)).toEqual({ mfa: false });
    await w.auth.signOut();
    expect(await w.signIn(w.auth, USER.email)).toEqual({ mfa: false });
  });

  it('without the devices option: no DEVICE_KEY, NewDeviceMetadata ignored, nothing stored', async () => {
    const w = deviceWorld({ remember: 'always', devices: false });
    await w.signIn();
    await w.auth.signOut();
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.targets()).not.toContain('ConfirmDevice');
    expect(JSON.stringify(w.endpoint.calls)).not.toContain('DEVICE_KEY');
    expect(w.record()).toBeNull();
  });

  it('forgotten elsewhere: DEVICE_SRP_AUTH answers ResourceNotFound, the record is dropped and the sign-in goes on (MFA asked)', async () => {
    const w = deviceWorld({ remember: 'always' });
    await w.signIn();
    const old = w.record()?.deviceKey ?? '';
    await w.auth.signOut();
    w.endpoint.forgetElsewhere(old);
    expect(await w.signIn()).toEqual({ mfa: true });
    const refused = w.endpoint.calls.filter((c) => c.body['ChallengeName'] === 'DEVICE_SRP_AUTH');
    expect(refused).toHaveLength(1);
    // Signed in, and a new device confirmed in place of the old one.
    expect(w.auth.getSession()?.username).toBe(USER.userId);
    expect(w.record()?.deviceKey).not.toBe(old);
    expect(w.observed.some((e) => (e as { type?: string }).type === 'signInFailed')).toBe(false);
  });

  it('a record whose device password is wrong fails the device proof (the server checks it): dropped, MFA asked', async () => {
    const w = deviceWorld({ remember: 'always' });
    await w.signIn();
    const record = w.record();
    await w.auth.signOut();
    const forged = JSON.stringify({ ...record, devicePassword: btoa('not the device password at all, 40 bytes') });
    for (const name of record?.names ?? []) w.storage.setItem(w.deviceKeyOf(name), forged);
    expect(await w.signIn()).toEqual({ mfa: true });
    const proofs = w.endpoint.calls.filter((c) => c.body['ChallengeName'] === 'DEVICE_PASSWORD_VERIFIER');
    expect(proofs).toHaveLength(1);
    expect(w.record()?.deviceKey).not.toBe(record?.deviceKey);
  });

  it('garbage in the device record is no device: removed, MFA asked, the sign-in goes on', async () => {
    const w = deviceWorld({ remember: 'always' });
    w.storage.setItem(w.deviceKeyOf(USER.email), '{"deviceKey": 7');
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.endpoint.calls[0]?.body['AuthParameters']).not.toHaveProperty('DEVICE_KEY');
    expect(w.record(USER.email)?.deviceKey).toMatch(/^eu-west-1_/);
  });

  it('a failed ConfirmDevice: signed in all the same, no record, no secret in anything observable', async () => {
    const w = deviceWorld({ remember: 'always' });
    // A hostile answer quoting the verifier it was sent.
    const original = w.endpoint.handle;
    w.endpoint.handle = async (operation, body) => {
      if (operation !== 'ConfirmDevice') return original(operation, body);
      await original(operation, body);
      const quoted = JSON.stringify(body['DeviceSecretVerifierConfig']);
      return { status: 500, body: { __type: 'InternalErrorException', message: `could not store ${quoted}` } };
    };
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.auth.getSession()?.username).toBe(USER.userId);
    expect(w.record()).toBeNull();
    expect(w.record(USER.email)).toBeNull();
    const [config] = w.endpoint.verifiers;
    const seen = JSON.stringify([w.observed, w.auth.getSnapshot()]);
    expect(config?.PasswordVerifier.length).toBeGreaterThan(100);
    expect(seen).not.toContain(config?.PasswordVerifier);
    expect(seen).not.toContain(config?.Salt);
    await w.auth.signOut();
    expect(await w.signIn()).toEqual({ mfa: true });
  });

  it('a ConfirmDevice that does not answer costs the device, not the sign-in: signed in within the bound, no record', async () => {
    const w = deviceWorld({ remember: 'always', hang: 'ConfirmDevice' });
    const started = Date.now();
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(Date.now() - started).toBeLessThan(4500);
    expect(w.auth.getSession()?.username).toBe(USER.userId);
    expect(w.record()).toBeNull();
  });

  it('no device password or verifier in events, inspection, snapshot or a failed sign-in', async () => {
    const w = deviceWorld();
    await w.signIn();
    await rememberDevice(w.auth);
    await w.auth.signOut();
    const wrong = await w.auth.signIn({ username: USER.email, password: 'wrong-password' }).catch((e: unknown) => e);
    await w.signIn();
    const secrets = [
      w.record()?.devicePassword ?? '-',
      ...w.endpoint.verifiers.flatMap((v) => [v.PasswordVerifier, v.Salt]),
    ];
    const seen = JSON.stringify([w.observed, w.auth.getSnapshot(), String(wrong), (wrong as Error).stack]);
    for (const s of secrets) expect(seen).not.toContain(s);
  });
});

describe('remembered devices: refresh and sign-out', () => {
  it('refresh sends the DEVICE_KEY of the device-bound tokens, also after a restore in a new instance', async () => {
    const w = deviceWorld({ remember: 'always' });
    await w.signIn();
    const deviceKey = w.record()?.deviceKey;
    await w.auth.fetchTokens({ forceRefresh: true });
    const refreshes = () =>
      w.endpoint.calls.filter((c) => c.body['AuthFlow'] === 'REFRESH_TOKEN_AUTH').map((c) => c.body['AuthParameters']);
    expect(refreshes()).toEqual([expect.objectContaining({ DEVICE_KEY: deviceKey })]);
    w.auth.stop();
    const restored = w.make();
    await restored.ready;
    expect(restored.getSession()?.username).toBe(USER.userId);
    await restored.fetchTokens({ forceRefresh: true });
    expect(refreshes()).toHaveLength(2);
    expect(refreshes()[1]).toMatchObject({ DEVICE_KEY: deviceKey });
  });

  it('a local and a global sign-out keep the device record; the next sign-in still skips MFA', async () => {
    const w = deviceWorld({ remember: 'always' });
    await w.signIn();
    const record = w.record();
    expect(await w.auth.signOut()).toMatchObject({ status: 'complete' });
    expect(w.record()).toEqual(record);
    expect(w.storage.getItem('authchart.client-dev.session')).toBeNull();
    expect(await w.signIn()).toEqual({ mfa: false });
    expect(await w.auth.signOut({ global: true })).toMatchObject({ status: 'complete', scope: 'global' });
    expect(w.targets()).toContain('GlobalSignOut');
    expect(w.record()).toEqual(record);
    expect(w.record(USER.email)).toEqual(record);
    expect(await w.signIn()).toEqual({ mfa: false });
  });
});

describe('remembered devices: a device gone after a challenge answer (respondToChallenge)', () => {
  const record = JSON.stringify({
    deviceKey: 'eu-west-1_gone',
    deviceGroupKey: '-group',
    devicePassword: 'ZGV2aWNlIHBhc3N3b3JkIG9mIGEgZm9yZ290dGVuIGRldmljZQ==',
    remembered: true,
    names: ['alice'],
  });
  const world = () => {
    const storage = memoryStorage([['authchart.client-1.device.alice', record]]);
    const challenge = (name: string) => ({
      body: {
        ChallengeName: name,
        Session: `s-${name}`,
        ChallengeParameters: {},
        ...(name === 'SELECT_CHALLENGE' ? { AvailableChallenges: ['PASSWORD'] } : {}),
      },
    });
    const made = make(
      (call) => {
        const body = call.body;
        if (call.target.endsWith('InitiateAuth')) {
          const p = body['AuthParameters'] as Record<string, string>;
          // With the device: a choice of factors; without it (the restart): tokens at once.
          return p['DEVICE_KEY'] ? challenge('SELECT_CHALLENGE') : { body: RESULT };
        }
        if (body['ChallengeName'] === 'SELECT_CHALLENGE') return challenge('DEVICE_SRP_AUTH');
        if (body['ChallengeName'] === 'SOFTWARE_TOKEN_MFA') return challenge('DEVICE_SRP_AUTH');
        return fault('ResourceNotFoundException', 400, 'Device does not exist.');
      },
      { devices: rememberedDevices({ storage }) },
    );
    return { ...made, storage };
  };

  it('with the password in hand (PASSWORD chosen): the record is dropped and the sign-in starts again without the device', async () => {
    const { services, calls, storage } = world();
    const first = await services.signIn({ username: 'alice', authFlow: 'USER_AUTH' }, signal());
    expect(first).toMatchObject({ challenge: 'selectChallenge' });
    const asked = await services.respondToChallenge?.({ challenge: first as never, answer: 'PASSWORD' }, signal());
    const done = await services.respondToChallenge?.({ challenge: asked as never, answer: 'pw' }, signal());
    expect(done).toMatchObject({ accessToken: RESULT.AuthenticationResult.AccessToken });
    expect(storage.getItem('authchart.client-1.device.alice')).toBeNull();
    const last = calls.at(-1)?.body;
    expect(last?.['AuthParameters']).toMatchObject({ USERNAME: 'alice', PASSWORD: 'pw' });
    expect(last?.['AuthParameters']).not.toHaveProperty('DEVICE_KEY');
  });

  it('after a code (no password in hand): the record is dropped and the answer rejects Expired (sign in again)', async () => {
    const { services, storage } = world();
    const challenge = {
      challenge: 'totpCode',
      challengeName: 'SOFTWARE_TOKEN_MFA',
      session: 's',
      username: 'alice',
    } as const;
    const error = await services
      .respondToChallenge?.({ challenge, answer: '123456' }, signal())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Expired', challengeName: 'SOFTWARE_TOKEN_MFA' });
    expect(storage.getItem('authchart.client-1.device.alice')).toBeNull();
    expect(String(error)).not.toContain('ZGV2aWNl');
  });
});
