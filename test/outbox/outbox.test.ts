/**
 * The outbox's storage layout and its `…Held` operations, each run inside the storage lock as
 * SessionStore runs them, by several contexts over one storage.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage, type TokenStorage } from '../../src/index.js';
import { withStorageLock } from '../../src/session/lock.js';
import { type ClaimedRevocation, RevocationOutbox } from '../../src/session/outbox.js';
import { INDEX, LEGACY, latentStorage, PREFIX, seeded, sharedLocks, storedEntries, storedTokens } from './helpers.js';

const LOCK = 'authchart.client123';

/** One context: its own RevocationOutbox over its view of the storage, every call under the lock. */
function context(storage: TokenStorage, options: ConstructorParameters<typeof RevocationOutbox>[2] = {}) {
  const outbox = new RevocationOutbox(storage, PREFIX, options);
  const held = <T>(run: (o: RevocationOutbox) => Promise<T>) =>
    withStorageLock(storage, LOCK, 10_000, () => run(outbox));
  return { outbox, held };
}

const claimAt = (now: number) => ({ now, stepMs: 1000, spareMs: 500 });

describe('concurrent adds lose nothing', () => {
  for (const contexts of [2, 3]) {
    it(`${contexts} contexts adding 16 entries each at once (10 seeds, random latency per call)`, async () => {
      for (let seed = 1; seed <= 10; seed++) {
        const random = seeded(seed * 7919 + contexts);
        const shared = memoryStorage();
        const locks = sharedLocks();
        const all = Array.from({ length: contexts }, (_, c) => {
          const ctx = context(latentStorage(shared, locks, random));
          const tokens = Array.from({ length: 16 }, (_, i) => `rt-${c}-${i}`);
          return { ctx, tokens };
        });
        await Promise.all(
          all.map(async ({ ctx, tokens }) => {
            for (const refreshToken of tokens) {
              const { dropped } = await ctx.held((o) => o.addHeld({ refreshToken, global: false }));
              expect(dropped).toBe(0);
            }
          }),
        );
        const expected = all.flatMap((a) => a.tokens);
        expect(storedTokens(shared).sort(), `seed ${seed}`).toEqual(expected.sort());
        // One key per entry, plus the index: nothing unindexed.
        expect(shared.keys().sort()).toEqual([INDEX, ...expected.map((_, i) => `${INDEX}.${i}`)].sort());
      }
    });
  }
});

