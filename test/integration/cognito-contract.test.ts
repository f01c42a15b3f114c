/**
 * One contract, both transports (`authchart/cognito` on fetch, `authchart/cognito-sdk`), against
 * cognito-local at the service level. cognito-local has no SRP, so the flow is USER_PASSWORD_AUTH
 * (SRP is proven by the known-answer test and the fetch tests' proof-checking server).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cognitoServices as fetchServices } from '../../src/adapters/cognito/index.js';
import { cognitoServices as sdkServices } from '../../src/adapters/cognito-sdk.js';
import { type AuthServices, isAuthError, type SignInChallenge, type SignInStep } from '../../src/index.js';
import { createPool, createUser, enableMfa, lastDeliveredCode, totp } from '../../tools/cognito-admin.js';
import { adminClient, type EmbeddedCognito } from '../../tools/embedded-cognito.js';
import { timeoutSignal as signal } from '../helpers/async.js';
import { freshPool, type SmsCognito, startSmsCognito, wrongCode } from './helpers.js';

type Make = (o: { clientId: string; region: string; endpoint: string; authFlow: 'USER_PASSWORD_AUTH' }) => AuthServices;
const TRANSPORTS: Array<[string, Make]> = [
  ['authchart/cognito (fetch)', fetchServices],
  ['authchart/cognito-sdk', sdkServices],
];
const PASSWORD = 'Correct-Horse-9';
const failure = (p: Promise<unknown> | undefined) =>
  Promise.resolve(p).then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
function asChallenge(step: SignInStep | undefined): SignInChallenge {
  if (!step || !('challenge' in step)) throw new Error(`expected a challenge, got ${JSON.stringify(step)}`);
  return step;
}
function expectTokens(step: SignInStep | undefined) {
  expect(step).toMatchObject({ accessToken: expect.any(String), idToken: expect.any(String) });
}

/** A second cognito-local whose pool file was edited to give users an SMS MFA option (see startSmsCognito). */
let sms: SmsCognito | undefined;
let smsCognito: EmbeddedCognito | undefined;
let smsSetup: { clientId: string; username: string; totpUser: string; totpSecret: string } | undefined;
beforeAll(async () => {
  sms = await startSmsCognito(PASSWORD);
  smsCognito = sms.cognito;
  smsSetup = {
    clientId: sms.clientId,
    username: sms.smsUser.username,
    totpUser: sms.bothUser.username,
    totpSecret: sms.totpSecret,
  };
}, 60_000);
afterAll(async () => {
  await sms?.stop();
});

