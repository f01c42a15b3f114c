/**
 * Remembered devices with USER_AUTH and with several users on one device storage, through the public
 * API (docs/cognito.md "Remembered devices", docs/guide.md "Sign-in without a password"): device SRP
 * after USER_AUTH's password factors, record keys that collide with other keys, and a record that is
 * one user's (its owner) whatever name found it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStorage } from '../../src/index.js';
import { ALICE, world } from '../helpers/device-probe-world.js';

afterEach(() => vi.restoreAllMocks());

/** A signed-in-then-signed-out world whose next sign-in uses the remembered device. */
async function remembered(opts: Parameters<typeof world>[0] = {}) {
  const w = world({ remember: 'always', ...opts });
  await w.signIn();
  await w.auth.signOut();
  return w;
}

describe('device SRP inside USER_AUTH', () => {
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

describe('one device storage, several users: keys and owners', () => {
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

  // The record is one user's: its owner is Cognito's own username. Before Cognito names the user,
  // only the typed name can find a record (InitiateAuth carries its key); once Cognito names another
  // user (DEVICE_SRP_AUTH's USERNAME, USER_ID_FOR_SRP), that record is neither proven nor dropped:
  // the sign-in starts again without it, and the first user's record stays.
  it('an e-mail alias that moved to another user: once Cognito names that user, it never sends the first user’s device key, and the first user’s record is kept', async () => {
    const device = memoryStorage();
    const a = world({ remember: 'always', deviceStorage: device, authFlow: 'USER_PASSWORD_AUTH' });
    await a.signIn();
    const alice = JSON.parse(String(device.getItem(a.keyOf(ALICE.userId))));
    expect(alice.owner).toBe(ALICE.userId);
    await a.auth.signOut();
    const carol = { userId: 'uuid-carol', email: ALICE.email, password: 'Carol-Pass-5', totpCode: '999000' };
    const c = world({ remember: 'always', deviceStorage: device, user: carol, authFlow: 'USER_PASSWORD_AUTH' });
    expect(await c.signIn()).toEqual({ mfa: true });
    // Only the first InitiateAuth, sent before Cognito named carol, carries the typed name's key.
    expect(c.calls()[0]).toBe('InitiateAuth');
    expect(JSON.stringify(c.endpoint.calls.slice(1))).not.toContain(alice.deviceKey);
    expect(JSON.parse(String(device.getItem(a.keyOf(ALICE.userId))))?.deviceKey).toBe(alice.deviceKey);
    // The alias is carol's now, and so is its record; alice still signs in with her device.
    expect(JSON.parse(String(device.getItem(a.keyOf(ALICE.email))))?.owner).toBe(carol.userId);
    expect(await a.signIn(a.auth, ALICE.userId)).toEqual({ mfa: false });
  });

  it('the typed name and Cognito’s own: either finds the record (SRP), and the record names exactly those two', async () => {
    const w = await remembered();
    const record = JSON.parse(String(w.storage.getItem(w.keyOf(ALICE.userId))));
    expect(record.names.sort()).toEqual([ALICE.email, ALICE.userId].sort());
    expect(await w.signIn(w.auth, ALICE.userId)).toEqual({ mfa: false });
  });
});
