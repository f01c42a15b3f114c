/**
 * The token checks (src/session/token-checks.ts, docs/security.md "Token checks"): the checklist on
 * its own, then every path that takes tokens, through the public API: a refused token is
 * `InvalidToken`, nothing is stored, and a refresh token that came with it is revoked.
 */
import { describe, expect, it } from 'vitest';
import { type AuthError, createAuth, type HostedUI, isAuthError, type Tokens } from '../src/index.js';
import { TOKEN_CHECKS, type TokenExpectations, tokenCheckFailure } from '../src/session/token-checks.js';
import { fakeServices, faultyStorage, ownKeys, popupHostedUI } from './helpers/fakes.js';
import { makeTokens, TEST_ISSUER } from './helpers/tokens.js';

const NOW_S = Math.floor(Date.now() / 1000);
const EXPECT: TokenExpectations = { clientId: 'client123', now: NOW_S * 1000, clockToleranceMs: 300_000 };
const YEAR_S = 365 * 86_400;
const OTHER_ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other';

const mixed = (id: Tokens, access: Tokens): Tokens => ({ ...id, accessToken: access.accessToken });

describe('the checklist (one row per OIDC Core 3.1.3.7 / Cognito claim)', () => {
  const cases: [string, Tokens, Partial<TokenExpectations>, RegExp | null][] = [
    ['well-formed tokens pass', makeTokens(), {}, null],
    ['the pool issuer, when configured, passes', makeTokens(), { issuer: TEST_ISSUER }, null],
    [
      'an ID token given as the access token',
      mixed(makeTokens(), { ...makeTokens(), accessToken: makeTokens().idToken }),
      {},
      /token_use/,
    ],
    ['another issuer than the pool', makeTokens({ issuer: OTHER_ISSUER }), { issuer: TEST_ISSUER }, /another issuer/],
    ['no iss at all', makeTokens({ idClaims: { iss: undefined }, accessClaims: { iss: undefined } }), {}, /no issuer/],
    [
      'ID and access tokens from different issuers',
      mixed(makeTokens(), makeTokens({ issuer: OTHER_ISSUER })),
      {},
      /different issuers/,
    ],
    ['an ID token for another client', makeTokens({ clientId: 'other' }), {}, /another app client \(aud\)/],
    ['aud [ours, other] without azp', makeTokens({ idClaims: { aud: ['client123', 'other'] } }), {}, /no azp/],
    [
      'aud [ours, other] with azp = other',
      makeTokens({ idClaims: { aud: ['client123', 'other'], azp: 'other' } }),
      {},
      /azp/,
    ],
    [
      'aud [ours, other] with azp = ours passes',
      makeTokens({ idClaims: { aud: ['client123', 'other'], azp: 'client123' } }),
      {},
      null,
    ],
    ['an access token for another client', makeTokens({ accessClaims: { client_id: 'other' } }), {}, /client_id/],
    ['an access token a year past its exp', makeTokens({ now: NOW_S - YEAR_S }), {}, /access token has expired/],
    ['an exp within the tolerance passes', makeTokens({ now: NOW_S - 3600 - 60 }), {}, null],
    ['the wrong nonce', makeTokens({ nonce: 'theirs' }), { nonce: 'ours' }, /nonce/],
    ['no nonce where one was sent', makeTokens(), { nonce: 'ours' }, /nonce/],
    [
      'an ID token for alice beside an access token for mallory',
      mixed(makeTokens({ username: 'alice' }), makeTokens({ username: 'mallory' })),
      {},
      /different users/,
    ],
    [
      'refreshed tokens for another user',
      makeTokens({ username: 'mallory' }),
      { previous: makeTokens({ username: 'alice' }) },
      /another user/,
    ],
    [
      'refreshed tokens from another issuer',
      makeTokens({ issuer: OTHER_ISSUER }),
      { previous: makeTokens() },
      /another issuer/,
    ],
  ];
  for (const [name, tokens, expect_, failure] of cases) {
    it(`${name}${failure ? ' is refused' : ''}`, () => {
      const got = tokenCheckFailure(tokens, { ...EXPECT, ...expect_ });
      if (failure === null) expect(got).toBeNull();
      else expect(got).toMatch(failure);
    });
  }

  it('names each check once, in the order docs/security.md lists them', () => {
    expect(TOKEN_CHECKS.map((c) => c.name)).toEqual(['token_use', 'iss', 'aud', 'exp', 'nonce', 'sub', 'same user']);
  });

  it('messages name the claim, never its value', () => {
    const hostile = makeTokens({ idClaims: { aud: 'SECRET-AUDIENCE-VALUE' } });
    expect(tokenCheckFailure(hostile, EXPECT)).not.toContain('SECRET-AUDIENCE-VALUE');
  });
});

