/**
 * Auto sign-in after sign-up: `signUp({ autoSignIn })` holds the password, `confirmSignUp` answers
 * COMPLETE_AUTO_SIGN_IN, and `autoSignIn` signs in through `auth.signIn` (Cognito's session where
 * it gave one, else the password). What drops it, and that its secrets reach no output.
 */
import { describe, expect, it, vi } from 'vitest';
import { depsOf } from '../../src/account/call.js';
import {
  AUTO_SIGN_IN_WINDOW_MS,
  autoSignIn,
  confirmSignUp,
  resendSignUpCode,
  signUp,
} from '../../src/account/index.js';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { type Auth, createAuth, isAuthError, memoryStorage } from '../../src/index.js';
import { accountInstances, accountTokens, failure, type SignUpPool, signUpCognito } from '../helpers/account.js';
import { type Call, fault } from '../helpers/fake-cognito-fetch.js';

const PASSWORD = 'S3cret-Passw0rd!';
const USER = 'ana@example.com';
const SIGNUP_SESSION = 'signup-session-AYABeB0123456789';
const CONFIRM_SESSION = 'confirm-session-AYABeC0123456789';

const { signedOut } = accountInstances();
const sent = (calls: Call[]) => calls.map((c) => c.target.split('.')[1]);
const initiations = (calls: Call[]) => calls.filter((c) => c.target.endsWith('.InitiateAuth')).map((c) => c.body);

/** An instance whose fake Cognito is `pool`, signed up for USER with auto sign-in and confirmed. */
async function confirmed(pool: Omit<SignUpPool, 'password'> = {}, extra: Parameters<typeof signedOut>[1] = {}) {
  const made = signedOut(signUpCognito({ password: PASSWORD, ...pool }), {
    ...(pool.clientSecret ? { clientSecret: pool.clientSecret } : {}),
    ...extra,
  });
  const { auth } = made;
  await expect(signUp(auth, { username: USER, password: PASSWORD, autoSignIn: true })).resolves.toMatchObject({
    nextStep: { signUpStep: 'CONFIRM_SIGN_UP' },
  });
  await expect(confirmSignUp(auth, { username: USER, confirmationCode: '482913' })).resolves.toEqual({
    isSignUpComplete: true,
    nextStep: { signUpStep: 'COMPLETE_AUTO_SIGN_IN' },
  });
  return made;
}

/** Whether the instance's secret registry still scrubs `value` (it holds it). */
const holds = (auth: Auth, value: string) => depsOf(auth, 'test').secrets?.scrub(value) !== value;

const nothingWaits = async (auth: Auth) => {
  const e = await failure(autoSignIn(auth));
  expect(isAuthError(e) && e.code).toBe('InvalidState');
  expect((e as Error).message).toMatch(/No auto sign-in waits/);
};