describe.each(TRANSPORTS)('%s against cognito-local', (_name, make) => {
  const endpoint = () => inject('cognitoEndpoint');
  const servicesFor = (clientId: string, at = endpoint()) =>
    make({ clientId, region: 'local', endpoint: at, authFlow: 'USER_PASSWORD_AUTH' });

  it('sign-in, refresh; after RevokeToken the refresh token is refused', async () => {
    const pool = await freshPool();
    const s = servicesFor(pool.clientId);
    const step = await s.signIn({ username: pool.username, password: pool.password }, signal());
    expectTokens(step);
    const { refreshToken } = step as { refreshToken: string };
    await expect(s.refresh(refreshToken, signal())).resolves.toMatchObject({ accessToken: expect.any(String) });
    await s.revokeToken(refreshToken, signal());
    expect(isAuthError(await failure(s.refresh(refreshToken, signal())), 'NotAuthorized')).toBe(true);
  });

  it('a wrong password and an unknown user are both NotAuthorized (the pool does not reveal users)', async () => {
    const pool = await freshPool();
    const s = servicesFor(pool.clientId);
    const wrong = await failure(s.signIn({ username: pool.username, password: 'Wrong-Horse-9' }, signal()));
    expect(wrong).toMatchObject({ code: 'NotAuthorized' });
    expect(String((wrong as Error).message)).not.toContain('Wrong-Horse-9');
    const unknown = await failure(s.signIn({ username: 'nobody@example.com', password: PASSWORD }, signal()));
    expect(unknown).toMatchObject({ code: 'NotAuthorized' });
  });

  it('NEW_PASSWORD_REQUIRED (AdminCreateUser with a temporary password) → new password → tokens', async () => {
    const admin = adminClient(endpoint());
    const { userPoolId, clientId } = await createPool(admin);
    const user = await createUser(admin, userPoolId, { password: 'Temp-Pass-1', temporary: true });
    admin.destroy();
    const s = servicesFor(clientId);
    const challenge = asChallenge(await s.signIn({ username: user.username, password: 'Temp-Pass-1' }, signal()));
    expect(challenge).toMatchObject({ challenge: 'newPassword', challengeName: 'NEW_PASSWORD_REQUIRED' });
    expectTokens(await s.respondToChallenge?.({ challenge, answer: 'Brand-New-Pass-2' }, signal()));
    // The new password is now the password.
    expectTokens(await s.signIn({ username: user.username, password: 'Brand-New-Pass-2' }, signal()));
  });

  it('SOFTWARE_TOKEN_MFA with a real TOTP; a wrong code is CodeMismatch', async () => {
    const admin = adminClient(endpoint());
    const { userPoolId, clientId } = await createPool(admin);
    const user = await createUser(admin, userPoolId, { password: PASSWORD });
    const secret = (await enableMfa(admin, clientId, user, { totp: true })) ?? '';
    admin.destroy();
    const s = servicesFor(clientId);
    const challenge = asChallenge(await s.signIn(user, signal()));
    expect(challenge).toMatchObject({ challenge: 'totpCode', challengeName: 'SOFTWARE_TOKEN_MFA' });
    const wrong = await failure(s.respondToChallenge?.({ challenge, answer: wrongCode(totp(secret)) }, signal()));
    expect(wrong).toMatchObject({ code: 'CodeMismatch' });
    const again = asChallenge(await s.signIn(user, signal()));
    expectTokens(await s.respondToChallenge?.({ challenge: again, answer: totp(secret) }, signal()));
  });

  it('SMS_MFA: the code cognito-local sends (to its console) signs in; a wrong one is CodeMismatch', async () => {
    const setup = smsSetup!;
    const s = servicesFor(setup.clientId, smsCognito!.endpoint);
    const user = { username: setup.username, password: PASSWORD };
    const challenge = asChallenge(await s.signIn(user, signal()));
    expect(challenge).toMatchObject({
      challenge: 'smsCode',
      challengeName: 'SMS_MFA',
      destination: expect.any(String),
    });
    const code = lastDeliveredCode(smsCognito!.output(), challenge.username);
    expect(code).toMatch(/^\d{6}$/);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(await failure(s.respondToChallenge?.({ challenge, answer: wrong }, signal()))).toMatchObject({
      code: 'CodeMismatch',
    });
    expectTokens(await s.respondToChallenge?.({ challenge, answer: code ?? '' }, signal()));
  });

  it('SELECT_MFA_TYPE when SMS and TOTP are both on: either choice leads to its code and tokens', async () => {
    const setup = smsSetup!;
    const s = servicesFor(setup.clientId, smsCognito!.endpoint);
    const user = { username: setup.totpUser, password: PASSWORD };
    const select = asChallenge(await s.signIn(user, signal()));
    expect(select).toMatchObject({ challenge: 'selectMfa', challengeName: 'SELECT_MFA_TYPE' });
    expect([...(select.options ?? [])].sort()).toEqual(['SMS_MFA', 'SOFTWARE_TOKEN_MFA']);
    const totpStep = asChallenge(
      await s.respondToChallenge?.({ challenge: select, answer: 'SOFTWARE_TOKEN_MFA' }, signal()),
    );
    expect(totpStep.challenge).toBe('totpCode');
    expectTokens(await s.respondToChallenge?.({ challenge: totpStep, answer: totp(setup.totpSecret) }, signal()));

    const select2 = asChallenge(await s.signIn(user, signal()));
    const smsStep = asChallenge(await s.respondToChallenge?.({ challenge: select2, answer: 'SMS_MFA' }, signal()));
    expect(smsStep.challenge).toBe('smsCode');
    const code = lastDeliveredCode(smsCognito!.output(), smsStep.username) ?? '';
    expectTokens(await s.respondToChallenge?.({ challenge: smsStep, answer: code }, signal()));
  });
});
