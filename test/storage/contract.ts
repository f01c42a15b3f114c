/**
 * The storage contract: what authchart needs from every `TokenStorage` (memory, web, file, Redis…).
 *
 * Run it from a test file:
 *
 * ```ts
 * describeStorageContract('redisStorage', async () => {
 *   const prefix = `contract-${randomUUID()}:`;            // a fresh, empty namespace per test
 *   const storage = redisStorage({ client, prefix });
 *   return {
 *     storage,
 *     reopen: async () => redisStorage({ client: await newClient(), prefix }), // a second "process"
 *     cleanup: async () => { await dropPrefix(prefix); },
 *   };
 * });
 * ```
 *
 * `make()` is called once per test and must return a storage that holds nothing yet. `reopen`, when
 * given, returns another handle on the same data, as another tab or process would open it; the
 * cross-handle checks (visibility, no lost update, no resurrection, interleaved writes) run only
 * with it. `cleanup()` runs after each test, also when it failed.
 *
 * The lock checks go through `withStorageLock`, as authchart does: the storage's own `lock`, else
 * `navigator.locks`, else the in-process lock. Without `reopen`, both "handles" are one object.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TokenStorage } from '../../src/index.js';
import { withStorageLock } from '../../src/session/lock.js';

export interface StorageUnderTest {
  storage: TokenStorage;
  /** Another handle on the same data (another tab or process). */
  reopen?: () => Promise<TokenStorage>;
  cleanup(): Promise<void>;
}

const KEY = 'authchart.contract.alice.refreshToken';
const OTHER = 'authchart.contract.alice.idToken';
const FOREIGN = ['otherapp.settings', 'otherapp.session', 'x'] as const;

/** Strings that must come back exactly: unicode of every plane, JSON and shell metacharacters, NUL, 10 KB. */
export const AWKWARD_VALUES: readonly string[] = [
  '',
  ' ',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.',
  'ünïcödé ✓ 漢字 𝄞 👩‍👩‍👧 e\u0301',
  '"quoted" \\backslash\\ {"json":[1,2]} \n\r\t',
  'nul\u0000inside',
  '\u2028\u2029',
  'x'.repeat(10 * 1024),
  '𝄞'.repeat(2560),
];

async function read(storage: TokenStorage, key: string): Promise<string | null | undefined> {
  return await storage.getItem(key);
}

const LOCK = 'authchart.x';
const COUNT = 'authchart.contract.count';

/** `promise`, or a rejection naming `what` after `ms` (a deadlock must fail the test, not hang it). */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** One locked read-increment-write of COUNT, with a timer tick between the read and the write. */
function lockedIncrement(storage: TokenStorage): Promise<void> {
  return withStorageLock(storage, LOCK, 10_000, async () => {
    const n = Number((await read(storage, COUNT)) ?? '0');
    await new Promise((resolve) => setTimeout(resolve, 1)); // without the lock, the other handle gets in here
    await storage.setItem(COUNT, String(n + 1));
  });
}

/**
 * Registers the contract tests for one storage.
 *
 * @example
 * describeStorageContract('memoryStorage', async () => ({ storage: memoryStorage(), cleanup: async () => {} }));
 */
