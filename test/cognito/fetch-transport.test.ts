/** `authchart/cognito` with an injected fake `fetch`: the wire format, retries, aborts, errors and SRP. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { isAuthError, type SignInChallenge } from '../../src/index.js';
import { failure, fault, hmac, make, RESULT, signal, tokens } from '../helpers/fake-cognito-fetch.js';
import { makeTokens } from '../helpers/tokens.js';

describe('authchart/cognito: the wire', () => {
  it('POSTs Cognito JSON to the regional endpoint with the target header', async () => {
    const { services, calls } = make(() => ({ body: RESULT }));
    await expect(services.signIn({ username: 'alice', password: 'pw' }, signal())).resolves.toEqual(tokens);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      url: 'https://cognito-idp.eu-west-1.amazonaws.com/',
      target: 'AWSCognitoIdentityProviderService.InitiateAuth',
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: {
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: 'client-1',
        AuthParameters: { USERNAME: 'alice', PASSWORD: 'pw' },
      },
    });
  });

  it('refresh, GlobalSignOut and RevokeToken send what Cognito expects, to an overridden endpoint', async () => {
    const { services, calls } = make(
      (c) =>
        c.target.endsWith('InitiateAuth') ? { body: { AuthenticationResult: { AccessToken: 'a', IdToken: 'i' } } } : {},
      { endpoint: 'http://127.0.0.1:1/' },
    );
    await expect(services.refresh('r-1', signal())).resolves.toEqual({ accessToken: 'a', idToken: 'i' });
    await services.globalSignOut('acc', signal());
    await services.revokeToken('r-1', signal());
    expect(calls.map((c) => [c.url, c.target.split('.')[1], c.body])).toEqual([
      [
        'http://127.0.0.1:1/',
        'InitiateAuth',
        { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: 'client-1', AuthParameters: { REFRESH_TOKEN: 'r-1' } },
      ],
      ['http://127.0.0.1:1/', 'GlobalSignOut', { AccessToken: 'acc' }],
      ['http://127.0.0.1:1/', 'RevokeToken', { Token: 'r-1', ClientId: 'client-1' }],
    ]);
  });

  it('SECRET_HASH = base64 HMAC-SHA256(secret, username + clientId) on sign-in, challenge answer and refresh; RevokeToken sends ClientSecret', async () => {
    const { services, calls } = make(
      (c) =>
        c.target.endsWith('.InitiateAuth') && (c.body['AuthFlow'] as string) === 'USER_PASSWORD_AUTH'
          ? {
              body: {
                ChallengeName: 'SOFTWARE_TOKEN_MFA',
                Session: 's',
                ChallengeParameters: { USER_ID_FOR_SRP: 'uid-1' },
              },
            }
          : { body: RESULT },
      { clientSecret: 's3cret' },
    );
    const step = (await services.signIn({ username: 'alice', password: 'pw' }, signal())) as SignInChallenge;
    await services.respondToChallenge?.({ challenge: step, answer: '123456' }, signal());
    await services.refresh(tokens.refreshToken, signal());
    await services.revokeToken(tokens.refreshToken, signal());
    const [signIn, answer, refresh, revoke] = calls.map((c) => c.body);
    expect(signIn?.['AuthParameters']).toMatchObject({ SECRET_HASH: hmac('s3cret', 'aliceclient-1') });
    expect(answer?.['ChallengeResponses']).toEqual({
      USERNAME: 'uid-1',
      SOFTWARE_TOKEN_MFA_CODE: '123456',
      SECRET_HASH: hmac('s3cret', 'uid-1client-1'),
    });
    // Refresh hashes the internal username (the access token's `username` claim).
    expect(refresh?.['AuthParameters']).toEqual({
      REFRESH_TOKEN: tokens.refreshToken,
      SECRET_HASH: hmac('s3cret', 'internal-aliceclient-1'),
    });
    expect(revoke).toEqual({ Token: tokens.refreshToken, ClientId: 'client-1', ClientSecret: 's3cret' });
    expect(JSON.stringify(calls.map((c) => c.body))).not.toContain(hmac('s3cret', 'aliceclient-2'));
  });

  it('a session sign-in is InitiateAuth USER_AUTH with the Session and USERNAME (and SECRET_HASH), no password', async () => {
    const { services, calls } = make(() => ({ body: RESULT }), { clientSecret: 's3cret' });
    const credentials = { username: 'alice', session: 'confirm-session-1', authFlow: 'USER_AUTH' } as const;
    await expect(services.signIn(credentials, signal())).resolves.toEqual(tokens);
    expect(calls.map((c) => [c.target.split('.')[1], c.body])).toEqual([
      [
        'InitiateAuth',
        {
          AuthFlow: 'USER_AUTH',
          ClientId: 'client-1',
          AuthParameters: { USERNAME: 'alice', SECRET_HASH: hmac('s3cret', 'aliceclient-1') },
          Session: 'confirm-session-1',
        },
      ],
    ]);
  });

  it('a refused session sign-in keeps the code and service name, and the session is in no message', async () => {
    const session = 'confirm-session-echoed-back';
    const { services } = make(() => fault('InvalidParameterException', 400, `USER_AUTH not enabled (${session})`));
    const error = await failure(services.signIn({ username: 'alice', session, authFlow: 'USER_AUTH' }, signal()));
    expect(error).toMatchObject({ code: 'Service', serviceName: 'InvalidParameterException' });
    expect(error.message).not.toContain(session);
  });

  it('with a secret, refresh before any sign-in by this service is InvalidConfig and sends nothing', async () => {
    const { services, calls } = make(() => ({ body: RESULT }), { clientSecret: 's3cret' });
    expect(await failure(services.refresh('r', signal()))).toMatchObject({ code: 'InvalidConfig' });
    expect(calls).toHaveLength(0);
  });

  it("with a secret, a refresh by a service that signed no one in takes SECRET_HASH's username from the access token (a restored session)", async () => {
    const { services, calls } = make(() => ({ body: RESULT }), { clientSecret: 's3cret' });
    const bound = makeTokens({ username: 'internal-bob', accessClaims: { device_key: 'eu-west-1_dev-1' } });
    await services.refresh('r', signal(), bound.accessToken);
    expect(calls[0]?.body['AuthParameters']).toEqual({
      REFRESH_TOKEN: 'r',
      DEVICE_KEY: 'eu-west-1_dev-1',
      SECRET_HASH: hmac('s3cret', 'internal-bobclient-1'),
    });
  });
});

describe('authchart/cognito: retries and aborts', () => {
  it.each([
    ['a 5xx', fault('InternalErrorException', 500), 'Service'],
    ['TooManyRequestsException', fault('TooManyRequestsException'), 'Throttled'],
    ['LimitExceededException', fault('LimitExceededException'), 'Throttled'],
    ['HTTP 429', fault('SomethingElse', 429), 'Throttled'],
  ] as const)('retries %s exactly once, then reports it', async (_what, reply, code) => {
    const { services, calls } = make(() => reply);
    expect(await failure(services.revokeToken('r', signal()))).toMatchObject({ code });
    expect(calls).toHaveLength(2);
  });

  it('a retry that succeeds is a success', async () => {
    const { services, calls } = make((_c, n) => (n === 1 ? fault('InternalErrorException', 503) : { body: RESULT }));
    await expect(services.signIn({ username: 'a', password: 'p' }, signal())).resolves.toEqual(tokens);
    expect(calls).toHaveLength(2);
  });

  it('does not retry a 4xx refusal, nor anything when maxAttempts is 1', async () => {
    const a = make(() => fault('NotAuthorizedException'));
    expect(await failure(a.services.signIn({ username: 'a', password: 'p' }, signal()))).toMatchObject({
      code: 'NotAuthorized',
    });
    expect(a.calls).toHaveLength(1);
    const b = make(() => fault('InternalErrorException', 500), { maxAttempts: 1 });
    await failure(b.services.revokeToken('r', signal()));
    expect(b.calls).toHaveLength(1);
    for (const maxAttempts of [5, Number.NaN]) {
      const c = make(() => fault('InternalErrorException', 500), { maxAttempts });
      await failure(c.services.revokeToken('r', signal()));
      expect(c.calls).toHaveLength(2);
    }
  });

  it('an abort during the retry delay ends the call at once as Timeout, with no second request', async () => {
    const controller = new AbortController();
    const { services, calls } = make(
      () => {
        setTimeout(() => controller.abort(), 20);
        return fault('InternalErrorException', 500);
      },
      { retryDelayMs: 10_000 },
    );
    const t0 = performance.now();
    const error = await failure(services.revokeToken('r', controller.signal));
    expect(error).toMatchObject({ code: 'Timeout' });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(calls).toHaveLength(1);
  });

  it('an already aborted signal sends nothing', async () => {
    const { services, calls } = make(() => ({ body: RESULT }));
    expect(await failure(services.signIn({ username: 'a', password: 'p' }, AbortSignal.abort()))).toMatchObject({
      code: 'Timeout',
    });
    expect(calls).toHaveLength(0);
  });
});

describe('authchart/cognito: error codes', () => {
  const challenge: SignInChallenge = {
    challenge: 'totpCode',
    challengeName: 'SOFTWARE_TOKEN_MFA',
    session: 'SESSION-SECRET',
    username: 'u',
  };
  it.each([
    ['InitiateAuth', 'NotAuthorizedException', 'Incorrect username or password.', 'NotAuthorized'],
    ['InitiateAuth', 'InvalidPasswordException', 'Invalid password', 'NotAuthorized'],
    ['InitiateAuth', 'UserNotFoundException', 'User does not exist.', 'UserNotFound'],
    ['InitiateAuth', 'UserNotConfirmedException', 'User is not confirmed.', 'UserNotConfirmed'],
    ['InitiateAuth', 'PasswordResetRequiredException', 'Password reset required', 'PasswordResetRequired'],
    ['InitiateAuth', 'com.amazonaws.cognito#NotAuthorizedException', 'x', 'NotAuthorized'],
    ['InitiateAuth', 'ResourceNotFoundException', 'User pool client does not exist.', 'Service'],
    ['Respond', 'CodeMismatchException', 'Invalid code received for user', 'CodeMismatch'],
    ['Respond', 'ExpiredCodeException', 'Invalid code provided, please request a code again.', 'ExpiredCode'],
    ['Respond', 'InvalidPasswordException', 'Password does not conform to policy', 'InvalidPassword'],
    ['Respond', 'NotAuthorizedException', 'Invalid session for the user, session is expired.', 'Expired'],
    ['Respond', 'NotAuthorizedException', 'Incorrect username or password.', 'NotAuthorized'],
    ['RevokeToken', 'UnsupportedOperationException', 'Token revocation is not enabled', 'RevocationUnsupported'],
    ['GlobalSignOut', 'UnsupportedOperationException', 'x', 'Service'],
  ] as const)('%s: %s (%s) → %s', async (op, type, message, code) => {
    const { services } = make(() => fault(type, 400, message));
    const run =
      op === 'InitiateAuth'
        ? services.signIn({ username: 'a', password: 'hunter2-secret' }, signal())
        : op === 'Respond'
          ? services.respondToChallenge!({ challenge, answer: '000000' }, signal())
          : op === 'RevokeToken'
            ? services.revokeToken('r', signal())
            : services.globalSignOut('a', signal());
    const error = await failure(run);
    expect(isAuthError(error, code)).toBe(true);
    expect(error.serviceName).toBe(type.split('#').pop());
    expect(error.message).not.toMatch(/hunter2|SESSION-SECRET/);
  });

  it('Network names the cause from the fetch error (ECONNREFUSED, ECONNRESET, DNS), and no request is retried', async () => {
    for (const [code, words] of [
      ['ECONNREFUSED', 'connection refused'],
      ['ECONNRESET', 'connection reset'],
      ['ENOTFOUND', 'DNS lookup failed'],
    ]) {
      const { services, calls } = make(
        () => new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code }) }),
      );
      const error = await failure(services.revokeToken('r', signal()));
      expect(error).toMatchObject({ code: 'Network', message: expect.stringContaining(`${words} (${code})`) });
      expect(calls).toHaveLength(1);
    }
  });

  it('Network with the real fetch against a closed port of 127.0.0.1 says connection refused', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const services = cognitoServices({
      clientId: 'c',
      region: 'x',
      endpoint: `http://127.0.0.1:${port}/`,
      authFlow: 'USER_PASSWORD_AUTH',
    });
    const error = await failure(services.revokeToken('r', signal()));
    expect(error).toMatchObject({
      code: 'Network',
      message: expect.stringContaining('connection refused (ECONNREFUSED)'),
    });
  });

  it('a 200 with tokens missing is InvalidToken; InvalidConfig without clientId, region or (for SRP) userPoolId', async () => {
    const { services } = make(() => ({ body: { AuthenticationResult: { AccessToken: 'a' } } }));
    expect(await failure(services.signIn({ username: 'a', password: 'p' }, signal()))).toMatchObject({
      code: 'InvalidToken',
    });
    for (const bad of [
      { clientId: '', region: 'r', userPoolId: 'r_P' },
      { clientId: 'c', region: '', userPoolId: 'r_P' },
      { clientId: 'c', region: 'r' },
    ]) {
      expect(() => cognitoServices(bad)).toThrow(expect.objectContaining({ code: 'InvalidConfig' }));
    }
    // A per-call SRP on a service built for USER_PASSWORD_AUTH without a pool id: InvalidConfig, nothing sent.
    const p = make(() => ({ body: RESULT }));
    expect(
      await failure(p.services.signIn({ username: 'a', password: 'p', authFlow: 'USER_SRP_AUTH' }, signal())),
    ).toMatchObject({
      code: 'InvalidConfig',
    });
    expect(p.calls).toHaveLength(0);
  });
});
