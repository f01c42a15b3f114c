/**
 * Probes of remembered devices and USER_AUTH, part 2: races (3) and a hostile server (4). Part 1,
 * devices-user-auth.probe.test.ts: device SRP inside USER_AUTH, storage faults, key collisions.
 * A passing probe guards a rule; an `it.fails` probe is a finding: its comment says what was
 * observed, where the cause is, and a suggested fix.
 */
import { describe, expect, it, vi } from 'vitest';
import { forgetDevice } from '../../src/account/index.js';
import { memoryStorage } from '../../src/index.js';
import { ALICE, CLIENT_ID, seen, within, world } from '../helpers/device-probe-world.js';
import { PASSWORD, registerDirectly, USERNAME, userAuthWorld } from '../helpers/user-auth-world.js';

const arrivedAt = (w: ReturnType<typeof world>, key: string) =>
  vi.waitFor(() => expect(w.arrived).toContain(key), { timeout: 3000, interval: 5 });

/** A signed-in-then-signed-out world whose next sign-in uses the remembered device. */
async function remembered(opts: Parameters<typeof world>[0] = {}) {
  const w = world({ remember: 'always', ...opts });
  await w.signIn();
  await w.auth.signOut();
  return w;
}

describe('probe 3: races', () => {
  // FINDING (high). signOut() while ConfirmDevice runs loses the sign-in's refresh token: observed,
  // Cognito had issued tokens for the TOTP answer; signOut() aborts the step, confirmSignIn rejects
  // Cancelled and signOut resolves `complete`, but no RevokeToken is sent for the issued refresh
  // token, which nobody holds (alive at Cognito until it expires). Expected (docs/sign-out.md row 14):
  // "if its tokens had come … RevokeToken for them". Cause: the tokens exist only inside
  // src/adapters/cognito/flows.ts:218 (`await confirm(...)` before `return step`): the chart never sees
  // them, and src/machines/auth.slots.ts:63 drops a late outcome. Fix: answer the tokens first and
  // confirm the device after (outside the sign-in's abort), or on abort revoke the refresh token
  // the step holds (`revokeOnStop` as saveSession does).
  it.fails('signOut() during ConfirmDevice: the sign-in rejects Cancelled, signOut completes, and the issued refresh token is revoked (none lost)', async () => {
    const w = world({ remember: 'always' });
    w.hanging.add('ConfirmDevice');
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e);
    await arrivedAt(w, 'ConfirmDevice:');
    expect(await w.auth.signOut()).toMatchObject({ status: 'complete' });
    expect(await answer).toMatchObject({ code: 'Cancelled' });
    await vi.waitFor(() => expect(w.orphans()).toEqual([]), { timeout: 3000 });
  });

  it('signOut() during ConfirmDevice: the observed part that holds (Cancelled, complete, signedOut, nothing stored)', async () => {
    const w = world({ remember: 'always' });
    w.hanging.add('ConfirmDevice');
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e);
    await arrivedAt(w, 'ConfirmDevice:');
    expect(await w.auth.signOut()).toMatchObject({ status: 'complete' });
    expect(await answer).toMatchObject({ code: 'Cancelled' });
    expect(w.auth.state).toBe('signedOut');
    expect(w.storage.getItem(`authchart.${CLIENT_ID}.session`)).toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect(w.storage.getItem(w.keyOf(w.user.userId))).toBeNull(); // the aborted ConfirmDevice keeps no record
  });

  // FINDING (high), the same cause as the one above: stop() while ConfirmDevice runs. Observed: no
  // RevokeToken, the issued refresh token an orphan. Expected (row 25 / saveSession's revokeIfStopped):
  // a sign-in that stop() cuts off revokes the refresh token it got.
  it.fails('stop() during ConfirmDevice: the sign-in settles and the issued refresh token is revoked (none lost)', async () => {
    const w = world({ remember: 'always' });
    w.hanging.add('ConfirmDevice');
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e);
    await arrivedAt(w, 'ConfirmDevice:');
    w.auth.stop();
    expect(await within(answer, 3000)).not.toBe('pending');
    await vi.waitFor(() => expect(w.orphans()).toEqual([]), { timeout: 3000 });
  });

  it.each(['DEVICE_SRP_AUTH', 'DEVICE_PASSWORD_VERIFIER'])(
    'signOut() during %s: the sign-in rejects Cancelled, signOut completes, signedOut, no tokens issued, the record kept',
    async (step) => {
      const w = await remembered();
      const record = w.storage.getItem(w.keyOf(w.user.userId));
      w.hanging.add(`RespondToAuthChallenge:${step}`);
      const signIn = w.auth.signIn({ username: w.user.email, password: w.user.password }).catch((e: unknown) => e);
      await arrivedAt(w, `RespondToAuthChallenge:${step}`);
      expect(await w.auth.signOut()).toMatchObject({ status: 'complete' });
      expect(await signIn).toMatchObject({ code: 'Cancelled' });
      expect(w.auth.state).toBe('signedOut');
      expect(w.orphans()).toEqual([]);
      expect(w.storage.getItem(w.keyOf(w.user.userId))).toBe(record);
    },
  );

  it('stop() during DEVICE_SRP_AUTH: the sign-in settles at once, nothing issued, the record kept', async () => {
    const w = await remembered();
    const record = w.storage.getItem(w.keyOf(w.user.userId));
    w.hanging.add('RespondToAuthChallenge:DEVICE_SRP_AUTH');
    const signIn = w.auth.signIn({ username: w.user.email, password: w.user.password }).catch((e: unknown) => e);
    await arrivedAt(w, 'RespondToAuthChallenge:DEVICE_SRP_AUTH');
    w.auth.stop();
    expect(await within(signIn, 1000)).toMatchObject({ ok: { code: 'Cancelled' } });
    expect(w.orphans()).toEqual([]);
    expect(w.storage.getItem(w.keyOf(w.user.userId))).toBe(record);
  });

  it.each(['signOut', 'stop'] as const)(
    '%s() during the passkey prompt: the prompt is aborted, the sign-in rejects Cancelled',
    async (how) => {
      const w = userAuthWorld();
      await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
      await registerDirectly(w);
      let aborted: AbortSignal | undefined;
      w.authenticator.get = (_request, signal) => {
        aborted = signal;
        return new Promise<string>(() => {});
      };
      const signIn = w.auth.signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' }).catch((e: unknown) => e);
      await vi.waitFor(() => expect(w.auth.state).toBe('signingIn.challenged.passkey'));
      if (how === 'signOut') expect(await w.auth.signOut()).toMatchObject({ status: 'complete' });
      else w.auth.stop();
      expect(await within(signIn, 1000)).toMatchObject({ ok: { code: 'Cancelled' } });
      expect(aborted?.aborted).toBe(true);
      if (how === 'signOut') expect(w.auth.state).toBe('signedOut');
    },
  );

  it('two instances, one device storage, the same user signing in at once: both signed in; the record kept is one whole device that a third instance then uses (no MFA)', async () => {
    const device = memoryStorage();
    const a = world({ remember: 'always', deviceStorage: device });
    const b = world({ remember: 'always', deviceStorage: device, endpoint: a.endpoint });
    const [ra, rb] = await Promise.all([a.signIn(), b.signIn()]);
    expect([ra, rb]).toEqual([{ mfa: true }, { mfa: true }]);
    const byId = JSON.parse(String(device.getItem(a.keyOf(ALICE.userId))));
    expect(JSON.parse(String(device.getItem(a.keyOf(ALICE.email))))).toEqual(byId);
    const c = world({ remember: 'always', deviceStorage: device, endpoint: a.endpoint });
    expect(await c.signIn()).toEqual({ mfa: false });
    // Both earlier sessions still refresh with their own device's key.
    await a.auth.fetchTokens({ forceRefresh: true });
    await b.auth.fetchTokens({ forceRefresh: true });
  });

  it('two instances, one device storage, two users signing in at once: each record names only its user, and each user’s next sign-in uses only its own device', async () => {
    const device = memoryStorage();
    const BOB = { userId: 'uuid-bob', email: 'bob@example.com', password: 'Bob-Pass-77', totpCode: '135790' };
    const a = world({ remember: 'always', deviceStorage: device });
    const b = world({ remember: 'always', deviceStorage: device, user: BOB });
    await Promise.all([a.signIn(), b.signIn()]);
    const alice = JSON.parse(String(device.getItem(a.keyOf(ALICE.userId))));
    const bob = JSON.parse(String(device.getItem(a.keyOf(BOB.userId))));
    expect(alice.names.sort()).toEqual([ALICE.email, ALICE.userId].sort());
    expect(bob.names.sort()).toEqual([BOB.email, BOB.userId].sort());
    await Promise.all([a.auth.signOut(), b.auth.signOut()]);
    expect(await Promise.all([a.signIn(), b.signIn()])).toEqual([{ mfa: false }, { mfa: false }]);
    expect(JSON.stringify(b.endpoint.calls)).not.toContain(alice.deviceKey);
    expect(JSON.stringify(a.endpoint.calls)).not.toContain(bob.deviceKey);
  });

  it('forgetDevice() in one instance while another’s sign-in is proving that device: forgetDevice resolves; the sign-in drops the device and goes on (MFA asked), then keeps a new one', async () => {
    const device = memoryStorage();
    const a = world({ remember: 'always', deviceStorage: device });
    await a.signIn();
    const old = JSON.parse(String(device.getItem(a.keyOf(ALICE.userId)))).deviceKey;
    const b = world({ remember: 'always', deviceStorage: device, endpoint: a.endpoint });
    let release = () => {};
    b.gates.set('RespondToAuthChallenge:DEVICE_SRP_AUTH', new Promise<void>((r) => (release = r)));
    const signIn = b.auth.signIn({ username: ALICE.email, password: ALICE.password });
    await arrivedAt(b, 'RespondToAuthChallenge:DEVICE_SRP_AUTH');
    await forgetDevice(a.auth);
    expect(device.getItem(a.keyOf(ALICE.userId))).toBeNull();
    release();
    expect(await signIn).toMatchObject({ status: 'challenge', challenge: 'totpCode' });
    expect(await b.auth.confirmSignIn(ALICE.totpCode)).toEqual({ status: 'signedIn' });
    const now = JSON.parse(String(device.getItem(a.keyOf(ALICE.userId)))).deviceKey;
    expect(now).not.toBe(old);
    expect(a.endpoint.devices.has(now)).toBe(true);
  });
});

