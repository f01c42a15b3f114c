/**
 * `hostedUIServices`: refresh and revoke over the OAuth endpoints, against the embedded OAuth server
 * (oidc-provider), alone and under the chart together with `hostedUI`.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostedUI, hostedUIServices } from '../../src/adapters/hosted-ui.js';
import { type Auth, type AuthError, createAuth, isAuthError, memoryStorage } from '../../src/index.js';
import { type EmbeddedOAuth, startEmbeddedOAuth } from '../../tools/embedded-oauth.js';
import { timeoutSignal as signal } from '../helpers/async.js';
import { HttpBrowser } from '../helpers/oauth-browser.js';

let server: EmbeddedOAuth;
let shortLived: EmbeddedOAuth;
beforeAll(async () => {
  [server, shortLived] = await Promise.all([startEmbeddedOAuth(), startEmbeddedOAuth({ accessTokenTtl: 4 })]);
});
afterAll(() => Promise.all([server?.stop(), shortLived?.stop()]));

async function failure(work: Promise<unknown>): Promise<AuthError> {
  const error = await work.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  if (!isAuthError(error)) throw error;
  return error;
}

/** An auth instance on the embedded server: both adapters, an HTTP browser as the opener. */
function authFor(s: EmbeddedOAuth) {
  const browser = new HttpBrowser(s.user);
  const logoutVisits: string[] = [];
  const ui = hostedUI({
    ...s,
    openUrl: async (url, { purpose }) => {
      if (purpose === 'signOut') logoutVisits.push(url);
      return (await browser.visit(url, purpose === 'signIn' ? s.redirectUri : s.logoutUri)).url;
    },
  });
  const auth = createAuth({ services: hostedUIServices(s), hostedUI: ui, storage: memoryStorage(), sync: null });
  return { auth, browser, logoutVisits };
}

async function signedIn(s: EmbeddedOAuth): Promise<ReturnType<typeof authFor> & { auth: Auth }> {
  const setup = authFor(s);
  await setup.auth.ready;
  expect(await setup.auth.signInWithRedirect()).toEqual({ status: 'signedIn' });
  return setup;
}

describe('hostedUIServices on its own', () => {
  it('refreshes over /oauth2/token (same origin_jti, the refresh token not rotated) and revokes over /oauth2/revoke', async () => {
    const { auth } = await signedIn(server);
    const tokens = auth.getTokens()!;
    auth.stop();
    const services = hostedUIServices(server);
    expect(services.clientId).toBe(server.clientId);
    const fresh = await services.refresh(tokens.refreshToken, signal());
    // Not rotated: the same refresh token comes back (oidc-provider) or none does (Cognito).
    expect([undefined, tokens.refreshToken]).toContain(fresh.refreshToken);
    expect(fresh.idToken).toMatch(/^eyJ/);
    expect(decodeJwt(fresh.accessToken!)['origin_jti']).toBe(decodeJwt(tokens.accessToken)['origin_jti']);
    expect(fresh.accessToken).not.toBe(tokens.accessToken);

    await services.revokeToken(tokens.refreshToken, signal());
    const refused = await failure(services.refresh(tokens.refreshToken, signal()));
    expect(refused).toMatchObject({ code: 'NotAuthorized', serviceName: 'invalid_grant' });
    expect(refused.message).not.toContain(tokens.refreshToken);
  });

  it('has no password sign-in and no GlobalSignOut, each with its own code', async () => {
    const services = hostedUIServices(server);
    expect((await failure(services.signIn({ username: 'a', password: 'b' }, signal()))).code).toBe('InvalidConfig');
    expect((await failure(services.globalSignOut('token', signal()))).code).toBe('GlobalSignOutUnsupported');
  });

  it('maps Cognito’s invalid_request at /oauth2/revoke (revocation disabled) to RevocationUnsupported', async () => {
    const requests: string[] = [];
    const services = hostedUIServices({
      domain: 'auth.example.com',
      clientId: 'c1',
      fetch: async (input, init) => {
        requests.push(`${input} ${init?.body}`);
        return Response.json({ error: 'invalid_request' }, { status: 400 });
      },
    });
    const error = await failure(services.revokeToken('the-refresh-token', signal()));
    expect(error).toMatchObject({ code: 'RevocationUnsupported', serviceName: 'invalid_request' });
    expect(requests).toEqual(['https://auth.example.com/oauth2/revoke token=the-refresh-token&client_id=c1']);
  });

  it('refuses a token endpoint answer without an access token (InvalidToken)', async () => {
    const services = hostedUIServices({
      domain: 'auth.example.com',
      clientId: 'c1',
      fetch: async () => Response.json({}),
    });
    expect((await failure(services.refresh('r', signal()))).code).toBe('InvalidToken');
  });

  describe('unreachable servers', () => {
    let blackhole: Server;
    const sockets: Socket[] = [];
    let domain = '';
    beforeAll(async () => {
      blackhole = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
      domain = `http://127.0.0.1:${(blackhole.address() as { port: number }).port}`;
    });
    afterAll(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => blackhole.close(() => resolve()));
    });

    it('a server that never answers is a Timeout as soon as the signal fires; an aborted signal sends nothing', async () => {
      const services = hostedUIServices({ domain, clientId: 'c1' });
      const started = Date.now();
      expect((await failure(services.revokeToken('r', AbortSignal.timeout(200)))).code).toBe('Timeout');
      expect((await failure(services.refresh('r', AbortSignal.timeout(200)))).code).toBe('Timeout');
      expect(Date.now() - started).toBeLessThan(2_000);
      let sent = 0;
      const counting = hostedUIServices({
        domain,
        clientId: 'c1',
        fetch: () => Promise.reject(new Error(String(++sent))),
      });
      expect((await failure(counting.revokeToken('r', AbortSignal.abort()))).code).toBe('Timeout');
      expect(sent).toBe(0);
    });

    it('a refused connection is Network', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as { port: number }).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const services = hostedUIServices({ domain: `http://127.0.0.1:${port}`, clientId: 'c1' });
      expect((await failure(services.revokeToken('r', signal()))).code).toBe('Network');
    });
  });
});

