import { describe, expect, it } from 'vitest';
import { identityPool } from '../src/adapters/identity-pool.js';
import type { AuthError } from '../src/index.js';
import { signal } from './helpers/async.js';
import { identityPoolEndpoint, LOGINS_KEY, POOL_ID } from './helpers/identity-pool-endpoint.js';
import { makeTokens } from './helpers/tokens.js';

const alice = makeTokens({ username: 'alice', sub: 'sub-alice' });
const fail = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('resolved');
    },
    (e: AuthError) => e,
  );

describe('authchart/identity-pool', () => {
  it('a guest: GetId without Logins, then GetCredentialsForIdentity; Expiration (epoch seconds) becomes a Date', async () => {
    const pool = identityPoolEndpoint({ now: () => 1_700_000_000_000 });
    const creds = await pool.provider({ allowGuest: true }).getCredentials({ idToken: null }, signal());
    expect(pool.calls.map((c) => c.target)).toEqual([
      'AWSCognitoIdentityService.GetId',
      'AWSCognitoIdentityService.GetCredentialsForIdentity',
    ]);
    expect(pool.calls[0]?.body).toEqual({ IdentityPoolId: POOL_ID });
    expect(pool.calls[1]?.body).toEqual({ IdentityId: creds.identityId });
    expect(creds.expiration.getTime()).toBe(1_700_000_000_000 + 3600_000);
    expect(creds.secretAccessKey).toBe(pool.issued[0]?.secretKey);
    expect(creds.sessionToken).toBe(pool.issued[0]?.sessionToken);
  });

  it("a user: Logins keyed by the ID token's issuer without https://, holding the ID token", async () => {
    const pool = identityPoolEndpoint();
    const creds = await pool.provider().getCredentials({ idToken: alice.idToken }, signal());
    expect(pool.calls[0]?.body).toEqual({ IdentityPoolId: POOL_ID, Logins: { [LOGINS_KEY]: alice.idToken } });
    expect(pool.calls[1]?.body).toEqual({ IdentityId: creds.identityId, Logins: { [LOGINS_KEY]: alice.idToken } });
    expect(pool.identities.get(creds.identityId)).toBe('sub-alice');
  });

  it('a guest identity given with the ID token is linked to the user (no GetId)', async () => {
    const pool = identityPoolEndpoint();
    const provider = pool.provider({ allowGuest: true });
    const guest = await provider.getCredentials({ idToken: null }, signal());
    const user = await provider.getCredentials({ idToken: alice.idToken, identityId: guest.identityId }, signal());
    expect(user.identityId).toBe(guest.identityId);
    expect(pool.calls.slice(2).map((c) => c.target)).toEqual(['AWSCognitoIdentityService.GetCredentialsForIdentity']);
  });

  it('guests refused without allowGuest; the request headers are the identity pool JSON protocol', async () => {
    const pool = identityPoolEndpoint();
    expect((await fail(pool.provider().getCredentials({ idToken: null }, signal()))).code).toBe('NotSignedIn');
    expect(pool.calls).toHaveLength(0);
  });

  it('typed errors: NotAuthorized, Throttled (retried once), Service (5xx, retried once), Network, Timeout', async () => {
    const make = (reply: () => Response | Promise<Response>) => {
      let n = 0;
      const provider = identityPool({
        identityPoolId: POOL_ID,
        allowGuest: true,
        retryDelayMs: 1,
        fetch: async (_u, init) => {
          n++;
          init?.signal?.throwIfAborted();
          return reply();
        },
      });
      return { provider, count: () => n };
    };
    const json = (status: number, body: unknown) => () => new Response(JSON.stringify(body), { status });
    const na = make(json(400, { __type: 'NotAuthorizedException', message: 'Invalid login token.' }));
    expect((await fail(na.provider.getCredentials({ idToken: alice.idToken }, signal()))).code).toBe('NotAuthorized');
    expect(na.count()).toBe(1);
    const th = make(json(400, { __type: 'TooManyRequestsException', message: 'slow down' }));
    expect((await fail(th.provider.getCredentials({ idToken: null }, signal()))).code).toBe('Throttled');
    expect(th.count()).toBe(2);
    const svc = make(json(500, { __type: 'InternalErrorException' }));
    expect((await fail(svc.provider.getCredentials({ idToken: null }, signal()))).code).toBe('Service');
    expect(svc.count()).toBe(2);
    const net = make(() => Promise.reject(new TypeError('fetch failed')));
    expect((await fail(net.provider.getCredentials({ idToken: null }, signal()))).code).toBe('Network');
    const aborted = new AbortController();
    aborted.abort();
    expect((await fail(net.provider.getCredentials({ idToken: null }, aborted.signal))).code).toBe('Timeout');
  });

  it('a message never carries the ID token sent; a redirect is not followed; an answer past the cap is Service', async () => {
    const echo = identityPool({
      identityPoolId: POOL_ID,
      fetch: async () =>
        new Response(JSON.stringify({ __type: 'NotAuthorizedException', message: `bad ${alice.idToken}` }), {
          status: 400,
        }),
    });
    expect((await fail(echo.getCredentials({ idToken: alice.idToken }, signal()))).message).not.toContain(
      alice.idToken,
    );
    let init: RequestInit | undefined;
    const redirect = identityPool({
      identityPoolId: POOL_ID,
      allowGuest: true,
      fetch: async (_u, i) => {
        init = i;
        return new Response(null, { status: 302, headers: { location: 'https://evil.example/' } });
      },
    });
    expect((await fail(redirect.getCredentials({ idToken: null }, signal()))).code).toBe('Service');
    expect(init?.redirect).toBe('manual');
    const big = identityPool({
      identityPoolId: POOL_ID,
      allowGuest: true,
      maxResponseBytes: 10,
      fetch: async () => new Response(JSON.stringify({ IdentityId: 'x'.repeat(100) })),
    });
    expect((await fail(big.getCredentials({ idToken: null }, signal()))).message).toMatch(/larger than 10 bytes/);
  });

  it('config: a pool id is <region>:<id>; the endpoint is https or loopback', () => {
    expect(() => identityPool({ identityPoolId: 'nope' })).toThrow(/identityPoolId/);
    expect(() => identityPool({ identityPoolId: POOL_ID, endpoint: 'http://example.com/' })).toThrow(/not https/);
    expect(() => identityPool({ identityPoolId: POOL_ID, endpoint: 'http://127.0.0.1:9/' })).not.toThrow();
  });
});
