/**
 * The hosted-UI adapter against a real OAuth 2.0 server (oidc-provider, tools/embedded-oauth.ts),
 * with the login driven over HTTP by a fetch-and-cookies browser.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type HostedUI,
  type HostedUIOptions,
  hostedUI,
  type RedirectTransaction,
} from '../../src/adapters/hosted-ui.js';
import { AuthError } from '../../src/errors.js';
import { type EmbeddedOAuth, startEmbeddedOAuth } from '../../tools/embedded-oauth.js';
import { timeoutSignal as signal } from '../helpers/async.js';
import { HttpBrowser } from '../helpers/oauth-browser.js';

let server: EmbeddedOAuth;
beforeAll(async () => {
  server = await startEmbeddedOAuth();
});
afterAll(() => server?.stop());
afterEach(() => vi.unstubAllGlobals());

const base64url = (b: Buffer) => b.toString('base64url');

/** An adapter whose opener is a fresh HTTP browser; `fetchCalls` lists the adapter's own requests. */
function setup(overrides: Partial<HostedUIOptions> = {}, visit: { cancel?: boolean } = {}) {
  const browser = new HttpBrowser(server.user);
  const opened: string[] = [];
  const fetchCalls: string[] = [];
  const ui = hostedUI({
    domain: server.domain,
    clientId: server.clientId,
    redirectUri: server.redirectUri,
    logoutUri: server.logoutUri,
    openUrl: async (url, { purpose }) => {
      opened.push(url);
      return (await browser.visit(url, purpose === 'signIn' ? server.redirectUri : server.logoutUri, visit)).url;
    },
    fetch: (input, init) => {
      fetchCalls.push(String(input));
      return fetch(input, init);
    },
    ...overrides,
  });
  return { ui, browser, opened, fetchCalls };
}

/** Authorize, sign in on the login page, and answer the redirect URL. */
async function redirectFor(ui: HostedUI, customState?: string) {
  const { url, transaction } = await ui.createAuthorization(customState === undefined ? {} : { customState });
  const redirect = await ui.openUrl(url, 'signIn');
  if (!redirect) throw new Error('the opener answered no redirect');
  return { redirect, transaction };
}