describe('autoSignIn: the password path (a pool that answers no session)', () => {
  it('signs in through the chart: signedIn event, the stored record another instance restores', async () => {
    const storage = memoryStorage();
    const { auth, calls } = await confirmed({}, { storage });
    const signedIn = vi.fn();
    auth.on('signedIn', signedIn);
    await expect(autoSignIn(auth)).resolves.toEqual({ status: 'signedIn' });
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    expect(signedIn).toHaveBeenCalledTimes(1);
    expect(initiations(calls)).toEqual([
      {
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: 'client-1',
        AuthParameters: { USERNAME: USER, PASSWORD: PASSWORD },
      },
    ]);
    // The record signIn writes: a second instance on the same storage restores the session.
    const other = createAuth({
      services: cognitoServices({ clientId: 'client-1', region: 'eu-west-1', authFlow: 'USER_PASSWORD_AUTH' }),
      storage,
      sync: null,
    });
    await other.ready;
    expect(other.getSession()).toMatchObject({ signedInWith: 'password' });
    other.stop();
    // Used once: held no more, and the password left the instance's secrets.
    expect(holds(auth, PASSWORD)).toBe(false);
    await nothingWaits(auth);
    expect(initiations(calls)).toHaveLength(1);
  });

  it('a wrong code keeps it (the code may be typed again); autoSignIn before confirming tries, and keeps it while unconfirmed', async () => {
    let unconfirmed = true;
    const pool = signUpCognito({ password: PASSWORD });
    const { auth, calls } = signedOut((call, n) => {
      if (call.target.endsWith('.ConfirmSignUp') && n === 2) return fault('CodeMismatchException', 400, 'Invalid code');
      if (call.target.endsWith('.InitiateAuth') && unconfirmed) return fault('UserNotConfirmedException', 400, 'no');
      return pool(call, n);
    });
    await signUp(auth, { username: USER, password: PASSWORD, autoSignIn: true });
    const wrong = await failure(confirmSignUp(auth, { username: USER, confirmationCode: '000000' }));
    expect(isAuthError(wrong) && wrong.code).toBe('CodeMismatch');
    // Confirmed elsewhere (a link) or not yet: the sign-in says which.
    const early = await failure(autoSignIn(auth));
    expect(isAuthError(early) && early.code).toBe('UserNotConfirmed');
    unconfirmed = false;
    await expect(confirmSignUp(auth, { username: USER, confirmationCode: '482913' })).resolves.toMatchObject({
      nextStep: { signUpStep: 'COMPLETE_AUTO_SIGN_IN' },
    });
    await expect(autoSignIn(auth)).resolves.toEqual({ status: 'signedIn' });
    expect(sent(calls)).toEqual(['SignUp', 'ConfirmSignUp', 'InitiateAuth', 'ConfirmSignUp', 'InitiateAuth']);
  });

  it('no answer (Network) keeps it for another try; a refusal drops it', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const { auth, calls } = await confirmed({
      initiate: [reset, fault('NotAuthorizedException', 400, 'User is disabled.')],
    });
    const first = await failure(autoSignIn(auth));
    expect(isAuthError(first) && first.code).toBe('Network');
    const refused = await failure(autoSignIn(auth));
    expect(isAuthError(refused) && refused.code).toBe('NotAuthorized');
    await nothingWaits(auth);
    expect(initiations(calls)).toHaveLength(2);
  });

  it('a sign-in that stops at a challenge has used it: confirmSignIn goes on, autoSignIn answers InvalidState', async () => {
    const mfa = { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'mfa-session-0123456789', ChallengeParameters: {} };
    const { auth } = await confirmed({ initiate: [{ body: mfa }] });
    await expect(autoSignIn(auth)).resolves.toMatchObject({ status: 'challenge', challenge: 'totpCode' });
    expect(auth.state).toBe('signingIn.challenged.totpCodeRequired');
    expect(holds(auth, PASSWORD)).toBe(false);
    await nothingWaits(auth);
  });

  it('concurrent calls share one sign-in', async () => {
    const { auth, calls } = await confirmed();
    const [a, b] = [autoSignIn(auth), autoSignIn(auth)];
    expect(b).toBe(a);
    await expect(Promise.all([a, b])).resolves.toEqual([{ status: 'signedIn' }, { status: 'signedIn' }]);
    expect(initiations(calls)).toHaveLength(1);
  });
});

describe('autoSignIn: the session path (a pool with USER_AUTH)', () => {
  it("sends SignUp's session with ConfirmSignUp, then ConfirmSignUp's as USER_AUTH with SECRET_HASH and no password", async () => {
    const { auth, calls } = await confirmed({
      signUpSession: SIGNUP_SESSION,
      confirmSession: CONFIRM_SESSION,
      clientSecret: 'app-secret',
    });
    await expect(autoSignIn(auth)).resolves.toEqual({ status: 'signedIn' });
    expect(sent(calls)).toEqual(['SignUp', 'ConfirmSignUp', 'InitiateAuth']);
    expect(calls[1]?.body).toMatchObject({ Session: SIGNUP_SESSION });
    // The fake refuses any other shape; the exact body is checked here too.
    expect(initiations(calls)).toEqual([
      {
        AuthFlow: 'USER_AUTH',
        ClientId: 'client-1',
        AuthParameters: { USERNAME: USER, SECRET_HASH: expect.any(String) },
        Session: CONFIRM_SESSION,
      },
    ]);
    expect(auth.getSession()).toMatchObject({ signedInWith: 'password' });
    expect(holds(auth, CONFIRM_SESSION)).toBe(false);
  });

  it("a pool that confirms on its own: signUp answers COMPLETE_AUTO_SIGN_IN, and SignUp's session signs in", async () => {
    const { auth, calls } = signedOut(
      signUpCognito({ password: PASSWORD, signUpSession: SIGNUP_SESSION, autoConfirm: true }),
    );
    await expect(signUp(auth, { username: USER, password: PASSWORD, autoSignIn: true })).resolves.toEqual({
      isSignUpComplete: true,
      userId: 'sub-1',
      nextStep: { signUpStep: 'COMPLETE_AUTO_SIGN_IN' },
    });
    await expect(autoSignIn(auth)).resolves.toEqual({ status: 'signedIn' });
    expect(initiations(calls)).toMatchObject([{ AuthFlow: 'USER_AUTH', Session: SIGNUP_SESSION }]);
  });

  it.each([
    ['a pool or app client without USER_AUTH', fault('InvalidParameterException', 400, 'USER_AUTH is not enabled')],
    ['a session that ran out', fault('NotAuthorizedException', 400, 'Invalid session for the user.')],
  ])('%s: falls back to the held password', async (_, refusal) => {
    const { auth, calls } = await confirmed({ confirmSession: CONFIRM_SESSION, refuseSession: refusal });
    await expect(autoSignIn(auth)).resolves.toEqual({ status: 'signedIn' });
    expect(initiations(calls).map((b) => b['AuthFlow'])).toEqual(['USER_AUTH', 'USER_PASSWORD_AUTH']);
  });

  it('any other failure of the session sign-in is answered as it is, with no password sent', async () => {
    const { auth, calls } = await confirmed({
      confirmSession: CONFIRM_SESSION,
      refuseSession: fault('UserNotFoundException', 400, 'gone'),
    });
    const e = await failure(autoSignIn(auth));
    expect(isAuthError(e) && e.code).toBe('UserNotFound');
    expect(initiations(calls).map((b) => b['AuthFlow'])).toEqual(['USER_AUTH']);
  });
});

