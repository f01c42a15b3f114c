/**
 * Hostile probes of redisStorage's hold key, part 2: extreme `holdMs` / `storageMs`, a holder
 * SIGKILLed mid-section, Redis paused (CLIENT PAUSE) past the hold, hash-tagged prefixes (one slot
 * for every key a section touches), and a late unfenced write through createAuth. Part 1:
 * redis-hold-hostile.test.ts.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { redisStorage } from '../../src/bindings/redis.js';
import { createAuth, isAuthError } from '../../src/index.js';
import { hasRedis } from '../../tools/embedded-redis.js';
import { runChild } from '../crash/run-child.js';
import { sleep } from '../helpers/async.js';
import { deferred, fakeServices } from '../helpers/fakes.js';
import { makeTokens } from '../helpers/tokens.js';
import { type Client, lockOf, redisAuth, timed, useEmbeddedRedis } from '../redis/embedded.js';

const CLIENT = 'client123';
const NAME = `authchart.${CLIENT}`;
const SESSION = `${NAME}.session`;
const CHILD = fileURLToPath(new URL('./redis-hold-child.ts', import.meta.url));

/** CRC16 (XMODEM) mod 16384 of the key's hash tag (or the whole key): Redis Cluster's slot. */
function slot(key: string): number {
  const open = key.indexOf('{');
  let part = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) part = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(part)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** `c`, recording every key each command names (and whether it was a plain SET/DEL or a script). */
function recording(c: Client, log: { via: string; key: string; at: number }[]): Client {
  return new Proxy(c, {
    get(target, prop, receiver) {
      const real = Reflect.get(target, prop, receiver) as unknown;
      if (typeof real !== 'function') return real;
      const fn = (real as (...a: unknown[]) => unknown).bind(target);
      if (prop === 'get' || prop === 'set') {
        return (...a: unknown[]) => {
          log.push({ via: String(prop), key: String(a[0]), at: Date.now() });
          return fn(...a);
        };
      }
      if (prop === 'del') {
        return (keys: string[]) => {
          for (const key of keys) log.push({ via: 'del', key, at: Date.now() });
          return fn(keys);
        };
      }
      if (prop === 'eval') {
        return (script: string, o: { keys: string[]; arguments: string[] }) => {
          for (const key of o.keys) log.push({ via: 'eval', key, at: Date.now() });
          return fn(script, o);
        };
      }
      return fn;
    },
  }) as Client;
}