async function failure(work: Promise<unknown>): Promise<AuthError> {
  const error = await work.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

/** No secret of the transaction or the redirect may appear in an error message. */
function expectNoSecrets(error: AuthError, t: RedirectTransaction, redirect?: string) {
  const secrets = [t.state, t.codeVerifier, t.nonce];
  const code = redirect ? new URL(redirect).searchParams.get('code') : null;
  if (code) secrets.push(code);
  for (const s of secrets) expect(error.message).not.toContain(s);
  expect(error.message).not.toMatch(/eyJ/);
}

describe('createAuthorization', () => {
  it('builds a Cognito authorize URL with PKCE S256, state, nonce and the default scopes', async () => {
    const { ui } = setup();
    const { url, transaction } = await ui.createAuthorization();
    const u = new URL(url);
    expect(u.origin + u.pathname).toBe(`${server.domain}/oauth2/authorize`);
    const p = u.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('client_id')).toBe(server.clientId);
    expect(p.get('redirect_uri')).toBe(server.redirectUri);
    expect(p.get('scope')).toBe('openid email aws.cognito.signin.user.admin');
    expect(p.get('state')).toBe(transaction.state);
    expect(p.get('nonce')).toBe(transaction.nonce);
    expect(p.get('code_challenge_method')).toBe('S256');
    // Independently of the adapter: base64url(SHA-256(verifier)), RFC 7636 §4.2.
    expect(p.get('code_challenge')).toBe(base64url(createHash('sha256').update(transaction.codeVerifier).digest()));
    expect(transaction.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(url).not.toContain(transaction.codeVerifier);
    expect(p.has('identity_provider')).toBe(false);
  });

  it('is random every time, keeps customState out of the URL, and passes provider and scopes', async () => {
    const { ui } = setup({ scopes: ['openid', 'email'] });
    const a = await ui.createAuthorization({ provider: 'Google', customState: 'return-to:/orders' });
    const b = await ui.createAuthorization();
    expect(
      new Set([a.transaction.state, a.transaction.nonce, a.transaction.codeVerifier, b.transaction.state]).size,
    ).toBe(4);
    const p = new URL(a.url).searchParams;
    expect(p.get('identity_provider')).toBe('Google');
    expect(p.get('scope')).toBe('openid email');
    expect(a.url).not.toContain('orders');
    expect(a.transaction.customState).toBe('return-to:/orders');
    expect(JSON.parse(JSON.stringify(a.transaction))).toEqual(a.transaction);
  });
});

describe('exchangeCode against the embedded server', () => {
  it('signs in through the login page and answers Cognito-shaped tokens and the customState', async () => {
    const { ui } = setup();
    const { redirect, transaction } = await redirectFor(ui, '/orders');
    const { tokens, customState } = await ui.exchangeCode(redirect, transaction, signal());
    expect(customState).toBe('/orders');

    const jwks = createRemoteJWKSet(new URL(`${server.domain}/.well-known/jwks.json`));
    const { payload: access } = await jwtVerify(tokens.accessToken, jwks, { issuer: server.issuer });
    expect(access).toMatchObject({
      token_use: 'access',
      username: server.user.username,
      client_id: server.clientId,
      sub: server.user.sub,
    });
    expect(String(access['scope']).split(' ').sort()).toEqual(['aws.cognito.signin.user.admin', 'email', 'openid']);
    expect(access['origin_jti']).toEqual(expect.any(String));
    expect(access.exp! - access.iat!).toBe(3600);

    const { payload: id } = await jwtVerify(tokens.idToken, jwks, { issuer: server.issuer, audience: server.clientId });
    expect(id).toMatchObject({
      token_use: 'id',
      'cognito:username': server.user.username,
      email: server.user.email,
      nonce: transaction.nonce,
      sub: server.user.sub,
    });
    expect(tokens.refreshToken).toEqual(expect.any(String));
  });

  it('refuses a reused code with NotAuthorized (invalid_grant)', async () => {
    const { ui } = setup();
    const { redirect, transaction } = await redirectFor(ui);
    await ui.exchangeCode(redirect, transaction, signal());
    const error = await failure(ui.exchangeCode(redirect, transaction, signal()));
    expect(error.code).toBe('NotAuthorized');
    expect(error.serviceName).toBe('invalid_grant');
    expectNoSecrets(error, transaction, redirect);
  });

  it('refuses a code with the wrong PKCE verifier (the server requires PKCE)', async () => {
    const { ui } = setup();
    const { redirect, transaction } = await redirectFor(ui);
    const other = (await ui.createAuthorization()).transaction.codeVerifier;
    const error = await failure(ui.exchangeCode(redirect, { ...transaction, codeVerifier: other }, signal()));
    expect(error.code).toBe('NotAuthorized');
    expectNoSecrets(error, transaction, redirect);
  });

  it('refuses a tampered state with StateMismatch before any request', async () => {
    const { ui, fetchCalls } = setup();
    const { redirect, transaction } = await redirectFor(ui);
    const tampered = new URL(redirect);
    tampered.searchParams.set('state', `${transaction.state.slice(0, -1)}x`);
    const missing = new URL(redirect);
    missing.searchParams.delete('state');
    for (const url of [tampered.href, missing.href]) {
      const error = await failure(ui.exchangeCode(url, transaction, signal()));
      expect(error.code).toBe('StateMismatch');
      expectNoSecrets(error, transaction, redirect);
    }
    expect(fetchCalls).toEqual([]);
    // The code was not spent: the untampered redirect still signs in.
    await expect(ui.exchangeCode(redirect, transaction, signal())).resolves.toHaveProperty('tokens');
  });

  it('refuses an ID token whose nonce is not the transaction nonce (InvalidToken)', async () => {
    const { ui } = setup();
    const { redirect, transaction } = await redirectFor(ui);
    const error = await failure(ui.exchangeCode(redirect, { ...transaction, nonce: 'not-the-nonce' }, signal()));
    expect(error.code).toBe('InvalidToken');
  });

  it("reports the user's cancel on the login page (error=access_denied) as Cancelled", async () => {
    const { ui, fetchCalls } = setup({}, { cancel: true });
    const { redirect, transaction } = await redirectFor(ui);
    expect(new URL(redirect).searchParams.get('error')).toBe('access_denied');
    const error = await failure(ui.exchangeCode(redirect, transaction, signal()));
    expect(error.code).toBe('Cancelled');
    expect(error.serviceName).toBe('access_denied');
    expect(fetchCalls).toEqual([]);
  });

  it('reports any other error parameter as HostedUIError with its OAuth name', async () => {
    // `phone` is a scope the server knows but this app client may not ask for.
    const { ui } = setup({ scopes: ['openid', 'email', 'phone'] });
    const { redirect, transaction } = await redirectFor(ui);
    const error = await failure(ui.exchangeCode(redirect, transaction, signal()));
    expect(error.code).toBe('HostedUIError');
    expect(error.serviceName).toBe('invalid_scope');
    expectNoSecrets(error, transaction, redirect);
  });

  it('refuses a redirect to another path or one without a code', async () => {
    const { ui } = setup();
    const { transaction } = await ui.createAuthorization();
    const elsewhere = `${server.domain}/elsewhere?state=${transaction.state}&code=abc`;
    expect((await failure(ui.exchangeCode(elsewhere, transaction, signal()))).code).toBe('InvalidInput');
    const noCode = `${server.redirectUri}?state=${transaction.state}`;
    expect((await failure(ui.exchangeCode(noCode, transaction, signal()))).code).toBe('InvalidInput');
  });
});

describe('signOut', () => {
  it('calls /logout with client_id and logout_uri, after which the next authorize shows the login page', async () => {
    const { ui, browser, opened } = setup();
    const first = await ui.createAuthorization();
    expect((await browser.visit(first.url, server.redirectUri)).sawLoginPage).toBe(true);
    // Control: while the hosted-UI session lives, an authorize signs straight back in.
    const second = await ui.createAuthorization();
    expect((await browser.visit(second.url, server.redirectUri)).sawLoginPage).toBe(false);

    const before = server.logouts.length;
    await ui.signOut(signal());
    const logout = new URL(opened.at(-1)!);
    expect(logout.origin + logout.pathname).toBe(`${server.domain}/logout`);
    expect(Object.fromEntries(logout.searchParams)).toEqual({
      client_id: server.clientId,
      logout_uri: server.logoutUri,
    });
    expect(server.logouts.slice(before)).toEqual([{ clientId: server.clientId, logoutUri: server.logoutUri }]);

    const third = await ui.createAuthorization();
    expect((await browser.visit(third.url, server.redirectUri)).sawLoginPage).toBe(true);
  });

  it('navigates with location.assign in a browser when no opener is injected', async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { assign });
    const ui = hostedUI({ ...server, domain: server.domain });
    expect(ui.leavesPage).toBe(true);
    await ui.signOut(signal());
    expect(assign).toHaveBeenCalledTimes(1);
    const url = new URL(assign.mock.calls[0]![0] as string);
    expect(url.pathname).toBe('/logout');
    expect(url.searchParams.get('logout_uri')).toBe(server.logoutUri);
    const { url: authorize } = await ui.createAuthorization();
    await expect(ui.openUrl(authorize, 'signIn')).resolves.toBeUndefined();
    expect(assign).toHaveBeenLastCalledWith(authorize);
  });

  it('is InvalidConfig outside a browser without an opener', async () => {
    const ui = hostedUI({ ...server });
    expect((await failure(ui.signOut(signal()))).code).toBe('InvalidConfig');
    expect((await failure(ui.openUrl('https://x.test/', 'signIn'))).code).toBe('InvalidConfig');
  });

  it('is bounded by the signal when the opener never returns (Timeout)', async () => {
    const ui = hostedUI({ ...server, openUrl: () => new Promise<undefined>(() => {}) });
    expect(ui.leavesPage).toBe(false);
    const started = Date.now();
    expect((await failure(ui.signOut(AbortSignal.timeout(100)))).code).toBe('Timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('passes an AuthError of the opener through (a native cancel) and wraps anything else', async () => {
    const cancelled = new AuthError('Cancelled', 'The user closed the browser');
    const ui = hostedUI({
      ...server,
      openUrl: () => Promise.reject(cancelled),
    });
    expect(await failure(ui.signOut(signal()))).toBe(cancelled);
    const broken = hostedUI({
      ...server,
      openUrl: () => {
        throw new Error('no browser');
      },
    });
    expect((await failure(broken.signOut(signal()))).code).toBe('HostedUIError');
  });
});