describe('autoSignIn: what drops it', () => {
  it('nothing held: InvalidState, and no request', async () => {
    const { auth, calls } = signedOut(signUpCognito({ password: PASSWORD }));
    await nothingWaits(auth);
    // Signed up without autoSignIn: the confirmation says DONE, and nothing waits either.
    await signUp(auth, { username: USER, password: PASSWORD });
    await expect(confirmSignUp(auth, { username: USER, confirmationCode: '482913' })).resolves.toEqual({
      isSignUpComplete: true,
      nextStep: { signUpStep: 'DONE' },
    });
    await nothingWaits(auth);
    expect(sent(calls)).toEqual(['SignUp', 'ConfirmSignUp']);
    expect(holds(auth, PASSWORD)).toBe(false);
  });

  it('a sign-out in between cancels it: InvalidState, no sign-in request, the password let go', async () => {
    const { auth, calls } = await confirmed({ confirmSession: CONFIRM_SESSION });
    expect(holds(auth, PASSWORD)).toBe(true);
    await auth.signOut();
    await nothingWaits(auth);
    expect(initiations(calls)).toHaveLength(0);
    expect(holds(auth, PASSWORD)).toBe(false);
    expect(holds(auth, CONFIRM_SESSION)).toBe(false);
  });

  it('a sign-out while SignUp runs cancels it too: confirmSignUp then says DONE', async () => {
    const pool = signUpCognito({ password: PASSWORD });
    let answer: () => void = () => {};
    const { auth } = signedOut(async (call, n) => {
      if (call.target.endsWith('.SignUp')) await new Promise<void>((r) => (answer = r));
      return pool(call, n);
    });
    await auth.ready;
    const signingUp = signUp(auth, { username: USER, password: PASSWORD, autoSignIn: true });
    await vi.waitFor(() => expect(holds(auth, PASSWORD)).toBe(true));
    await auth.signOut();
    answer();
    await expect(signingUp).resolves.toMatchObject({ nextStep: { signUpStep: 'CONFIRM_SIGN_UP' } });
    await expect(confirmSignUp(auth, { username: USER, confirmationCode: '482913' })).resolves.toMatchObject({
      nextStep: { signUpStep: 'DONE' },
    });
    await nothingWaits(auth);
  });

  it("someone else's sign-in drops it", async () => {
    const pool = signUpCognito({ password: PASSWORD });
    const { accessToken: AccessToken, idToken: IdToken, refreshToken: RefreshToken } = accountTokens;
    const { auth, calls } = signedOut((call, n) =>
      (call.body['AuthParameters'] as Record<string, string> | undefined)?.['USERNAME'] === 'bob'
        ? { body: { AuthenticationResult: { AccessToken, IdToken, RefreshToken } } }
        : pool(call, n),
    );
    await signUp(auth, { username: USER, password: PASSWORD, autoSignIn: true });
    await auth.signIn({ username: 'bob', password: 'bobs-password' });
    await confirmSignUp(auth, { username: USER, confirmationCode: '482913' });
    await nothingWaits(auth);
    expect(initiations(calls)).toHaveLength(1);
  });

  it('its window: dropped when it ends (default 10 minutes, on a timer that keeps no process alive)', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const { auth } = signedOut(signUpCognito({ password: PASSWORD }));
    await signUp(auth, { username: USER, password: PASSWORD, autoSignIn: true });
    const timer = spy.mock.results[spy.mock.calls.findIndex((c) => c[1] === AUTO_SIGN_IN_WINDOW_MS)]?.value as
      | NodeJS.Timeout
      | undefined;
    spy.mockRestore();
    expect(AUTO_SIGN_IN_WINDOW_MS).toBe(600_000);
    expect(timer?.hasRef()).toBe(false);

    const short = signedOut(signUpCognito({ password: PASSWORD }));
    await signUp(short.auth, { username: USER, password: PASSWORD, autoSignIn: { windowMs: 40 } });
    await confirmSignUp(short.auth, { username: USER, confirmationCode: '482913' });
    await new Promise((r) => setTimeout(r, 80));
    await nothingWaits(short.auth);
    expect(holds(short.auth, PASSWORD)).toBe(false);
    expect(initiations(short.calls)).toHaveLength(0);
  });

  it('a window or authFlow out of bounds is InvalidInput, before anything is sent or held', async () => {
    const { auth, calls } = signedOut(signUpCognito({ password: PASSWORD }));
    for (const autoSignIn of [{ windowMs: 0 }, { windowMs: Number.NaN }, { windowMs: 86_400_001 }, { authFlow: 'X' }]) {
      const e = await failure(signUp(auth, { username: USER, password: PASSWORD, autoSignIn: autoSignIn as never }));
      expect(isAuthError(e) && e.code).toBe('InvalidInput');
    }
    expect(calls).toHaveLength(0);
    expect(holds(auth, PASSWORD)).toBe(false);
  });

  it('stop() drops it: the password let go, autoSignIn answers InvalidState with no request', async () => {
    const { auth, calls } = await confirmed();
    auth.stop();
    expect(holds(auth, PASSWORD)).toBe(false);
    await nothingWaits(auth);
    expect(initiations(calls)).toHaveLength(0);
  });
});

