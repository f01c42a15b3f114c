/**
 * Hostile probes of redisStorage's *hold key* (`<prefix>hold:<name>`, src/adapters/redis-lock.ts):
 * set to the section's token with `PX holdMs-1` before the section runs, compared by every fenced
 * SET/DEL with the lock key, deleted by the release. Part 1: hostile contents at the hold key,
 * key-name collisions, and which writes a section fences. Part 2 (timing, crash, hash tags, pause):
 * redis-hold-timing.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisStorage } from '../../src/bindings/redis.js';
import { isAuthError } from '../../src/index.js';
import { hasRedis } from '../../tools/embedded-redis.js';
import { sleep } from '../helpers/async.js';
import { deferred } from '../helpers/fakes.js';
import { type Client, errorChainText, lockOf, redisAuth, timed, useEmbeddedRedis } from '../redis/embedded.js';

const CLIENT = 'client123';
const NAME = `authchart.${CLIENT}`;
const SESSION = `${NAME}.session`;

/** A lock token as redis-lock.ts makes them: `host:pid:uuid`. */
const TOKEN = /:\d+:[0-9a-f]{8}-[0-9a-f]{4}-/;

describe.skipIf(!hasRedis('redis hold-key hostile probes'))('redisStorage hold key: hostile contents', () => {
  const redis = useEmbeddedRedis();
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // ---------------------------------------------------------------- 1. Before the section
  describe('a hold key already there before the section', () => {
    it.each([
      ['a foreign string with no expiry', (c: Client, k: string) => c.set(k, 'not-our-token')],
      ['a dead holder’s token with no expiry', (c: Client, k: string) => c.set(k, 'ghost:1:00000000-0000-0000')],
      ['a hash', (c: Client, k: string) => c.hSet(k, 'f', 'v')],
      ['a list', (c: Client, k: string) => c.rPush(k, ['a', 'b'])],
      ['a 4 MB string', (c: Client, k: string) => c.set(k, 'x'.repeat(4 * 1024 * 1024))],
    ])(
      '%s: the section runs, holds its own token (PX ≤ holdMs), its writes land, nothing is left',
      async (what, seed) => {
        const c = await redis.connect();
        const prefix = `b1${Buffer.from(what).toString('hex').slice(0, 12)}:`;
        await seed(c, `${prefix}hold:x`);
        const s = redisStorage(c, { prefix });
        const seen: Record<string, unknown> = {};
        const r = await timed(
          lockOf(s)(
            'x',
            async (fence) => {
              seen.type = await c.type(`${prefix}hold:x`);
              seen.hold = await c.get(`${prefix}hold:x`);
              seen.lock = await c.get(`${prefix}lock:x`);
              seen.ttl = await c.pTTL(`${prefix}hold:x`);
              await s.setItem('session', 'alice', { fence });
              await s.removeItem('other', { fence });
              return 'done';
            },
            3000,
          ),
        );
        expect(r).toMatchObject({ ok: true, value: 'done' });
        expect(r.ms).toBeLessThan(3000);
        expect(seen.type).toBe('string');
        expect(seen.hold).toBe(seen.lock);
        expect(seen.ttl).toBeGreaterThan(0);
        expect(seen.ttl).toBeLessThanOrEqual(2999);
        expect(await c.get(`${prefix}session`)).toBe('alice');
        expect((await c.keys(`${prefix}*`)).sort()).toEqual([`${prefix}session`]);
      },
    );
  });

  // ---------------------------------------------------------------- 2. During the section
  describe('a hold key changed while the section runs', () => {
    it.each([
      ['replaced by a foreign string', (c: Client, k: string) => c.set(k, 'not-our-token')],
      ['deleted (its expiry came early: Redis’s clock ahead)', (c: Client, k: string) => c.del(k)],
      ['expired early (PEXPIRE 1)', async (c: Client, k: string) => c.pExpire(k, 1).then(() => sleep(10))],
      ['made a hash', async (c: Client, k: string) => c.del(k).then(() => c.hSet(k, 'f', 'v'))],
      ['made a list', async (c: Client, k: string) => c.del(k).then(() => c.rPush(k, 'x'))],
    ])(
      '%s: SET and DEL are refused (never land), no value or token in the error, the lock is let go',
      async (what, change) => {
        const c = await redis.connect();
        const prefix = `b2${Buffer.from(what).toString('hex').slice(0, 12)}:`;
        const s = redisStorage(c, { prefix });
        await s.setItem('session', 'bob');
        const secret = 'rt-SECRET-value-b2';
        const errors: unknown[] = [];
        let token = '';
        const r = await timed(
          lockOf(s)(
            'x',
            async (fence) => {
              token = String(await c.get(`${prefix}lock:x`));
              await change(c, `${prefix}hold:x`);
              await Promise.resolve(s.setItem('session', secret, { fence })).catch((e: unknown) => errors.push(e));
              await Promise.resolve(s.removeItem('session', { fence })).catch((e: unknown) => errors.push(e));
              return 'done';
            },
            3000,
          ),
        );
        expect(r.ms).toBeLessThan(3000);
        expect(errors).toHaveLength(2);
        for (const e of errors) {
          expect(e).toBeInstanceOf(Error);
          expect(errorChainText(e)).not.toContain(secret);
          expect(errorChainText(e)).not.toContain(token);
          expect(errorChainText(e)).not.toContain(prefix);
        }
        expect(await c.get(`${prefix}session`)).toBe('bob');
        expect(await c.exists(`${prefix}lock:x`)).toBe(0); // let go, not left for a TTL
        // The next section takes the lock at once and writes (its own hold key goes over what is there).
        const next = await timed(
          lockOf(s)('x', (fence) => Promise.resolve(s.setItem('session', 'carol', { fence })), 3000),
        );
        expect(next.ok).toBe(true);
        expect(next.ms).toBeLessThan(1000);
        expect(await c.get(`${prefix}session`)).toBe('carol');
      },
    );

    it('the hold key made a hash during a sign-in’s save: the sign-in fails StorageFailure (no token, no prefix in it), the lock is let go, and the next sign-in succeeds', async () => {
      const c = await redis.connect();
      const admin = await redis.connect();
      const prefix = 'b3:';
      let once = false;
      const hostile = new Proxy(c, {
        get(target, prop, receiver) {
          const real = Reflect.get(target, prop, receiver) as unknown;
          if (prop !== 'eval')
            return typeof real === 'function' ? (real as (...a: unknown[]) => unknown).bind(target) : real;
          return async (script: string, o: { keys: string[]; arguments: string[] }) => {
            if (!once && o.keys[1] === prefix + SESSION && o.keys[2]) {
              once = true;
              await admin.del(o.keys[2]);
              await admin.hSet(o.keys[2], 'f', 'v');
            }
            return target.eval(script, o);
          };
        },
      }) as Client;
      const { auth, tokens } = redisAuth(hostile, prefix, { storageMs: 1000 });
      await auth.ready;
      const first = await timed(auth.signIn({ username: 'alice@example.com', password: 'pw' }));
      expect(once).toBe(true);
      expect(first.ok).toBe(false);
      expect(isAuthError(!first.ok && first.error, 'StorageFailure')).toBe(true);
      const text = errorChainText(!first.ok && first.error);
      expect(text).not.toContain(tokens.refreshToken);
      expect(text).not.toMatch(TOKEN);
      expect(text).not.toContain(prefix);
      expect(await admin.get(prefix + SESSION)).toBeNull();
      // Let go (the sign-in's follow-up sections, its outbox's, may still take it for a moment).
      await expect.poll(() => admin.exists(`${prefix}lock:${NAME}`), { timeout: 2000 }).toBe(0);
      const second = await timed(auth.signIn({ username: 'alice@example.com', password: 'pw' }));
      expect(second.ok).toBe(true);
      expect(second.ms).toBeLessThan(2000);
      expect(JSON.parse(String(await admin.get(prefix + SESSION))).refreshToken).toBe(tokens.refreshToken);
      expect(await admin.keys(`${prefix}hold:*`)).toEqual([]);
      auth.stop();
    });

    it('the hold key set to another live section’s token (of another lock name): the writes are refused', async () => {
      const c = await redis.connect();
      const s = redisStorage(c, { prefix: 'b4:' });
      await s.setItem('session', 'bob');
      const inY = deferred();
      const endY = deferred();
      const y = lockOf(s)(
        'y',
        async () => {
          inY.resolve();
          await endY.promise;
        },
        3000,
      );
      await inY.promise;
      const yToken = String(await c.get('b4:hold:y'));
      const refused = await lockOf(s)(
        'x',
        async (fence) => {
          await c.set('b4:hold:x', yToken);
          return Promise.resolve(s.setItem('session', 'alice', { fence })).then(
            () => false,
            () => true,
          );
        },
        3000,
      );
      endY.resolve();
      await y;
      expect(refused).toBe(true);
      expect(await c.get('b4:session')).toBe('bob');
    });
  });

  // ---------------------------------------------------------------- 3. Names that collide
  describe('key names that collide', () => {
    it('lock names with ":" and "hold" (`hold:x`, `lock:x`, `x:hold`): each section has its own lock and hold key, writes land, nothing is left', async () => {
      const c = await redis.connect();
      const s = redisStorage(c, { prefix: 'c1:' });
      const names = ['x', 'hold:x', 'lock:x', 'x:hold', 'hold', 'lock', ''];
      const seen: string[][] = [];
      await Promise.all(
        names.map((n, i) =>
          lockOf(s)(
            n,
            async () => {
              seen.push([String(await c.get(`c1:lock:${n}`)), String(await c.get(`c1:hold:${n}`))]);
              await sleep(20);
            },
            3000,
          ).then(() => c.set(`c1:done${i}`, '1')),
        ),
      );
      for (const [lock, hold] of seen) expect(hold).toBe(lock);
      expect(new Set(seen.map(([l]) => l)).size).toBe(names.length);
      expect((await c.keys('c1:*')).sort()).toEqual(names.map((_, i) => `c1:done${i}`).sort());
    });

    /**
     * DEFECT (low): the hold key lives in the data keyspace, and the HOLD script SETs it
     * unconditionally (src/adapters/redis-lock.ts:45, `HOLD`), unlike the lock key (SET NX). So a
     * section of lock `x` overwrites a data key named `hold:x` of the same prefix with its lock
     * token, and the release then deletes it (compare-and-delete: it now holds the token). The
     * same across prefixes when one is a prefix of the other: `p:`'s hold key `p:hold:x` is the
     * data key `x` of an instance with prefix `p:hold:`.
     * Should: a section never changes a key it does not own (e.g. refuse, StorageFailure, when the
     * hold key holds something that is not a lock token; or keep lock/hold keys out of the data
     * keyspace). authchart's own keys (`authchart.<id>.…`) never collide with its lock names, so this
     * bites only direct TokenStorage users and nested prefixes.
     */
    it.fails('a data key named `hold:x` (or the key `x` of an instance whose prefix is `<prefix>hold:`) survives a section of lock `x`', async () => {
      const c = await redis.connect();
      const s = redisStorage(c, { prefix: 'c2:' });
      const nested = redisStorage(c, { prefix: 'c2:hold:' });
      await s.setItem('hold:x', 'data-of-s');
      await nested.setItem('y', 'data-of-nested');
      await lockOf(s)('x', async (fence) => s.setItem('session', 'a', { fence }), 3000);
      await lockOf(s)('y', async (fence) => s.setItem('session', 'b', { fence }), 3000);
      expect(await s.getItem('hold:x')).toBe('data-of-s');
      expect(await nested.getItem('y')).toBe('data-of-nested');
    });

    it('nested prefixes (`p:` and `p:hold:`): a section of `p:` whose hold key is the lock key of `p:hold:` never lets a write of either land unfenced', async () => {
      const c = await redis.connect();
      const outer = redisStorage(c, { prefix: 'c3:' });
      const inner = redisStorage(await redis.connect(), { prefix: 'c3:hold:' });
      await inner.setItem('session', 'inner-0');
      await outer.setItem('session', 'outer-0');
      const inInner = deferred();
      const endInner = deferred();
      let innerWrite: string | undefined;
      const innerSection = lockOf(inner)(
        'M',
        async (fence) => {
          inInner.resolve();
          await endInner.promise;
          innerWrite = await Promise.resolve(inner.setItem('session', 'inner-1', { fence })).then(
            () => 'landed',
            () => 'refused',
          );
        },
        3000,
      );
      await inInner.promise;
      // outer's lock `lock:M` has the hold key `c3:hold:lock:M`: inner's lock key.
      await lockOf(outer)('lock:M', (fence) => Promise.resolve(outer.setItem('session', 'outer-1', { fence })), 3000);
      endInner.resolve();
      await innerSection.catch(() => undefined);
      expect(await outer.getItem('session')).toBe('outer-1');
      // inner lost its lock key to outer's hold SET: its write must not land (refused is safe).
      expect(innerWrite).toBe('refused');
      expect(await inner.getItem('session')).toBe('inner-0');
    });
  });

  // ---------------------------------------------------------------- 4. Which writes a section fences
  describe('writes a section makes, fenced or not', () => {
    /**
     * Was a defect (medium): redisStorage kept *one* current section per storage object (a mutable
     * slot set when any `lock()` section started, cleared when that one ended). Two sections of
     * different names on one storage (two createAuth instances with different clientIds sharing it,
     * or a direct user) overwrote it: a write of section `a` made while `b` ran was fenced with
     * `b`'s keys, and once `b` ended it was a plain SET. Now a write is mapped to its section by the
     * fence it carries (`lock()` gets the section's fence): `a`'s hold key has gone (authchart let
     * go), so `a`'s write is refused.
     */
    it('a write of section `a` after a concurrent section `b` (another name, same storage) ended is still fenced with `a`’s hold key', async () => {
      const c = await redis.connect();
      const s = redisStorage(c, { prefix: 'd1:' });
      await s.setItem('session', 'bob');
      const inA = deferred();
      const goA = deferred();
      let write: string | undefined;
      const a = lockOf(s)(
        'a',
        async (fence) => {
          inA.resolve();
          await goA.promise;
          await c.del('d1:hold:a'); // a's hold ended (authchart let go)
          write = await Promise.resolve(s.setItem('session', 'late-from-a', { fence })).then(
            () => 'landed',
            () => 'refused',
          );
        },
        3000,
      );
      await inA.promise;
      await lockOf(s)('b', async () => undefined, 3000);
      goA.resolve();
      await a.catch(() => undefined);
      expect(write).toBe('refused');
      expect(await c.get('d1:session')).toBe('bob');
    });

    /**
     * Was a defect (medium): once authchart let go (settled the `critical` it gave `lock()`),
     * redisStorage cleared its one `section` slot, and a write the section's work made after that
     * without a fence (the outbox's writeKey/removeKey) was a plain SET/DEL: it landed after the
     * lock was let go. Now every write authchart makes in a section carries its fence, and
     * redisStorage refuses one whose fence has aborted (or, still in flight, fences it with that
     * section's lock and hold keys), wherever it is made.
     */
    it('a write left running by a section that authchart let go (given the section’s fence, as the outbox’s writes now are) does not land', async () => {
      const c = await redis.connect();
      const s = redisStorage(c, { prefix: 'd2:' });
      await s.setItem('outbox', 'next-holder-index');
      const work = deferred<string>();
      const slowRead = deferred();
      // As withStorageLock does: `critical` settles after holdMs even though its work still runs.
      await lockOf(s)(
        'x',
        async (fence) => {
          void (async () => {
            await slowRead.promise; // e.g. the outbox's read answered late
            work.resolve(
              await Promise.resolve(s.setItem('outbox', 'late-write', { fence })).then(
                () => 'landed',
                () => 'refused',
              ),
            );
          })();
          await sleep(100); // holdMs
        },
        100,
      );
      slowRead.resolve();
      expect(await work.promise).toBe('refused');
      expect(await c.get('d2:outbox')).toBe('next-holder-index');
    });

    it('a write made outside any section while none runs is a plain SET (lands), and one made in a section lands', async () => {
      const c = await redis.connect();
      const s = redisStorage(c, { prefix: 'd3:' });
      await s.setItem('k', 'v0');
      expect(await c.get('d3:k')).toBe('v0');
      await lockOf(s)('x', (fence) => Promise.resolve(s.setItem('k', 'v1', { fence })), 3000);
      expect(await c.get('d3:k')).toBe('v1');
      expect((await c.keys('d3:*')).sort()).toEqual(['d3:k']);
    });
  });
});
