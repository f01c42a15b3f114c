/**
 * Hostile probes of `authchart/account` through its public API: passwords, codes, the TOTP
 * secret, sessions and tokens never in an error, event, console line or inspection event, even when
 * the server echoes them in its message or `__type`.
 */
import { describe, expect, it } from 'vitest';
import {
  autoSignIn,
  confirmSignUp,
  deleteUser,
  fetchUserAttributes,
  setUpTOTP,
  signUp,
  updatePassword,
  verifyTOTPSetup,
} from '../../src/account/index.js';
import { isAuthError } from '../../src/index.js';
import { accountInstances, failure } from '../helpers/account.js';
import {
  CODE,
  cleanUpAfterEach,
  dump,
  makeInspected as make,
  NEW_PASSWORD,
  PASSWORD,
  secretsIn,
  spyConsole,
  TOTP,
} from '../helpers/account-probe.js';
import { fault } from '../helpers/fake-cognito-fetch.js';
import { type FakeServices, fakeServices } from '../helpers/fakes.js';

cleanUpAfterEach();

describe('secrets never in an error, event, console line or inspection event', () => {
  const { signedOut, signedIn } = accountInstances();

  const echoes: Record<string, (secret: string) => ReturnType<typeof fault>> = {
    'in the message': (s) => fault('InvalidPasswordException', 400, `Password ${s} does not conform`),
    'in __type': (s) => fault(`InvalidPasswordException:${s}`, 400, 'nope'),
    'in __type alone (a 500)': (s) => fault(s, 500, 'server error'),
    'in both, URL-encoded': (s) => fault(`X${encodeURIComponent(s)}`, 400, encodeURIComponent(s)),
  };
  for (const [where, reply] of Object.entries(echoes)) {
    it(`signUp: the server echoing the password ${where} → no trace of it anywhere`, async () => {
      const lines = spyConsole();
      const events: unknown[] = [];
      const { auth } = signedOut(() => reply(PASSWORD), { inspect: (e) => events.push(e) });
      const e = await failure(signUp(auth, { username: 'ana', password: PASSWORD }));
      expect(isAuthError(e)).toBe(true);
      expect(secretsIn(`${dump(e)} ${lines.join('\n')} ${JSON.stringify(events)}`)).toEqual([]);
    });
    it(`confirmSignUp: the server echoing the code ${where} → no trace of it anywhere`, async () => {
      const lines = spyConsole();
      const { auth } = signedOut(() => reply(CODE));
      const e = await failure(confirmSignUp(auth, { username: 'ana', confirmationCode: CODE }));
      expect(secretsIn(`${dump(e)} ${lines.join('\n')}`)).toEqual([]);
    });
    it(`updatePassword: the server echoing the new password ${where} → no trace of it`, async () => {
      const lines = spyConsole();
      const { auth } = await signedIn(() => reply(NEW_PASSWORD));
      const e = await failure(updatePassword(auth, { oldPassword: PASSWORD, newPassword: NEW_PASSWORD }));
      expect(secretsIn(`${dump(e)} ${lines.join('\n')}`)).toEqual([]);
    });
    it(`verifyTOTPSetup: the server echoing the TOTP secret (from setUpTOTP) ${where} → no trace of it`, async () => {
      const lines = spyConsole();
      const events: unknown[] = [];
      let n = 0;
      const { auth } = await signedIn(() => (n++ === 0 ? { body: { SecretCode: TOTP } } : reply(TOTP)), {
        inspect: (e) => events.push(e),
      });
      const details = await setUpTOTP(auth);
      expect(details.sharedSecret).toBe(TOTP);
      const e = await failure(verifyTOTPSetup(auth, { code: '123456' }));
      expect(secretsIn(`${dump(e)} ${lines.join('\n')} ${JSON.stringify(events)}`)).toEqual([]);
    });
  }
  it('a transport rejecting with a bare string quoting the password → the string never reaches the app', async () => {
    const fake = fakeServices();
    const { auth } = make(fake);
    fake.script.cognitoCall = () => ({ error: `bad password ${PASSWORD}` });
    const e = await failure(signUp(auth, { username: 'ana', password: PASSWORD }));
    expect(isAuthError(e)).toBe(true);
    expect(secretsIn(dump(e))).toEqual([]);
  });
  it('a transport rejecting with a plain object quoting the code in name and message → scrubbed', async () => {
    const fake = fakeServices();
    const { auth } = make(fake);
    fake.script.cognitoCall = () => ({ error: { name: `CodeMismatch${CODE}`, message: `code ${CODE}`, code: CODE } });
    const e = await failure(confirmSignUp(auth, { username: 'ana', confirmationCode: CODE }));
    expect(isAuthError(e)).toBe(true);
    expect(secretsIn(dump(e))).toEqual([]);
  });
  it('the access token echoed back by a user call → scrubbed from the error', async () => {
    const fake = fakeServices();
    const { auth } = make(fake);
    await auth.signIn({ username: 'alice@example.com', password: PASSWORD });
    const token = auth.getTokens()!.accessToken;
    fake.script.cognitoCall = (c) => ({ error: new Error(`token ${String(c.body['AccessToken'])} refused`) });
    const e = await failure(fetchUserAttributes(auth));
    expect(dump(e)).not.toContain(token);
  });
});