describe('autoSignIn: its secrets reach no output', () => {
  it('no error, event or inspection event carries the password or a session, even when Cognito echoes them', async () => {
    const inspected: string[] = [];
    const echo = `${PASSWORD} ${SIGNUP_SESSION} ${CONFIRM_SESSION}`;
    const pool = signUpCognito({ password: PASSWORD, signUpSession: SIGNUP_SESSION, confirmSession: CONFIRM_SESSION });
    const { auth } = signedOut(
      (call, n) => {
        const operation = call.target.split('.')[1];
        if (operation === 'ConfirmSignUp' && n === 2) {
          return fault('CodeMismatchException', 400, `bad code ${PASSWORD} ${SIGNUP_SESSION}`);
        }
        if (operation === 'ResendConfirmationCode') return fault('LimitExceededException', 400, `slow down ${echo}`);
        if (operation === 'InitiateAuth') return fault('NotAuthorizedException', 400, `refused ${echo}`);
        return pool(call, n);
      },
      { inspect: (event) => inspected.push(JSON.stringify(event)) },
    );
    const events: unknown[] = [];
    auth.on('signedOut', (e) => events.push(e));
    auth.on('signInFailed', (e) => events.push(e));
    await signUp(auth, { username: USER, password: PASSWORD, autoSignIn: true });
    // Echoes what this instance holds at the time (ConfirmSignUp's session comes with its answer).
    const errors = [await failure(confirmSignUp(auth, { username: USER, confirmationCode: '000000' }))];
    await confirmSignUp(auth, { username: USER, confirmationCode: '482913' });
    errors.push(await failure(resendSignUpCode(auth, { username: USER })));
    // The session sign-in is refused (NotAuthorized), then the password's: both echo everything.
    errors.push(await failure(autoSignIn(auth)));
    expect(errors.map((e) => isAuthError(e) && e.code)).toEqual(['CodeMismatch', 'LimitExceeded', 'NotAuthorized']);
    const shown = [
      ...errors.flatMap((e) => [JSON.stringify(e), String(e), (e as Error).message, String((e as Error).cause)]),
      JSON.stringify(events),
      ...inspected,
    ].join('\n');
    expect(inspected.length).toBeGreaterThan(0);
    for (const secret of [PASSWORD, SIGNUP_SESSION, CONFIRM_SESSION]) expect(shown).not.toContain(secret);
  });
});
