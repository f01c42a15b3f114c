/**
 * One set-up for the `authchart/account` tests: an instance on the fetch transport whose Cognito is
 * a fake answering with `handler`, signed out or signed in, stopped after each test; and every
 * account call by name, with the secrets it sends.
 */
import { afterEach, expect } from 'vitest';
import {
  adoptAmplifySession,
  autoSignIn,
  confirmResetPassword,
  confirmSignUp,
  confirmUserAttribute,
  deletePasskey,
  deleteUser,
  deleteUserAttributes,
  fetchDevices,
  fetchMFAPreference,
  fetchUserAttributes,
  forgetDevice,
  listPasskeys,
  registerPasskey,
  rememberDevice,
  resendSignUpCode,
  resetPassword,
  sendUserAttributeVerificationCode,
  setUpTOTP,
  signUp,
  updateMFAPreference,
  updatePassword,
  updateUserAttributes,
  verifyTOTPSetup,
} from '../../src/account/index.js';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { rememberedDevices } from '../../src/adapters/devices.js';
import {
  type Auth,
  type AuthServices,
  type CreateAuthOptions,
  createAuth,
  memoryStorage,
  type TokenStorage,
  type Tokens,
} from '../../src/index.js';
import { type Call, fakeFetch, fault, type Handler, hmac, type Reply } from './fake-cognito-fetch.js';
import { makeTokens } from './tokens.js';

/** The tokens the fake's sign-in answers (for app client `client-1`). */
export const accountTokens = makeTokens({ clientId: 'client-1' });

/** The rejection of `p` (a test fails if `p` resolves). */
export const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );

export interface AccountAuthOptions {
  clientSecret?: string;
  remoteStepMs?: number;
  inspect?: CreateAuthOptions['inspect'];
  /** Other services than the fetch transport (then `handler` is not asked). */
  services?: AuthServices;
  /** Shared or faulty storage (a fresh `memoryStorage()` otherwise). */
  storage?: TokenStorage;
  /** Cross-context sync (none otherwise). */
  sync?: CreateAuthOptions['sync'];
  /** The fetch transport's device records (`cognitoServices({ devices })`); none otherwise. */
  devices?: TokenStorage;
}

/** A device password no request, error or event may carry (see {@link deviceRecords}). */
export const DEVICE_PASSWORD = 'Device~Passw0rd‡kept';

/** Storage holding this device's record for {@link accountTokens}' user, with {@link DEVICE_PASSWORD}. */
export function deviceRecords(): TokenStorage {
  const record = JSON.stringify({
    deviceKey: 'eu-west-1_device-1',
    deviceGroupKey: '-group',
    devicePassword: DEVICE_PASSWORD,
    remembered: false,
    names: ['alice@example.com'],
  });
  return memoryStorage([['authchart.client-1.device.alice@example.com', record]]);
}

/** An instance on the fetch transport answering with `handler`; the caller stops it. */
export function accountAuth(handler: Handler, extra: AccountAuthOptions = {}) {
  const f = fakeFetch(handler);
  const services =
    extra.services ??
    cognitoServices({
      clientId: 'client-1',
      region: 'eu-west-1',
      authFlow: 'USER_PASSWORD_AUTH',
      fetch: f.fetch,
      retryDelayMs: 5,
      ...(extra.clientSecret ? { clientSecret: extra.clientSecret } : {}),
      ...(extra.devices ? { devices: rememberedDevices({ storage: extra.devices }) } : {}),
    });
  const auth = createAuth({
    services,
    storage: extra.storage ?? memoryStorage(),
    sync: extra.sync ?? null,
    // A passkey authenticator that answers at once (the passkey calls' ceremonies: test/account/passkeys.test.ts).
    passkeys: { get: async () => '{"id":"c"}', create: async () => '{"id":"c","response":{}}' },
    ...(extra.remoteStepMs ? { timeouts: { remoteStepMs: extra.remoteStepMs } } : {}),
    ...(extra.inspect ? { inspect: extra.inspect } : {}),
  });
  return { auth, calls: f.calls };
}

/** `handler`, with InitiateAuth answered by a sign-in to {@link accountTokens}. */
export function withSignIn(handler: Handler): Handler {
  const { accessToken, idToken, refreshToken } = accountTokens;
  const result = { AuthenticationResult: { AccessToken: accessToken, IdToken: idToken, RefreshToken: refreshToken } };
  return (call, n) => (call.target.endsWith('.InitiateAuth') ? { body: result } : handler(call, n));
}

