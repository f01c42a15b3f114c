/**
 * Hostile probes of `authchart/redis` on a real redis-server, part 2: hostile key contents (garbage,
 * wrong types, huge values, neighbours under a similar prefix, a lock key with no expiry) and secrets
 * in errors (OOM, WRONGTYPE, a refused script). Part 1: redis-hostile-outage.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisStorage } from '../../src/bindings/redis.js';
import { createAuth, isAuthError } from '../../src/index.js';
import { hasRedis } from '../../tools/embedded-redis.js';
import { fakeServices } from '../helpers/fakes.js';
import { makeTokens } from '../helpers/tokens.js';
import { type Client, errorChainText, redisAuth, timed, useEmbeddedRedis } from '../redis/embedded.js';

const CLIENT = 'client123';
const SESSION = `authchart.${CLIENT}.session`;

describe.skipIf(!hasRedis('redis hostile-content probes'))('authchart/redis: hostile key contents and secrets', () => {
  const redis = useEmbeddedRedis();
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const make = redisAuth;

  // ---------------------------------------------------------------- 3. Hostile contents
  describe('hostile key contents', () => {
    it.each([
      ['a hash', (c: Client, k: string) => c.hSet(k, 'f', 'v')],
      ['a list', (c: Client, k: string) => c.rPush(k, 'x')],
    ])(
      'the session key holding %s (WRONGTYPE): start settles signed out; a sign-in fails typed (StorageFailure), never raw',
      async (_what, seed) => {
        const c = await redis.connect();
        const prefix = `h1${_what.replace(' ', '')}:`;
        await seed(c, prefix + SESSION);
        const { auth } = make(c, prefix);
        const r = await timed(auth.ready);
        expect(r.ms).toBeLessThan(2000);
        expect(auth.getSession()).toBeNull();
        const signIn = await timed(auth.signIn({ username: 'alice@example.com', password: 'pw' }));
        if (!signIn.ok) expect(isAuthError(signIn.error)).toBe(true);
        else expect(await c.type(prefix + SESSION)).toBe('string');
        auth.stop();
      },
    );

    it.each(['garbage{', '{"v":999}', 'null', '"string"', '[]'])(
      'the session key holding %j: start settles signed out',
      async (raw) => {
        const c = await redis.connect();
        const prefix = `h2${Buffer.from(raw).toString('hex')}:`;
        await c.set(prefix + SESSION, raw);
        const { auth } = make(c, prefix);
        const r = await timed(auth.ready);
        expect(r.ms).toBeLessThan(2000);
        expect(auth.getSession()).toBeNull();
        auth.stop();
      },
    );

    it('a huge (16 MB) session value: start settles within its bounds, signed out or a typed error', async () => {
      const c = await redis.connect();
      await c.set(`h3:${SESSION}`, `{"x":"${'a'.repeat(16 * 1024 * 1024)}"}`);
      const { auth } = make(c, 'h3:', { storageMs: 2000 });
      const r = await timed(auth.ready);
      expect(r.ms).toBeLessThan(6000);
      expect(auth.getSession()).toBeNull();
      auth.stop();
    });

    it('a sign-out removes only its own keys: another app’s keys under a similar prefix are untouched', async () => {
      const c = await redis.connect();
      const others = [
        'h4:sessionX',
        'h4',
        'h4:x:authchart.client123.session',
        'h4authchart.client123.session',
        'h40:authchart.client123.session',
      ];
      for (const k of others) await c.set(k, 'theirs');
      await c.hSet('h4:lockish', 'f', 'v');
      const { auth } = make(c, 'h4:');
      await auth.signIn({ username: 'alice@example.com', password: 'pw' });
      expect(await auth.signOut()).toMatchObject({ status: 'complete' });
      expect((await c.keys('h4*')).sort()).toEqual([...others, 'h4:lockish'].filter((k) => k.startsWith('h4')).sort());
      expect(await c.mGet(others)).toEqual(others.map(() => 'theirs'));
      auth.stop();
    });

    // A lock key with no expiry cannot be a holder's of ours: it gets one lockTtlMs and frees, like a dead holder's.
    it('a lock key holding garbage with no expiry is cleared within one lockTtlMs: the sign-in that waits for it succeeds', async () => {
      const c = await redis.connect();
      await c.set(`h5:lock:authchart.${CLIENT}`, 'garbage-without-ttl');
      const storage = redisStorage(c, { prefix: 'h5:', lockTtlMs: 200, lockTimeoutMs: 600 });
      const auth = createAuth({
        services: fakeServices(makeTokens()),
        storage,
        sync: null,
        timeouts: { storageMs: 1000 },
      });
      const signIn = await timed(auth.signIn({ username: 'alice@example.com', password: 'pw' }));
      auth.stop();
      expect(signIn.ok ? 'ok' : String((signIn as { error: unknown }).error)).toBe('ok');
    });
  });

  // ---------------------------------------------------------------- 4. Secrets
  describe('refresh tokens never in an error or a log line', () => {
    const spyConsole = () => {
      const lines: string[] = [];
      for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) {
        vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
          lines.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(' '));
        });
      }
      return lines;
    };

    it('OOM (maxmemory reached) on the save: StorageFailure, and no refresh token in the error chain or any log line', async () => {
      const admin = await redis.connect();
      const c = await redis.connect();
      const lines = spyConsole();
      const { auth, tokens } = make(c, 's1:');
      await auth.ready;
      await admin.configSet('maxmemory', '1');
      let r: Awaited<ReturnType<typeof timed>>;
      try {
        r = await timed(auth.signIn({ username: 'alice@example.com', password: 'pw' }));
      } finally {
        await admin.configSet('maxmemory', '0');
      }
      expect(r.ok).toBe(false);
      expect(isAuthError(!r.ok && r.error)).toBe(true);
      expect(errorChainText(!r.ok && r.error)).not.toContain(tokens.refreshToken);
      expect(lines.join('\n')).not.toContain(tokens.refreshToken);
      auth.stop();
    });

    it('a sign-out over a journal key that is a hash quoting the refresh token: no token in the result or any log line', async () => {
      const c = await redis.connect();
      const lines = spyConsole();
      const { auth, tokens } = make(c, 's2:');
      await auth.signIn({ username: 'alice@example.com', password: 'pw' });
      await c.hSet(`s2:authchart.${CLIENT}.signOutJournal`, 'f', tokens.refreshToken);
      const r = await auth.signOut();
      expect(errorChainText(r)).not.toContain(tokens.refreshToken);
      expect(lines.join('\n')).not.toContain(tokens.refreshToken);
      auth.stop();
    });

    it('a fenced SET refused inside its script (NOREPLICAS) never carries the value it was writing, in the error or a log line', async () => {
      const c = await redis.connect();
      const admin = await redis.connect();
      const lines = spyConsole();
      const storage = redisStorage(c, { prefix: 's3:' });
      const secret = 'rt-SECRET-refresh-token-value';
      // min-replicas-to-write with no replica: every write, and the script doing it, is refused (NOREPLICAS).
      await admin.configSet('min-replicas-to-write', '1');
      let err: unknown;
      try {
        const fence = new AbortController().signal;
        await storage
          .lock?.(
            'authchart.x',
            async () => {
              await storage.setItem('session', secret, { fence });
            },
            { holdMs: 5000, fence },
          )
          .catch((e: unknown) => {
            err = e;
          });
      } finally {
        await admin.configSet('min-replicas-to-write', '0');
      }
      expect(err).toBeDefined();
      expect(errorChainText(err)).not.toContain(secret);
      expect(lines.join('\n')).not.toContain(secret);
    });
  });
});