describe('the auto sign-in password and Cognito sessions stay secret', () => {
  const USER = 'ana@example.com';
  const SESSION = `AYABeSession${'s'.repeat(40)}`;
  async function waiting(fake: FakeServices, signUpAnswer: Record<string, unknown> = {}) {
    const x = make(fake);
    await x.auth.ready;
    fake.script.cognitoCall = (c) =>
      c.operation === 'SignUp' ? { ok: { UserSub: 'sub-ana', UserConfirmed: false, ...signUpAnswer } } : { ok: {} };
    await signUp(x.auth, { username: USER, password: PASSWORD, autoSignIn: true });
    return x;
  }
  it('signUp→confirmSignUp→autoSignIn: the password is in no inspection event, event payload or console line', async () => {
    const lines = spyConsole();
    const fake = fakeServices();
    const x = await waiting(fake);
    const payloads: unknown[] = [];
    x.auth.on('signedIn', (e) => payloads.push(e));
    await confirmSignUp(x.auth, { username: USER, confirmationCode: CODE });
    await autoSignIn(x.auth);
    const text = `${JSON.stringify(x.events)} ${JSON.stringify(payloads)} ${lines.join('\n')}`;
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(CODE);
  });
  it('autoSignIn whose sign-in fails quoting the password → the error never carries it', async () => {
    const fake = fakeServices();
    const x = await waiting(fake);
    await confirmSignUp(x.auth, { username: USER, confirmationCode: CODE });
    fake.script.signIn = { error: new Error(`wrong password ${PASSWORD}`) };
    const e = await failure(autoSignIn(x.auth));
    expect(isAuthError(e)).toBe(true);
    expect(dump(e)).not.toContain(PASSWORD);
  });
  it("ConfirmSignUp failing with an echo of SignUp's Session → the session is scrubbed", async () => {
    const fake = fakeServices();
    const x = await waiting(fake, { Session: SESSION });
    fake.script.cognitoCall = (c) => ({ error: new Error(`bad session ${String(c.body['Session'])}`) });
    const e = await failure(confirmSignUp(x.auth, { username: USER, confirmationCode: CODE }));
    expect(fake.calls.cognitoCall.at(-1)?.body['Session']).toBe(SESSION);
    expect(dump(e)).not.toContain(SESSION);
  });
  it('signOut() while SignUp runs → no COMPLETE_AUTO_SIGN_IN later, autoSignIn is InvalidState and sends nothing', async () => {
    const fake = fakeServices();
    const x = make(fake);
    await x.auth.signIn({ username: 'bob', password: 'bob-pass' });
    let answer!: (v: Record<string, unknown>) => void;
    fake.script.cognitoCall = (c) => (c.operation === 'SignUp' ? () => new Promise((r) => (answer = r)) : { ok: {} });
    const up = signUp(x.auth, { username: USER, password: PASSWORD, autoSignIn: true });
    await new Promise((r) => setTimeout(r, 5));
    await x.auth.signOut();
    answer({ UserSub: 'sub-ana', UserConfirmed: true });
    expect((await up).nextStep.signUpStep).toBe('DONE');
    expect(isAuthError(await autoSignIn(x.auth).catch((err: unknown) => err))).toBe(true);
    expect(fake.calls.signIn).toHaveLength(1); // bob's only
  });
  it('confirmSignUp of another username → the held sign-up is dropped: autoSignIn is InvalidState', async () => {
    const fake = fakeServices();
    const x = await waiting(fake);
    await confirmSignUp(x.auth, { username: 'zed@example.com', confirmationCode: CODE });
    const e = await autoSignIn(x.auth).catch((err: unknown) => err);
    expect(isAuthError(e) && e.code).toBe('InvalidState');
    expect(fake.calls.signIn).toHaveLength(0);
  });
});

describe('inspection events over a whole account session', () => {
  it('signIn, updatePassword, setUpTOTP, verifyTOTPSetup (failing, echoing), deleteUser → no password, code, TOTP secret or token in any inspection event', async () => {
    const lines = spyConsole();
    const fake = fakeServices();
    const { auth, events } = make(fake);
    await auth.signIn({ username: 'alice@example.com', password: PASSWORD });
    const tokens = auth.getTokens()!;
    fake.script.cognitoCall = (c) =>
      c.operation === 'AssociateSoftwareToken'
        ? { ok: { SecretCode: TOTP } }
        : c.operation === 'VerifySoftwareToken'
          ? { error: new Error(`bad ${CODE} for ${TOTP}`) }
          : { ok: {} };
    await updatePassword(auth, { oldPassword: PASSWORD, newPassword: NEW_PASSWORD });
    await setUpTOTP(auth);
    await verifyTOTPSetup(auth, { code: CODE }).catch(() => undefined);
    await deleteUser(auth);
    const text = `${JSON.stringify(events)} ${lines.join('\n')}`;
    expect(secretsIn(text)).toEqual([]);
    for (const t of [tokens.accessToken, tokens.idToken, tokens.refreshToken]) expect(text).not.toContain(t);
  });
});
