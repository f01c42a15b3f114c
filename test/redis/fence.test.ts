/**
 * redisStorage's fencing on a real redis-server (docs/storage.md, "A write that outlives its lock
 * does not land"): a write made in a `lock()` section commits (one script: compare the lock key, then
 * SET or DEL) only while that section still holds the lock, so a write that outlives its lock never
 * lands over the next holder's.
 */
import { describe, expect, it } from 'vitest';
import { redisStorage } from '../../src/bindings/redis.js';
import { createAuth, type TokenStorage, type Tokens } from '../../src/index.js';
import { hasRedis } from '../../tools/embedded-redis.js';
import { sleep } from '../helpers/async.js';
import { fakeServices } from '../helpers/fakes.js';
import { readRecord } from '../helpers/records.js';
import { makeTokens } from '../helpers/tokens.js';
import { type Client, useEmbeddedRedis } from './embedded.js';

describe.skipIf(!hasRedis('redisStorage fencing'))('redisStorage fences its writes with the lock', () => {
  const { connect } = useEmbeddedRedis();

  it('a write whose section lost the lock to another holder does not land, nor does a removal', async () => {
    const client = await connect();
    const storage = redisStorage(client, { prefix: 'fence1:' });
    await storage.setItem('session', 'bob');
    const lock = storage.lock;
    if (!lock) throw new Error('redisStorage has no lock');
    const section = lock('authchart.x', async () => {
      // The lock expired and another holder took it while this section stalled.
      await client.set('fence1:lock:authchart.x', 'another-holder');
      await expect(storage.setItem('session', 'alice')).rejects.toMatchObject({ code: 'StorageFailure' });
      await expect(storage.removeItem('session')).rejects.toMatchObject({ code: 'StorageFailure' });
    });
    await section.catch(() => undefined); // the section itself reports the lost lock
    expect(await client.get('fence1:session')).toBe('bob');
  });

  it('a sign-in whose write outlives its lock does not land over the newer sign-in: storage, B and a fresh start hold bob', async () => {
    // The first session write reaches Redis 300 ms late (a far or busy server): a plain SET, or a script.
    const slow = (await connect()) as Client;
    const SESSION = 'fence2:authchart.client123.session';
    let late: Promise<unknown> | undefined;
    const delayed = new Proxy(slow, {
      get(target, prop, receiver) {
        const real = Reflect.get(target, prop, receiver) as (...args: unknown[]) => Promise<unknown>;
        if (prop !== 'eval' && prop !== 'set') return typeof real === 'function' ? real.bind(target) : real;
        return (...args: unknown[]) => {
          const key = prop === 'set' ? args[0] : (args[1] as { keys: string[] }).keys[1];
          if (late || key !== SESSION) return real.apply(target, args);
          late = sleep(300).then(() => real.apply(target, args));
          return late;
        };
      },
    });
    const context = (client: Client, tokens: Tokens) => {
      const services = fakeServices(tokens);
      const storage: TokenStorage = redisStorage(client, { prefix: 'fence2:' });
      const auth = createAuth({ services, storage, timeouts: { storageMs: 100 } });
      return { auth, services, storage };
    };
    const alice = makeTokens({ username: 'alice@example.com' });
    const bob = makeTokens({ username: 'bob@example.com' });
    const a = context(delayed, alice);
    const b = context(await connect(), bob);
    try {
      await Promise.all([a.auth.ready, b.auth.ready]);
      await expect(a.auth.signIn({ username: 'alice@example.com', password: 'pw' })).rejects.toMatchObject({
        code: 'StorageFailure',
      });
      await b.auth.signIn({ username: 'bob@example.com', password: 'pw' });
      await late?.catch(() => undefined); // A's write reaches Redis (and is refused, or lands)
      await sleep(50);

      expect((await readRecord(b.storage))?.refreshToken).toBe(bob.refreshToken);
      expect((await b.auth.fetchTokens({ minValidityMs: 0 })).refreshToken).toBe(bob.refreshToken);
      expect(a.services.calls.revokeToken.map((c) => c.arg)).toContain(alice.refreshToken);
      const fresh = context(await connect(), makeTokens());
      await fresh.auth.ready;
      expect(fresh.auth.getTokens()?.refreshToken).toBe(bob.refreshToken);
      fresh.auth.stop();
    } finally {
      a.auth.stop();
      b.auth.stop();
    }
  });
});
