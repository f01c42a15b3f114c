/**
 * Outbox test helpers: the stored layout read back, several contexts over one storage with random
 * per-operation latency, and a lock shared by those contexts (as `navigator.locks` is by tabs).
 */
import type { TokenStorage } from '../../src/index.js';

export const PREFIX = 'authchart.client123.';
export const INDEX = `${PREFIX}outbox`;
export const LEGACY = `${PREFIX}revocationOutbox`;

type Readable = { getItem(key: string): unknown };

/** The stored entries, oldest first, as JSON objects (the index, then each slot it lists). */
export function storedEntries(storage: Readable, prefix = PREFIX): Record<string, unknown>[] {
  const index = storage.getItem(`${prefix}outbox`);
  if (index === null || index === undefined) return [];
  const slots = JSON.parse(String(index)) as number[];
  return slots.flatMap((slot) => {
    const raw = storage.getItem(`${prefix}outbox.${slot}`);
    return raw === null || raw === undefined ? [] : [JSON.parse(String(raw)) as Record<string, unknown>];
  });
}

/** The stored tokens, oldest first. */
export function storedTokens(storage: Readable, prefix = PREFIX): string[] {
  return storedEntries(storage, prefix).map((e) => String(e.refreshToken));
}

// One seeded PRNG for the tests that draw: a failing interleaving can be run again from its seed.
export { seeded } from '../crash/run-child.js';

/** Named locks shared by every context given them, one holder at a time per name (FIFO). */
export function sharedLocks() {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request<T>(name: string, critical: () => Promise<T>): Promise<T> {
      const tail = tails.get(name) ?? Promise.resolve();
      const run = tail.then(critical, critical);
      tails.set(
        name,
        run.catch(() => undefined),
      );
      return run;
    },
  };
}

/**
 * One context's view of a shared storage: each operation answers after 0..maxMs (from `random`),
 * and `lock` is the locks shared by all contexts. Counts every call per kind.
 */
export function latentStorage(
  shared: TokenStorage,
  locks: ReturnType<typeof sharedLocks> | null,
  random: () => number,
  maxMs = 3,
) {
  const later = <T>(run: () => T): Promise<T> =>
    new Promise((resolve, reject) =>
      setTimeout(
        () => {
          try {
            resolve(run());
          } catch (error) {
            reject(error);
          }
        },
        Math.floor(random() * (maxMs + 1)),
      ),
    );
  const calls = { get: 0, set: 0, remove: 0 };
  const storage: TokenStorage & { calls: typeof calls } = {
    calls,
    getItem: (k) => {
      calls.get++;
      return later(() => shared.getItem(k) as string | null);
    },
    setItem: (k, v) => {
      calls.set++;
      return later(() => {
        shared.setItem(k, v);
      });
    },
    removeItem: (k) => {
      calls.remove++;
      return later(() => {
        shared.removeItem(k);
      });
    },
  };
  if (locks) storage.lock = (name, critical) => locks.request(name, critical);
  return storage;
}
