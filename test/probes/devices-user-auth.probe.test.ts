/**
 * Probes of remembered devices and USER_AUTH through the public API, as a hostile user, storage or
 * server would drive them (docs/cognito.md "Remembered devices", docs/guide.md "Sign-in without a
 * password", docs/sign-out.md rows 14, 34–35). A passing probe guards a rule; an `it.fails` probe is
 * a finding: its comment says what was observed, where the cause is, and a suggested fix.
 * Probes 1, 2 and 5 here; races (3) and the hostile server (4): devices-user-auth-2.probe.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { forgetDevice } from '../../src/account/index.js';
import { isAuthError, memoryStorage } from '../../src/index.js';
import { ALICE, faultyStorage, seen, within, world } from '../helpers/device-probe-world.js';

afterEach(() => vi.restoreAllMocks());

/** A signed-in-then-signed-out world whose next sign-in uses the remembered device. */
async function remembered(opts: Parameters<typeof world>[0] = {}) {
  const w = world({ remember: 'always', ...opts });
  await w.signIn();
  await w.auth.signOut();
  return w;
}

describe('probe 1: device SRP inside USER_AUTH PASSWORD_SRP', () => {
  it('a remembered device, then signIn({ password, authFlow: USER_AUTH }): DEVICE_SRP_AUTH after PASSWORD_VERIFIER is answered with a proof the server checks; signed in without MFA, the device key sent', async () => {
    const w = world({ remember: 'always' });
    expect(await w.signIn()).toEqual({ mfa: true });
    const record = JSON.parse(String(w.storage.getItem(w.keyOf(w.user.userId))));
    await w.auth.signOut();
    const before = w.endpoint.calls.length;
    expect(await w.signIn(w.auth, w.user.email, { authFlow: 'USER_AUTH' })).toEqual({ mfa: false });
    const sent = w.endpoint.calls.slice(before);
    expect(sent.map((c) => c.body['ChallengeName'] ?? c.body['AuthParameters'])).toEqual([
      expect.objectContaining({ PREFERRED_CHALLENGE: 'PASSWORD_SRP', DEVICE_KEY: record.deviceKey }),
      'PASSWORD_VERIFIER',
      'DEVICE_SRP_AUTH',
      'DEVICE_PASSWORD_VERIFIER',
    ]);
    for (const c of sent.slice(1)) expect(c.body['ChallengeResponses']).toMatchObject({ DEVICE_KEY: record.deviceKey });
    expect(w.auth.getSession()?.username).toBe(w.user.userId);
    // The tokens are the device's: a refresh sends its key and the endpoint honours it.
    await w.auth.fetchTokens({ forceRefresh: true });
    expect(w.endpoint.calls.at(-1)?.body['AuthParameters']).toMatchObject({ DEVICE_KEY: record.deviceKey });
    expect(JSON.stringify(w.endpoint.calls)).not.toContain(w.user.password);
  });

  it('USER_AUTH with PASSWORD chosen at SELECT_CHALLENGE, then DEVICE_SRP_AUTH: answered, signed in without MFA', async () => {
    const w = world({ remember: 'always' });
    await w.signIn();
    await w.auth.signOut();
    // SELECT_CHALLENGE first (the endpoint has none: answered here), then PASSWORD via the endpoint.
    w.override.set('InitiateAuth', (body) =>
      (body['AuthParameters'] as Record<string, string>)['PREFERRED_CHALLENGE']
        ? undefined
        : {
            status: 200,
            body: {
              ChallengeName: 'SELECT_CHALLENGE',
              Session: 'sel',
              AvailableChallenges: ['PASSWORD'],
              ChallengeParameters: {},
            },
          },
    );
    w.override.set('RespondToAuthChallenge', async (body) => {
      if (body['ChallengeName'] !== 'SELECT_CHALLENGE') return undefined;
      const r = body['ChallengeResponses'] as Record<string, string>;
      return w.endpoint.handle('InitiateAuth', {
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: body['ClientId'],
        AuthParameters: { USERNAME: r['USERNAME'], PASSWORD: r['PASSWORD'], DEVICE_KEY: r['DEVICE_KEY'] },
      });
    });
    expect(await w.auth.signIn({ username: w.user.email })).toMatchObject({ challenge: 'selectChallenge' });
    expect(w.auth.state).toBe('signingIn.challenged.challengeSelectionRequired');
    expect(await w.auth.confirmSignIn('PASSWORD')).toMatchObject({ challenge: 'password' });
    expect(w.auth.state).toBe('signingIn.challenged.passwordRequired');
    expect(await w.auth.confirmSignIn(w.user.password)).toEqual({ status: 'signedIn' });
    expect(w.calls().slice(-2)).toEqual([
      'RespondToAuthChallenge:DEVICE_SRP_AUTH',
      'RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER',
    ]);
  });
});

