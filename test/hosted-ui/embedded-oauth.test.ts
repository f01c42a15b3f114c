/** The embedded OAuth server behaves like Cognito's hosted UI where the adapter and the chart rely on it. */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostedUI } from '../../src/adapters/hosted-ui.js';
import { type EmbeddedOAuth, startEmbeddedOAuth } from '../../tools/embedded-oauth.js';
import { HttpBrowser } from '../helpers/oauth-browser.js';

let server: EmbeddedOAuth;
let noAdmin: EmbeddedOAuth;
beforeAll(async () => {
  [server, noAdmin] = await Promise.all([
    startEmbeddedOAuth(),
    startEmbeddedOAuth({ allowedScopes: ['openid', 'email'] }),
  ]);
});
afterAll(() => Promise.all([server?.stop(), noAdmin?.stop()]));

async function signIn(s: EmbeddedOAuth, scopes?: string[]) {
  const browser = new HttpBrowser(s.user);
  const ui = hostedUI({
    ...s,
    ...(scopes ? { scopes } : {}),
    openUrl: async (url) => (await browser.visit(url, s.redirectUri)).url,
  });
  const { url, transaction } = await ui.createAuthorization();
  const redirect = (await ui.openUrl(url, 'signIn'))!;
  return (await ui.exchangeCode(redirect, transaction, AbortSignal.timeout(5_000))).tokens;
}

const post = (s: EmbeddedOAuth, path: string, form: Record<string, string>) =>
  fetch(`${s.domain}${path}`, { method: 'POST', body: new URLSearchParams(form) });

describe('/logout in Cognito’s format', () => {
  it('refuses an unknown client or an unregistered logout_uri, and redirects a registered one', async () => {
    const logout = (query: Record<string, string>) =>
      fetch(`${server.domain}/logout?${new URLSearchParams(query)}`, { redirect: 'manual' });
    const before = server.logouts.length;
    expect((await logout({ client_id: 'nobody', logout_uri: server.logoutUri })).status).toBe(400);
    expect((await logout({ client_id: server.clientId, logout_uri: 'https://evil.test/' })).status).toBe(400);
    expect((await logout({ client_id: server.clientId })).status).toBe(400);
    expect(server.logouts.length).toBe(before);
    const ok = await logout({ client_id: server.clientId, logout_uri: server.logoutUri });
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe(server.logoutUri);
  });
});

describe('authorize and token endpoints', () => {
  it('requires PKCE: an authorize request without code_challenge comes back with an error', async () => {
    const ui = hostedUI({ ...server });
    const url = new URL((await ui.createAuthorization()).url);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const back = await new HttpBrowser(server.user).visit(url.href, server.redirectUri);
    expect(new URL(back.url).searchParams.get('error')).toBe('invalid_request');
  });

  it('refreshes without rotating the refresh token (Cognito’s default), keeping origin_jti', async () => {
    const tokens = await signIn(server);
    const response = await post(server, '/oauth2/token', {
      grant_type: 'refresh_token',
      client_id: server.clientId,
      refresh_token: tokens.refreshToken,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect([undefined, tokens.refreshToken]).toContain(body['refresh_token']);
    const [before, after] = [decodeJwt(tokens.accessToken), decodeJwt(body['access_token']!)];
    expect(after['origin_jti']).toBe(before['origin_jti']);
    expect(after.jti).not.toBe(before.jti);
  });

  it('revokes a refresh token at /oauth2/revoke, after which it no longer refreshes', async () => {
    const tokens = await signIn(server);
    const revoke = await post(server, '/oauth2/revoke', { token: tokens.refreshToken, client_id: server.clientId });
    expect(revoke.status).toBe(200);
    const refresh = await post(server, '/oauth2/token', {
      grant_type: 'refresh_token',
      client_id: server.clientId,
      refresh_token: tokens.refreshToken,
    });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('gives a client without aws.cognito.signin.user.admin an access token without that scope', async () => {
    const tokens = await signIn(noAdmin, ['openid', 'email']);
    expect(String(decodeJwt(tokens.accessToken)['scope']).split(' ').sort()).toEqual(['email', 'openid']);
  });
});
