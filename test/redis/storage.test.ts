import { beforeAll, describe, expect, it } from 'vitest';
import { redisStorage } from '../../src/bindings/redis.js';
import { createAuth, isAuthError } from '../../src/index.js';
import { hasRedis } from '../../tools/embedded-redis.js';
import { deferred, fakeServices } from '../helpers/fakes.js';
import { makeTokens } from '../helpers/tokens.js';
import { type Client, useEmbeddedRedis } from './embedded.js';

describe.skipIf(!hasRedis('redisStorage'))('redisStorage on a real redis-server', () => {
  const redis = useEmbeddedRedis();
  const { connect } = redis;
  let client: Client;

  beforeAll(async () => {
    client = await connect();
  });

  it('reads, writes and removes under its prefix only', async () => {
    const a = redisStorage(client, { prefix: 'test1:a:' });
    const b = redisStorage(client, { prefix: 'test1:b:' });
    expect(await a.getItem('k')).toBeNull();
    await a.setItem('k', 'value-a');
    await b.setItem('k', 'value-b');
    expect(await a.getItem('k')).toBe('value-a');
    expect(await b.getItem('k')).toBe('value-b');
    expect((await client.keys('test1:*')).sort()).toEqual(['test1:a:k', 'test1:b:k']);
    await a.removeItem('k');
    await a.removeItem('never-written');
    expect(await a.getItem('k')).toBeNull();
    expect(await b.getItem('k')).toBe('value-b');
  });

  it('ttlSeconds sets an expiry on every write; without it keys do not expire', async () => {
    await redisStorage(client, { prefix: 'test2:ttl:', ttlSeconds: 600 }).setItem('k', 'v');
    await redisStorage(client, { prefix: 'test2:none:' }).setItem('k', 'v');
    const ttl = await client.ttl('test2:ttl:k');
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    expect(await client.ttl('test2:none:k')).toBe(-1);
  });

  it('refuses an empty prefix or a bad ttl', () => {
    expect(() => redisStorage(client, { prefix: '' })).toThrow(/prefix/);
    expect(() => redisStorage(client, { prefix: 'x:', ttlSeconds: 0 })).toThrow(/ttlSeconds/);
  });

  it('a session written by one client is restored by another, and a sign-out clears every key', async () => {
    const services = fakeServices(makeTokens({ username: 'bob@example.com' }));
    const prefix = 'test3:session:';
    const one = createAuth({ services, storage: redisStorage(client, { prefix }), sync: null });
    await one.signIn({ username: 'bob@example.com', password: 'pw' });
    expect(await client.keys(`${prefix}*`)).toEqual([`${prefix}authchart.client123.session`]);
    one.stop();

    const other = await connect();
    const two = createAuth({ services, storage: redisStorage(other, { prefix }), sync: null });
    await two.ready;
    expect(two.getSession()?.username).toBe('bob@example.com');
    expect(await two.signOut()).toMatchObject({ status: 'complete', signedOutLocally: true });
    expect(await client.keys(`${prefix}*`)).toEqual([]);
    two.stop();
  });

  it('the sign-out journal is a Redis key while the sign-out runs: a restore elsewhere finishes it', async () => {
    const services = fakeServices(makeTokens({ username: 'carol@example.com' }));
    const prefix = 'test4:session:';
    const first = createAuth({ services, storage: redisStorage(client, { prefix }), sync: null });
    await first.signIn({ username: 'carol@example.com', password: 'pw' });
    const revoke = deferred();
    services.script.revokeToken = () => revoke.promise;
    const pending = first.signOut();
    await expect.poll(() => services.calls.revokeToken.length).toBe(1);
    expect(await client.get(`${prefix}authchart.client123.signOutJournal`)).toContain('"scope":"local"');
    // The "process" dies here: its instance is gone, its RevokeToken never answers.
    first.stop();
    await pending;

    services.script.revokeToken = { ok: undefined };
    const second = createAuth({ services, storage: redisStorage(await connect(), { prefix }), sync: null });
    await second.ready;
    await expect.poll(() => second.state).toBe('signedOut');
    expect(services.calls.revokeToken).toHaveLength(2);
    expect(await client.keys(`${prefix}*`)).toEqual([]);
    second.stop();
  });

  it('a disconnected client rejects at once (no offline queue), and works again after reconnecting', async () => {
    const c = await connect();
    const storage = redisStorage(c, { prefix: 'test5:' });
    await storage.setItem('k', 'v');
    await redis.server().down();
    await expect.poll(() => c.isReady).toBe(false);
    const started = performance.now();
    await expect(Promise.resolve(storage.getItem('k'))).rejects.toThrow(/not connected/);
    await expect(Promise.resolve(storage.setItem('k', 'w'))).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(500);

    const auth = createAuth({ services: fakeServices(), storage, sync: null });
    await auth.ready;
    // The restore read failed: typed, not a hang.
    expect(auth.state).toBe('signedOut');
    const signIn = await auth.signIn({ username: 'alice@example.com', password: 'pw' }).catch((e: unknown) => e);
    expect(isAuthError(signIn, 'StorageFailure')).toBe(true);
    auth.stop();

    await redis.server().up();
    await expect.poll(() => c.isReady, { timeout: 5000 }).toBe(true);
    expect(await storage.getItem('k')).toBe('v');
  });
});
