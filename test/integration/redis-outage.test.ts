/**
 * Redis restarts while a sign-out waits on RevokeToken (held by a proxy in front of the run's
 * cognito-local): clearing the tokens then fails fast with a typed StorageFailure (the user is
 * still signed in, nothing hangs), and a retry once Redis is back completes.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserSession, startBff } from '../../examples/bff/processes.js';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { redisStorage, redisSync } from '../../src/bindings/redis.js';
import { createAuth, isAuthError } from '../../src/index.js';
import { type EmbeddedRedis, hasRedis, startEmbeddedRedis } from '../../tools/embedded-redis.js';
import { type HoldingProxy, startHoldingProxy } from '../bff/holding-proxy.js';
import { freshPool } from './helpers.js';

describe.skipIf(!hasRedis('Redis outage'))('a Redis restart during a sign-out', () => {
  let redis: EmbeddedRedis;
  let proxy: HoldingProxy;
  let pool: Awaited<ReturnType<typeof freshPool>>;
  const client = (disableOfflineQueue: boolean) => {
    const c = createClient({ url: redis.url, disableOfflineQueue });
    c.on('error', () => {});
    return c;
  };

  beforeAll(async () => {
    pool = await freshPool();
    redis = await startEmbeddedRedis();
    proxy = await startHoldingProxy(pool.endpoint);
  });
  afterAll(async () => {
    await proxy?.close();
    await redis?.stop();
  });

  // With the offline queue on, the adapter's own `isReady` check is what keeps it from waiting.
  it.each([true, false])(
    'fails with StorageFailure at once, keeps the user signed in, and a retry after the restart completes (disableOfflineQueue: %s)',
    async (disableOfflineQueue) => {
      const c = await client(disableOfflineQueue).connect();
      const prefix = `outage${disableOfflineQueue}:session:`;
      const services = cognitoServices({
        clientId: pool.clientId,
        region: 'local',
        endpoint: proxy.url,
        authFlow: 'USER_PASSWORD_AUTH',
      });
      const auth = createAuth({
        services,
        storage: redisStorage(c, { prefix }),
        sync: redisSync(c, { prefix }),
        revocation: 'always',
        timeouts: { storageMs: 5000 },
      });
      await auth.signIn({ username: pool.username, password: pool.password });
      const refreshToken = auth.getTokens()?.refreshToken ?? '';

      const { seen } = proxy.hold('RevokeToken');
      const first = auth.signOut();
      await seen;
      await redis.down();
      await expect.poll(() => c.isReady).toBe(false);
      const released = performance.now();
      proxy.release('forward');
      const result = await first;
      const elapsed = performance.now() - released;
      console.info(`sign-out with Redis down settled in ${elapsed.toFixed(0)} ms (storage bound 5000 ms)`);
      expect(result).toMatchObject({ status: 'failed', signedOutLocally: false, steps: { revokeToken: 'done' } });
      expect(result.status === 'failed' && isAuthError(result.error, 'StorageFailure')).toBe(true);
      expect(elapsed).toBeLessThan(2000);
      expect(auth.getSnapshot().status).toBe('signedIn');

      await redis.up();
      await expect.poll(() => c.isReady, { timeout: 10_000 }).toBe(true);
      // The saved data came back: the tokens and the journal of the failed attempt.
      expect((await c.keys(`${prefix}*`)).some((k) => k.endsWith('.session'))).toBe(true);
      const retry = await auth.signOut();
      // The first attempt's RevokeToken went through; cognito-local refuses a second revocation of the
      // same token (NotAuthorized), so the retry is `partial` for that step alone, and local is done.
      expect(retry).toMatchObject({ signedOutLocally: true, steps: { clearCache: 'done' } });
      if (retry.status !== 'complete') expect(retry).toMatchObject({ revokeTokenError: { code: 'NotAuthorized' } });
      expect(auth.getSnapshot().status).toBe('signedOut');
      expect(await c.keys(`${prefix}*`)).toEqual([]);
      const refresh = await services.refresh(refreshToken, AbortSignal.timeout(5000)).catch((e: unknown) => e);
      expect(isAuthError(refresh, 'NotAuthorized')).toBe(true);
      auth.stop();
      c.destroy();
    },
  );

  it('through a BFF: 503 while Redis is down, the failed logout is finished by its retry once Redis is back', async () => {
    const bff = await startBff({
      REDIS_URL: redis.url,
      COGNITO_ENDPOINT: proxy.url,
      COGNITO_CLIENT_ID: pool.clientId,
      BFF_NAME: 'outage',
      BFF_REVOCATION: 'always',
    });
    try {
      const browser = new BrowserSession();
      const call = (method: 'GET' | 'POST', path: string, body?: unknown) => browser.call(bff.url, method, path, body);
      expect(await call('POST', '/login', { username: pool.username, password: pool.password })).toMatchObject({
        status: 200,
      });
      // Redis is back for the BFF when its client says so (its log), not when a request would touch the session.
      const back = async () => {
        const before = bff.lines().filter((l) => l['event'] === 'redis_back').length;
        await redis.up();
        await expect
          .poll(() => bff.lines().filter((l) => l['event'] === 'redis_back').length, { timeout: 10_000 })
          .toBeGreaterThan(before);
      };

      await redis.down();
      const started = performance.now();
      expect(await call('GET', '/me')).toMatchObject({ status: 503, body: { error: 'storage_unavailable' } });
      expect(performance.now() - started).toBeLessThan(1000);
      await back();
      expect(await call('GET', '/me')).toMatchObject({ status: 200 });

      // Redis goes down while RevokeToken runs: the logout fails, typed, and the user is still signed in.
      const { seen } = proxy.hold('RevokeToken');
      const cookie = browser.cookie;
      const logout = call('POST', '/logout', {});
      await seen;
      await redis.down();
      proxy.release('forward');
      expect(await logout).toMatchObject({ status: 503, body: { error: 'sign_out_failed' } });
      expect(JSON.stringify((await logout).body)).toContain('StorageFailure');
      await back();
      // The retry finds the journal and finishes that sign-out.
      browser.cookie = cookie;
      expect(await call('POST', '/logout', {})).toMatchObject({
        status: 200,
        body: { finishedEarlierSignOut: true, steps: { clearCache: 'done' } },
      });
      browser.cookie = cookie;
      expect(await call('GET', '/me')).toMatchObject({ status: 401, body: { error: 'session_ended' } });
    } finally {
      await bff.stop();
    }
  });
});