export function describeStorageContract(name: string, make: () => Promise<StorageUnderTest>): void {
  describe(`storage contract: ${name}`, () => {
    let current: StorageUnderTest | null = null;
    const open = async () => {
      current = await make();
      return current;
    };
    afterEach(async () => {
      await current?.cleanup();
      current = null;
    });

    it('set, get and remove round-trip', async () => {
      const { storage } = await open();
      await storage.setItem(KEY, 'v1');
      expect(await read(storage, KEY)).toBe('v1');
      await storage.setItem(KEY, 'v2');
      expect(await read(storage, KEY)).toBe('v2');
      await storage.removeItem(KEY);
      expect(await read(storage, KEY)).toBeNull();
    });

    it('an unknown key reads null; removing an absent key is fine', async () => {
      const { storage } = await open();
      expect(await read(storage, 'authchart.contract.never-set')).toBeNull();
      await expect(Promise.resolve(storage.removeItem('authchart.contract.never-set'))).resolves.toBeUndefined();
      expect(await read(storage, 'authchart.contract.never-set')).toBeNull();
    });

    it('keeps every value byte-exact (unicode, NUL, 10 KB)', async () => {
      const { storage, reopen } = await open();
      for (const [i, value] of AWKWARD_VALUES.entries()) await storage.setItem(`${KEY}.${i}`, value);
      const readers = [storage, ...(reopen ? [await reopen()] : [])];
      for (const reader of readers) {
        for (const [i, value] of AWKWARD_VALUES.entries()) {
          const got = await read(reader, `${KEY}.${i}`);
          expect(got?.length, `value ${i}`).toBe(value.length);
          expect(got === value, `value ${i} differs`).toBe(true);
        }
      }
    });

    it("leaves other apps' keys untouched", async () => {
      const { storage, reopen } = await open();
      for (const key of FOREIGN) await storage.setItem(key, `${key}-value`);
      await storage.setItem(KEY, 'token');
      await storage.setItem(OTHER, 'id');
      await storage.removeItem(KEY);
      await storage.removeItem(OTHER);
      const reader = reopen ? await reopen() : storage;
      for (const key of FOREIGN) expect(await read(reader, key)).toBe(`${key}-value`);
      expect(await read(reader, KEY)).toBeNull();
    });

    it('50 interleaved writes all land', async () => {
      const { storage, reopen } = await open();
      const handles = [storage, reopen ? await reopen() : storage];
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => Promise.resolve(handles[i % 2]?.setItem(`${KEY}.w${i}`, `value-${i}`))),
      );
      const reader = reopen ? await reopen() : storage;
      const missing: number[] = [];
      for (let i = 0; i < 50; i++) if ((await read(reader, `${KEY}.w${i}`)) !== `value-${i}`) missing.push(i);
      expect(missing, 'writes lost').toEqual([]);
    });

    describe('the storage lock (withStorageLock)', () => {
      const twoHandles = async () => {
        const { storage, reopen } = await open();
        return [storage, reopen ? await reopen() : storage] as const;
      };

      it('two handles, 25 locked read-increment-write cycles each at once, end at 50', async () => {
        const handles = await twoHandles();
        await Promise.all(
          handles.map(async (h) => {
            for (let i = 0; i < 25; i++) await lockedIncrement(h);
          }),
        );
        expect(await read(handles[0], COUNT)).toBe('50');
        expect(await read(handles[1], COUNT)).toBe('50');
      });

      it('is released when critical throws, and the error reaches the caller', async () => {
        const [a, b] = await twoHandles();
        const boom = new Error('boom inside the critical section');
        const failed = withStorageLock(a, LOCK, 10_000, async () => {
          await a.setItem(COUNT, '1');
          throw boom;
        });
        await expect(failed).rejects.toBe(boom);
        // Not released, the other handle would wait for the lock's expiry or time out (seconds).
        const started = Date.now();
        const seen = await within(
          3000,
          'the next section',
          withStorageLock(b, LOCK, 10_000, () => read(b, COUNT)),
        );
        expect(seen).toBe('1');
        expect(Date.now() - started).toBeLessThan(1000);
      });

      // withStorageLock hands `lock` a callback that never rejects: the storage's own throw path is checked here.
      it("the storage's own lock, if any, passes critical's error on and is released", async (ctx) => {
        const [a, b] = await twoHandles();
        if (!a.lock || !b.lock) return ctx.skip();
        const boom = new Error('boom inside storage.lock');
        await expect(
          a.lock(LOCK, async () => {
            await a.setItem(COUNT, '2');
            throw boom;
          }),
        ).rejects.toBe(boom);
        const started = Date.now();
        expect(
          await within(
            3000,
            'the next lock',
            b.lock(LOCK, () => read(b, COUNT)),
          ),
        ).toBe('2');
        expect(Date.now() - started).toBeLessThan(1000);
      });

      it('storage calls inside critical (also several at once) do not deadlock', async () => {
        const [a, b] = await twoHandles();
        const started = Date.now();
        const answer = await within(
          4000,
          'the section with nested calls',
          withStorageLock(a, LOCK, 10_000, async () => {
            await a.setItem(COUNT, '1');
            await Promise.all([a.setItem(`${COUNT}.p1`, 'x'), a.setItem(`${COUNT}.p2`, 'y'), a.getItem(COUNT)]);
            await a.removeItem(`${COUNT}.p1`);
            return read(a, COUNT);
          }),
        );
        expect(answer).toBe('1');
        expect(Date.now() - started).toBeLessThan(2000);
        expect(await read(b, `${COUNT}.p1`)).toBeNull();
        expect(await read(b, `${COUNT}.p2`)).toBe('y');
      });
    });

    describe('across handles (tabs, processes)', () => {
      const withReopen = async () => {
        const under = await open();
        if (!under.reopen) return null;
        return { a: under.storage, b: await under.reopen(), reopen: under.reopen };
      };

      it("a write through A is visible through B at once, also after B's own reads", async (ctx) => {
        const h = await withReopen();
        if (!h) return ctx.skip();
        expect(await read(h.b, KEY)).toBeNull(); // B has looked once (a cache would now be stale)
        await h.a.setItem(KEY, 'from-a');
        expect(await read(h.b, KEY)).toBe('from-a');
        await h.a.setItem(KEY, 'from-a-2');
        expect(await read(h.b, KEY)).toBe('from-a-2');
      });

      it("B's later write does not drop A's earlier keys (no lost update)", async (ctx) => {
        const h = await withReopen();
        if (!h) return ctx.skip();
        await h.b.setItem(OTHER, 'b-first'); // B has read and written once
        await h.a.setItem(KEY, 'from-a');
        await h.b.setItem(OTHER, 'b-second');
        const fresh = await h.reopen();
        expect(await read(fresh, KEY)).toBe('from-a');
        expect(await read(fresh, OTHER)).toBe('b-second');
        expect(await read(h.a, OTHER)).toBe('b-second');
      });

      it("a removal through A is not undone by B's next write (no resurrection)", async (ctx) => {
        const h = await withReopen();
        if (!h) return ctx.skip();
        await h.a.setItem(KEY, 'session');
        expect(await read(h.b, KEY)).toBe('session'); // B has seen the session
        await h.a.removeItem(KEY);
        await h.b.setItem(OTHER, 'unrelated');
        const fresh = await h.reopen();
        expect(await read(fresh, KEY)).toBeNull();
        expect(await read(h.a, KEY)).toBeNull();
        expect(await read(h.b, KEY)).toBeNull();
        expect(await read(fresh, OTHER)).toBe('unrelated');
      });

      it("B's removal of one key keeps A's other keys", async (ctx) => {
        const h = await withReopen();
        if (!h) return ctx.skip();
        await h.b.setItem(OTHER, 'b');
        await h.a.setItem(KEY, 'a');
        await h.b.removeItem(OTHER);
        const fresh = await h.reopen();
        expect(await read(fresh, KEY)).toBe('a');
        expect(await read(fresh, OTHER)).toBeNull();
      });
    });
  });
}
