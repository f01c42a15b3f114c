/** One embedded redis-server per test file, and clients to it that are closed with it. */
import { createClient } from 'redis';
import { afterAll, beforeAll } from 'vitest';
import { type EmbeddedRedis, startEmbeddedRedis } from '../../tools/embedded-redis.js';

export type Client = ReturnType<typeof createClient>;

/**
 * Call inside a `describe`: starts redis-server before its tests and stops it after. `connect()`
 * opens one client (one simulated process) that fails fast when Redis is down.
 */
export function useEmbeddedRedis() {
  let redis: EmbeddedRedis | undefined;
  const clients: Client[] = [];
  beforeAll(async () => {
    redis = await startEmbeddedRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await redis?.stop();
  });
  const server = (): EmbeddedRedis => {
    if (!redis) throw new Error('redis-server is not started yet');
    return redis;
  };
  return {
    server,
    /** Closes this client with the server (e.g. a `duplicate()` made by the test). */
    track(c: Client): Client {
      clients.push(c);
      return c;
    },
    async connect(): Promise<Client> {
      const c = createClient({ url: server().url, disableOfflineQueue: true });
      c.on('error', () => {});
      clients.push(c);
      await c.connect();
      return c;
    },
  };
}