/** Instances made by this suite's tests, stopped after each one. */
export function accountInstances() {
  const made: Auth[] = [];
  afterEach(() => {
    for (const auth of made.splice(0)) auth.stop();
  });
  /** A signed-out instance; `calls` records every request. */
  const signedOut = (handler: Handler, extra: AccountAuthOptions = {}) => {
    const instance = accountAuth(handler, extra);
    made.push(instance.auth);
    return instance;
  };
  /** A signed-in instance; `later()` is every request after the sign-in. */
  const signedIn = async (handler: Handler, extra: AccountAuthOptions = {}) => {
    const { auth, calls } = signedOut(withSignIn(handler), extra);
    await auth.signIn({ username: 'alice@example.com', password: 'Old-Passw0rd!' });
    const later = (): Call[] => calls.filter((c) => !c.target.endsWith('.InitiateAuth'));
    return { auth, calls, later };
  };
  return { signedOut, signedIn };
}

/** What an account call is given: a user name, and the secrets (each call sends the ones it takes). */
export interface AccountInputs {
  username: string;
  /** The sign-up password, or `updatePassword`'s old one. */
  password: string;
  newPassword: string;
  /** A sign-up, reset, attribute or TOTP code. */
  code: string;
}

export interface AccountCallSpec {
  /** Made for the signed-in user: sends the access token; `NotSignedIn` without a session. */
  user: boolean;
  run(auth: Auth, input: AccountInputs): Promise<unknown>;
  /** The inputs it sends that are secrets: the instance holds them while it runs. */
  secrets(input: AccountInputs): string[];
}

const none = () => [];

/** Every call `authchart/account` exports, by its name. */
export const ACCOUNT_CALLS: Record<string, AccountCallSpec> = {
  signUp: {
    user: false,
    run: (auth, i) => signUp(auth, { username: i.username, password: i.password, attributes: { email: i.username } }),
    secrets: (i) => [i.password],
  },
  confirmSignUp: {
    user: false,
    run: (auth, i) => confirmSignUp(auth, { username: i.username, confirmationCode: i.code }),
    secrets: (i) => [i.code],
  },
  resendSignUpCode: { user: false, run: (auth, i) => resendSignUpCode(auth, { username: i.username }), secrets: none },
  resetPassword: { user: false, run: (auth, i) => resetPassword(auth, { username: i.username }), secrets: none },
  confirmResetPassword: {
    user: false,
    run: (auth, i) =>
      confirmResetPassword(auth, { username: i.username, confirmationCode: i.code, newPassword: i.newPassword }),
    secrets: (i) => [i.code, i.newPassword],
  },
  updatePassword: {
    user: true,
    run: (auth, i) => updatePassword(auth, { oldPassword: i.password, newPassword: i.newPassword }),
    secrets: (i) => [i.password, i.newPassword],
  },
  fetchUserAttributes: { user: true, run: (auth) => fetchUserAttributes(auth), secrets: none },
  updateUserAttributes: {
    user: true,
    run: (auth, i) => updateUserAttributes(auth, { userAttributes: { email: i.username, name: 'Ana' } }),
    secrets: none,
  },
  confirmUserAttribute: {
    user: true,
    run: (auth, i) => confirmUserAttribute(auth, { userAttributeKey: 'email', confirmationCode: i.code }),
    secrets: (i) => [i.code],
  },
  sendUserAttributeVerificationCode: {
    user: true,
    run: (auth) => sendUserAttributeVerificationCode(auth, { userAttributeKey: 'email' }),
    secrets: none,
  },
  deleteUserAttributes: {
    user: true,
    run: (auth) => deleteUserAttributes(auth, { userAttributeKeys: ['nickname'] }),
    secrets: none,
  },
  setUpTOTP: { user: true, run: (auth) => setUpTOTP(auth), secrets: none },
  verifyTOTPSetup: {
    user: true,
    run: (auth, i) => verifyTOTPSetup(auth, { code: i.code, options: { friendlyDeviceName: 'phone' } }),
    secrets: (i) => [i.code],
  },
  updateMFAPreference: {
    user: true,
    run: (auth) => updateMFAPreference(auth, { totp: 'PREFERRED', sms: 'DISABLED' }),
    secrets: none,
  },
  fetchMFAPreference: { user: true, run: (auth) => fetchMFAPreference(auth), secrets: none },
  // Through the chart: DeleteUser, then the clear (the instance is signed out after it succeeds).
  deleteUser: { user: true, run: (auth) => deleteUser(auth), secrets: none },
  registerPasskey: { user: true, run: (auth) => registerPasskey(auth), secrets: none },
  listPasskeys: { user: true, run: (auth) => listPasskeys(auth), secrets: none },
  deletePasskey: { user: true, run: (auth) => deletePasskey(auth, 'cred-1'), secrets: none },
  // Nothing held by a signUp here: InvalidState, no request (test/account/auto-sign-in.test.ts does the rest).
  autoSignIn: { user: false, run: (auth) => autoSignIn(auth), secrets: none },
  // With the device record of deviceRecords(): its password is never sent, so never quoted.
  rememberDevice: { user: true, run: (auth) => rememberDevice(auth), secrets: none },
  forgetDevice: { user: true, run: (auth) => forgetDevice(auth), secrets: none },
  fetchDevices: { user: true, run: (auth) => fetchDevices(auth), secrets: none },
  // Amplify v6's keys for the fetch transport's client: adopted when signed out, AlreadySignedIn
  // otherwise (test/account/amplify-adopt.test.ts does the rest). The tokens it reads are secrets.
  adoptAmplifySession: {
    user: false,
    run: (auth) => adoptAmplifySession(auth, memoryStorage(Object.entries(amplifyKeys(accountTokens)))),
    secrets: () => [accountTokens.accessToken, accountTokens.idToken, accountTokens.refreshToken],
  },
};

