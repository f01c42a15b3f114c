import type { TokenStorage } from '../services/types.js';

type Locks = { request<T>(name: string, callback: () => Promise<T>): Promise<T> };

/** Why a fence aborted while its lock is still held: the caller was stopped (see `fence.ts`). */
export const STOPPED = new Error('stopped while holding the storage lock');

/** Why a fence aborted once its hold ended; one object, as every section ends so (no stack to build). */
const LET_GO = new Error('the storage lock was let go');

/** The in-process fallback: per storage object and lock name, the tail of the queue. */
const tails = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * Runs `critical` holding the lock `name` shared by every context of this storage: the storage's
 * own `lock` (files, Redis), else `navigator.locks` (every tab of the origin), else a lock shared
 * by the instances of this process. The lock is let go after `holdMs` even if `critical` has not
 * settled (a hung storage must not stop every later call); the caller's bound reports it.
 * `critical` gets the section's fence: an AbortSignal that aborts when the hold ends (let go after
 * `holdMs`, or `critical` settled). A write still running then must not land: the store passes the
 * fence to its writes (see `fence.ts`).
 *
 * @example
 * ```ts
 * await withStorageLock(storage, 'authchart.client', 10_000, async () => {
 *   const raw = await storage.getItem(key);
 *   if (raw === mine) await storage.removeItem(key);
 * });
 * ```
 */
export function withStorageLock<T>(
  storage: TokenStorage,
  name: string,
  holdMs: number,
  critical: (fence: AbortSignal) => Promise<T>,
  cancel?: AbortSignal,
): Promise<T> {
  let result: Promise<T> | undefined;
  // Made before the lock is asked for: the storage's `lock` gets it too, to tell this section's writes.
  const fence = new AbortController();
  const hold = (): Promise<void> => {
    const letGo = () => fence.abort(LET_GO);
    // `cancel` (the caller was stopped) fences its writes off at once; the hold goes on until the
    // section settles (at most `holdMs`), so that no other context reads a write still landing.
    // One listener, taken off when the hold ends: `cancel` may live as long as the instance.
    const onCancel = () => fence.abort(STOPPED);
    if (cancel?.aborted) onCancel();
    else cancel?.addEventListener('abort', onCancel, { once: true });
    result = Promise.resolve().then(() => critical(fence.signal));
    // Aborted before the lock is let go: a storage checking the fence at its commit sees it first.
    return heldAtMost(result, holdMs).then(() => {
      cancel?.removeEventListener('abort', onCancel);
      letGo();
    });
  };
  let acquired: Promise<void>;
  // `holdMs` and the fence too: a storage fencing its writes at commit can make them expire when
  // authchart lets go, and tell which section a write was made in.
  if (typeof storage.lock === 'function') acquired = storage.lock(name, hold, { holdMs, fence: fence.signal });
  else {
    const locks = (globalThis as { navigator?: { locks?: Locks } }).navigator?.locks;
    acquired =
      locks && typeof locks.request === 'function' ? locks.request(name, hold) : inProcess(storage, name, hold);
  }
  // The caller gets `critical`'s own answer, even when the lock was let go before it came.
  return acquired.then(() => result as Promise<T>);
}

function inProcess(storage: object, name: string, hold: () => Promise<void>): Promise<void> {
  const byName = tails.get(storage) ?? new Map<string, Promise<unknown>>();
  tails.set(storage, byName);
  const tail = byName.get(name) ?? Promise.resolve();
  const run = tail.then(hold);
  byName.set(name, run);
  // The last one out forgets the name: no map grows with the number of calls. And the storage
  // too once no lock of it is held: an idle instance keeps no empty map per storage object.
  void run.then(() => {
    if (byName.get(name) === run) byName.delete(name);
    if (byName.size === 0 && tails.get(storage) === byName) tails.delete(storage);
  });
  return run;
}

/** Settles (never rejects) when `run` settles or after `holdMs`, whichever comes first. */
function heldAtMost(run: Promise<unknown>, holdMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const released = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, holdMs);
    (timer as { unref?: () => void }).unref?.();
  });
  const done = run.then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([done, released]).then(() => clearTimeout(timer));
}