describe('the chart with hostedUI and hostedUIServices, against the embedded server', () => {
  it('signs in, signs out through /logout and RevokeToken (complete); the refresh token is dead, the browser session over', async () => {
    const { auth, browser, logoutVisits } = await signedIn(server);
    const tokens = auth.getTokens()!;
    const logoutsBefore = server.logouts.length;
    const result = await auth.signOut();
    expect(result).toMatchObject({
      status: 'complete',
      steps: { hostedUISignOut: 'done', revokeToken: 'done', clearCache: 'done' },
    });
    expect(logoutVisits).toHaveLength(1);
    expect(server.logouts.length).toBe(logoutsBefore + 1);
    expect((await failure(hostedUIServices(server).refresh(tokens.refreshToken, signal()))).code).toBe('NotAuthorized');
    // The next sign-in meets the login page again.
    const next = await hostedUI(server).createAuthorization();
    expect((await browser.visit(next.url, server.redirectUri)).sawLoginPage).toBe(true);
    auth.stop();
  });

  it('a global sign-out revokes instead of GlobalSignOut: partial, GlobalSignOutUnsupported, token dead', async () => {
    const { auth } = await signedIn(server);
    const tokens = auth.getTokens()!;
    const result = await auth.signOut({ global: true });
    expect(result).toMatchObject({
      status: 'partial',
      scope: 'global',
      globalSignOutError: { code: 'GlobalSignOutUnsupported' },
      steps: { hostedUISignOut: 'done', revokeToken: 'done', clearCache: 'done' },
    });
    expect((await failure(hostedUIServices(server).refresh(tokens.refreshToken, signal()))).code).toBe('NotAuthorized');
    auth.stop();
  });

  it('refreshes a short-lived access token on schedule through /oauth2/token', async () => {
    const { auth } = await signedIn(shortLived);
    const before = auth.getTokens()!;
    const refreshed = new Promise<void>((resolve) => auth.on('tokensRefreshed', () => resolve()));
    await refreshed; // a 4 s token is refreshed at half its lifetime
    const after = auth.getTokens()!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).toBe(before.refreshToken);
    expect(auth.getSession()).toMatchObject({ signedInWith: 'hostedUI', username: shortLived.user.username });
    auth.stop();
  }, 15_000);
});
