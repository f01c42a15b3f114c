/** The storage contract that every storage passes (test/storage/contract.ts), on a real redis-server. */
import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { redisStorage } from '../../src/bindings/redis.js';
import { hasRedis } from '../../tools/embedded-redis.js';
import { describeStorageContract } from '../storage/contract.js';
import { useEmbeddedRedis } from './embedded.js';

describe.skipIf(!hasRedis('the Redis storage contract'))('redisStorage', () => {
  const { connect } = useEmbeddedRedis();

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
