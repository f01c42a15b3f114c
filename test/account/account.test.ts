/**
 * `authchart/account` over the fetch transport with a fake Cognito: what each call sends, what it
 * answers, its typed errors, SECRET_HASH, its bound and stop(), and no password or code in any error.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  confirmResetPassword,
  confirmSignUp,
  resendSignUpCode,
  resetPassword,
  signUp,
} from '../../src/account/index.js';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { type Auth, createAuth, isAuthError, memoryStorage } from '../../src/index.js';
import { unseal } from '../../src/session/sealed.js';
import { accountInstances, failure } from '../helpers/account.js';
import { fakeFetch, fault, hmac } from '../helpers/fake-cognito-fetch.js';

const PASSWORD = 'S3cret-Passw0rd!';
const CODE = '482913';
const DELIVERY = {
  CodeDeliveryDetails: { DeliveryMedium: 'EMAIL', Destination: 'a***@e***.com', AttributeName: 'email' },
};

const { signedOut: instance } = accountInstances();
let auth: Auth | undefined;
afterEach(() => {
  auth?.stop();
  auth = undefined;
});

describe('authchart/account: sign-up', () => {
  it('signUp sends the username, password and attributes, and answers the code delivery as nextStep', async () => {
    const { auth, calls } = instance(() => ({ body: { UserSub: 'sub-1', UserConfirmed: false, ...DELIVERY } }));
    const out = await signUp(auth, { username: 'ana', password: PASSWORD, attributes: { email: 'ana@example.com' } });
    expect(out).toEqual({
      isSignUpComplete: false,
      userId: 'sub-1',
      nextStep: {
        signUpStep: 'CONFIRM_SIGN_UP',
        codeDeliveryDetails: { deliveryMedium: 'EMAIL', destination: 'a***@e***.com', attributeName: 'email' },
      },
    });
    expect(calls[0]?.target).toBe('AWSCognitoIdentityProviderService.SignUp');
    expect(calls[0]?.body).toEqual({
      ClientId: 'client-1',
      Username: 'ana',
      Password: PASSWORD,
      UserAttributes: [{ Name: 'email', Value: 'ana@example.com' }],
    });
  });

  it('a pool that confirms on its own answers DONE', async () => {
    const { auth } = instance(() => ({ body: { UserSub: 'sub-1', UserConfirmed: true } }));
    await expect(signUp(auth, { username: 'ana', password: PASSWORD })).resolves.toEqual({
      isSignUpComplete: true,
      userId: 'sub-1',
      nextStep: { signUpStep: 'DONE' },
    });
  });

  it('UsernameExists and InvalidPassword (the policy message kept) are typed; the password is in no message', async () => {
    const { auth } = instance((_, n) =>
      n === 1
        ? fault('UsernameExistsException', 400, 'User already exists')
        : fault('InvalidPasswordException', 400, `Password did not conform with policy: ${PASSWORD} lacks a symbol`),
    );
    const exists = await failure(signUp(auth, { username: 'ana', password: PASSWORD }));
    expect(isAuthError(exists) && exists.code).toBe('UsernameExists');
    const weak = await failure(signUp(auth, { username: 'ana', password: PASSWORD }));
    expect(isAuthError(weak) && weak.code).toBe('InvalidPassword');
    expect((weak as Error).message).toContain('Password did not conform with policy');
    expect(JSON.stringify({ m: (weak as Error).message, s: String(weak) })).not.toContain(PASSWORD);
  });

  it('confirmSignUp: CodeMismatch, ExpiredCode and LimitExceeded are typed, and the code is in no message', async () => {
    const answers = ['CodeMismatchException', 'ExpiredCodeException', 'LimitExceededException'];
    const { auth, calls } = instance((_, n) =>
      n <= 3 ? fault(answers[n - 1] as string, 400, `code ${CODE} is wrong`) : { body: {} },
    );
    for (const code of ['CodeMismatch', 'ExpiredCode', 'LimitExceeded']) {
      const e = await failure(confirmSignUp(auth, { username: 'ana', confirmationCode: CODE }));
      expect(isAuthError(e) && e.code).toBe(code);
      expect((e as Error).message).not.toContain(CODE);
    }
    await expect(confirmSignUp(auth, { username: 'ana', confirmationCode: CODE })).resolves.toEqual({
      isSignUpComplete: true,
      nextStep: { signUpStep: 'DONE' },
    });
    expect(calls.at(-1)?.body).toEqual({ ClientId: 'client-1', Username: 'ana', ConfirmationCode: CODE });
  });

  it('resendSignUpCode answers where the code went', async () => {
    const { auth, calls } = instance(() => ({ body: DELIVERY }));
    await expect(resendSignUpCode(auth, { username: 'ana' })).resolves.toEqual({
      deliveryMedium: 'EMAIL',
      destination: 'a***@e***.com',
      attributeName: 'email',
    });
    expect(calls[0]?.target).toBe('AWSCognitoIdentityProviderService.ResendConfirmationCode');
  });
});

describe('authchart/account: password reset', () => {
  it('resetPassword then confirmResetPassword send what Cognito expects', async () => {
    const { auth, calls } = instance((c) => (c.target.endsWith('.ForgotPassword') ? { body: DELIVERY } : { body: {} }));
    await expect(resetPassword(auth, { username: 'ana' })).resolves.toEqual({
      isPasswordReset: false,
      nextStep: {
        resetPasswordStep: 'CONFIRM_RESET_PASSWORD_WITH_CODE',
        codeDeliveryDetails: { deliveryMedium: 'EMAIL', destination: 'a***@e***.com', attributeName: 'email' },
      },
    });
    await confirmResetPassword(auth, { username: 'ana', confirmationCode: CODE, newPassword: PASSWORD });
    expect(calls.map((c) => [c.target.split('.')[1], c.body])).toEqual([
      ['ForgotPassword', { ClientId: 'client-1', Username: 'ana' }],
      ['ConfirmForgotPassword', { ClientId: 'client-1', Username: 'ana', ConfirmationCode: CODE, Password: PASSWORD }],
    ]);
  });

  it('UserNotFound is typed', async () => {
    const { auth } = instance(() => fault('UserNotFoundException', 400, 'Username/client id combination not found.'));
    const e = await failure(resetPassword(auth, { username: 'nobody' }));
    expect(isAuthError(e) && e.code).toBe('UserNotFound');
  });

  it('with a client secret, SecretHash = HMAC(secret, username + clientId) on every call that names a user', async () => {
    const { auth, calls } = instance(() => ({ body: DELIVERY }), { clientSecret: 's3cret' });
    await resetPassword(auth, { username: 'ana' });
    expect(calls[0]?.body['SecretHash']).toBe(hmac('s3cret', 'anaclient-1'));
  });
});

describe('authchart/account: bounds and bad input', () => {
  it('a call that never answers is Timeout after remoteStepMs, its request aborted', async () => {
    let signal: AbortSignal | undefined;
    const f = fakeFetch(() => new Promise(() => {}));
    auth = createAuth({
      services: cognitoServices({
        clientId: 'client-1',
        region: 'eu-west-1',
        authFlow: 'USER_PASSWORD_AUTH',
        fetch: (url, init) => {
          signal = init?.signal ?? undefined;
          return f.fetch(url, init);
        },
      }),
      storage: memoryStorage(),
      sync: null,
      timeouts: { remoteStepMs: 50 },
    });
    const e = await failure(resetPassword(auth, { username: 'ana' }));
    expect(isAuthError(e) && e.code).toBe('Timeout');
    expect(signal?.aborted).toBe(true);
  });

  it('stop() cuts a running call off with Cancelled; after stop() a call is Cancelled at once', async () => {
    const { auth, calls } = instance(() => new Promise(() => {}));
    const pending = failure(resetPassword(auth, { username: 'ana' }));
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    auth.stop();
    const e = await pending;
    expect(isAuthError(e) && e.code).toBe('Cancelled');
    const late = await failure(resetPassword(auth, { username: 'ana' }));
    expect(isAuthError(late) && late.code).toBe('Cancelled');
    expect(calls).toHaveLength(1);
  });

  it('a SECRET_HASH that never comes is bounded too: Timeout, no request', async () => {
    const { auth, calls } = instance(() => ({ body: {} }), { remoteStepMs: 50 });
    const { deps } = auth.actor.getSnapshot().context;
    if (!deps) throw new Error('no deps');
    unseal(deps).services.secretHash = () => new Promise(() => {});
    const e = await failure(resetPassword(auth, { username: 'ana' }));
    expect(isAuthError(e) && e.code).toBe('Timeout');
    expect(calls).toHaveLength(0);
  });

  it('a missing or empty argument is InvalidInput naming it, before any request', async () => {
    const { auth, calls } = instance(() => ({ body: {} }));
    const e = await failure(signUp(auth, { username: 'ana', password: '' }));
    expect(isAuthError(e) && e.code).toBe('InvalidInput');
    expect((e as Error).message).toBe('password must be a non-empty string');
    expect(calls).toHaveLength(0);
  });

  it('an instance whose services are not a Cognito transport is InvalidConfig', async () => {
    auth = createAuth({
      services: {
        clientId: 'c',
        signIn: async () => ({ accessToken: '', idToken: '', refreshToken: '' }),
        refresh: async () => ({}),
        globalSignOut: async () => {},
        revokeToken: async () => {},
      },
      storage: memoryStorage(),
      sync: null,
    });
    const e = await failure(resetPassword(auth, { username: 'ana' }));
    expect(isAuthError(e) && e.code).toBe('InvalidConfig');
  });
});
