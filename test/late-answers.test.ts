/**
 * docs/sign-out.md row 40: a step that answers after the chart left it (a `signOut()` cancelled the
 * sign-in, the step's bound ran out, `stop()`) hands its result to no one. A refresh token in that
 * answer that no session holds is revoked, so no token Cognito issued is left alive and unheld.
 * The transports here answer late on purpose: they ignore the abort signal, as a custom transport
 * may, or as ours did while it finished ConfirmDevice.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AuthError, createAuth, memoryStorage, type Tokens } from '../src/index.js';
import { sleep } from './helpers/async.js';
import { deferred, fakeServices, popupHostedUI } from './helpers/fakes.js';
import { makeTokens } from './helpers/tokens.js';

const USER = { username: 'alice@example.com', password: 'correct horse' };

/** Fake services whose sign-in answers only when the test says, whatever its abort signal did. */
function lateSignIn(tokens: Tokens = makeTokens()) {
  const services = fakeServices(tokens);
  const answer = deferred<Tokens>();
  const aborted: boolean[] = [];
  services.script.signIn = () => answer.promise;
  const signIn = services.signIn;
  services.signIn = (input, signal) => {
    signal.addEventListener('abort', () => aborted.push(true), { once: true });
    return signIn(input, signal);
  };
  return { services, tokens, answer, aborted };
}

const revoked = (s: ReturnType<typeof fakeServices>) => s.calls.revokeToken.map((c) => c.arg);

afterEach(() => {
  vi.useRealTimers();
});

