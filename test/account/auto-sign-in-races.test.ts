/**
 * Hostile probes of `autoSignIn` through the public API: a sign-out, another user's
 * sign-in, stop() or a second call between signUp/confirmSignUp and autoSignIn; the window; the
 * resulting session's refresh token never lost.
 */
import { describe, expect, it } from 'vitest';
import { autoSignIn, confirmSignUp, signUp } from '../../src/account/index.js';
import { AuthError, isAuthError, type Tokens } from '../../src/index.js';
import { codeOf, make, PASSWORD, stopAfterEach, whereIs } from '../helpers/account-probe.js';
import { sleep } from '../helpers/async.js';
import { deferred, fakeServices } from '../helpers/fakes.js';
import { track } from '../helpers/gated.js';
import { makeTokens } from '../helpers/tokens.js';

stopAfterEach();

/** SignUp (not confirmed), then ConfirmSignUp: an auto sign-in waits, with the password. */
async function signedUp(x: ReturnType<typeof make>, windowMs?: number) {
  await x.auth.ready;
  x.fake.script.cognitoCall = (c) =>
    c.operation === 'SignUp' ? { ok: { UserSub: 'sub-ana', UserConfirmed: false } } : { ok: {} };
  await signUp(x.auth, {
    username: 'ana@example.com',
    password: PASSWORD,
    autoSignIn: windowMs === undefined ? true : { windowMs },
  });
  const confirmed = await confirmSignUp(x.auth, { username: 'ana@example.com', confirmationCode: '123456' });
  expect(confirmed.nextStep.signUpStep).toBe('COMPLETE_AUTO_SIGN_IN');
}

