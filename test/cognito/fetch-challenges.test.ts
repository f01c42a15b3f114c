/**
 * `authchart/cognito` sign-in steps with a fake fetch: every challenge mapped both ways, and
 * USER_SRP_AUTH end to end against a test server that checks the SRP proof (never accepts any).
 */
import { describe, expect, it } from 'vitest';
import { isAuthError, type SignInChallenge } from '../../src/index.js';
import { failure, fault, make, RESULT, signal, tokens } from '../helpers/fake-cognito-fetch.js';
import { srpServer } from '../helpers/srp-server.js';

const CASES = [
  ['NEW_PASSWORD_REQUIRED', {}, 'newPassword', 'NEW_PASSWORD', 'N3w-Passw0rd!', {}],
  ['SOFTWARE_TOKEN_MFA', {}, 'totpCode', 'SOFTWARE_TOKEN_MFA_CODE', '123456', {}],
  [
    'SMS_MFA',
    { CODE_DELIVERY_DESTINATION: '+*******1234', CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS' },
    'smsCode',
    'SMS_MFA_CODE',
    '654321',
    { destination: '+*******1234' },
  ],
  [
    'EMAIL_OTP',
    { CODE_DELIVERY_DESTINATION: 'a***@e***' },
    'emailCode',
    'EMAIL_OTP_CODE',
    '11223344',
    { destination: 'a***@e***' },
  ],
  [
    'SELECT_MFA_TYPE',
    { MFAS_CAN_CHOOSE: '["SMS_MFA","SOFTWARE_TOKEN_MFA"]' },
    'selectMfa',
    'ANSWER',
    'SOFTWARE_TOKEN_MFA',
    { options: ['SMS_MFA', 'SOFTWARE_TOKEN_MFA'] },
  ],
] as const;

describe('authchart/cognito: challenges', () => {
  it.each(CASES)('%s → %s, and the answer goes back under its key', async (name, params, kind, key, answer, extra) => {
    const { services, calls } = make((c) =>
      c.target.endsWith('.InitiateAuth')
        ? {
            body: {
              ChallengeName: name,
              Session: 'sess-1',
              ChallengeParameters: { USER_ID_FOR_SRP: 'uid-1', ...params },
            },
          }
        : { body: RESULT },
    );
    const step = await services.signIn({ username: 'alice', password: 'pw' }, signal());
    expect(step).toEqual({ challenge: kind, challengeName: name, session: 'sess-1', username: 'uid-1', ...extra });
    const done = await services.respondToChallenge?.({ challenge: step as SignInChallenge, answer }, signal());
    expect(done).toEqual(tokens);
    expect(calls[1]).toMatchObject({
      target: 'AWSCognitoIdentityProviderService.RespondToAuthChallenge',
      body: {
        ChallengeName: name,
        ClientId: 'client-1',
        Session: 'sess-1',
        ChallengeResponses: { USERNAME: 'uid-1', [key]: answer },
      },
    });
  });

  it('a challenge may follow a challenge (SELECT_MFA_TYPE → SMS_MFA)', async () => {
    const { services } = make((_c, n) =>
      n === 1
        ? {
            body: {
              ChallengeName: 'SELECT_MFA_TYPE',
              Session: 's1',
              ChallengeParameters: { MFAS_CAN_CHOOSE: '["SMS_MFA"]' },
            },
          }
        : {
            body: {
              ChallengeName: 'SMS_MFA',
              Session: 's2',
              ChallengeParameters: { CODE_DELIVERY_DESTINATION: '+***9' },
            },
          },
    );
    const first = (await services.signIn({ username: 'alice', password: 'pw' }, signal())) as SignInChallenge;
    expect(first.username).toBe('alice');
    const second = await services.respondToChallenge?.({ challenge: first, answer: 'SMS_MFA' }, signal());
    expect(second).toEqual({
      challenge: 'smsCode',
      challengeName: 'SMS_MFA',
      session: 's2',
      username: 'alice',
      destination: '+***9',
    });
  });

  it('an answer outside selectMfa options is InvalidInput and sends nothing', async () => {
    const { services, calls } = make(() => ({ body: RESULT }));
    const challenge: SignInChallenge = {
      challenge: 'selectMfa',
      challengeName: 'SELECT_MFA_TYPE',
      session: 's',
      username: 'u',
      options: ['SMS_MFA'],
    };
    expect(await failure(services.respondToChallenge!({ challenge, answer: 'EMAIL_OTP' }, signal()))).toMatchObject({
      code: 'InvalidInput',
    });
    expect(calls).toHaveLength(0);
  });

  it.each(['CUSTOM_CHALLENGE', 'MFA_SETUP', 'DEVICE_SRP_AUTH'])('%s is ChallengeRequired naming it', async (name) => {
    const { services } = make(() => ({ body: { ChallengeName: name, Session: 's' } }));
    const error = await failure(services.signIn({ username: 'a', password: 'p' }, signal()));
    expect(isAuthError(error, 'ChallengeRequired')).toBe(true);
    expect(error.challengeName).toBe(name);
    const challenge: SignInChallenge = { challenge: 'totpCode', challengeName: name, session: 's', username: 'u' };
    expect(await failure(services.respondToChallenge!({ challenge, answer: '1' }, signal()))).toMatchObject({
      code: 'ChallengeRequired',
      challengeName: name,
    });
  });
});

describe('authchart/cognito: USER_SRP_AUTH against a server that checks the proof', () => {
  const POOL = 'eu-west-1_AbCdEf123';
  /** A fake Cognito doing SRP for one user whose internal id differs from the sign-in name (an alias). */
  function srpCognito(password: string, next?: object) {
    const server = srpServer({ poolName: 'AbCdEf123', userId: 'uuid-7', password });
    return make(
      (c) => {
        if (c.target.endsWith('.InitiateAuth')) {
          const p = c.body['AuthParameters'] as Record<string, string>;
          expect(c.body['AuthFlow']).toBe('USER_SRP_AUTH');
          expect(p['PASSWORD']).toBeUndefined();
          return {
            body: {
              ChallengeName: 'PASSWORD_VERIFIER',
              Session: 'srp-sess',
              ChallengeParameters: server.begin(p['SRP_A'] ?? ''),
            },
          };
        }
        const r = c.body['ChallengeResponses'] as Record<string, string>;
        if (c.body['ChallengeName'] !== 'PASSWORD_VERIFIER' || c.body['Session'] !== 'srp-sess' || !server.verify(r)) {
          return fault('NotAuthorizedException', 400, 'Incorrect username or password.');
        }
        return { body: next ?? RESULT };
      },
      { authFlow: 'USER_SRP_AUTH', userPoolId: POOL },
    );
  }

  it('the right password signs in, and the password never goes on the wire', async () => {
    for (const password of ['Correct-Horse-9', 'pässwörd-密码-🔑']) {
      const { services, calls } = srpCognito(password);
      await expect(services.signIn({ username: 'alice@example.com', password }, signal())).resolves.toEqual(tokens);
      expect(calls).toHaveLength(2);
      expect(JSON.stringify(calls)).not.toContain(password);
    }
  });

  it('a wrong password is NotAuthorized (the server rejects the proof)', async () => {
    const { services } = srpCognito('Correct-Horse-9');
    const error = await failure(
      services.signIn({ username: 'alice@example.com', password: 'Correct-Horse-8' }, signal()),
    );
    expect(isAuthError(error, 'NotAuthorized')).toBe(true);
  });

  it('the default flow is SRP; a per-call authFlow overrides it', async () => {
    const { services, calls } = srpCognito('pw-1');
    await services.signIn({ username: 'alice', password: 'pw-1' }, signal());
    await failure(services.signIn({ username: 'alice', password: 'pw-1', authFlow: 'USER_PASSWORD_AUTH' }, signal()));
    expect(calls.map((c) => c.body['AuthFlow'] ?? c.body['ChallengeName'])).toEqual([
      'USER_SRP_AUTH',
      'PASSWORD_VERIFIER',
      'USER_PASSWORD_AUTH',
    ]);
  });

  it('after the proof, Cognito may ask for MFA: mapped like any challenge', async () => {
    const mfa = { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'mfa-sess', ChallengeParameters: {} };
    const { services } = srpCognito('pw-2', mfa);
    await expect(services.signIn({ username: 'alice', password: 'pw-2' }, signal())).resolves.toEqual({
      challenge: 'totpCode',
      challengeName: 'SOFTWARE_TOKEN_MFA',
      session: 'mfa-sess',
      username: 'uuid-7',
    });
  });
});
