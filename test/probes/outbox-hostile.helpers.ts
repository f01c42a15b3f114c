/** Shared set-up for the hostile outbox-lifecycle probes (test/probes/outbox-lifecycle-hostile*.test.ts). */
import { type Auth, memoryStorage as makeMemory, type memoryStorage, type TokenStorage } from '../../src/index.js';
import { sleep } from '../helpers/async.js';
import { deferred } from '../helpers/fakes.js';
import { INDEX } from '../outbox/helpers.js';

/** Whether the chart holds an outbox child right now. */
export const outboxRuns = (auth: Auth) => 'outbox' in auth.actor.getSnapshot().children;

/** Puts `tokens` in the stored outbox (new layout), as another context's offline sign-out would. */
export function deferInStorage(storage: Pick<ReturnType<typeof memoryStorage>, 'setItem'>, tokens: string[], from = 0) {
  storage.setItem(INDEX, JSON.stringify(tokens.map((_, i) => i + from)));
  tokens.forEach((refreshToken, i) => {
    storage.setItem(`${INDEX}.${i + from}`, JSON.stringify({ refreshToken, addedAt: 1 }));
  });
}

/** `p`'s outcome, or 'HANG' if it has not settled within `ms` real milliseconds. */
export function within<T>(p: Promise<T>, ms = 2_000): Promise<{ value: T } | { error: unknown } | 'HANG'> {
  return Promise.race([
    p.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    sleep(ms).then(() => 'HANG' as const),
  ]);
}

export type Fault = 'ok' | 'throw' | 'reject' | 'hang' | 'gate';

/**
 * A memoryStorage whose every operation can be made to throw synchronously, reject, hang for ever,
 * or wait at a gate the test opens (`open()`). Counts operations, and those made after `stopped`.
 */
export function controlledStorage(inner = makeMemory()) {
  let gate = deferred<void>();
  const ctl = {
    mode: 'ok' as Fault,
    /** Which operations the mode applies to (others answer at once). */
    only: null as null | 'get' | 'write',
    calls: 0,
    stopped: false,
    callsAfterStop: 0,
    /** Lets every operation waiting at the gate through, and makes a new gate. */
    open() {
      const g = gate;
      gate = deferred<void>();
      g.resolve();
    },
  };
  const op = <T>(kind: 'get' | 'write', run: () => T): T | Promise<T> => {
    ctl.calls++;
    if (ctl.stopped) ctl.callsAfterStop++;
    const mode = ctl.only === null || ctl.only === kind ? ctl.mode : 'ok';
    if (mode === 'throw') throw new Error('storage threw');
    if (mode === 'reject') return Promise.reject(new Error('storage rejected'));
    if (mode === 'hang') return new Promise<T>(() => {});
    if (mode === 'gate') return gate.promise.then(run);
    return run();
  };
  const storage: TokenStorage = {
    getItem: (k) => op('get', () => inner.getItem(k) as string | null),
    setItem: (k, v) =>
      op('write', () => {
        void inner.setItem(k, v);
      }),
    removeItem: (k) =>
      op('write', () => {
        void inner.removeItem(k);
      }),
  };
  return { storage, inner, ctl };
}
