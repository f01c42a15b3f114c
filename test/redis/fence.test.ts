/**
 * redisStorage's fencing on a real redis-server (docs/storage.md, "A write that outlives its lock
 * does not land"): a write made in a `lock()` section commits (one script: compare the lock key, then
 * SET or DEL) only while that section still holds the lock, so a write that outlives its lock never
 * lands over the next holder's. Given `holdMs` (authchart always passes it), the script also
 * compares the section's hold key, which expires when authchart lets go: a write Redis gets after
 * that is refused even while the lock key is still the section's.
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
    // The section's fence, as authchart passes it (never aborted here: only Redis's check refuses).
    const fence = new AbortController().signal;
    const section = lock(
      'authchart.x',
      async () => {
        // The lock expired and another holder took it while this section stalled.
        await client.set('fence1:lock:authchart.x', 'another-holder');
        await expect(storage.setItem('session', 'alice', { fence })).rejects.toMatchObject({ code: 'StorageFailure' });
        await expect(storage.removeItem('session', { fence })).rejects.toMatchObject({ code: 'StorageFailure' });
      },
      { holdMs: 5000, fence },
    );
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

  it('a write that reaches Redis after the hold key expired is refused (StorageFailure) while the lock key is still held', async () => {
    const client = await connect();
    const storage = redisStorage(client, { prefix: 'fence3:' });
    await storage.setItem('session', 'bob');
    const lock = storage.lock;
    if (!lock) throw new Error('redisStorage has no lock');
    const seen: Record<string, unknown> = {};
    // A stalled section whose fence never aborts: only Redis's check can refuse the writes.
    const fence = new AbortController().signal;
    await lock(
      'authchart.x',
      async () => {
        await sleep(250);
        seen.lock = await client.get('fence3:lock:authchart.x');
        seen.holdTtl = await client.pTTL('fence3:hold:authchart.x');
        await expect(storage.setItem('session', 'alice', { fence })).rejects.toMatchObject({ code: 'StorageFailure' });
        await expect(storage.removeItem('session', { fence })).rejects.toMatchObject({ code: 'StorageFailure' });
      },
      { holdMs: 150, fence },
    );
    expect(seen.lock).toEqual(expect.any(String)); // still this section's: renewed, not yet released
    expect(seen.holdTtl).toBe(-2); // the hold key is gone
    expect(await client.get('fence3:session')).toBe('bob');
    expect(await client.keys('fence3:*')).toEqual(['fence3:session']);
  });

  it('a section within its hold writes and removes as usual; the hold key holds its token until the release deletes it', async () => {
    const client = await connect();
    const storage = redisStorage(client, { prefix: 'fence4:' });
    await storage.setItem('old', 'x');
    const lock = storage.lock;
    if (!lock) throw new Error('redisStorage has no lock');
    const seen: Record<string, unknown> = {};
    const fence = new AbortController().signal;
    const answer = await lock(
      'authchart.x',
      async () => {
        seen.lock = await client.get('fence4:lock:authchart.x');
        seen.hold = await client.get('fence4:hold:authchart.x');
        seen.holdTtl = await client.pTTL('fence4:hold:authchart.x');
        await storage.setItem('session', 'alice', { fence });
        await storage.removeItem('old', { fence });
        return 'done';
      },
      { holdMs: 5000, fence },
    );
    expect(answer).toBe('done');
    expect(seen.hold).toEqual(expect.any(String));
    expect(seen.hold).toBe(seen.lock); // the section's token
    expect(seen.holdTtl).toBeGreaterThan(4000);
    expect(seen.holdTtl).toBeLessThanOrEqual(5000);
    expect(await client.get('fence4:session')).toBe('alice');
    expect(await client.keys('fence4:*')).toEqual(['fence4:session']); // no lock or hold key left
  });

  it('a hold key that cannot be set: the section does not run, StorageFailure naming the lock (no token), the lock is let go', async () => {
    const real = await connect();
    // Redis answers every command but the hold key's SET, which never answers.
    const stalling = new Proxy(real, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'eval') return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        return (script: string, o: { keys: string[]; arguments: string[] }) =>
          o.keys[0] === 'fence5:hold:authchart.x' ? new Promise(() => {}) : target.eval(script, o);
      },
    });
    const lock = redisStorage(stalling, { prefix: 'fence5:' }).lock;
    if (!lock) throw new Error('redisStorage has no lock');
    let ran = false;
    const started = Date.now();
    const error = await lock(
      'authchart.x',
      async () => {
        ran = true;
      },
      { holdMs: 100, fence: new AbortController().signal },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(ran).toBe(false);
    expect(error).toMatchObject({ code: 'StorageFailure', message: expect.stringContaining("'authchart.x'") });
    expect(error).not.toMatchObject({ message: expect.stringMatching(/fence5|:\d+:/) }); // no prefix, no token
    expect(await real.keys('fence5:*')).toEqual([]); // the lock key released at once, not after its TTL
  });
});