/** What Amplify v6's TokenStore leaves for user `alice-sub` of app client `client-1` after a sign-in. */
export function amplifyKeys(tokens: Tokens, user = 'alice-sub'): Record<string, string> {
  const base = 'CognitoIdentityServiceProvider.client-1';
  return {
    [`${base}.LastAuthUser`]: user,
    [`${base}.${user}.accessToken`]: tokens.accessToken,
    [`${base}.${user}.idToken`]: tokens.idToken,
    [`${base}.${user}.refreshToken`]: tokens.refreshToken,
    [`${base}.${user}.clockDrift`]: '0',
  };
}

/** What {@link signUpCognito} answers, and what it expects to be sent. */
export interface SignUpPool {
  password: string;
  /** The `Session` SignUp answers (a pool with USER_AUTH), which ConfirmSignUp must then be sent. */
  signUpSession?: string;
  /** The `Session` ConfirmSignUp answers, which a USER_AUTH InitiateAuth must be sent. */
  confirmSession?: string;
  /** The pool confirms on its own (a pre-sign-up trigger): SignUp's session then signs in. */
  autoConfirm?: boolean;
  /** The app client's secret: every call then carries SECRET_HASH for the username. */
  clientSecret?: string;
  /** How InitiateAuth with USER_AUTH is answered instead of tokens (a pool without it, an expired session). */
  refuseSession?: Reply;
  /** InitiateAuth answers, in turn, before the tokens (a network error, a refusal). */
  initiate?: Reply[];
}

/**
 * A fake Cognito for sign-up, confirmation and the sign-in after it, as Cognito documents them. A
 * request of the wrong shape (a USER_AUTH sign-in without the session, with a password, without
 * SECRET_HASH when the client has a secret) is answered with an error the test sees.
 */
export function signUpCognito(pool: SignUpPool): Handler {
  const { accessToken, idToken, refreshToken } = accountTokens;
  const tokens = { AuthenticationResult: { AccessToken: accessToken, IdToken: idToken, RefreshToken: refreshToken } };
  const initiate = [...(pool.initiate ?? [])];
  const wrong = (what: string): Reply => fault('InvalidParameterException', 400, `fake Cognito: ${what}`);
  const hash = (username: string) =>
    pool.clientSecret === undefined ? undefined : hmac(pool.clientSecret, `${username}client-1`);
  return (call) => {
    const operation = call.target.split('.')[1];
    const b = call.body;
    const username = String(b['Username'] ?? (b['AuthParameters'] as Record<string, string> | undefined)?.['USERNAME']);
    if (operation === 'SignUp') {
      if (b['Password'] !== pool.password) return wrong('SignUp without the password');
      if (b['SecretHash'] !== hash(username)) return wrong('SignUp without SECRET_HASH');
      return {
        body: {
          UserSub: 'sub-1',
          UserConfirmed: pool.autoConfirm === true,
          CodeDeliveryDetails: { DeliveryMedium: 'EMAIL', Destination: 'a***@e***.com', AttributeName: 'email' },
          ...(pool.signUpSession ? { Session: pool.signUpSession } : {}),
        },
      };
    }
    if (operation === 'ConfirmSignUp') {
      if (b['Session'] !== pool.signUpSession) return wrong("ConfirmSignUp without SignUp's session");
      return { body: pool.confirmSession ? { Session: pool.confirmSession } : {} };
    }
    if (operation !== 'InitiateAuth') return wrong(`unexpected ${operation}`);
    const next = initiate.shift();
    if (next) return next;
    const params = b['AuthParameters'] as Record<string, string>;
    if (params['SECRET_HASH'] !== hash(username)) return wrong('InitiateAuth without SECRET_HASH');
    if (b['AuthFlow'] === 'USER_AUTH') {
      const session = pool.autoConfirm ? pool.signUpSession : pool.confirmSession;
      if (b['Session'] !== session || 'PASSWORD' in params) return wrong('USER_AUTH of the wrong shape');
      return pool.refuseSession ?? { body: tokens };
    }
    if (b['AuthFlow'] !== 'USER_PASSWORD_AUTH' || params['PASSWORD'] !== pool.password) {
      return fault('NotAuthorizedException', 400, 'Incorrect username or password.');
    }
    return { body: tokens };
  };
}