describe('password sign-in and challenge answers', () => {
  it('tokens for another app client: InvalidToken, nothing stored, the refresh token revoked', async () => {
    const tokens = makeTokens({ clientId: 'someone-elses-client' });
    const services = fakeServices(tokens);
    const storage = faultyStorage();
    const auth = createAuth({ services, storage, sync: null });
    const error = (await auth.signIn({ username: 'alice', password: 'correct horse' }).catch((e) => e)) as AuthError;
    expect(isAuthError(error, 'InvalidToken')).toBe(true);
    expect(error.message).toMatch(/another app client.*its refresh token was revoked/);
    expect(auth.state).toBe('signedOut');
    expect(ownKeys(storage)).toEqual([]);
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual([tokens.refreshToken]);
    auth.stop();
  });

  it('a malformed answer (an access token that is no JWT) still has its refresh token revoked', async () => {
    const tokens = { ...makeTokens(), accessToken: 'not-a-jwt-at-all' };
    const services = fakeServices(tokens);
    const auth = createAuth({ services, sync: null });
    const error = (await auth.signIn({ username: 'alice', password: 'pw-123456' }).catch((e) => e)) as AuthError;
    expect(error.code).toBe('InvalidToken');
    expect(error.message).toMatch(/not a decodable JWT; its refresh token was revoked/);
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual([tokens.refreshToken]);
    auth.stop();
  });

  it('an issuer other than services.issuer is refused; the pool issuer signs in', async () => {
    const foreign = fakeServices(makeTokens({ issuer: OTHER_ISSUER }));
    const a = createAuth({ services: { ...foreign, issuer: TEST_ISSUER }, sync: null });
    await expect(a.signIn({ username: 'alice', password: 'pw-123456' })).rejects.toMatchObject({
      code: 'InvalidToken',
    });
    const ours = fakeServices(makeTokens());
    const b = createAuth({ services: { ...ours, issuer: TEST_ISSUER }, sync: null });
    await expect(b.signIn({ username: 'alice', password: 'pw-123456' })).resolves.toEqual({ status: 'signedIn' });
    a.stop();
    b.stop();
  });

  it('tokens a year past their exp are refused; clockToleranceMs moves the limit', async () => {
    const old = () => fakeServices(makeTokens({ now: NOW_S - YEAR_S }));
    const strict = createAuth({ services: old(), sync: null });
    await expect(strict.signIn({ username: 'a', password: 'pw-123456' })).rejects.toMatchObject({
      code: 'InvalidToken',
      message: expect.stringMatching(/expired by this device clock/),
    });
    const lenient = createAuth({ services: old(), sync: null, clockToleranceMs: 2 * YEAR_S * 1000 });
    await expect(lenient.signIn({ username: 'a', password: 'pw-123456' })).resolves.toEqual({ status: 'signedIn' });
    expect(() => createAuth({ services: old(), clockToleranceMs: -1 })).toThrow(/clockToleranceMs/);
    strict.stop();
    lenient.stop();
  });
});

