import {
  GlobalSignOutCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { cognitoServices as baseServices, mapCognitoError } from '../../src/adapters/cognito-sdk.js';
import { createAuth, isAuthError, memoryStorage } from '../../src/index.js';
import { signal } from '../helpers/async.js';
import { hmac } from '../helpers/fake-cognito-fetch.js';
import { mockedSdkClient, sdkException } from '../helpers/sdk-mock.js';
import { makeTokens } from '../helpers/tokens.js';

const { client, mock } = mockedSdkClient();
const exception = (name: string, status: number) => sdkException(name, status);

// These tests are about the SDK plumbing; SRP has its own (fetch-transport and known-answer) tests.
const cognitoServices = (o: Parameters<typeof baseServices>[0]) =>
  baseServices({ authFlow: 'USER_PASSWORD_AUTH', ...o });

describe('authchart/cognito-sdk (aws-sdk-client-mock)', () => {
  it('GlobalSignOut success (which cognito-local cannot produce): complete, no RevokeToken', async () => {
    const tokens = makeTokens({ revocable: true, clientId: 'abc' });
    mock.on(InitiateAuthCommand).resolves({
      AuthenticationResult: {
        AccessToken: tokens.accessToken,
        IdToken: tokens.idToken,
        RefreshToken: tokens.refreshToken,
      },
    });
    mock.on(GlobalSignOutCommand).resolves({});
    const auth = createAuth({
      services: cognitoServices({ clientId: 'abc', region: 'eu-west-1', client }),
      storage: memoryStorage(),
    });
    await auth.signIn({ username: 'alice@example.com', password: 'pw' });
    const result = await auth.signOut({ global: true });
    expect(result).toMatchObject({ status: 'complete', steps: { globalSignOut: 'done', revokeToken: 'notRun' } });
    expect(mock.commandCalls(GlobalSignOutCommand)[0]?.args[0].input).toEqual({ AccessToken: tokens.accessToken });
    expect(mock.commandCalls(RevokeTokenCommand)).toHaveLength(0);
    expect(mock.commandCalls(InitiateAuthCommand)[0]?.args[0].input).toMatchObject({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: 'abc',
      AuthParameters: { USERNAME: 'alice@example.com', PASSWORD: 'pw' },
    });
  });

  it('RevokeToken sends the refresh token with the client id, and passes the abort signal', async () => {
    mock.on(RevokeTokenCommand).resolves({});
    const s = cognitoServices({ clientId: 'abc', region: 'eu-west-1', client });
    const controller = new AbortController();
    await s.revokeToken('the-refresh-token', controller.signal);
    const call = mock.commandCalls(RevokeTokenCommand)[0];
    expect(call?.args[0].input).toEqual({ Token: 'the-refresh-token', ClientId: 'abc' });
    expect(((call?.args as unknown[] | undefined)?.[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal).toBe(
      controller.signal,
    );
  });

  it('refresh keeps the old refresh token when the answer has none', async () => {
    const fresh = makeTokens({ clientId: 'abc' });
    mock
      .on(InitiateAuthCommand)
      .resolves({ AuthenticationResult: { AccessToken: fresh.accessToken, IdToken: fresh.idToken } });
    const s = cognitoServices({ clientId: 'abc', region: 'eu-west-1', client });
    const out = await s.refresh('old-refresh', signal());
    expect(out).toEqual({ accessToken: fresh.accessToken, idToken: fresh.idToken });
    expect(mock.commandCalls(InitiateAuthCommand)[0]?.args[0].input).toMatchObject({
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: 'old-refresh' },
    });
  });

  it.each([
    ['NotAuthorizedException', 400, 'NotAuthorized'],
    ['UnsupportedOperationException', 400, 'RevocationUnsupported'],
    ['TooManyRequestsException', 400, 'Throttled'],
    ['InternalErrorException', 500, 'Service'],
  ] as const)('maps %s to %s', async (name, status, code) => {
    mock.on(RevokeTokenCommand).rejects(exception(name, status));
    const s = cognitoServices({ clientId: 'abc', region: 'eu-west-1', client, maxAttempts: 1 });
    const error = await s.revokeToken('t', signal()).catch((e: unknown) => e);
    expect(isAuthError(error, code)).toBe(true);
    expect(error).toMatchObject({ serviceName: name });
  });

  it('maps failures without an HTTP answer to Network, and aborted ones to Timeout', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(mapCognitoError(refused, 'RevokeToken')).toMatchObject({
      code: 'Network',
      message: expect.stringContaining('connection refused (ECONNREFUSED)'),
    });
    const controller = new AbortController();
    controller.abort();
    const aborted = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(mapCognitoError(aborted, 'RevokeToken', controller.signal).code).toBe('Timeout');
  });

  it('a sign-in challenge comes back as a typed step, and its answer goes out as RespondToAuthChallenge', async () => {
    mock.on(InitiateAuthCommand).resolves({
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      Session: 'sess-1',
      ChallengeParameters: { USER_ID_FOR_SRP: 'uuid-alice' },
    });
    const tokens = makeTokens({ clientId: 'abc' });
    mock.on(RespondToAuthChallengeCommand).resolves({
      AuthenticationResult: { AccessToken: tokens.accessToken, IdToken: tokens.idToken, RefreshToken: 'r' },
    });
    const s = cognitoServices({ clientId: 'abc', region: 'eu-west-1', client });
    const step = await s.signIn({ username: 'alice@example.com', password: 'pw' }, signal());
    expect(step).toEqual({
      challenge: 'totpCode',
      challengeName: 'SOFTWARE_TOKEN_MFA',
      session: 'sess-1',
      username: 'uuid-alice',
    });
    if (!('challenge' in step)) throw new Error('expected a challenge');
    const done = await s.respondToChallenge?.({ challenge: step, answer: '123456' }, signal());
    expect(done).toEqual({ accessToken: tokens.accessToken, idToken: tokens.idToken, refreshToken: 'r' });
    expect(mock.commandCalls(RespondToAuthChallengeCommand)[0]?.args[0].input).toEqual({
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      ClientId: 'abc',
      Session: 'sess-1',
      ChallengeResponses: { USERNAME: 'uuid-alice', SOFTWARE_TOKEN_MFA_CODE: '123456' },
    });
  });

  it('an unknown challenge is ChallengeRequired naming it; through createAuth the sign-in fails cleanly', async () => {
    mock.on(InitiateAuthCommand).resolves({ ChallengeName: 'CUSTOM_CHALLENGE', Session: 'sess' });
    const auth = createAuth({ services: cognitoServices({ clientId: 'abc', region: 'eu-west-1', client }) });
    const error = await auth.signIn({ username: 'alice@example.com', password: 'pw' }).catch((e: unknown) => e);
    expect(isAuthError(error, 'ChallengeRequired')).toBe(true);
    expect(error).toMatchObject({ challengeName: 'CUSTOM_CHALLENGE' });
    expect(auth.state).toBe('signedOut');
  });

  it('a session sign-in is InitiateAuth USER_AUTH with the Session, USERNAME and SECRET_HASH, no password', async () => {
    const tokens = makeTokens({ clientId: 'abc' });
    mock.on(InitiateAuthCommand).resolves({
      AuthenticationResult: { AccessToken: tokens.accessToken, IdToken: tokens.idToken, RefreshToken: 'r' },
    });
    const s = cognitoServices({ clientId: 'abc', region: 'eu-west-1', client, clientSecret: 's3cret' });
    const step = await s.signIn({ username: 'alice', session: 'confirm-session-1', authFlow: 'USER_AUTH' }, signal());
    expect(step).toEqual({ accessToken: tokens.accessToken, idToken: tokens.idToken, refreshToken: 'r' });
    expect(mock.commandCalls(InitiateAuthCommand).map((c) => c.args[0].input)).toEqual([
      {
        AuthFlow: 'USER_AUTH',
        ClientId: 'abc',
        AuthParameters: { USERNAME: 'alice', SECRET_HASH: hmac('s3cret', 'aliceabc') },
        Session: 'confirm-session-1',
      },
    ]);
  });

  it('maps the expired challenge session to Expired and a policy-failing new password to InvalidPassword', async () => {
    const s = cognitoServices({ clientId: 'abc', region: 'eu-west-1', client, maxAttempts: 1 });
    const challenge = {
      challenge: 'newPassword' as const,
      challengeName: 'NEW_PASSWORD_REQUIRED',
      session: 'sess',
      username: 'alice',
    };
    mock
      .on(RespondToAuthChallengeCommand)
      .rejectsOnce(
        Object.assign(exception('NotAuthorizedException', 400), {
          message: 'Invalid session for the user, session is expired.',
        }),
      )
      .rejectsOnce(exception('InvalidPasswordException', 400));
    const expired = await s.respondToChallenge?.({ challenge, answer: 'x' }, signal()).catch((e: unknown) => e);
    expect(isAuthError(expired, 'Expired')).toBe(true);
    const weak = await s.respondToChallenge?.({ challenge, answer: 'x' }, signal()).catch((e: unknown) => e);
    expect(isAuthError(weak, 'InvalidPassword')).toBe(true);
  });

  it('rejects missing configuration with InvalidConfig (SRP, the default, needs userPoolId)', () => {
    expect(() => cognitoServices({ clientId: '', region: 'x' })).toThrow(
      expect.objectContaining({ code: 'InvalidConfig' }),
    );
    expect(() => cognitoServices({ clientId: 'a', region: '' })).toThrow(
      expect.objectContaining({ code: 'InvalidConfig' }),
    );
    expect(() => baseServices({ clientId: 'a', region: 'x' })).toThrow(
      expect.objectContaining({ code: 'InvalidConfig', message: expect.stringContaining('userPoolId') }),
    );
    expect(() => baseServices({ clientId: 'a', region: 'x', userPoolId: 'x_Pool' })).not.toThrow();
  });
});