describe('autoSignIn races', () => {
  it('signOut() between confirmSignUp and autoSignIn → autoSignIn is InvalidState, the password never sent', async () => {
    const x = make();
    await signedUp(x);
    await x.auth.signOut();
    const e = await autoSignIn(x.auth).catch((err: unknown) => err);
    expect(codeOf(e)).toBe('InvalidState');
    expect(x.fake.calls.signIn).toHaveLength(0);
  });

  it("another user's signIn() in between → autoSignIn is InvalidState, that user's session kept", async () => {
    const x = make();
    await signedUp(x);
    await x.auth.signIn({ username: 'bob', password: 'bob-pass' });
    const bob = x.auth.getTokens()!.refreshToken;
    const e = await autoSignIn(x.auth).catch((err: unknown) => err);
    expect(codeOf(e)).toBe('InvalidState');
    expect(x.fake.calls.signIn).toHaveLength(1);
    expect(x.auth.getTokens()?.refreshToken).toBe(bob);
  });

  it('stop() in between → autoSignIn rejects and sends nothing', async () => {
    const x = make();
    await signedUp(x);
    x.auth.stop();
    const e = await autoSignIn(x.auth).catch((err: unknown) => err);
    expect(isAuthError(e)).toBe(true);
    expect(x.fake.calls.signIn).toHaveLength(0);
  });

  it('two concurrent autoSignIn() → one sign-in, both answered alike; a third is InvalidState (the password never used twice)', async () => {
    const x = make();
    await signedUp(x);
    const [a, b] = await Promise.all([autoSignIn(x.auth), autoSignIn(x.auth)]);
    expect(a).toEqual(b);
    expect(x.fake.calls.signIn).toHaveLength(1);
    expect(codeOf(await autoSignIn(x.auth).catch((err: unknown) => err))).toBe('InvalidState');
    expect(x.fake.calls.signIn).toHaveLength(1);
  });

  it('after windowMs the password is dropped: autoSignIn is InvalidState, nothing sent', async () => {
    const x = make();
    await signedUp(x, 50);
    await sleep(80);
    expect(codeOf(await autoSignIn(x.auth).catch((err: unknown) => err))).toBe('InvalidState');
    expect(x.fake.calls.signIn).toHaveLength(0);
  });

  it('a refused autoSignIn (NotAuthorized) drops the password: a second autoSignIn sends nothing', async () => {
    const x = make();
    await signedUp(x);
    x.fake.script.signIn = { error: new AuthError('NotAuthorized', 'Incorrect username or password.') };
    expect(codeOf(await autoSignIn(x.auth).catch((err: unknown) => err))).toBe('NotAuthorized');
    expect(codeOf(await autoSignIn(x.auth).catch((err: unknown) => err))).toBe('InvalidState');
    expect(x.fake.calls.signIn).toHaveLength(1);
  });

  it("signOut() while autoSignIn's sign-in runs → the session's refresh token is held or revoked, never lost; signOut answered", async () => {
    const tokens = makeTokens({ username: 'ana@example.com' });
    const gate = deferred<Tokens>();
    const x = make(fakeServices(tokens));
    await signedUp(x);
    x.fake.script.signIn = () => gate.promise;
    const signing = track(autoSignIn(x.auth));
    await sleep(5);
    const out = track(x.auth.signOut());
    await sleep(5);
    gate.resolve(tokens);
    await sleep(50);
    expect(out.settled).toBe(true);
    expect(signing.settled).toBe(true);
    expect(whereIs(x.auth, x.fake, tokens.refreshToken)).not.toBe('lost');
  });

  it("stop() while autoSignIn's sign-in runs → autoSignIn rejects Cancelled; a late answer's refresh token revoked, not lost", async () => {
    const tokens = makeTokens({ username: 'ana@example.com' });
    const gate = deferred<Tokens>();
    const x = make(fakeServices(tokens));
    await signedUp(x);
    x.fake.script.signIn = () => gate.promise;
    const signing = track(autoSignIn(x.auth));
    await sleep(5);
    x.auth.stop();
    gate.resolve(tokens);
    await sleep(50);
    expect(signing.settled).toBe(true);
    expect(codeOf(signing.error)).toBe('Cancelled');
    expect(whereIs(x.auth, x.fake, tokens.refreshToken)).not.toBe('lost');
  });

  it('a second signUp({autoSignIn}) of another user while the first waits → autoSignIn signs in only the second', async () => {
    const x = make();
    await signedUp(x);
    await signUp(x.auth, { username: 'zed@example.com', password: 'Zed-Passw0rd!', autoSignIn: true });
    // zed is not confirmed: ana's confirmation no longer counts, zed's wait is not yet usable.
    await autoSignIn(x.auth).catch(() => undefined);
    expect(x.fake.calls.signIn.every((c) => c.username !== 'ana@example.com')).toBe(true);
  });

  it("another user's signIn() while autoSignIn's sign-in runs → every refresh token that arrived is held or revoked, both callers answered", async () => {
    const ana = makeTokens({ username: 'ana@example.com' });
    const bob = makeTokens({ username: 'bob@example.com' });
    const x = make(fakeServices(ana));
    await signedUp(x);
    const gates = [deferred<Tokens>(), deferred<Tokens>()];
    let n = 0;
    x.fake.script.signIn = () => gates[n++]!.promise;
    const auto = track(autoSignIn(x.auth));
    await sleep(5);
    const other = track(x.auth.signIn({ username: 'bob@example.com', password: 'Bob-Passw0rd!' }));
    await sleep(5);
    gates[0]!.resolve(ana);
    gates[1]?.resolve(bob);
    await sleep(80);
    expect([auto.settled, other.settled]).toEqual([true, true]);
    expect(whereIs(x.auth, x.fake, ana.refreshToken)).not.toBe('lost');
    if (n > 1) expect(whereIs(x.auth, x.fake, bob.refreshToken)).not.toBe('lost');
  });

  it('stop() while a signUp({autoSignIn}) hangs deaf → Cancelled; autoSignIn later is InvalidState, nothing sent', async () => {
    const x = make();
    await x.auth.ready;
    x.fake.script.cognitoCall = () => () => new Promise<never>(() => {});
    const up = track(signUp(x.auth, { username: 'ana@example.com', password: PASSWORD, autoSignIn: true }));
    await sleep(5);
    x.auth.stop();
    await sleep(5);
    expect(codeOf(up.error)).toBe('Cancelled');
    expect(codeOf(await autoSignIn(x.auth).catch((e: unknown) => e))).toBe('InvalidState');
    expect(x.fake.calls.signIn).toHaveLength(0);
  });

  it('a refused signUp({autoSignIn}) drops the password: autoSignIn is InvalidState', async () => {
    const x = make();
    await x.auth.ready;
    x.fake.script.cognitoCall = () => ({ error: new AuthError('UsernameExists', 'exists') });
    await signUp(x.auth, { username: 'ana@example.com', password: PASSWORD, autoSignIn: true }).catch(() => undefined);
    expect(codeOf(await autoSignIn(x.auth).catch((e: unknown) => e))).toBe('InvalidState');
    expect(x.fake.calls.signIn).toHaveLength(0);
  });
});
