/**
 * Admin helpers for challenge tests on cognito-local: users in FORCE_CHANGE_PASSWORD, TOTP and SMS
 * MFA set up the way an app would (AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference),
 * and an RFC 6238 TOTP written here so the test does not share cognito-local's own (otplib) code.
 */
import { createHmac } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  AssociateSoftwareTokenCommand,
  type CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SetUserMFAPreferenceCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';

let serial = 0;

/** A pool with optional MFA and a public client allowing USER_PASSWORD_AUTH and refresh. */
export async function createPool(
  admin: CognitoIdentityProviderClient,
): Promise<{ userPoolId: string; clientId: string }> {
  const pool = await admin.send(
    new CreateUserPoolCommand({ PoolName: `authchart-mfa-${Date.now()}`, MfaConfiguration: 'OPTIONAL' }),
  );
  const userPoolId = pool.UserPool?.Id;
  if (!userPoolId) throw new Error('CreateUserPool returned no id');
  const client = await admin.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'authchart-challenges',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      EnableTokenRevocation: true,
    }),
  );
  const clientId = client.UserPoolClient?.ClientId;
  if (!clientId) throw new Error('CreateUserPoolClient returned no id');
  return { userPoolId, clientId };
}

/**
 * A user with a phone number. `temporary`: created with a TemporaryPassword only, so the first
 * sign-in meets NEW_PASSWORD_REQUIRED (FORCE_CHANGE_PASSWORD); otherwise the password is permanent.
 */
export async function createUser(
  admin: CognitoIdentityProviderClient,
  userPoolId: string,
  opts: { password: string; temporary?: boolean },
): Promise<{ username: string; password: string; phone: string }> {
  const username = `challenger${process.pid}-${++serial}@example.com`;
  const phone = `+4470000${String(1000 + serial).slice(-4)}`;
  await admin.send(
    new AdminCreateUserCommand({
      UserPoolId: userPoolId,
      Username: username,
      MessageAction: 'SUPPRESS',
      ...(opts.temporary ? { TemporaryPassword: opts.password } : {}),
      UserAttributes: [
        { Name: 'email', Value: username },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'phone_number', Value: phone },
        { Name: 'phone_number_verified', Value: 'true' },
      ],
    }),
  );
  if (!opts.temporary) {
    await admin.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: userPoolId,
        Username: username,
        Password: opts.password,
        Permanent: true,
      }),
    );
  }
  return { username, password: opts.password, phone };
}

/** RFC 4648 base32 (no padding needed) to bytes. */
function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => Number.parseInt(b, 2)));
}

/** RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) for a base32 secret at `time` (ms). */
export function totp(secret: string, time = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 30_000)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * Turns MFA on for a user as an app would, with a fresh access token: TOTP (associate + verify)
 * and/or SMS. Answers the TOTP secret (base32) when TOTP was enabled.
 */
export async function enableMfa(
  admin: CognitoIdentityProviderClient,
  clientId: string,
  user: { username: string; password: string },
  methods: { totp?: boolean; sms?: boolean },
): Promise<string | undefined> {
  const auth = await admin.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: user.username, PASSWORD: user.password },
    }),
  );
  const accessToken = auth.AuthenticationResult?.AccessToken;
  if (!accessToken) throw new Error('enableMfa: the user could not sign in');
  let secret: string | undefined;
  if (methods.totp) {
    const assoc = await admin.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }));
    secret = assoc.SecretCode;
    if (!secret) throw new Error('AssociateSoftwareToken returned no secret');
    await admin.send(
      new VerifySoftwareTokenCommand({ AccessToken: accessToken, UserCode: totp(secret), FriendlyDeviceName: 'test' }),
    );
  }
  await admin.send(
    new SetUserMFAPreferenceCommand({
      AccessToken: accessToken,
      ...(methods.totp ? { SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: !methods.sms } } : {}),
      ...(methods.sms ? { SMSMfaSettings: { Enabled: true, PreferredMfa: !methods.totp } } : {}),
    }),
  );
  return secret;
}

/**
 * cognito-local 5.3 sends an SMS MFA code only to a user with an SMS `MFAOptions` entry, which no API
 * it implements can set (AdminSetUserSettings is missing). This writes it into the pool's data file;
 * cognito-local must be stopped (it caches pools) and started again on the same directory.
 */
export async function seedSmsMfaOption(cwd: string, userPoolId: string, username: string): Promise<void> {
  const file = join(cwd, '.cognito', 'db', `${userPoolId}.json`);
  const data = JSON.parse(await readFile(file, 'utf8')) as { Users: Record<string, Record<string, unknown>> };
  // cognito-local keys users by an internal id (the sub) when the username looks like an e-mail.
  const user = Object.values(data.Users).find(
    (u) =>
      u['Username'] === username ||
      (u['Attributes'] as Array<{ Name: string; Value: string }>).some(
        (a) => a.Name === 'email' && a.Value === username,
      ),
  );
  if (!user) throw new Error(`seedSmsMfaOption: no user ${username} in ${file}`);
  user['MFAOptions'] = [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }];
  await writeFile(file, JSON.stringify(data, null, 2));
}

/** The last code cognito-local "delivered" to `username` (its internal one), read from its console output. */
export function lastDeliveredCode(output: string, username: string): string | undefined {
  const codes = [...output.matchAll(/Username:\s*(\S+)[\s\S]*?Code:\s*(\d+)/g)].filter((m) => m[1] === username);
  return codes.at(-1)?.[2];
}