describe('probe 2: faults in the device record storage', () => {
  const setUp = async (remember: 'always' | 'optIn' = 'always') => {
    const device = faultyStorage();
    const w = world({ remember, deviceStorage: device.storage, timeouts: { remoteStepMs: 1500, storageMs: 1500 } });
    return { w, device };
  };
  const noSecret = (w: ReturnType<typeof world>, password: string | undefined, ...more: unknown[]) => {
    const out = seen(w, ...more);
    for (const v of w.endpoint.verifiers) {
      expect(out).not.toContain(v.PasswordVerifier);
      expect(out).not.toContain(v.Salt);
    }
    if (password) expect(out).not.toContain(password);
  };

  it('read throws at sign-in: the sign-in goes on without the device (MFA asked), signed in', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    await w.auth.signOut();
    device.faults.get = 'throw';
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.auth.getSession()?.username).toBe(w.user.userId);
  });

  // FINDING (medium). A device-record read that never answers blocks every sign-in: observed, the
  // sign-in rejects `Timeout` ("Sign-in took too long") after remoteStepMs, InitiateAuth never
  // sent, and so does every later one while that storage hangs; the message does not name the
  // device storage. Expected (docs/cognito.md: a record that cannot be read is no device; options:
  // storageMs bounds each storage step): the read is bounded and the sign-in goes on without the
  // device. Cause: src/adapters/cognito/devices.ts:108 (`await io.storage.getItem` unbounded) reached
  // from flows.ts:150/172 (`withDevice`, before every InitiateAuth). Fix: race the read against a short
  // bound (or the sign-in's signal) and treat a late read as no record.
  it.fails('read hangs at sign-in: the sign-in goes on without the device within the bound (no Timeout)', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    await w.auth.signOut();
    device.faults.get = 'hang';
    const first = await within(w.auth.signIn({ username: w.user.email, password: w.user.password }), 4000);
    expect(first).toEqual({ ok: { status: 'challenge', challenge: 'totpCode' } });
  });

  it('read hangs at sign-in: at least it never hangs past remoteStepMs (rejects Timeout, nothing sent)', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    await w.auth.signOut();
    device.faults.get = 'hang';
    const before = w.endpoint.calls.length;
    const first = await within(w.auth.signIn({ username: w.user.email, password: w.user.password }), 4000);
    expect(first).toMatchObject({ error: { code: 'Timeout' } });
    expect(w.endpoint.calls.length).toBe(before);
    expect(w.auth.state).toBe('signedOut');
  });

  it.each([
    ['not JSON', '{"deviceKey": '],
    ['a number', 7],
    ['an object, not a string', { deviceKey: 'k' }],
    [
      'huge fields',
      JSON.stringify({
        deviceKey: 'k'.repeat(1e5),
        deviceGroupKey: 'g',
        devicePassword: 'p',
        remembered: true,
        names: ['alice@example.com'],
      }),
    ],
    [
      'another user’s record',
      JSON.stringify({
        deviceKey: 'eu-west-1_bob',
        deviceGroupKey: 'g',
        devicePassword: 'cGFzcw==',
        remembered: true,
        names: ['bob', 'uuid-bob'],
      }),
    ],
  ])('read answers garbage (%s): no DEVICE_KEY sent, the record removed, MFA asked, signed in', async (_, value) => {
    const { w, device } = await setUp();
    device.faults.get = { value };
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(JSON.stringify(w.endpoint.calls[0]?.body)).not.toContain('DEVICE_KEY');
    expect(device.seen).toContain(`remove ${w.keyOf(w.user.email)}`);
    expect(w.auth.getSession()?.username).toBe(w.user.userId);
  });

  it('write throws after ConfirmDevice: signed in, no record kept, the device password in no error, event or console line', async () => {
    const { w, device } = await setUp();
    const logs: unknown[] = [];
    for (const m of ['log', 'warn', 'error', 'info', 'debug'] as const)
      vi.spyOn(console, m).mockImplementation((...a) => logs.push(a));
    device.faults.set = 'throw';
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.auth.getSession()?.username).toBe(w.user.userId);
    const written = device.seen.find((s) => s.startsWith('set '));
    const password =
      written && (JSON.parse(written.slice(written.indexOf('=') + 1)) as { devicePassword: string }).devicePassword;
    expect(password).toBeTruthy();
    expect(device.base.getItem(w.keyOf(w.user.userId))).toBeNull();
    noSecret(w, password, logs);
    expect(w.orphans()).toEqual([]);
  });

  // FINDING (high). A device-record write that never answers loses the sign-in's tokens: observed,
  // Cognito issued tokens (and NewDeviceMetadata) for the TOTP answer, ConfirmDevice succeeded, then
  // `setItem` hung; `confirmSignIn` rejects `Timeout` after remoteStepMs, the chart goes back to
  // `totpCodeRequired` (whose Cognito session is spent), and the issued refresh token is held,
  // revoked and reported by nobody (an orphan, alive at Cognito). Expected: ConfirmDevice is
  // "given at most 2 s, then abandoned" (docs/cognito.md) and "the tokens are good without it": the
  // user ends signed in. Cause: src/adapters/cognito/devices.ts:213 (`await write(...)`, :122 `setItem`) and :223
  // (the cleanup's `removeItem`) are outside CONFIRM_DEVICE_MS's abort (:198 only aborts the
  // request); flows.ts:218 awaits `confirm` before answering the tokens. Fix: race the whole of
  // `confirm` (request, write, cleanup) against its 2 s bound, or do not await the write.
  it.fails('write hangs after ConfirmDevice: signed in within the bound, no refresh token lost', async () => {
    const { w, device } = await setUp();
    device.faults.set = 'hang';
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = await within(w.auth.confirmSignIn(w.user.totpCode), 4000);
    expect(answer).toEqual({ ok: { status: 'signedIn' } });
    expect(w.orphans()).toEqual([]);
  });

  it('write hangs after ConfirmDevice: the observed loss (Timeout, a refresh token alive at Cognito that nobody holds)', async () => {
    const { w, device } = await setUp();
    device.faults.set = 'hang';
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = await within(w.auth.confirmSignIn(w.user.totpCode), 4000);
    expect(answer).toMatchObject({ error: { code: 'Timeout' } });
    expect(w.auth.getSession()).toBeNull();
    expect(w.orphans()).toHaveLength(1);
  });

  it('forgetDevice with a storage whose remove throws: ForgetDevice done, rejects StorageFailure without the device password, the session stays', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    const record = JSON.parse(String(device.base.getItem(w.keyOf(w.user.userId))));
    device.faults.remove = 'throw';
    const error = await forgetDevice(w.auth).catch((e: unknown) => e);
    expect(isAuthError(error) && error.code).toBe('StorageFailure');
    expect(w.calls()).toContain('ForgetDevice');
    expect(w.auth.state).toMatch(/^signedIn/);
    expect(seen(w, error)).not.toContain(record.devicePassword);
    // The record left behind names a device Cognito forgot: the next sign-in drops it and goes on.
    device.faults.remove = 'pass';
    await w.auth.signOut();
    expect(await w.signIn()).toEqual({ mfa: true });
  });

  // FINDING (medium). forgetDevice over a device storage that never answers never settles:
  // observed, still pending after 4 s although timeouts.storageMs is 1.5 s (ForgetDevice was sent
  // and succeeded). Expected: "nothing hangs past the configured bounds"; the account call rejects
  // StorageFailure/Timeout saying the record may be left. Cause: src/account/devices.ts:52 and :117
  // (`storageStep` has no bound) around src/adapters/cognito/devices.ts:126-129 (`drop`: getItem/
  // removeItem unbounded); the same for rememberDevice's markRemembered (account/devices.ts:78) and
  // the record read at :42. Fix:
  // bound `storageStep` by the instance's storageMs.
  it.fails('forgetDevice with a storage whose remove hangs: settles within storageMs', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    device.faults.remove = 'hang';
    const outcome = await within(forgetDevice(w.auth), 4000);
    expect(outcome).not.toBe('pending');
  });

  it('forgetDevice with a storage whose read answers another user’s record: InvalidState, no ForgetDevice for that device', async () => {
    const { w, device } = await setUp();
    await w.signIn();
    device.faults.get = {
      value: JSON.stringify({
        deviceKey: 'eu-west-1_bob',
        deviceGroupKey: 'g',
        devicePassword: 'cGFzcw==',
        remembered: true,
        names: ['bob'],
      }),
    };
    await expect(forgetDevice(w.auth)).rejects.toMatchObject({ code: 'InvalidState' });
    expect(w.calls()).not.toContain('ForgetDevice');
  });

  it('a device storage apart from the session one, rejecting (async) every call: costs only the device', async () => {
    const device = faultyStorage(memoryStorage());
    device.faults.get = device.faults.set = device.faults.remove = 'reject';
    const w = world({ deviceStorage: device.storage });
    device.faults.get = { value: '{garbage' };
    expect(await w.signIn()).toEqual({ mfa: true });
    device.faults.get = 'reject';
    await w.auth.signOut();
    expect(await w.signIn()).toEqual({ mfa: true });
    expect(w.orphans()).toEqual([]);
  });

  // FINDING (high). A device storage whose removeItem throws synchronously (as localStorage does:
  // SecurityError, a sandboxed frame) fails a sign-in whose tokens Cognito already issued: observed,
  // setItem threw, confirm's cleanup called removeItem, its synchronous throw escaped
  // `Promise.resolve(...).catch`, `confirm` (documented "never throws") threw, and confirmSignIn
  // rejects "Answering the challenge failed: Error: storage refused remove authchart.…device.uuid-alice"
  // (the storage's own message, unredacted), signedOut, the refresh token an orphan.
  // Cause: src/adapters/cognito/devices.ts:223 (`Promise.resolve(io.storage.removeItem(k))` evaluates
  // removeItem outside the promise); the same pattern at :114 (read's removal of a bad record).
  // Fix: `Promise.resolve().then(() => io.storage.removeItem(k)).catch(() => {})`, and wrap all of
  // `confirm` in try/catch so it truly never throws.
  it.fails('write and remove throw synchronously after ConfirmDevice: still signed in, no refresh token lost', async () => {
    const device = faultyStorage(memoryStorage());
    const w = world({ deviceStorage: device.storage });
    device.faults.set = device.faults.remove = 'throw';
    await w.auth.signIn({ username: w.user.email, password: w.user.password });
    const answer = await w.auth.confirmSignIn(w.user.totpCode).catch((e: unknown) => e);
    expect(answer).toEqual({ status: 'signedIn' });
    expect(w.orphans()).toEqual([]);
  });

  // FINDING (medium), same cause at src/adapters/cognito/devices.ts:114: a malformed record and a
  // removeItem that throws synchronously fail every sign-in before anything is sent. Observed:
  // signIn rejects "Sign-in failed: Error: storage refused remove …" (code Service/Unknown), no
  // InitiateAuth. Expected (docs/cognito.md): "A record that is not a well-formed one is taken as
  // none and removed": the sign-in goes on without the device.
  it.fails('a malformed record and a removeItem that throws synchronously: the sign-in goes on without the device', async () => {
    const device = faultyStorage(memoryStorage());
    const w = world({ deviceStorage: device.storage });
    device.faults.get = { value: '{garbage' };
    device.faults.remove = 'throw';
    expect(await w.auth.signIn({ username: w.user.email, password: w.user.password })).toMatchObject({
      challenge: 'totpCode',
    });
  });
});