describe('claims', () => {
  it('three contexts claiming at once: each entry goes to exactly one of them', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const random = seeded(seed);
      const shared = memoryStorage();
      const locks = sharedLocks();
      const seedCtx = context(shared);
      for (let i = 0; i < 12; i++)
        await seedCtx.held((o) => o.addHeld({ refreshToken: `rt-${i}`, global: i % 4 === 0 }));
      const ctxs = [0, 1, 2].map(() => context(latentStorage(shared, locks, random)));
      const claims = await Promise.all(ctxs.map((c) => c.held((o) => o.claimHeld(claimAt(1_000)))));
      const tried = claims.flatMap((c) => c.claimed.map((e) => e.refreshToken)).sort();
      expect(tried).toEqual(Array.from({ length: 12 }, (_, i) => `rt-${i}`).sort());
      // Every claimed entry names its drain, and lasts as long as that drain's timers.
      for (const [n, claim] of claims.entries()) {
        const calls = claim.claimed.reduce((sum, e) => sum + (e.global ? 3 : 1), 0);
        for (const e of storedEntries(shared).filter((x) =>
          claim.claimed.some((c) => c.refreshToken === x.refreshToken),
        )) {
          expect(e.claim).toEqual({ by: ctxs[n]?.outbox.id, n: expect.any(String), lease: 500 + 1000 * calls });
        }
        expect(claim.busy).toBe(12 - claim.claimed.length);
      }
    }
  });

  it('settling removes the settled entries, lets go of the kept ones, and leaves no key when empty', async () => {
    const shared = memoryStorage([['app.theme', 'dark']]);
    const a = context(shared);
    for (const t of ['rt-1', 'rt-2', 'rt-3']) await a.held((o) => o.addHeld({ refreshToken: t, global: false }));
    const { claimed } = await a.held((o) => o.claimHeld(claimAt(0)));
    const byToken = (t: string) => claimed.find((c) => c.refreshToken === t) as ClaimedRevocation;
    await a.held((o) => o.settleHeld({ settled: [byToken('rt-1'), byToken('rt-3')], kept: [byToken('rt-2')] }));
    expect(storedEntries(shared)).toEqual([{ refreshToken: 'rt-2', addedAt: expect.any(Number) }]);
    // Another context can claim the kept one at once: its claim was let go.
    const b = context(shared);
    expect((await b.held((o) => o.claimHeld(claimAt(1)))).claimed.map((c) => c.refreshToken)).toEqual(['rt-2']);
    const again = await b.held((o) => o.claimHeld(claimAt(2)));
    await b.held((o) => o.settleHeld({ settled: again.claimed, kept: [] }));
    expect(shared.keys()).toEqual(['app.theme']);
  });

  it("a dead context's claim holds until another has seen it unchanged for its lease (on its own clock), then that one takes the entry", async () => {
    const shared = memoryStorage();
    const dead = context(shared, { id: 'dead-tab' });
    await dead.held((o) => o.addHeld({ refreshToken: 'rt-1', global: false }));
    await dead.held((o) => o.claimHeld(claimAt(10_000))); // and never settles
    const lease = 500 + 1000;
    const live = context(shared);
    // Its clock has nothing to do with the dead one's: only the time it has itself seen counts.
    const busy = { claimed: [], busy: 1, recheckMs: lease };
    expect(await live.held((o) => o.claimHeld(claimAt(3)))).toEqual(busy);
    expect(await live.held((o) => o.claimHeld(claimAt(3 + lease - 1)))).toEqual(busy);
    const after = await live.held((o) => o.claimHeld(claimAt(3 + lease)));
    expect(after).toEqual({ claimed: [{ refreshToken: 'rt-1', global: false, slots: [0] }], busy: 0 });
    // The dead context's late settle does not release the live claim.
    await dead.held((o) => o.settleHeld({ settled: [], kept: after.claimed }));
    expect(storedEntries(shared)[0]?.claim).toMatchObject({ by: live.outbox.id });
  });

  it('a settle leaves alone a slot that now holds another token', async () => {
    const shared = memoryStorage();
    const a = context(shared);
    await a.held((o) => o.addHeld({ refreshToken: 'rt-old', global: false }));
    const { claimed } = await a.held((o) => o.claimHeld(claimAt(0)));
    // Meanwhile the entry went (another drain after the claim expired) and the slot was reused.
    await a.held((o) => o.settleRevokedHeld(['rt-old'], null));
    await a.held((o) => o.addHeld({ refreshToken: 'rt-new', global: false }));
    await a.held((o) => o.settleHeld({ settled: claimed, kept: [] }));
    expect(storedTokens(shared)).toEqual(['rt-new']);
  });

  it('a token kept twice (a clear retried) is one claim over both slots', async () => {
    const shared = memoryStorage();
    const a = context(shared);
    await a.held((o) => o.addHeld({ refreshToken: 'rt-1', global: false }));
    await a.held((o) => o.addHeld({ refreshToken: 'rt-1', global: true }));
    const { claimed } = await a.held((o) => o.claimHeld(claimAt(0)));
    expect(claimed).toEqual([{ refreshToken: 'rt-1', global: true, slots: [0, 1] }]);
    await a.held((o) => o.settleHeld({ settled: claimed, kept: [] }));
    expect(shared.keys()).toEqual([]);
  });
});

describe('the cap', () => {
  it('105 adds keep the newest 100 and report 5 dropped', async () => {
    const shared = memoryStorage();
    const a = context(shared);
    let dropped = 0;
    for (let i = 0; i < 105; i++) {
      const r = await a.held((o) => o.addHeld({ refreshToken: `rt-${i}`, global: false }));
      expect(r.dropped).toBe(i < 100 ? 0 : 1);
      dropped += r.dropped;
    }
    expect(dropped).toBe(5);
    expect(storedTokens(shared)).toEqual(Array.from({ length: 100 }, (_, i) => `rt-${i + 5}`));
    expect(shared.keys()).toHaveLength(101);
  });

  it('is configurable; a lower cap than what is stored drops the oldest at the next add', async () => {
    const shared = memoryStorage();
    const big = context(shared, { cap: 5 });
    for (let i = 0; i < 5; i++) await big.held((o) => o.addHeld({ refreshToken: `rt-${i}`, global: false }));
    const small = context(shared, { cap: 2 });
    expect(await small.held((o) => o.addHeld({ refreshToken: 'rt-5', global: false }))).toEqual({ dropped: 4 });
    expect(storedTokens(shared)).toEqual(['rt-4', 'rt-5']);
    expect(shared.keys()).toHaveLength(3);
    expect(() => new RevocationOutbox(shared, PREFIX, { cap: 0 })).toThrow(/positive integer/);
  });
});