describe('unreachable servers', () => {
  let blackhole: Server;
  let blackholePort = 0;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts connections and never answers.
    blackhole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    blackholePort = (blackhole.address() as { port: number }).port;
  });
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => blackhole.close(() => resolve()));
  });

  async function exchangeAgainst(domain: string, s: AbortSignal) {
    const ui = hostedUI({ ...server, domain });
    const { transaction } = await ui.createAuthorization();
    const url = `${server.redirectUri}?state=${transaction.state}&code=some-code`;
    return { error: await failure(ui.exchangeCode(url, transaction, s)), transaction };
  }

  it('a refused connection is Network', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { error, transaction } = await exchangeAgainst(`http://127.0.0.1:${port}`, signal());
    expect(error.code).toBe('Network');
    expectNoSecrets(error, transaction);
    expect(error.message).not.toContain('some-code');
  });

  it('a server that never answers is a Timeout, as soon as the signal fires', async () => {
    const started = Date.now();
    const { error } = await exchangeAgainst(`http://127.0.0.1:${blackholePort}`, AbortSignal.timeout(200));
    expect(error.code).toBe('Timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('an already-aborted signal sends nothing', async () => {
    const { ui, fetchCalls } = setup();
    const { transaction } = await ui.createAuthorization();
    const url = `${server.redirectUri}?state=${transaction.state}&code=some-code`;
    expect((await failure(ui.exchangeCode(url, transaction, AbortSignal.abort()))).code).toBe('Timeout');
    expect(fetchCalls).toEqual([]);
  });
});

describe('configuration', () => {
  it('refuses missing or malformed options with InvalidConfig, and accepts a bare domain', async () => {
    const ok = { domain: 'auth.example.com', clientId: 'c', redirectUri: 'https://a/cb', logoutUri: 'https://a/' };
    for (const bad of [{ clientId: '' }, { domain: '' }, { redirectUri: 'not a url' }, { logoutUri: undefined }]) {
      expect(() => hostedUI({ ...ok, ...bad } as HostedUIOptions)).toThrow(
        expect.objectContaining({ code: 'InvalidConfig' }),
      );
    }
    const { url } = await hostedUI(ok).createAuthorization();
    expect(url.startsWith('https://auth.example.com/oauth2/authorize?')).toBe(true);
  });
});