describe('probe 4: a hostile server', () => {
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

  // FINDING (low). ConfirmDevice answering 200 with JSON that is not an object (`[1,2]`, `"ok"`,
  // `null`) counts as a confirmed device: observed, the record is stored (remembered: false) for a
  // device Cognito never confirmed; every later sign-in sends that DEVICE_KEY and the device is
  // never confirmed again (no new NewDeviceMetadata while Cognito knows the key). Expected: an
  // answer that is not ConfirmDevice's shape is a failed ConfirmDevice: no record. Cause:
  // src/adapters/cognito/index.ts:102-103 (`null` becomes `{}`; an array or string passes as the
  // answer), and src/adapters/cognito/devices.ts:201-217 (any answer is taken as confirmed). Fix: in `confirm`,
  // require an object answer (and `UserConfirmationNecessary` boolean when present), else treat it
  // as a failed ConfirmDevice.
  it.fails.each([
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"ok"'],
    ['null', 'null'],
  ])('ConfirmDevice answering 200 with %s: no record kept', async (_, text) => {
    const w = world({ remember: 'always' });
    w.raw.set('ConfirmDevice', text);
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.storage.getItem(w.keyOf(ALICE.userId))).toBeNull();
  });

  // FINDING (high). ConfirmDevice's 2 s allowance is fixed, not derived from `remoteStepMs`: with
  // `timeouts: { remoteStepMs: 1000 }` a ConfirmDevice that does not answer outlives the step's bound.
  // Observed: confirmSignIn rejects Timeout at 1 s, the chart goes back to totpCodeRequired (its
  // Cognito session already spent), and the refresh token Cognito issued is held by nobody.
  // Expected (docs/cognito.md): "it runs inside the sign-in's bound (remoteStepMs) … a slow one must
  // cost the device, never the sign-in". Cause: src/adapters/cognito/devices.ts:198 (`CONFIRM_DEVICE_MS`
  // = 2000, a constant) with flows.ts:218 awaiting it before the tokens are answered. Fix: answer the
  // tokens first and confirm after (outside the step), or bound ConfirmDevice by a fraction of the
  // remaining step time passed down from the chart.
  it.fails('ConfirmDevice that hangs with remoteStepMs below 2 s: still signed in, no refresh token lost', async () => {
    const w = world({ remember: 'always', timeouts: { remoteStepMs: 1000 } });
    w.hanging.add('ConfirmDevice');
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    expect(await w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e)).toEqual({ status: 'signedIn' });
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

  // FINDING (low). SELECT_CHALLENGE whose AvailableChallenges is not an array: observed, signIn
  // answers `{ challenge: 'selectChallenge' }` with no `options`, and confirmSignIn('ANYTHING') is
  // sent to Cognito as the choice (the "one of options, exactly" check is skipped when options is
  // absent). Expected (docs/guide.md: the answer is "one of `options`, exactly"): a Service error at
  // signIn (a choice with nothing to choose), or an answer not offered rejected InvalidInput with
  // nothing sent. Cause: src/adapters/cognito/flows.ts:241 (`Array.isArray(choices)` else no options)
  // and :333 (`challenge.options &&` skips the check). Fix: for SELECT_CHALLENGE require an array
  // (else AuthError Service), or treat a missing list as [] so no answer is accepted.
  it.fails('SELECT_CHALLENGE with AvailableChallenges not an array: no answer outside the offered ones is sent', async () => {
    const w = selectWith('PASSWORD');
    const first = await w.auth.signIn({ username: ALICE.email }).catch((e: unknown) => e);
    if (first instanceof Error) return expect(first).toMatchObject({ code: 'Service' });
    const before = w.endpoint.calls.length + w.arrived.length;
    await expect(w.auth.confirmSignIn('ANYTHING')).rejects.toMatchObject({ code: 'InvalidInput' });
    expect(w.endpoint.calls.length + w.arrived.length).toBe(before);
  });

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
