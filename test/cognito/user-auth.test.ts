/**
 * Sign-in without a password (Cognito's USER_AUTH) through the chart and `authchart/cognito`,
 * against an endpoint that answers Cognito's documented shapes and checks what Cognito checks:
 * codes sent by e-mail and SMS, the choice of a first factor, the password sent or proven by SRP,
 * and passkeys verified by `@simplewebauthn/server` (cognito-local has no USER_AUTH).
 */
import { describe, expect, it } from 'vitest';
import { isAuthError } from '../../src/index.js';
import { PASSWORD, registerDirectly, USERNAME, userAuthWorld } from '../helpers/user-auth-world.js';

describe('USER_AUTH: a code by e-mail or SMS', () => {
  it('preferredChallenge EMAIL_OTP: the code sent is asked for, and signs in', async () => {
    const w = userAuthWorld();
    const result = await w.auth.signIn({ username: USERNAME, preferredChallenge: 'EMAIL_OTP' });
    expect(result).toEqual({ status: 'challenge', challenge: 'emailCode', destination: 'a***.com' });
    expect(w.auth.state).toBe('signingIn.challenged.emailCodeRequired');
    expect(await w.auth.confirmSignIn(w.lastCode())).toEqual({ status: 'signedIn' });
    expect(w.auth.getSession()?.username).toBe(USERNAME);
    expect(w.endpoint.calls.map((c) => c.target)).toEqual(['InitiateAuth', 'RespondToAuthChallenge']);
    expect(w.endpoint.calls[0]?.body).toMatchObject({
      AuthFlow: 'USER_AUTH',
      AuthParameters: { USERNAME, PREFERRED_CHALLENGE: 'EMAIL_OTP' },
    });
  });

  it('a wrong code is CodeMismatch, and the same challenge takes the right one', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, preferredChallenge: 'SMS_OTP' });
    const wrong = w.lastCode() === '000000' ? '111111' : '000000';
    await expect(w.auth.confirmSignIn(wrong)).rejects.toMatchObject({ code: 'CodeMismatch' });
    expect(w.auth.state).toBe('signingIn.challenged.smsCodeRequired');
    expect(await w.auth.confirmSignIn(w.lastCode())).toEqual({ status: 'signedIn' });
    expect(w.endpoint.calls[1]?.body).toMatchObject({ ChallengeName: 'SMS_OTP' });
  });
});

describe('USER_AUTH: choosing a first factor', () => {
  it('no preference: the factors offered are the choice, and a code chosen is sent', async () => {
    const w = userAuthWorld();
    const result = await w.auth.signIn({ username: USERNAME });
    expect(result).toEqual({
      status: 'challenge',
      challenge: 'selectChallenge',
      options: ['PASSWORD', 'PASSWORD_SRP', 'EMAIL_OTP', 'SMS_OTP'],
    });
    expect(w.auth.state).toBe('signingIn.challenged.challengeSelectionRequired');
    await expect(w.auth.confirmSignIn('WEB_AUTHN')).rejects.toMatchObject({ code: 'InvalidInput' });
    expect(await w.auth.confirmSignIn('EMAIL_OTP')).toMatchObject({ challenge: 'emailCode' });
    expect(await w.auth.confirmSignIn(w.lastCode())).toEqual({ status: 'signedIn' });
  });

  it('PASSWORD chosen: the password is asked for, then sent with the choice', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME });
    expect(await w.auth.confirmSignIn('PASSWORD')).toEqual({ status: 'challenge', challenge: 'password' });
    expect(w.auth.state).toBe('signingIn.challenged.passwordRequired');
    // Asking for the password sent nothing.
    expect(w.endpoint.calls).toHaveLength(1);
    await expect(w.auth.confirmSignIn('wrong-password')).rejects.toMatchObject({ code: 'NotAuthorized' });
    expect(w.auth.state).toBe('signedOut');
    await w.auth.signIn({ username: USERNAME });
    await w.auth.confirmSignIn('PASSWORD');
    expect(await w.auth.confirmSignIn(PASSWORD)).toEqual({ status: 'signedIn' });
    expect(w.endpoint.calls.at(-1)?.body).toMatchObject({
      ChallengeName: 'SELECT_CHALLENGE',
      ChallengeResponses: { USERNAME, ANSWER: 'PASSWORD', PASSWORD },
    });
  });

  it('PASSWORD_SRP chosen: the password is proven by SRP to a server that checks the proof', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME });
    await w.auth.confirmSignIn('PASSWORD_SRP');
    expect(await w.auth.confirmSignIn(PASSWORD)).toEqual({ status: 'signedIn' });
    const sent = JSON.stringify(w.endpoint.calls);
    expect(sent).not.toContain(PASSWORD);
    await w.auth.signOut();
    await w.auth.signIn({ username: USERNAME });
    await w.auth.confirmSignIn('PASSWORD_SRP');
    await expect(w.auth.confirmSignIn('Wrong-Horse-9')).rejects.toMatchObject({ code: 'NotAuthorized' });
  });

  it('a password through USER_AUTH: PASSWORD_SRP asked first, never the password itself', async () => {
    const w = userAuthWorld();
    expect(await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' })).toEqual({
      status: 'signedIn',
    });
    expect(w.endpoint.calls[0]?.body).toMatchObject({
      AuthFlow: 'USER_AUTH',
      AuthParameters: { USERNAME, PREFERRED_CHALLENGE: 'PASSWORD_SRP' },
    });
    expect(JSON.stringify(w.endpoint.calls)).not.toContain(PASSWORD);
  });
});

