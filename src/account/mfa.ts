/**
 * The signed-in user's MFA set-up (docs/account.md): a TOTP authenticator app, and which factors are
 * on and preferred. Tokens come from `fetchTokens()` (`NotSignedIn` without a request otherwise).
 */
import { AuthError } from '../errors.js';
import type { Auth } from '../public-types.js';
import { given, keepSecret, userCall } from './call.js';

/** What `setUpTOTP` answers: the shared secret for the authenticator app, and its `otpauth:` URI. */
export interface TOTPSetupDetails {
  /** Base32; show it (or the URI's QR code) once, and keep it nowhere. */
  sharedSecret: string;
  /** The `otpauth://totp/…` URI an authenticator app reads from a QR code. */
  getSetupUri(appName: string, accountName?: string): URL;
}

/** A factor's setting, as Amplify v6 names them. */
export type MFAPreference = 'ENABLED' | 'DISABLED' | 'PREFERRED' | 'NOT_PREFERRED';
/** The factors Cognito offers for MFA. */
export type MFAType = 'SMS' | 'TOTP' | 'EMAIL';

/** Starts a TOTP set-up: Cognito makes a secret for this user (AssociateSoftwareToken). */
export async function setUpTOTP(auth: Auth): Promise<TOTPSetupDetails> {
  const answer = await userCall(auth, 'AssociateSoftwareToken', {});
  const secret = answer['SecretCode'];
  if (typeof secret !== 'string' || !/^[A-Z2-7]+=*$/.test(secret)) {
    throw new AuthError('Service', 'AssociateSoftwareToken answered without a base32 secret');
  }
  // The app shows it once; this instance never says it again (an error echoing it is scrubbed).
  keepSecret(auth, secret);
  return {
    sharedSecret: secret,
    getSetupUri(appName, accountName) {
      const label = encodeURIComponent(accountName ? `${appName}:${accountName}` : appName);
      const query = new URLSearchParams({ secret, issuer: appName });
      return new URL(`otpauth://totp/${label}?${query}`);
    },
  };
}

/** Finishes a TOTP set-up with a code from the authenticator app; a wrong code is `CodeMismatch`. */
export async function verifyTOTPSetup(
  auth: Auth,
  input: { code: string; options?: { friendlyDeviceName?: string } },
): Promise<void> {
  const code = given(input?.code, 'code');
  const name = input.options?.friendlyDeviceName;
  const answer = await userCall(
    auth,
    'VerifySoftwareToken',
    { UserCode: code, ...(name ? { FriendlyDeviceName: name } : {}) },
    [code],
  );
  if (answer['Status'] !== 'SUCCESS') {
    throw new AuthError('CodeMismatch', 'VerifySoftwareToken did not accept the code');
  }
}

const SETTING: Record<MFAPreference, { Enabled: boolean; PreferredMfa?: boolean }> = {
  ENABLED: { Enabled: true },
  DISABLED: { Enabled: false },
  PREFERRED: { Enabled: true, PreferredMfa: true },
  NOT_PREFERRED: { Enabled: true, PreferredMfa: false },
};
const SETTINGS_KEY: Record<MFAType, string> = {
  SMS: 'SMSMfaSettings',
  TOTP: 'SoftwareTokenMfaSettings',
  EMAIL: 'EmailMfaSettings',
};

/** Turns factors on or off and names the preferred one (SetUserMFAPreference); unnamed ones stay as they are. */
export async function updateMFAPreference(
  auth: Auth,
  input: { sms?: MFAPreference; totp?: MFAPreference; email?: MFAPreference },
): Promise<void> {
  const body: Record<string, unknown> = {};
  for (const [type, value] of [
    ['SMS', input?.sms],
    ['TOTP', input?.totp],
    ['EMAIL', input?.email],
  ] as const) {
    if (value === undefined) continue;
    const setting = Object.hasOwn(SETTING, value) ? SETTING[value] : undefined;
    if (!setting)
      throw new AuthError(
        'InvalidInput',
        `${type.toLowerCase()} must be ENABLED, DISABLED, PREFERRED or NOT_PREFERRED`,
      );
    body[SETTINGS_KEY[type]] = setting;
  }
  if (Object.keys(body).length === 0)
    throw new AuthError('InvalidInput', 'updateMFAPreference needs sms, totp or email');
  await userCall(auth, 'SetUserMFAPreference', body);
}

const FACTOR: Record<string, MFAType> = { SMS_MFA: 'SMS', SOFTWARE_TOKEN_MFA: 'TOTP', EMAIL_OTP: 'EMAIL' };

/** Which factors are on for the signed-in user, and the preferred one (from GetUser). */
export async function fetchMFAPreference(auth: Auth): Promise<{ enabled?: MFAType[]; preferred?: MFAType }> {
  const answer = await userCall(auth, 'GetUser', {});
  const list = Array.isArray(answer['UserMFASettingList']) ? (answer['UserMFASettingList'] as unknown[]) : [];
  const factor = (name: unknown) =>
    typeof name === 'string' && Object.hasOwn(FACTOR, name) ? FACTOR[name] : undefined;
  const enabled = list.flatMap((f) => factor(f) ?? []);
  const preferred = factor(answer['PreferredMfaSetting']);
  return { ...(enabled.length ? { enabled } : {}), ...(preferred ? { preferred } : {}) };
}