describe('recovery', () => {
  it('migrates the legacy single key once into entries, then removes it', async () => {
    const legacy = JSON.stringify(['rt-a', { refreshToken: 'rt-b', global: true }]);
    const shared = memoryStorage([
      [LEGACY, legacy],
      ['app.theme', 'dark'],
    ]);
    const a = context(shared, { now: () => 42 });
    await a.held((o) => o.dropCorruptHeld());
    expect(storedEntries(shared)).toEqual([
      { refreshToken: 'rt-a', addedAt: 42 },
      { refreshToken: 'rt-b', global: true, addedAt: 42 },
    ]);
    expect(shared.getItem(LEGACY)).toBeNull();
    // A migration cut short (the legacy key came back) adds no doubles; a new entry goes after.
    shared.setItem(LEGACY, legacy);
    const b = context(shared);
    await b.held((o) => o.addHeld({ refreshToken: 'rt-c', global: false }));
    expect(storedTokens(shared)).toEqual(['rt-a', 'rt-b', 'rt-c']);
    expect(shared.getItem(LEGACY)).toBeNull();
  });

  it('a legacy key with a junk element: its valid tokens migrate, the junk is skipped (not all dropped with it)', async () => {
    const shared = memoryStorage([[LEGACY, '["rt", 5]']]);
    await context(shared).held((o) => o.dropCorruptHeld());
    expect(storedTokens(shared)).toEqual(['rt']);
    expect(shared.getItem(LEGACY)).toBeNull();
  });

  it('removes a legacy key that is not a JSON array', async () => {
    const shared = memoryStorage([[LEGACY, '{"rt": 5}']]);
    await context(shared).held((o) => o.dropCorruptHeld());
    expect(shared.keys()).toEqual([]);
  });

  it('rebuilds a corrupt index from the slots, oldest first, and drops unreadable slots', async () => {
    const shared = memoryStorage([
      [INDEX, 'not json'],
      [`${INDEX}.3`, JSON.stringify({ refreshToken: 'rt-new', addedAt: 20 })],
      [`${INDEX}.7`, JSON.stringify({ refreshToken: 'rt-old', addedAt: 10 })],
      [`${INDEX}.9`, '{{{'],
    ]);
    const a = context(shared, { cap: 10 });
    expect(await a.held((o) => o.readHeld())).toEqual([
      { refreshToken: 'rt-old', global: false },
      { refreshToken: 'rt-new', global: false },
    ]);
    expect(shared.getItem(INDEX)).toBe('[7,3]');
    expect(shared.getItem(`${INDEX}.9`)).toBeNull();
  });

  it('a crash between reserving a slot and writing its entry leaves an empty slot, cleaned by the next claim', async () => {
    const shared = memoryStorage();
    const a = context(shared);
    await a.held((o) => o.addHeld({ refreshToken: 'rt-1', global: false }));
    let crashed = false;
    const crashing: TokenStorage = {
      getItem: (k) => shared.getItem(k),
      removeItem: (k) => shared.removeItem(k),
      setItem: (k, v) => {
        if (k.startsWith(`${INDEX}.`)) {
          crashed = true;
          throw new Error('killed');
        }
        shared.setItem(k, v);
      },
    };
    const b = context(crashing);
    await expect(b.held((o) => o.addHeld({ refreshToken: 'rt-2', global: false }))).rejects.toThrow(/storage/);
    expect(crashed).toBe(true);
    // Reserved but never written: indexed, holding nothing (and never a token outside the index).
    expect(shared.getItem(INDEX)).toBe('[0,1]');
    const { claimed } = await a.held((o) => o.claimHeld(claimAt(0)));
    expect(claimed.map((c) => c.refreshToken)).toEqual(['rt-1']);
    expect(shared.getItem(INDEX)).toBe('[0]');
  });
});
