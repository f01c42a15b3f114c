/**
 * Remembered devices against a hostile or broken server (docs/cognito.md "A hostile or impersonated
 * endpoint", "Remembered devices"), through the public API: ConfirmDevice's odd answers, odd
 * NewDeviceMetadata, a DEVICE_PASSWORD_VERIFIER built to break the proof, odd SELECT_CHALLENGE lists.
 */
import { describe, expect, it } from 'vitest';
import type { memoryStorage } from '../../src/index.js';
import { ALICE, seen, within, world } from '../helpers/device-probe-world.js';

/** A signed-in-then-signed-out world whose next sign-in uses the remembered device. */
async function remembered(opts: Parameters<typeof world>[0] = {}) {
  const w = world({ remember: 'always', ...opts });
  await w.signIn();
  await w.auth.signOut();
  return w;
}

describe('remembered devices against a hostile server', () => {
  /** Answers the TOTP step as the endpoint does, then lets `edit` change its answer. */
  const editTokens = (w: ReturnType<typeof world>, edit: (r: Record<string, unknown>) => void) =>
    w.override.set('RespondToAuthChallenge', async (body) => {
      if (body['ChallengeName'] !== 'SOFTWARE_TOKEN_MFA') return undefined;
      const out = await w.endpoint.handle('RespondToAuthChallenge', body);
      const result = (out.body as { AuthenticationResult?: Record<string, unknown> }).AuthenticationResult;
      if (result) {
        w.issued.push(String(result['RefreshToken']));
        edit(result);
      }
      return out;
    });

  it.each([
    ['a 500 twice', { status: 500, body: { __type: 'InternalErrorException', message: 'boom' } }],
    [
      'a 400 quoting nothing useful',
      { status: 400, body: { __type: 'InvalidParameterException', message: 'x'.repeat(5000) } },
    ],
  ])('ConfirmDevice answering %s: signed in, no record kept, no token lost', async (_, answer) => {
    const w = world({ remember: 'always' });
    w.override.set('ConfirmDevice', () => answer);
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.auth.getSession()?.username).toBe(ALICE.userId);
    expect(w.storage.getItem(w.keyOf(ALICE.userId))).toBeNull();
    expect(w.orphans()).toEqual([]);
  });

  it('ConfirmDevice answering 200 with an HTML page (not JSON): signed in, no record kept', async () => {
    const w = world({ remember: 'always' });
    w.raw.set('ConfirmDevice', '<html>gateway says hi</html>');
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.auth.getSession()?.username).toBe(ALICE.userId);
    expect(w.storage.getItem(w.keyOf(ALICE.userId))).toBeNull();
  });

  // Only ConfirmDevice's own answer confirms a device: a JSON object (the transport refuses a 200
  // whose JSON is not one), `UserConfirmationNecessary` a boolean when present. Else no record.
  it.each([
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"ok"'],
    ['null', 'null'],
  ])('ConfirmDevice answering 200 with %s: no record kept', async (_, text) => {
    const w = world({ remember: 'always' });
    w.raw.set('ConfirmDevice', text);
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.storage.getItem(w.keyOf(ALICE.userId))).toBeNull();
  });

  // The device's 2 s does not fit a step bounded below it: the step times out, and the tokens that
  // come once ConfirmDevice gives up are revoked (docs/sign-out.md row 40).
  it('ConfirmDevice that hangs with remoteStepMs below 2 s: the answer times out, and no refresh token is lost', async () => {
    const w = world({ remember: 'always', timeouts: { remoteStepMs: 1000 } });
    w.hanging.add('ConfirmDevice');
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    expect(await w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e)).toMatchObject({ code: 'Timeout' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(w.orphans()).toEqual([]);
  });

  it.each([
    ['a huge DeviceKey', { DeviceKey: 'k'.repeat(100_000), DeviceGroupKey: 'g' }],
    ['a huge DeviceGroupKey', { DeviceKey: 'eu-west-1_k', DeviceGroupKey: 'g'.repeat(100_000) }],
    ['non-string fields', { DeviceKey: 42, DeviceGroupKey: { x: 1 } }],
    ['an array', ['eu-west-1_k', 'g']],
    ['a string', 'eu-west-1_k'],
  ])('NewDeviceMetadata with %s: no ConfirmDevice, signed in, nothing stored', async (_, metadata) => {
    const w = world({ remember: 'always' });
    editTokens(w, (r) => {
      r['NewDeviceMetadata'] = metadata;
    });
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.calls()).not.toContain('ConfirmDevice');
    expect(w.auth.getSession()?.username).toBe(ALICE.userId);
    expect(memoryKeys(w).filter((k) => k.includes('.device.'))).toEqual([]);
  });

  const N_HEX =
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF';
  const hostileVerifier = async (edit: Record<string, unknown>) => {
    const w = await remembered({ timeouts: { remoteStepMs: 3000 } });
    const record = JSON.parse(String(w.storage.getItem(w.keyOf(ALICE.userId))));
    w.override.set('RespondToAuthChallenge', async (body) => {
      if (body['ChallengeName'] !== 'DEVICE_SRP_AUTH') return undefined;
      const out = await w.endpoint.handle('RespondToAuthChallenge', body);
      const p = (out.body as { ChallengeParameters: Record<string, unknown> }).ChallengeParameters;
      Object.assign(p, edit);
      return out;
    });
    const started = Date.now();
    const outcome = await w.auth.signIn({ username: ALICE.email, password: ALICE.password }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3500);
    expect(seen(w, outcome)).not.toContain(record.devicePassword);
    return { w, outcome };
  };

  it.each([
    ['SRP_B = 0', { SRP_B: '0' }],
    ['SRP_B = N', { SRP_B: N_HEX }],
    ['SRP_B = 2N', { SRP_B: (BigInt(`0x${N_HEX}`) * 2n).toString(16) }],
    ['no SALT', { SALT: undefined }],
    ['SRP_B not hex', { SRP_B: 'zz-not-hex' }],
  ])(
    'DEVICE_PASSWORD_VERIFIER with %s: a typed AuthError (Service) within the bound, no proof sent, no device password in it',
    async (_, edit) => {
      const { w, outcome } = await hostileVerifier(edit);
      expect(outcome).toMatchObject({ name: 'AuthError', code: 'Service' });
      expect(w.calls()).not.toContain('RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER');
      expect(w.auth.state).toBe('signedOut');
    },
  );

  it.each([
    ['a huge SRP_B (200k hex digits)', { SRP_B: 'f'.repeat(200_000) }],
    ['a huge SALT and SECRET_BLOCK', { SALT: 'a'.repeat(200_000), SECRET_BLOCK: 'QUFB'.repeat(50_000) }],
  ])(
    'DEVICE_PASSWORD_VERIFIER with %s (well-formed, wrong): the proof the server refuses drops the device, the sign-in goes on (MFA), within the bound',
    async (_, edit) => {
      const { w, outcome } = await hostileVerifier(edit);
      expect(outcome).toEqual({ status: 'challenge', challenge: 'totpCode' });
      expect(w.storage.getItem(w.keyOf(ALICE.userId))).toBeNull();
    },
  );

  const selectWith = (available: unknown) => {
    const w = world();
    w.override.set('InitiateAuth', () => ({
      status: 200,
      body: {
        ChallengeName: 'SELECT_CHALLENGE',
        Session: 'sel',
        AvailableChallenges: available,
        ChallengeParameters: {},
      },
    }));
    return w;
  };

  // SELECT_CHALLENGE's answer is one of `options`, exactly (docs/guide.md): without a list there is
  // nothing to choose from, a Service error, and no unchecked answer is ever sent.
  it.each([
    ['a string', 'PASSWORD'],
    ['null', null],
    ['an object', { 0: 'PASSWORD' }],
    ['absent', undefined],
  ])(
    'SELECT_CHALLENGE with AvailableChallenges %s: signIn rejects Service, nothing more is sent',
    async (_, available) => {
      const w = selectWith(available);
      await expect(w.auth.signIn({ username: ALICE.email })).rejects.toMatchObject({ code: 'Service' });
      expect(w.arrived).toEqual(['InitiateAuth:']);
      expect(w.auth.state).toBe('signedOut');
    },
  );

  it('SELECT_CHALLENGE with non-strings and unknown names: options keeps the strings only; an unknown name offered is passed on as offered', async () => {
    const w = selectWith([1, null, { a: 1 }, 'PASSWORD', 'FUTURE_FACTOR']);
    expect(await w.auth.signIn({ username: ALICE.email })).toEqual({
      status: 'challenge',
      challenge: 'selectChallenge',
      options: ['PASSWORD', 'FUTURE_FACTOR'],
    });
    await expect(w.auth.confirmSignIn('EMAIL_OTP')).rejects.toMatchObject({ code: 'InvalidInput' });
  });

  it('SELECT_CHALLENGE with 10k entries: signIn settles at once with string options (no hang, no crash); an answer not offered is refused', async () => {
    const w = selectWith(Array.from({ length: 10_000 }, (_, i) => `F${i}`));
    const first = await within(w.auth.signIn({ username: ALICE.email }), 2000);
    expect(first).toMatchObject({ ok: { challenge: 'selectChallenge' } });
    expect(w.auth.state).toBe('signingIn.challenged.challengeSelectionRequired');
    await expect(w.auth.confirmSignIn('NOPE')).rejects.toMatchObject({ code: 'InvalidInput' });
  });
});

const memoryKeys = (w: ReturnType<typeof world>) => (w.storage as ReturnType<typeof memoryStorage>).keys();