describe.skipIf(!hasRedis('redis hold-key timing probes'))('redisStorage hold key: timing, crashes, slots', () => {
  const redis = useEmbeddedRedis();
  // ---------------------------------------------------------------- 1. holdMs at its edges
  describe('holdMs at its edges', () => {
    it.each([1, 2, 3, 1.5, 0.5])(
      'holdMs %s: the section settles within 1 s, runs with a write that lands or fails StorageFailure before it runs; no lock or hold key is left',
      async (holdMs) => {
        const c = await redis.connect();
        const prefix = `t1${String(holdMs).replace('.', '_')}:`;
        const s = redisStorage(c, { prefix });
        let ran = false;
        const r = await timed(
          lockOf(s)(
            'x',
            async (fence) => {
              ran = true;
              return Promise.resolve(s.setItem('session', 'v', { fence })).then(
                () => 'landed',
                () => 'refused',
              );
            },
            holdMs,
          ),
        );
        expect(r.ms).toBeLessThan(1000);
        if (r.ok) expect(ran).toBe(true);
        else {
          expect(ran).toBe(false);
          expect(isAuthError(r.error, 'StorageFailure')).toBe(true);
        }
        const landed = r.ok && r.value === 'landed';
        expect(await c.get(`${prefix}session`)).toBe(landed ? 'v' : null);
        await expect.poll(() => c.keys(`${prefix}*`)).toEqual(landed ? [`${prefix}session`] : []);
      },
    );

    it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, undefined])(
      'holdMs %s (no bound; undefined: no section given): no hold key is set, the writes check the lock key only (or are plain) and land',
      async (holdMs) => {
        const c = await redis.connect();
        const prefix = `t2${String(holdMs)}:`;
        const s = redisStorage(c, { prefix });
        let hold: unknown = 'unread';
        await lockOf(s)(
          'x',
          async (fence) => {
            hold = await c.exists(`${prefix}hold:x`);
            await s.setItem('session', 'v', { fence });
          },
          holdMs,
        );
        expect(hold).toBe(0);
        expect((await c.keys(`${prefix}*`)).sort()).toEqual([`${prefix}session`]);
      },
    );

    it('holdMs 2^31-1: the hold key gets PX 2^31-2, the section and its writes run, nothing is left', async () => {
      const c = await redis.connect();
      const s = redisStorage(c, { prefix: 't3:' });
      let ttl = 0;
      const r = await timed(
        lockOf(s)(
          'x',
          async (fence) => {
            ttl = await c.pTTL('t3:hold:x');
            await s.setItem('session', 'v', { fence });
          },
          2 ** 31 - 1,
        ),
      );
      expect(r.ok).toBe(true);
      expect(ttl).toBeGreaterThan(2 ** 31 - 1000);
      expect((await c.keys('t3:*')).sort()).toEqual(['t3:session']);
    });

    it('holdMs 2^32 (past a timer’s range, only reachable through lock() directly): settles within 1 s, typed if it fails, nothing left', async () => {
      const c = await redis.connect();
      const s = redisStorage(c, { prefix: 't4:' });
      const r = await timed(lockOf(s)('x', (fence) => Promise.resolve(s.setItem('session', 'v', { fence })), 2 ** 32));
      expect(r.ms).toBeLessThan(1000);
      if (!r.ok) expect(isAuthError(r.error, 'StorageFailure')).toBe(true);
      await expect.poll(() => c.keys('t4:lock:*')).toEqual([]);
      await expect.poll(() => c.keys('t4:hold:*')).toEqual([]);
    });

    it('createAuth with storageMs 2^31-1: sign-in stores the session, sign-out completes, no lock or hold key left', async () => {
      const c = await redis.connect();
      const { auth, tokens } = redisAuth(c, 't5:', { storageMs: 2 ** 31 - 1 });
      await auth.signIn({ username: 'alice@example.com', password: 'pw' });
      expect(JSON.parse(String(await c.get(`t5:${SESSION}`))).refreshToken).toBe(tokens.refreshToken);
      expect(await auth.signOut()).toMatchObject({ status: 'complete' });
      expect(await c.keys('t5:*')).toEqual([]);
      auth.stop();
    });

    it('sequential sections (50, with writes): each settles, no key but the data is left (one more round trip each, no stall)', async () => {
      const c = await redis.connect();
      const s = redisStorage(c, { prefix: 't6:' });
      const r = await timed(
        (async () => {
          for (let i = 0; i < 50; i++)
            await lockOf(s)('x', (fence) => Promise.resolve(s.setItem('n', String(i), { fence })), 10_000);
        })(),
      );
      expect(r.ok).toBe(true);
      expect(r.ms).toBeLessThan(10_000);
      expect(await c.keys('t6:*')).toEqual(['t6:n']);
      expect(await c.get('t6:n')).toBe('49');
    });
  });

  // ---------------------------------------------------------------- 2. Redis paused past the hold
  describe('Redis paused (CLIENT PAUSE) past the hold', () => {
    it('a sign-in whose fenced save is sent into a CLIENT PAUSE longer than storageMs: StorageFailure in time, the late SET is refused, no session after the pause', async () => {
      const c = await redis.connect();
      const admin = await redis.connect();
      const prefix = 't7:';
      let paused = false;
      const replies: unknown[] = [];
      const pausing = new Proxy(c, {
        get(target, prop, receiver) {
          const real = Reflect.get(target, prop, receiver) as unknown;
          if (prop !== 'eval')
            return typeof real === 'function' ? (real as (...a: unknown[]) => unknown).bind(target) : real;
          return async (script: string, o: { keys: string[]; arguments: string[] }) => {
            if (!paused && o.keys[1] === prefix + SESSION) {
              paused = true;
              await admin.sendCommand(['CLIENT', 'PAUSE', '900', 'ALL']);
              const p = target.eval(script, o);
              void p.then(
                (reply) => replies.push(reply),
                () => replies.push('error'),
              );
              return p;
            }
            return target.eval(script, o);
          };
        },
      }) as Client;
      const auth = createAuth({
        services: fakeServices(makeTokens()),
        storage: redisStorage(pausing, { prefix }),
        sync: null,
        timeouts: { storageMs: 300 },
      });
      await auth.ready;
      const r = await timed(auth.signIn({ username: 'alice@example.com', password: 'pw' }));
      expect(paused).toBe(true);
      expect(r.ms).toBeLessThan(300 + 1000);
      expect(!r.ok && isAuthError(r.error, 'StorageFailure')).toBe(true);
      await expect.poll(() => replies.length, { timeout: 3000 }).toBe(1);
      expect(replies[0]).toBe(0); // refused in Redis: the hold key had expired
      await sleep(200);
      expect(await admin.get(prefix + SESSION)).toBeNull();
      await expect.poll(() => admin.keys(`${prefix}lock:*`), { timeout: 3000 }).toEqual([]);
      expect(await admin.keys(`${prefix}hold:*`)).toEqual([]);
      auth.stop();
      // (A sign-out journal of the rejected sign-in's clean-up may be left; a fresh start finishes it.)
      const fresh = redisAuth(await redis.connect(), prefix);
      await fresh.auth.ready;
      expect(fresh.auth.getSession()).toBeNull();
      fresh.auth.stop();
    });
  });

  // ---------------------------------------------------------------- 3. Holder SIGKILLed
  describe('a holder SIGKILLed mid-section', () => {
    it('the next holder (same host) takes the lock at once, sets its own hold key over the dead one’s, and its write lands', async () => {
      const c = await redis.connect();
      const prefix = 't8:';
      const run = await runChild(
        CHILD,
        { HOLD_URL: redis.server().url, HOLD_PREFIX: prefix, HOLD_NAME: 'x', HOLD_MS: '60000' },
        (line) => line.startsWith('inside '),
      );
      expect(run.killed).toBe(true);
      const dead = String(run.killedAt).slice('inside '.length);
      expect(await c.get(`${prefix}hold:x`)).toBe(dead); // the dead holder's hold key, ~60 s left
      expect(await c.get(`${prefix}session`)).toBe('child');
      const s = redisStorage(c, { prefix, lockTimeoutMs: 2000 });
      const seen: Record<string, unknown> = {};
      const r = await timed(
        lockOf(s)(
          'x',
          async (fence) => {
            seen.lock = await c.get(`${prefix}lock:x`);
            seen.hold = await c.get(`${prefix}hold:x`);
            await s.setItem('session', 'next', { fence });
          },
          3000,
        ),
      );
      expect(r.ok).toBe(true);
      expect(r.ms).toBeLessThan(1000); // not after lockTtlMs (5 s): the holder's process is gone
      expect(seen.lock).not.toBe(dead);
      expect(seen.hold).toBe(seen.lock);
      expect(await c.get(`${prefix}session`)).toBe('next');
      expect((await c.keys(`${prefix}*`)).sort()).toEqual([`${prefix}session`]);
    });

    it('a holder of another host that vanished (lock and hold keys left, the hold key with no expiry): the next holder gets the lock within lockTtlMs and writes', async () => {
      const c = await redis.connect();
      const prefix = 't9:';
      const ghost = 'another-host:4242:00000000-0000-4000-8000-000000000000';
      await c.set(`${prefix}lock:x`, ghost, { expiration: { type: 'PX', value: 300 } });
      await c.set(`${prefix}hold:x`, ghost); // no expiry
      const s = redisStorage(c, { prefix, lockTtlMs: 300, lockTimeoutMs: 2000 });
      const r = await timed(lockOf(s)('x', (fence) => Promise.resolve(s.setItem('session', 'next', { fence })), 3000));
      expect(r.ok).toBe(true);
      expect(r.ms).toBeLessThan(300 + 1000);
      expect(await c.get(`${prefix}session`)).toBe('next');
      expect((await c.keys(`${prefix}*`)).sort()).toEqual([`${prefix}session`]);
    });
  });

  // ---------------------------------------------------------------- 4. Redis Cluster: one slot
  describe('a hash-tagged prefix', () => {
    it('sign-in, refresh, a superseding sign-in (outbox) and sign-out under `{u1}:`: every key a command names hashes to the tag’s slot', async () => {
      const log: { via: string; key: string; at: number }[] = [];
      const c = recording(await redis.connect(), log);
      const prefix = '{u1}:bff:';
      const a = redisAuth(c, prefix, { storageMs: 2000 });
      const b = redisAuth(c, prefix, { storageMs: 2000, user: 'bob@example.com' });
      await b.auth.ready; // signed out: bob's sign-in below supersedes alice's (sync: null)
      await a.auth.signIn({ username: 'alice@example.com', password: 'pw' });
      await a.auth.fetchTokens({ forceRefresh: true });
      await b.auth.signIn({ username: 'bob@example.com', password: 'pw' });
      await b.auth.signOut();
      a.auth.stop();
      b.auth.stop();
      const keys = [...new Set(log.map((l) => l.key))];
      expect(keys.some((k) => k.startsWith(`${prefix}hold:`))).toBe(true);
      expect(keys.some((k) => k.startsWith(`${prefix}lock:`))).toBe(true);
      expect(keys.some((k) => k.includes('outbox'))).toBe(true);
      expect(keys.filter((k) => slot(k) !== slot('{u1}'))).toEqual([]);
    });
  });

  // ---------------------------------------------------------------- 5. A late unfenced write through createAuth
  /**
   * Was a defect (medium), the createAuth form of redis-hold-hostile.test.ts "a write left running
   * by a section that authchart let go". An instance starts; its outbox drain claims entries in a
   * lock section (`SessionStore.claimOutbox`, outbox `claimHeld`). The index's GET answers only
   * after storageMs: authchart has let go and the lock is released. Meanwhile another context put
   * its own entry in the outbox (index [0], slot 0). The let-go section then went on and wrote its
   * claim into slot 0 with no fence, a plain SET that landed over the other context's entry. Now
   * the outbox's writes carry the section's fence (aborted at let-go), so that write is refused
   * (StorageFailure) before anything is sent, and the other entry stays untouched.
   */
  it('a drain section let go while its outbox read was slow: its claim write does not land afterwards over another context’s entry', async () => {
    const admin = await redis.connect();
    const prefix = 't10:';
    const INDEX = `${prefix}${NAME}.outbox`;
    const letGo = deferred();
    const log: { via: string; key: string; at: number }[] = [];
    let delayed = false;
    const slow = new Proxy(recording(await redis.connect(), log), {
      get(target, prop, receiver) {
        const real = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'get')
          return typeof real === 'function' ? (real as (...a: unknown[]) => unknown).bind(target) : real;
        return async (key: string) => {
          if (!delayed && key === INDEX) {
            delayed = true;
            await letGo.promise; // answered after authchart let go (and after another context wrote)
          }
          return (real as (k: string) => Promise<unknown>).call(target, key);
        };
      },
    }) as Client;
    const bob = createAuth({
      services: fakeServices(makeTokens({ username: 'bob@example.com' })),
      storage: redisStorage(slow, { prefix }),
      sync: null,
      timeouts: { storageMs: 300 },
    });
    await expect.poll(() => delayed).toBe(true);
    await sleep(300); // storageMs: authchart lets go of the drain's section
    await expect.poll(() => admin.exists(`${prefix}lock:${NAME}`)).toBe(0);
    // Another context, holding the lock now, puts its own entry in the outbox.
    const other = JSON.stringify({ refreshToken: 'other-context-token', addedAt: Date.now() });
    await admin.set(INDEX, '[0]');
    await admin.set(`${INDEX}.0`, other);
    const settledAt = Date.now();
    letGo.resolve();
    await sleep(300);
    // Data writes only: a later section of bob's own (its next lock SET NX) may start meanwhile.
    const late = log.filter(
      (l) =>
        l.at >= settledAt &&
        (l.via === 'set' || l.via === 'del') &&
        !l.key.startsWith(`${prefix}lock:`) &&
        !l.key.startsWith(`${prefix}hold:`),
    );
    bob.stop();
    expect(late).toEqual([]);
    expect(await admin.get(`${INDEX}.0`)).toBe(other);
  });
});
