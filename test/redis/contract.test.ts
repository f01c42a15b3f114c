/** The storage contract that every storage passes (test/storage/contract.ts), on a real redis-server. */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe } from 'vitest';
import { redisStorage } from '../../src/bindings/redis.js';
import { type EmbeddedRedis, hasRedis, startEmbeddedRedis } from '../../tools/embedded-redis.js';
import { describeStorageContract } from '../storage/contract.js';

type Client = ReturnType<typeof createClient>;

describe.skipIf(!hasRedis('the Redis storage contract'))('redisStorage', () => {
  let redis: EmbeddedRedis;
  const clients: Client[] = [];
  const connect = async () => {
    const c = createClient({ url: redis.url, disableOfflineQueue: true });
    c.on('error', () => {});
    clients.push(c);
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    redis = await startEmbeddedRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await redis?.stop();
  });

  // Two clients on one prefix stand for two processes sharing a session.
  describeStorageContract('redisStorage (two clients = two processes)', async () => {
    const prefix = `contract:${randomUUID()}:`;
    return {
      storage: redisStorage(await connect(), { prefix }),
      reopen: async () => redisStorage(await connect(), { prefix }),
      cleanup: async () => {},
    };
  });
});