describe('the hosted-UI redirect', () => {
  /** A hosted UI whose token endpoint answers `tokens`: the core's checks are all that stand. */
  const redirectWith = (tokens: Tokens, issuer?: string): HostedUI => popupHostedUI(async () => ({ tokens }), issuer);

  const refused: [string, Tokens, string | undefined, RegExp][] = [
    ['an ID token a year past its exp', makeTokens({ nonce: 'n-ours', now: NOW_S - YEAR_S }), undefined, /expired/],
    ['another issuer', makeTokens({ nonce: 'n-ours', issuer: OTHER_ISSUER }), TEST_ISSUER, /another issuer/],
    [
      'aud [ours, other] with azp = other',
      makeTokens({ nonce: 'n-ours', idClaims: { aud: ['client123', 'other'], azp: 'other' } }),
      undefined,
      /azp/,
    ],
    [
      'an ID token for alice beside an access token for mallory',
      mixed(makeTokens({ nonce: 'n-ours', username: 'alice' }), makeTokens({ username: 'mallory' })),
      undefined,
      /different users/,
    ],
    ['a foreign nonce (an injected code)', makeTokens({ nonce: 'n-theirs' }), undefined, /nonce/],
  ];
  for (const [name, tokens, issuer, why] of refused) {
    it(`${name}: InvalidToken, nothing stored, signed out`, async () => {
      const services = fakeServices();
      const storage = faultyStorage();
      const auth = createAuth({ services, storage, sync: null, hostedUI: redirectWith(tokens, issuer) });
      await auth.ready;
      const error = (await auth.signInWithRedirect().catch((e) => e)) as AuthError;
      expect(error.code).toBe('InvalidToken');
      expect(error.message).toMatch(why);
      expect(auth.state).toBe('signedOut');
      expect(ownKeys(storage)).toEqual([]);
      expect(services.calls.revokeToken.map((c) => c.arg)).toEqual([tokens.refreshToken]);
      auth.stop();
    });
  }

  it('the issuer of hostedUI({ userPoolId, region }) and the nonce sent: signed in', async () => {
    const auth = createAuth({
      services: fakeServices(),
      sync: null,
      hostedUI: redirectWith(makeTokens({ nonce: 'n-ours' }), TEST_ISSUER),
    });
    await auth.ready;
    await expect(auth.signInWithRedirect()).resolves.toEqual({ status: 'signedIn' });
    auth.stop();
  });
});

describe('refresh and adoptSession', () => {
  it('a refresh answer for another user is refused: still alice, no tokensRefreshed, the rotated token revoked', async () => {
    const alice = makeTokens({ username: 'alice', expiresIn: 3600 });
    const mallory = makeTokens({ username: 'mallory' });
    const services = fakeServices(alice);
    services.script.refresh = { ok: mallory };
    const auth = createAuth({ services, sync: null });
    await auth.signIn({ username: 'alice', password: 'pw-123456' });
    const refreshed: unknown[] = [];
    auth.on('tokensRefreshed', (e) => refreshed.push(e));
    const error = (await auth.fetchTokens({ forceRefresh: true }).catch((e) => e)) as AuthError;
    expect(error.code).toBe('InvalidToken');
    expect(error.message).toMatch(/another user/);
    expect(auth.getSession()?.username).toBe('alice');
    expect(auth.getTokens()?.refreshToken).toBe(alice.refreshToken);
    expect(refreshed).toEqual([]);
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual([mallory.refreshToken]);
    auth.stop();
  });

  it('a malformed refresh answer with a rotated refresh token: InvalidToken, that token revoked, the session kept', async () => {
    const alice = makeTokens({ username: 'alice' });
    const services = fakeServices(alice);
    services.script.refresh = { ok: { accessToken: 'garbage', refreshToken: 'rotated-refresh-token-0001' } };
    const auth = createAuth({ services, sync: null });
    await auth.signIn({ username: 'alice', password: 'pw-123456' });
    await expect(auth.fetchTokens({ forceRefresh: true })).rejects.toMatchObject({ code: 'InvalidToken' });
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual(['rotated-refresh-token-0001']);
    expect(auth.getTokens()?.refreshToken).toBe(alice.refreshToken);
    auth.stop();
  });

  it('a refresh that keeps the ID token (past its exp) and the refresh token passes', async () => {
    const old = makeTokens({ username: 'alice', now: NOW_S - 7200, expiresIn: 3600 });
    const services = fakeServices(old);
    const fresh = makeTokens({ username: 'alice' });
    services.script.refresh = { ok: { accessToken: fresh.accessToken } };
    const auth = createAuth({ services, sync: null });
    await auth.adoptSession(old);
    const tokens = await auth.fetchTokens();
    expect(tokens.accessToken).toBe(fresh.accessToken);
    expect(tokens.idToken).toBe(old.idToken);
    expect(services.calls.revokeToken).toEqual([]);
    auth.stop();
  });

  it('adoptSession takes stale tokens but not another client’s or mixed users’', async () => {
    const auth = createAuth({ services: fakeServices(), sync: null });
    await auth.ready;
    await expect(auth.adoptSession(makeTokens({ clientId: 'other' }))).rejects.toMatchObject({ code: 'InvalidToken' });
    const mixedUsers = mixed(makeTokens({ username: 'alice' }), makeTokens({ username: 'mallory' }));
    await expect(auth.adoptSession(mixedUsers)).rejects.toMatchObject({ code: 'InvalidToken' });
    expect(auth.state).toBe('signedOut');
    await expect(auth.adoptSession(makeTokens({ now: NOW_S - YEAR_S }))).resolves.toBeUndefined();
    auth.stop();
  });
});