describe('probe 5: key collisions', () => {
  it.each([['device'], ['deviceKey'], ['a.b'], ['session'], ['x.device.y']])(
    'a user named %s: its record sits under its own key, survives sign-out, is used (no MFA), and the session keys are untouched by it',
    async (name) => {
      const device = memoryStorage();
      const user = { ...ALICE, userId: name, email: `${name}@example.com` };
      const w = world({ remember: 'always', user, deviceStorage: device });
      await w.signIn(w.auth, name);
      expect(device.keys().sort()).toEqual([w.keyOf(name)]);
      await w.auth.signOut();
      expect(device.keys()).toEqual([w.keyOf(name)]);
      expect(await w.signIn(w.auth, name)).toEqual({ mfa: false });
    },
  );

  it('two users whose names differ only by case (a case-sensitive pool), one device storage: neither ever sends the other’s device key', async () => {
    const device = memoryStorage();
    const upper = { ...ALICE, userId: 'uuid-Upper', email: 'Alice@example.com' };
    const lower = { ...ALICE, userId: 'uuid-lower', email: 'alice@example.com', totpCode: '111222' };
    const a = world({ remember: 'always', user: upper, deviceStorage: device });
    const b = world({ remember: 'always', user: lower, deviceStorage: device });
    await a.signIn();
    await b.signIn();
    const keyA = JSON.parse(String(device.getItem(a.keyOf(upper.email)))).deviceKey;
    const keyB = JSON.parse(String(device.getItem(a.keyOf(lower.email)))).deviceKey;
    expect(keyA).not.toBe(keyB);
    await a.auth.signOut();
    await b.auth.signOut();
    expect(await a.signIn()).toEqual({ mfa: false });
    expect(await b.signIn()).toEqual({ mfa: false });
    expect(JSON.stringify(a.endpoint.calls)).not.toContain(keyB);
    expect(JSON.stringify(b.endpoint.calls)).not.toContain(keyA);
  });

  // FINDING (low). An e-mail alias that moved to another user (alice changed her address, carol took
  // it) makes carol's sign-in send alice's DEVICE_KEY, and then destroys alice's device record:
  // observed, InitiateAuth for carol carries alice's DEVICE_KEY; Cognito (this endpoint) asks
  // DEVICE_SRP_AUTH and refuses the unknown device, `prove` falls back to the record under the typed
  // name (alice's), and the DeviceGone drop removes it under every name it holds, alice's Cognito
  // username included: alice's next sign-in asks MFA again. Expected: one user's record is never
  // used for another user. Cause: src/adapters/cognito/devices.ts:105-117 (`read` checks only that
  // the record's names include the typed name) and :146 (`read(who) ?? read(username)`: the typed
  // name's record is used although Cognito named another user, `who`), :179-180 (drop by both).
  // Fix: keep Cognito's own username in the record (`sub`/`username` claim at confirm) and, once
  // Cognito names the user (USER_ID_FOR_SRP / USERNAME), use and drop only a record whose owner is
  // that user; never fall back to the typed name's record in `prove`.
  it.fails('an e-mail alias that moved to another user: that user never sends the first user’s device key, and the first user’s record is kept', async () => {
    const device = memoryStorage();
    const a = world({ remember: 'always', deviceStorage: device, authFlow: 'USER_PASSWORD_AUTH' });
    await a.signIn();
    const alice = JSON.parse(String(device.getItem(a.keyOf(ALICE.userId))));
    await a.auth.signOut();
    const carol = { userId: 'uuid-carol', email: ALICE.email, password: 'Carol-Pass-5', totpCode: '999000' };
    const c = world({ remember: 'always', deviceStorage: device, user: carol, authFlow: 'USER_PASSWORD_AUTH' });
    expect(await c.signIn()).toEqual({ mfa: true });
    expect(JSON.stringify(c.endpoint.calls)).not.toContain(alice.deviceKey);
    expect(JSON.parse(String(device.getItem(a.keyOf(ALICE.userId))))?.deviceKey).toBe(alice.deviceKey);
  });

  it('the typed name and Cognito’s own: either finds the record (SRP), and the record names exactly those two', async () => {
    const w = await remembered();
    const record = JSON.parse(String(w.storage.getItem(w.keyOf(ALICE.userId))));
    expect(record.names.sort()).toEqual([ALICE.email, ALICE.userId].sort());
    expect(await w.signIn(w.auth, ALICE.userId)).toEqual({ mfa: false });
  });
});