describe('USER_AUTH: passkeys', () => {
  it('a registered passkey signs in: the prompt answers, and the verifier checks the assertion', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    await registerDirectly(w);
    expect(await w.auth.signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' })).toEqual({
      status: 'signedIn',
    });
    expect(w.authenticator.prompts).toBe(2); // the registration's, and the sign-in's
    expect(w.endpoint.calls.at(-1)?.body).toMatchObject({ ChallengeName: 'WEB_AUTHN' });
  });

  it('chosen at SELECT_CHALLENGE: confirmSignIn resolves once the prompt and the sign-in end', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    await registerDirectly(w);
    const offered = await w.auth.signIn({ username: USERNAME });
    expect(offered).toMatchObject({ challenge: 'selectChallenge', options: expect.arrayContaining(['WEB_AUTHN']) });
    expect(await w.auth.confirmSignIn('WEB_AUTHN')).toEqual({ status: 'signedIn' });
  });

  it('a cancelled prompt is PasskeyCancelled, and nothing is kept', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    await registerDirectly(w);
    w.authenticator.next = 'cancel';
    await expect(w.auth.signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' })).rejects.toMatchObject({
      code: 'PasskeyCancelled',
    });
    expect(w.auth.state).toBe('signedOut');
    expect(w.auth.getSession()).toBeNull();
  });

  it('a sign-out during the prompt aborts it: the sign-in is Cancelled, the sign-out complete', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    await registerDirectly(w);
    w.authenticator.next = 'hang';
    const signIn = w.auth.signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' }).catch((e: unknown) => e);
    await expect.poll(() => w.auth.state).toBe('signingIn.challenged.passkey');
    // A confirmSignIn or another signIn meanwhile is refused: the passkey sign-in has a caller.
    await expect(w.auth.confirmSignIn('x')).rejects.toMatchObject({ code: 'InvalidState' });
    await expect(w.auth.signIn({ username: USERNAME, preferredChallenge: 'EMAIL_OTP' })).rejects.toMatchObject({
      code: 'InvalidState',
    });
    const out = await w.auth.signOut();
    expect(out.status).toBe('complete');
    expect(isAuthError(await signIn, 'Cancelled')).toBe(true);
    expect(w.authenticator.aborted).toBe(1);
    expect(w.auth.state).toBe('signedOut');
  });

  it('a prompt left open past the challenge (challengeMs) ends the sign-in: Expired, the prompt aborted', async () => {
    const w = userAuthWorld({ challengeMs: 300 });
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    await registerDirectly(w);
    w.authenticator.next = 'hang';
    await expect(w.auth.signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' })).rejects.toMatchObject({
      code: 'Expired',
    });
    expect(w.authenticator.aborted).toBe(1);
    expect(w.auth.state).toBe('signedOut');
  });

  it('without createAuth({ passkeys }) a passkey challenge is PasskeyUnsupported, not a crash', async () => {
    const w = userAuthWorld({ passkeys: false });
    // The passkey was registered elsewhere (another device); this instance has no authenticator.
    const other = userAuthWorld();
    await other.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    await registerDirectly(other);
    for (const [username, list] of other.endpoint.passkeys) w.endpoint.passkeys.set(username, list);
    await expect(w.auth.signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' })).rejects.toMatchObject({
      code: 'PasskeyUnsupported',
    });
    expect(w.auth.state).toBe('signedOut');
  });

  it('an assertion for another challenge is refused by the verifier (no endpoint that accepts all)', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    await registerDirectly(w);
    const real = w.authenticator.get.bind(w.authenticator);
    // Answers a stale challenge: what a replayed assertion would carry.
    w.authenticator.get = async (request, signal) =>
      real(JSON.stringify({ ...JSON.parse(request), challenge: 'c3RhbGU' }), signal);
    await expect(w.auth.signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' })).rejects.toMatchObject({
      code: 'NotAuthorized',
    });
  });
});

describe('USER_AUTH: secrets never leave in an error', () => {
  it('a server that echoes the code or the passkey assertion back: neither is in the error', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    await registerDirectly(w);
    const handle = w.endpoint.handle;
    let responses: Record<string, string> = {};
    // Refuses every answer, quoting it (a hostile or careless server).
    w.endpoint.handle = async (op, body) => {
      if (op !== 'RespondToAuthChallenge') return handle(op, body);
      responses = body['ChallengeResponses'] as Record<string, string>;
      const quoted = JSON.stringify(responses);
      return { status: 400, body: { __type: 'NotAuthorizedException', message: `refused ${quoted}` } };
    };
    await w.auth.signIn({ username: USERNAME, preferredChallenge: 'EMAIL_OTP' });
    const code = w.lastCode();
    const codeError = await w.auth.confirmSignIn(code).catch((e: unknown) => e);
    expect(isAuthError(codeError, 'NotAuthorized')).toBe(true);
    expect(JSON.stringify(codeError)).not.toContain(code);
    expect(String((codeError as Error).message)).not.toContain(code);

    const passkeyError = await w.auth
      .signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' })
      .catch((e: unknown) => e);
    expect(isAuthError(passkeyError, 'NotAuthorized')).toBe(true);
    const sent = JSON.parse(responses['CREDENTIAL'] ?? '{}');
    const signature = (sent as { response: { signature: string } }).response.signature;
    expect(signature.length).toBeGreaterThan(20);
    expect(`${(passkeyError as Error).message} ${JSON.stringify(passkeyError)}`).not.toContain(signature);
  });
});
