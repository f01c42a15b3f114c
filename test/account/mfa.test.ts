/** `authchart/account`'s MFA set-up over the fetch transport with a fake Cognito. */
import { describe, expect, it } from 'vitest';
import { fetchMFAPreference, setUpTOTP, updateMFAPreference, verifyTOTPSetup } from '../../src/account/index.js';
import { isAuthError } from '../../src/index.js';
import { accountInstances, accountTokens, failure } from '../helpers/account.js';
import { fault } from '../helpers/fake-cognito-fetch.js';

const tokens = accountTokens;
const { signedIn } = accountInstances();

describe('authchart/account: MFA set-up', () => {
  it('setUpTOTP answers the secret and an otpauth URI naming the app and the account', async () => {
    const { auth } = await signedIn(() => ({ body: { SecretCode: 'JBSWY3DPEHPK3PXP' } }));
    const setup = await setUpTOTP(auth);
    expect(setup.sharedSecret).toBe('JBSWY3DPEHPK3PXP');
    expect(setup.getSetupUri('My App', 'ana@example.com').href).toBe(
      'otpauth://totp/My%20App%3Aana%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=My+App',
    );
  });

  it('the TOTP secret is kept as a secret: a later error that echoes it does not carry it', async () => {
    const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DP';
    const { auth } = await signedIn((call) =>
      call.target.endsWith('.AssociateSoftwareToken')
        ? { body: { SecretCode: SECRET } }
        : fault('InternalErrorException', 500, `could not verify against ${SECRET}`),
    );
    await setUpTOTP(auth);
    const e = await failure(verifyTOTPSetup(auth, { code: '123456' }));
    expect((e as Error).message).toContain('could not verify against');
    expect(JSON.stringify({ m: (e as Error).message, c: String((e as Error).cause) })).not.toContain(SECRET);
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

  it("Cognito's refusal of a wrong TOTP code (EnableSoftwareTokenMFAException) is CodeMismatch", async () => {
    const { auth } = await signedIn(() => fault('EnableSoftwareTokenMFAException', 400, 'Code mismatch'));
    const e = await failure(verifyTOTPSetup(auth, { code: '123456' }));
    expect(isAuthError(e) && e.code).toBe('CodeMismatch');
  });

  it('names inherited from Object (constructor, toString) are no factor and no setting', async () => {
    const { auth, later } = await signedIn(() => ({
      body: { UserMFASettingList: ['constructor', 'SMS_MFA'], PreferredMfaSetting: 'toString' },
    }));
    await expect(fetchMFAPreference(auth)).resolves.toEqual({ enabled: ['SMS'] });
    const e = await failure(updateMFAPreference(auth, { totp: 'constructor' as never }));
    expect(isAuthError(e) && e.code).toBe('InvalidInput');
    expect(later()).toHaveLength(1);
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
