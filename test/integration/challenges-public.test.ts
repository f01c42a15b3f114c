/**
 * The sign-in challenges through the public API (`createAuth` → `signIn` / `confirmSignIn`) on
 * cognito-local, on both transports. cognito-local has no SRP, hence USER_PASSWORD_AUTH.
 * What the chart does with each answer is asserted where the app sees it: the `SignInResult`,
 * the rejection's `code`, `auth.state`, the tokens and what reached storage.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cognitoServices as fetchServices } from '../../src/adapters/cognito/index.js';
import { cognitoServices as sdkServices } from '../../src/adapters/cognito-sdk.js';
import { type Auth, type AuthServices, createAuth, memoryStorage } from '../../src/index.js';
import { createPool, createUser, enableMfa, totp } from '../../tools/cognito-admin.js';
import { adminClient } from '../../tools/embedded-cognito.js';
import { codeSentSince, type SmsCognito, startSmsCognito, wrongCode } from './helpers.js';

type Make = (o: { clientId: string; region: string; endpoint: string; authFlow: 'USER_PASSWORD_AUTH' }) => AuthServices;
const TRANSPORTS: Array<[string, Make]> = [
  ['authchart/cognito (fetch)', fetchServices],
  ['authchart/cognito-sdk', sdkServices],
];
const PASSWORD = 'Correct-Horse-9';
const rejection = (p: Promise<unknown>) =>
  p.then(
    (value) => expect.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (e: unknown) => e,
  );

let sms: SmsCognito | undefined;
beforeAll(async () => {
  sms = await startSmsCognito(PASSWORD);
}, 60_000);
afterAll(async () => {
  await sms?.stop();
});

describe.each(TRANSPORTS)('challenges through createAuth, %s, on cognito-local', (_name, make) => {
  const running: Auth[] = [];
  afterAll(() => {
    for (const auth of running) auth.stop();
  });

  /** An instance on `endpoint` with its own memory storage; no cross-tab sync between test instances. */
  async function authFor(clientId: string, endpoint: string, opts: { challengeMs?: number } = {}) {
    const storage = memoryStorage();
    const auth = createAuth({
      services: make({ clientId, region: 'local', endpoint, authFlow: 'USER_PASSWORD_AUTH' }),
      storage,
      sync: null,
      // cognito-local emits no origin_jti, so `auto` would skip RevokeToken.
      revocation: 'always',
      timeouts: { remoteStepMs: 5000, ...(opts.challengeMs ? { challengeMs: opts.challengeMs } : {}) },
    });
    running.push(auth);
    await auth.ready;
    const ours = () => storage.keys().filter((k) => k.startsWith(`authchart.${clientId}.`));
    return { auth, ours };
  }

  /** A fresh pool on the run's cognito-local; `mfa` turns TOTP on for the user (answers its secret). */
  async function poolWithUser(opts: { temporary?: boolean; totp?: boolean } = {}) {
    const endpoint = inject('cognitoEndpoint');
    const admin = adminClient(endpoint);
    try {
      const { userPoolId, clientId } = await createPool(admin);
      const user = await createUser(admin, userPoolId, {
        password: opts.temporary ? 'Temp-Pass-1' : PASSWORD,
        ...(opts.temporary ? { temporary: true } : {}),
      });
      const secret = opts.totp ? ((await enableMfa(admin, clientId, user, { totp: true })) ?? '') : '';
      return { endpoint, clientId, user: { username: user.username, password: user.password }, secret };
    } finally {
      admin.destroy();
    }
  }

  it('NEW_PASSWORD_REQUIRED: newPassword → confirmSignIn(new) → signedIn, tokens stored; the new password signs in', async () => {
    const { endpoint, clientId, user } = await poolWithUser({ temporary: true });
    const { auth, ours } = await authFor(clientId, endpoint);

    await expect(auth.signIn(user)).resolves.toEqual({ status: 'challenge', challenge: 'newPassword' });
    expect(auth.state).toBe('signingIn.challenged.newPasswordRequired');
    expect(auth.getTokens()).toBeNull();
    expect(ours()).toEqual([]);

    await expect(auth.confirmSignIn('Brand-New-Pass-2')).resolves.toEqual({ status: 'signedIn' });
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    expect(auth.getTokens()).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) });
    expect(auth.getSession()).toMatchObject({ email: user.username, signedInWith: 'password' });
    expect(ours().length).toBeGreaterThan(0);

    // cognito-local's RespondToAuthChallenge does not record the refresh token it issues, so its
    // RevokeToken refuses it (NotAuthorized, `partial`); Cognito revokes it. The local clear is what counts here.
    await expect(auth.signOut()).resolves.toMatchObject({ signedOutLocally: true, steps: { clearCache: 'done' } });
    expect(ours()).toEqual([]);
    // The temporary password is gone; the new one signs in with no challenge.
    expect(await rejection(auth.signIn(user))).toMatchObject({ code: 'NotAuthorized' });
    await expect(auth.signIn({ username: user.username, password: 'Brand-New-Pass-2' })).resolves.toEqual({
      status: 'signedIn',
    });
  });

  it('SOFTWARE_TOKEN_MFA: a wrong TOTP rejects CodeMismatch and waits again; the right one signs in', async () => {
    const { endpoint, clientId, user, secret } = await poolWithUser({ totp: true });
    const { auth, ours } = await authFor(clientId, endpoint);

    await expect(auth.signIn(user)).resolves.toEqual({ status: 'challenge', challenge: 'totpCode' });
    expect(auth.state).toBe('signingIn.challenged.totpCodeRequired');

    expect(await rejection(auth.confirmSignIn(wrongCode(totp(secret))))).toMatchObject({ code: 'CodeMismatch' });
    expect(auth.state).toBe('signingIn.challenged.totpCodeRequired');
    expect(ours()).toEqual([]);

    await expect(auth.confirmSignIn(totp(secret))).resolves.toEqual({ status: 'signedIn' });
    expect(auth.getSnapshot().status).toBe('signedIn');
    expect(auth.getTokens()?.accessToken).toEqual(expect.any(String));
    expect(ours().length).toBeGreaterThan(0);
  });

  it('SMS_MFA: smsCode with a destination; a wrong code rejects CodeMismatch; the code cognito-local sent signs in', async () => {
    const s = sms!;
    const { auth } = await authFor(s.clientId, s.cognito.endpoint);
    const mark = s.cognito.output().length;

    const result = await auth.signIn(s.smsUser);
    expect(result).toEqual({ status: 'challenge', challenge: 'smsCode', destination: expect.any(String) });
    expect(auth.state).toBe('signingIn.challenged.smsCodeRequired');
    const code = await codeSentSince(s.cognito, mark);

    expect(await rejection(auth.confirmSignIn(wrongCode(code)))).toMatchObject({ code: 'CodeMismatch' });
    expect(auth.state).toBe('signingIn.challenged.smsCodeRequired');
    await expect(auth.confirmSignIn(code)).resolves.toEqual({ status: 'signedIn' });
    expect(auth.getSession()).toMatchObject({ email: s.smsUser.username });
  });

  it('SELECT_MFA_TYPE: selectMfa with both options → SOFTWARE_TOKEN_MFA → totpCode → signedIn', async () => {
    const s = sms!;
    const { auth } = await authFor(s.clientId, s.cognito.endpoint);

    const select = await auth.signIn(s.bothUser);
    expect(select).toMatchObject({ status: 'challenge', challenge: 'selectMfa' });
    expect(select.status === 'challenge' && [...(select.options ?? [])].sort()).toEqual([
      'SMS_MFA',
      'SOFTWARE_TOKEN_MFA',
    ]);
    expect(auth.state).toBe('signingIn.challenged.mfaSelectionRequired');

    await expect(auth.confirmSignIn('SOFTWARE_TOKEN_MFA')).resolves.toEqual({
      status: 'challenge',
      challenge: 'totpCode',
    });
    expect(auth.state).toBe('signingIn.challenged.totpCodeRequired');
    await expect(auth.confirmSignIn(totp(s.totpSecret))).resolves.toEqual({ status: 'signedIn' });
    expect(auth.getSession()).toMatchObject({ email: s.bothUser.username });
  });

  it('a selectMfa answer not in options rejects InvalidInput and keeps the challenge', async () => {
    const s = sms!;
    const { auth } = await authFor(s.clientId, s.cognito.endpoint);
    await auth.signIn(s.bothUser);
    expect(await rejection(auth.confirmSignIn('VOICE'))).toMatchObject({ code: 'InvalidInput' });
    expect(auth.state).toBe('signingIn.challenged.mfaSelectionRequired');
    await expect(auth.confirmSignIn('SOFTWARE_TOKEN_MFA')).resolves.toMatchObject({ challenge: 'totpCode' });
  });

  it('a sign-out during a challenge cancels it: complete, nothing stored, then confirmSignIn is InvalidState', async () => {
    const { endpoint, clientId, user, secret } = await poolWithUser({ totp: true });
    const { auth, ours } = await authFor(clientId, endpoint);
    const signedOut: string[] = [];
    auth.on('signedOut', ({ reason }) => signedOut.push(reason));

    await expect(auth.signIn(user)).resolves.toMatchObject({ status: 'challenge', challenge: 'totpCode' });
    await expect(auth.signOut()).resolves.toMatchObject({ status: 'complete', signedOutLocally: true });
    expect(auth.state).toBe('signedOut');
    expect(signedOut).toEqual(['signInCancelled']);
    expect(ours()).toEqual([]);
    expect(auth.getTokens()).toBeNull();

    expect(await rejection(auth.confirmSignIn(totp(secret)))).toMatchObject({ code: 'InvalidState' });
    expect(auth.state).toBe('signedOut');
    expect(ours()).toEqual([]);
  });

  it('an unanswered challenge expires after timeouts.challengeMs: Expired, back to signedOut', async () => {
    const { endpoint, clientId, user, secret } = await poolWithUser({ totp: true });
    const { auth, ours } = await authFor(clientId, endpoint, { challengeMs: 300 });
    const failures: string[] = [];
    auth.on('signInFailed', ({ error }) => failures.push(error.code));

    await expect(auth.signIn(user)).resolves.toMatchObject({ status: 'challenge', challenge: 'totpCode' });
    await expect.poll(() => auth.state, { timeout: 2000 }).toBe('signedOut');
    expect(failures).toEqual(['Expired']);
    expect(await rejection(auth.confirmSignIn(totp(secret)))).toMatchObject({ code: 'Expired' });
    expect(ours()).toEqual([]);
    // A fresh sign-in starts over and can be answered.
    await expect(auth.signIn(user)).resolves.toMatchObject({ challenge: 'totpCode' });
    await expect(auth.confirmSignIn(totp(secret))).resolves.toEqual({ status: 'signedIn' });
  });

  it('a second answer while one is on its way is InvalidState; a new signIn() replaces a waiting challenge', async () => {
    const { endpoint, clientId, user, secret } = await poolWithUser({ totp: true });
    const { auth } = await authFor(clientId, endpoint);

    await expect(auth.signIn(user)).resolves.toMatchObject({ challenge: 'totpCode' });
    await expect(auth.signIn(user)).resolves.toMatchObject({ challenge: 'totpCode' });
    expect(auth.state).toBe('signingIn.challenged.totpCodeRequired');

    const first = auth.confirmSignIn(totp(secret));
    expect(auth.state).toBe('signingIn.challenged.answering');
    expect(await rejection(auth.confirmSignIn(totp(secret)))).toMatchObject({ code: 'InvalidState' });
    await expect(first).resolves.toEqual({ status: 'signedIn' });
    expect(await rejection(auth.confirmSignIn(totp(secret)))).toMatchObject({ code: 'InvalidState' });
  });
});
