/** `authchart/account`'s MFA set-up over the fetch transport with a fake Cognito. */
import { afterEach, describe, expect, it } from 'vitest';
import { fetchMFAPreference, setUpTOTP, updateMFAPreference, verifyTOTPSetup } from '../../src/account/index.js';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { type Auth, createAuth, isAuthError, memoryStorage } from '../../src/index.js';
import { fakeFetch, type Handler } from '../helpers/fake-cognito-fetch.js';
import { makeTokens } from '../helpers/tokens.js';

const tokens = makeTokens({ clientId: 'client-1' });
const RESULT = {
  AuthenticationResult: { AccessToken: tokens.accessToken, IdToken: tokens.idToken, RefreshToken: tokens.refreshToken },
};
let auth: Auth | undefined;
afterEach(() => {
  auth?.stop();
  auth = undefined;
});
async function signedIn(handler: Handler) {
  const f = fakeFetch((call, n) => (call.target.endsWith('.InitiateAuth') ? { body: RESULT } : handler(call, n)));
  auth = createAuth({
    services: cognitoServices({
      clientId: 'client-1',
      region: 'eu-west-1',
      authFlow: 'USER_PASSWORD_AUTH',
      fetch: f.fetch,
    }),
    storage: memoryStorage(),
    sync: null,
  });
  await auth.signIn({ username: 'alice@example.com', password: 'pw' });
  return { auth, later: () => f.calls.filter((c) => !c.target.endsWith('.InitiateAuth')) };
}
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );

describe('authchart/account: MFA set-up', () => {
  it('setUpTOTP answers the secret and an otpauth URI naming the app and the account', async () => {
    const { auth } = await signedIn(() => ({ body: { SecretCode: 'JBSWY3DPEHPK3PXP' } }));
    const setup = await setUpTOTP(auth);
    expect(setup.sharedSecret).toBe('JBSWY3DPEHPK3PXP');
    expect(setup.getSetupUri('My App', 'ana@example.com').href).toBe(
      'otpauth://totp/My%20App%3Aana%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=My+App',
    );
  });

  it('an answer without a base32 secret is Service', async () => {
    const { auth } = await signedIn(() => ({ body: { SecretCode: '<script>' } }));
    const e = await failure(setUpTOTP(auth));
    expect(isAuthError(e) && e.code).toBe('Service');
  });

  it('verifyTOTPSetup: SUCCESS resolves, anything else is CodeMismatch', async () => {
    const { auth, later } = await signedIn((_, n) => ({ body: { Status: n === 2 ? 'SUCCESS' : 'ERROR' } }));
    await verifyTOTPSetup(auth, { code: '123456', options: { friendlyDeviceName: 'phone' } });
    const e = await failure(verifyTOTPSetup(auth, { code: '654321' }));
    expect(isAuthError(e) && e.code).toBe('CodeMismatch');
    expect(later()[0]?.body).toEqual({
      AccessToken: tokens.accessToken,
      UserCode: '123456',
      FriendlyDeviceName: 'phone',
    });
  });

  it('updateMFAPreference sends only the factors named, as Cognito settings; a bad value is InvalidInput', async () => {
    const { auth, later } = await signedIn(() => ({ body: {} }));
    await updateMFAPreference(auth, { totp: 'PREFERRED', sms: 'DISABLED' });
    expect(later()[0]?.body).toEqual({
      AccessToken: tokens.accessToken,
      SMSMfaSettings: { Enabled: false },
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    });
    const e = await failure(updateMFAPreference(auth, { totp: 'ON' as never }));
    expect(isAuthError(e) && e.code).toBe('InvalidInput');
    expect(later()).toHaveLength(1);
  });

  it('fetchMFAPreference reads the enabled factors and the preferred one, ignoring unknown names', async () => {
    const { auth } = await signedIn(() => ({
      body: {
        UserMFASettingList: ['SMS_MFA', 'SOFTWARE_TOKEN_MFA', 'HOLOGRAM'],
        PreferredMfaSetting: 'SOFTWARE_TOKEN_MFA',
      },
    }));
    await expect(fetchMFAPreference(auth)).resolves.toEqual({ enabled: ['SMS', 'TOTP'], preferred: 'TOTP' });
  });
});
