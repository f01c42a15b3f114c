/**
 * Redis restarts while a sign-out waits on RevokeToken (held by a proxy in front of the run's
 * cognito-local): clearing the tokens then fails fast with a typed StorageFailure (the user is
 * still signed in, nothing hangs), and a retry once Redis is back completes.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      expect((await c.keys(`${prefix}*`)).length).toBeGreaterThanOrEqual(5);
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
});