describe('tokens that come after the step was left are revoked (row 40)', () => {
  it('a signOut() cancels the sign-in, then the transport answers tokens: RevokeToken for them, nothing kept', async () => {
    const late = lateSignIn();
    const storage = memoryStorage();
    const auth = createAuth({ services: late.services, storage, sync: null });
    await auth.ready;
    const signingIn = auth.signIn(USER).catch((e: AuthError) => e);
    await sleep();
    const result = await auth.signOut();
    expect(result.status).toBe('complete');
    expect(await signingIn).toMatchObject({ code: 'Cancelled' });
    expect(late.aborted).toEqual([true]);
    expect(revoked(late.services)).toEqual([]);

    late.answer.resolve(late.tokens);
    await vi.waitFor(() => expect(revoked(late.services)).toEqual([late.tokens.refreshToken]));
    expect(auth.getSnapshot().status).toBe('signedOut');
    expect(storage.size).toBe(0);
    auth.stop();
  });

  it('the sign-in step runs past remoteStepMs, then answers: Timeout to the caller, RevokeToken for the late tokens', async () => {
    const late = lateSignIn();
    const auth = createAuth({ services: late.services, sync: null, timeouts: { remoteStepMs: 50 } });
    await auth.ready;
    const error = await auth.signIn(USER).catch((e: AuthError) => e);
    expect(error).toMatchObject({ code: 'Timeout' });
    late.answer.resolve(late.tokens);
    await vi.waitFor(() => expect(revoked(late.services)).toEqual([late.tokens.refreshToken]));
    expect(auth.getSnapshot().status).toBe('signedOut');
    auth.stop();
  });

  it('stop() during the sign-in, then the answer: RevokeToken for the late tokens', async () => {
    const late = lateSignIn();
    const auth = createAuth({ services: late.services, sync: null });
    await auth.ready;
    const signingIn = auth.signIn(USER).catch((e: AuthError) => e);
    await sleep();
    auth.stop();
    expect(await signingIn).toMatchObject({ code: 'Cancelled' });
    late.answer.resolve(late.tokens);
    await vi.waitFor(() => expect(revoked(late.services)).toEqual([late.tokens.refreshToken]));
  });

  it('a late answer without a refresh token (a challenge) revokes nothing', async () => {
    const services = fakeServices();
    const answer = deferred<never>();
    services.script.signIn = () => answer.promise;
    const auth = createAuth({ services, sync: null, timeouts: { remoteStepMs: 50 } });
    await auth.ready;
    await expect(auth.signIn(USER)).rejects.toMatchObject({ code: 'Timeout' });
    (answer.resolve as (v: unknown) => void)({ challenge: 'totpCode', challengeName: 'SOFTWARE_TOKEN_MFA' });
    await sleep(20);
    expect(revoked(services)).toEqual([]);
    auth.stop();
  });

  it('a refresh that answers after its bound with a rotated refresh token: that one is revoked, the held one kept', async () => {
    const tokens = makeTokens();
    const services = fakeServices(tokens);
    const auth = createAuth({ services, sync: null, timeouts: { remoteStepMs: 50 } });
    await auth.ready;
    await auth.signIn(USER);
    const answer = deferred<Partial<Tokens>>();
    services.script.refresh = () => answer.promise;
    await expect(auth.fetchTokens({ forceRefresh: true })).rejects.toMatchObject({ code: 'Timeout' });
    const rotated = makeTokens();
    answer.resolve(rotated);
    await vi.waitFor(() => expect(revoked(services)).toEqual([rotated.refreshToken]));
    expect(auth.getTokens()?.refreshToken).toBe(tokens.refreshToken);
    auth.stop();
  });

  it('a late refresh answer that keeps the refresh token (Cognito without rotation) revokes nothing', async () => {
    const tokens = makeTokens();
    const services = fakeServices(tokens);
    const auth = createAuth({ services, sync: null, timeouts: { remoteStepMs: 50 } });
    await auth.ready;
    await auth.signIn(USER);
    const answer = deferred<Partial<Tokens>>();
    services.script.refresh = () => answer.promise;
    await expect(auth.fetchTokens({ forceRefresh: true })).rejects.toMatchObject({ code: 'Timeout' });
    answer.resolve({ ...makeTokens(), refreshToken: tokens.refreshToken });
    await sleep(20);
    expect(revoked(services)).toEqual([]);
    expect(auth.getSnapshot().status).toBe('signedIn');
    auth.stop();
  });

  it('the hosted-UI token endpoint answers after a signOut() cancelled the redirect sign-in: RevokeToken for its tokens', async () => {
    const tokens = makeTokens({ nonce: 'n-ours' });
    const services = fakeServices();
    const answer = deferred<{ tokens: Tokens }>();
    let exchanging = false;
    const hostedUI = popupHostedUI(() => {
      exchanging = true;
      return answer.promise;
    });
    const auth = createAuth({ services, sync: null, hostedUI });
    await auth.ready;
    const signingIn = auth.signInWithRedirect().catch((e: AuthError) => e);
    await vi.waitFor(() => expect(exchanging).toBe(true));
    await auth.signOut();
    expect(await signingIn).toMatchObject({ code: 'Cancelled' });
    answer.resolve({ tokens });
    await vi.waitFor(() => expect(revoked(services)).toEqual([tokens.refreshToken]));
    expect(auth.getSnapshot().status).toBe('signedOut');
    auth.stop();
  });

  it('the late answer’s RevokeToken fails: the app hears tokensNotStored (not revoked), nothing stored', async () => {
    const late = lateSignIn();
    late.services.script.revokeToken = { error: new Error('offline') };
    const storage = memoryStorage();
    const auth = createAuth({ services: late.services, storage, sync: null });
    await auth.ready;
    const heard: AuthError[] = [];
    auth.on('tokensNotStored', ({ error }) => heard.push(error));
    const signingIn = auth.signIn(USER).catch((e: AuthError) => e);
    await sleep();
    await auth.signOut();
    await signingIn;
    late.answer.resolve(late.tokens);
    await vi.waitFor(() => expect(heard).toHaveLength(1));
    expect(heard[0]).toMatchObject({ code: 'Cancelled', message: expect.stringMatching(/not revoked/) });
    expect(revoked(late.services)).toEqual([late.tokens.refreshToken]);
    expect(storage.size).toBe(0);
    auth.stop();
  });

  it("revocation: 'never': the late refresh token is not revoked; the app hears tokensNotStored", async () => {
    const late = lateSignIn();
    const auth = createAuth({ services: late.services, sync: null, revocation: 'never' });
    await auth.ready;
    const heard: AuthError[] = [];
    auth.on('tokensNotStored', ({ error }) => heard.push(error));
    const signingIn = auth.signIn(USER).catch((e: AuthError) => e);
    await sleep();
    await auth.signOut();
    await signingIn;
    late.answer.resolve(late.tokens);
    await vi.waitFor(() => expect(heard).toHaveLength(1));
    expect(revoked(late.services)).toEqual([]);
    auth.stop();
  });
});
