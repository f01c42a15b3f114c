/**
 * redisStorage's `lock(name, critical)` beyond the contract, on a real redis-server: a dead
 * holder's lock is taken after its TTL, the wait bound, renewal of a long section, and a release
 * that never deletes a lock another holder took.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { redisStorage } from '../../src/bindings/redis.js';
import { AuthError } from '../../src/index.js';
import { hasRedis } from '../../tools/embedded-redis.js';
import { sleep } from '../helpers/async.js';
import { kill, startHolder } from '../storage/holder.js';
import { useEmbeddedRedis } from './embedded.js';

const DEAD_TOKEN = 'dead-holder-token-5f1c';

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

/** `storage.lock`, which redisStorage always has. */
function lockOf(storage: ReturnType<typeof redisStorage>) {
  const { lock } = storage;
  if (!lock) throw new Error('redisStorage has no lock');
  return lock;
}

describe.skipIf(!hasRedis('the Redis lock'))('redisStorage.lock on a real redis-server', () => {
  const { connect, server } = useEmbeddedRedis();

  it('a lock left by a dead holder (set, never released) is taken after its TTL', async () => {
    const client = await connect();
    await client.set('lock1:lock:authchart.x', DEAD_TOKEN, { expiration: { type: 'PX', value: 700 } });
    const lock = lockOf(redisStorage(await connect(), { prefix: 'lock1:' }));
    const started = Date.now();
    const answer = await lock('authchart.x', async () => 'mine');
    const waited = Date.now() - started;
    expect(answer).toBe('mine');
    expect(waited).toBeGreaterThanOrEqual(600);
    expect(waited).toBeLessThan(1500);
    expect(await client.keys('lock1:*')).toEqual([]); // released after the section
  });

  it('waiting past lockTimeoutMs fails with StorageFailure naming the lock, not the token or prefix', async () => {
    const client = await connect();
    await client.set('secret-session-77:lock:authchart.x', DEAD_TOKEN, { expiration: { type: 'PX', value: 5000 } });
    const lock = lockOf(redisStorage(client, { prefix: 'secret-session-77:', lockTimeoutMs: 300 }));
    let ran = false;
    const started = Date.now();
    const error = await rejection(
      lock('authchart.x', async () => {
        ran = true;
      }),
    );
    const waited = Date.now() - started;
    expect(error.code).toBe('StorageFailure');
    expect(error.message).toContain("'authchart.x'");
    expect(error.message).toContain('300 ms');
    expect(error.message).not.toContain(DEAD_TOKEN);
    expect(error.message).not.toContain('secret-session-77');
    expect(ran).toBe(false);
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(800);
    expect(await client.get('secret-session-77:lock:authchart.x')).toBe(DEAD_TOKEN); // not touched
  });

  it('a section longer than lockTtlMs keeps the lock (renewed); the next holder gets it after', async () => {
    const a = lockOf(redisStorage(await connect(), { prefix: 'lock3:', lockTtlMs: 300 }));
    const b = lockOf(redisStorage(await connect(), { prefix: 'lock3:', lockTtlMs: 300 }));
    let aEnded = 0;
    const first = a('authchart.x', async () => {
      await sleep(1200);
      aEnded = Date.now();
    });
    await sleep(50);
    const bStarted = await b('authchart.x', async () => Date.now());
    await first;
    expect(bStarted).toBeGreaterThanOrEqual(aEnded);
  });

  it('never deletes a lock that expired and was taken by another; the section fails with StorageFailure', async () => {
    const client = await connect();
    const key = 'lock4:lock:authchart.x';
    const lock = lockOf(redisStorage(client, { prefix: 'lock4:' }));
    const error = await rejection(
      lock('authchart.x', async () => {
        // What an expiry followed by another holder's SET NX leaves.
        await client.set(key, 'another-holder', { expiration: { type: 'PX', value: 5000 } });
        return 'done';
      }),
    );
    expect(error.code).toBe('StorageFailure');
    expect(error.message).toMatch(/expired while held/);
    expect(await client.get(key)).toBe('another-holder');
    expect(await client.pTTL(key)).toBeGreaterThan(4000); // not renewed by us either
  });

  it('a client that is not connected fails at once with StorageFailure', async () => {
    const client = createClient({ url: server().url, disableOfflineQueue: true }); // never connected
    const lock = lockOf(redisStorage(client, { prefix: 'lock5:' }));
    const started = Date.now();
    const error = await rejection(lock('authchart.x', async () => 'never'));
    expect(error.code).toBe('StorageFailure');
    expect(error.message).toMatch(/not connected/);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it.each([
    ['lockTtlMs', 99],
    ['lockTtlMs', 1.5],
    ['lockTimeoutMs', 0],
    ['lockTimeoutMs', Number.NaN],
  ] as const)('refuses %s = %s', async (option, value) => {
    const client = await connect();
    expect(() => redisStorage(client, { prefix: 'x:', [option]: value })).toThrow(new RegExp(option));
  });

  it('a lock whose holder was SIGKILLed on this host is taken at once, long before its TTL', async () => {
    const env = { KIND: 'redis', REDIS_URL: server().url, PREFIX: 'lock6:', STALE_MS: '60000' };
    const holder = await startHolder(env);
    const client = await connect();
    await kill(holder);
    // A 60 s TTL, a 3 s wait: only the dead-holder check can take the lock in time.
    const lock = lockOf(redisStorage(client, { prefix: 'lock6:', lockTtlMs: 60_000, lockTimeoutMs: 3000 }));
    expect(await lock('authchart.x', async () => 'mine')).toBe('mine');
    expect(await client.keys('lock6:lock:*')).toEqual([]);
  }, 20_000);

  it('a lock whose holder is alive is not taken: the wait ends with StorageFailure', async () => {
    const env = { KIND: 'redis', REDIS_URL: server().url, PREFIX: 'lock7:', STALE_MS: '60000' };
    const holder = await startHolder(env);
    try {
      const lock = lockOf(redisStorage(await connect(), { prefix: 'lock7:', lockTtlMs: 60_000, lockTimeoutMs: 500 }));
      expect((await rejection(lock('authchart.x', async () => 'stolen'))).code).toBe('StorageFailure');
    } finally {
      await kill(holder);
    }
  }, 20_000);
});
