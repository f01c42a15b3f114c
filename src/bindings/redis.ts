/** `authchart/redis`: session storage and cross-process sync on Redis (node-redis v5, an optional peer). */
export {
  type RedisMessageListener,
  type RedisSessionSync,
  type RedisStorageClient,
  type RedisStorageOptions,
  type RedisSubscriberClient,
  type RedisSyncClient,
  type RedisSyncOptions,
  redisStorage,
  redisSync,
} from '../adapters/redis.js';
