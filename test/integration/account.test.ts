/**
 * `authchart/account` against cognito-local on both transports: sign up, confirm with the code it
 * "sends" (read from its output), sign in; reset the password with its code, sign in with the new
 * one; the typed refusals. cognito-local has no ResendConfirmationCode: test/account/ covers it
 * against a fake that answers Cognito's documented shape (docs/account.md says so).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  autoSignIn,
  confirmResetPassword,
  confirmSignUp,
  deleteUser,
  deleteUserAttributes,
  fetchMFAPreference,
  fetchUserAttributes,
  resetPassword,
  setUpTOTP,
  signUp,
  updateMFAPreference,
  updatePassword,
  updateUserAttributes,
  verifyTOTPSetup,
} from '../../src/account/index.js';
import { cognitoServices as fetchServices } from '../../src/adapters/cognito/index.js';
import { cognitoServices as sdkServices } from '../../src/adapters/cognito-sdk.js';
import { type Auth, type AuthServices, createAuth, isAuthError, memoryStorage } from '../../src/index.js';
import { totp } from '../../tools/cognito-admin.js';
import { failure } from '../helpers/account.js';
import { startAccountCognito } from './helpers.js';

type Make = (o: { clientId: string; region: string; endpoint: string; authFlow: 'USER_PASSWORD_AUTH' }) => AuthServices;
const TRANSPORTS: Array<[string, Make]> = [
  ['authchart/cognito (fetch)', fetchServices],
  ['authchart/cognito-sdk', sdkServices],
];
const PASSWORD = 'Correct-Horse-9';

let pool: Awaited<ReturnType<typeof startAccountCognito>> | undefined;
let clientId = '';
beforeAll(async () => {
  // E-mail verified on sign-up: cognito-local then "sends" the confirmation code.
  pool = await startAccountCognito();
  clientId = pool.clientId;
}, 60_000);
afterAll(async () => {
  await pool?.stop();
});

const codeFor = (to: string, after?: string): Promise<string> =>
  pool ? pool.codeFor(to, after) : Promise.reject(new Error('no cognito-local'));

describe.each(TRANSPORTS)('%s: authchart/account against cognito-local', (name, makeServices) => {
  const made: Auth[] = [];
  afterEach(() => {
    for (const auth of made.splice(0)) auth.stop();
  });
  const instance = (storage = memoryStorage()) => {
    const auth = createAuth({
      services: makeServices({
        clientId,
        region: 'local',
        endpoint: pool?.cognito.endpoint ?? '',
        authFlow: 'USER_PASSWORD_AUTH',
      }),
      storage,
      sync: null,
    });
    made.push(auth);
    return auth;
  };
  const user = `${name.includes('sdk') ? 'sdk' : 'fetch'}-${Date.now()}@example.com`;

  it('signUp, a wrong code (CodeMismatch), confirmSignUp with the code sent, then signIn', async () => {
    const auth = instance();
    const out = await signUp(auth, { username: user, password: PASSWORD, attributes: { email: user } });
    expect(out).toMatchObject({ isSignUpComplete: false, nextStep: { signUpStep: 'CONFIRM_SIGN_UP' } });
    expect(out.userId).toEqual(expect.any(String));
    const code = await codeFor(user);
    const wrong = await failure(
      confirmSignUp(auth, { username: user, confirmationCode: code === '000000' ? '111111' : '000000' }),
    );
    expect(isAuthError(wrong) && wrong.code).toBe('CodeMismatch');
    await expect(confirmSignUp(auth, { username: user, confirmationCode: code })).resolves.toMatchObject({
      isSignUpComplete: true,
    });
    await expect(auth.signIn({ username: user, password: PASSWORD })).resolves.toMatchObject({ status: 'signedIn' });
  });

  it('signUp with autoSignIn, confirmSignUp, autoSignIn: signed in through the chart, the session stored', async () => {
    // cognito-local answers no Session from ConfirmSignUp: this is the held password's path.
    const storage = memoryStorage();
    const auth = instance(storage);
    const auto = `auto-${user}`;
    await expect(
      signUp(auth, { username: auto, password: PASSWORD, attributes: { email: auto }, autoSignIn: true }),
    ).resolves.toMatchObject({ nextStep: { signUpStep: 'CONFIRM_SIGN_UP' } });
    await expect(confirmSignUp(auth, { username: auto, confirmationCode: await codeFor(auto) })).resolves.toEqual({
      isSignUpComplete: true,
      nextStep: { signUpStep: 'COMPLETE_AUTO_SIGN_IN' },
    });
    await expect(autoSignIn(auth)).resolves.toEqual({ status: 'signedIn' });
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    // The record signIn writes: another instance on the same storage restores it.
    const other = instance(storage);
    await other.ready;
    expect(other.getSession()).toMatchObject({ username: auth.getSession()?.username, signedInWith: 'password' });
  });

  it('signUp of a username taken is UsernameExists', async () => {
    const auth = instance();
    const e = await failure(signUp(auth, { username: user, password: PASSWORD, attributes: { email: user } }));
    expect(isAuthError(e) && e.code).toBe('UsernameExists');
  });

  it('resetPassword while signed in leaves the session alone; confirmResetPassword; the new password signs in', async () => {
    const auth = instance();
    await auth.signIn({ username: user, password: PASSWORD });
    const sent = await pool?.storedCode(user);
    await expect(resetPassword(auth, { username: user })).resolves.toMatchObject({
      nextStep: { resetPasswordStep: 'CONFIRM_RESET_PASSWORD_WITH_CODE' },
    });
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    const code = await codeFor(user, sent);
    await confirmResetPassword(auth, { username: user, confirmationCode: code, newPassword: `${PASSWORD}-new` });
    await auth.signOut();
    await expect(auth.signIn({ username: user, password: `${PASSWORD}-new` })).resolves.toMatchObject({
      status: 'signedIn',
    });
  });

  it('the signed-in user: attributes read, changed and deleted; updatePassword keeps the session, the new one signs in', async () => {
    const auth = instance();
    await auth.signIn({ username: user, password: `${PASSWORD}-new` });
    await expect(fetchUserAttributes(auth)).resolves.toMatchObject({ email: user, sub: expect.any(String) });
    await expect(updateUserAttributes(auth, { userAttributes: { name: 'Ana' } })).resolves.toEqual({
      name: { isUpdated: true, nextStep: { updateAttributeStep: 'DONE' } },
    });
    await expect(fetchUserAttributes(auth)).resolves.toMatchObject({ name: 'Ana' });
    await deleteUserAttributes(auth, { userAttributeKeys: ['name'] });
    expect(await fetchUserAttributes(auth)).not.toHaveProperty('name');
    const wrong = await failure(updatePassword(auth, { oldPassword: 'Not-The-One-1', newPassword: PASSWORD }));
    // cognito-local answers InvalidPasswordException here; Cognito answers NotAuthorizedException,
    // which test/account/user.test.ts maps to NotAuthorized (docs/account.md says so).
    expect(isAuthError(wrong) && wrong.code).toBe('InvalidPassword');
    await updatePassword(auth, { oldPassword: `${PASSWORD}-new`, newPassword: PASSWORD });
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    await auth.signOut();
    await expect(auth.signIn({ username: user, password: PASSWORD })).resolves.toMatchObject({ status: 'signedIn' });
  });

  it('TOTP set-up: the secret, a code from it, TOTP preferred; the next sign-in asks for a TOTP code', async () => {
    const auth = instance();
    await auth.signIn({ username: user, password: PASSWORD });
    const { sharedSecret } = await setUpTOTP(auth);
    await verifyTOTPSetup(auth, { code: totp(sharedSecret) });
    await updateMFAPreference(auth, { totp: 'PREFERRED' });
    await expect(fetchMFAPreference(auth)).resolves.toEqual({ enabled: ['TOTP'], preferred: 'TOTP' });
    await auth.signOut();
    await expect(auth.signIn({ username: user, password: PASSWORD })).resolves.toMatchObject({
      status: 'challenge',
      challenge: 'totpCode',
    });
    await expect(auth.confirmSignIn(totp(sharedSecret))).resolves.toMatchObject({ status: 'signedIn' });
  });

  it('deleteUser: DeleteUser, the instance signed out (userDeleted), nothing stored, and the user cannot sign in', async () => {
    const storage = memoryStorage();
    const auth = instance(storage);
    const gone = `gone-${user}`;
    await signUp(auth, { username: gone, password: PASSWORD, attributes: { email: gone } });
    await confirmSignUp(auth, { username: gone, confirmationCode: await codeFor(gone) });
    await auth.signIn({ username: gone, password: PASSWORD });
    const reasons: string[] = [];
    auth.on('signedOut', (e) => reasons.push(e.reason));
    await expect(deleteUser(auth)).resolves.toMatchObject({ deleted: true, cleared: true });
    expect(auth.state).toBe('signedOut');
    expect(reasons).toEqual(['userDeleted']);
    expect(storage.keys().filter((k) => k.startsWith('authchart.'))).toEqual([]);
    const e = await failure(auth.signIn({ username: gone, password: PASSWORD }));
    expect(isAuthError(e) && ['UserNotFound', 'NotAuthorized'].includes(e.code)).toBe(true);
  });
});
