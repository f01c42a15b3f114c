/**
 * Fencing: a write that outlives its lock must not land (docs/storage.md: what each storage does with a late write).
 *
 * `withStorageLock` lets go after `holdMs` even if a write still runs (a hung storage must not stop
 * every later call). Such a write, landing later, would overwrite the next holder's: a newer
 * sign-in replaced by one that was already rejected. Every write the store makes holding the lock
 * goes through {@link fencedWrite}, with the section's fence (aborted when the hold ends):
 *
 * - a storage with `fencedWrites` checks the fence at its own commit point (the rename, the Redis
 *   command) and rejects instead of committing: the write never lands;
 * - any other storage may commit late. The fence is checked when the write answers; a late write is
 *   undone under a new lock if what it wrote is still there (then no later write went over it):
 *   the value the last in-time write of this process left is put back where this process's own
 *   lock is the only one (it saw every write), else the key is removed (storage then says "signed
 *   out", and every context follows it: better than a rejected sign-in that looks current).
 *   Either way the write's caller gets `StorageFailure`.
 */
import { AuthError } from '../errors.js';
import type { TokenStorage } from '../services/types.js';
import { STOPPED, withStorageLock } from './lock.js';
import { readKey } from './storage-io.js';

/** Where a store writes: the storage, and the lock a late write's undo takes. */
export interface FenceIo {
  storage: TokenStorage;
  lockName: string;
  holdMs: number;
  /** Told when an undo changed storage: the other contexts may have read the late write (a hint). */
  undone?: (() => void) | undefined;
}

/**
 * Per storage object, per key: what the last write that ended within its hold left (`null`:
 * removed). Consulted only where the in-process lock is the storage's only lock, so every write
 * to the key went through here; anywhere else another process may have written since.
 */
const lastInTime = new WeakMap<object, Map<string, { value: string | null; n: number }>>();

/** How many writes of `key` ended within their hold in this process: a later try of an undo stops if one did. */
const inTimeWrites = (storage: object, key: string) => lastInTime.get(storage)?.get(key)?.n ?? 0;

/**
 * Sets `key` to `value` (`null`: removes it) holding the lock whose fence is `fence`. Rejects with
 * `StorageFailure` if the fence had aborted before the write committed (its storage refused it,
 * or it landed late and was undone).
 *
 * @example
 * ```ts
 * await withStorageLock(storage, name, holdMs, (fence) => fencedWrite(io, key, record, fence));
 * ```
 */
export async function fencedWrite(io: FenceIo, key: string, value: string | null, fence: AbortSignal): Promise<void> {
  if (fence.aborted) throw letGo(io);
  const { storage } = io;
  try {
    if (value === null) await storage.removeItem(key, { fence });
    else await storage.setItem(key, value, { fence });
  } catch (cause) {
    throw new AuthError('StorageFailure', 'Could not write to storage', { cause });
  }
  // A storage that checks the fence at its commit point committed before the hold ended.
  if (!fence.aborted || storage.fencedWrites === true) {
    record(storage, key, value);
    return;
  }
  // Stopped while holding the lock (still held): undone within it, before any other context reads.
  const held = fence.reason === STOPPED;
  const undone = await (held ? undo(io, key, value, new AbortController().signal) : undoLate(io, key, value)).catch(
    () => undefined,
  );
  if (undone) told(io);
  // The undo's own read or write failed: tried again later, under a lock of its own (a failing
  // storage mostly recovers; meanwhile the late write is what every context reads).
  else if (undone === undefined) void undoLater(io, key, value, inTimeWrites(storage, key));
  // Not undone: a later write had replaced it already, or the undo failed (docs/storage.md).
  throw new AuthError('StorageFailure', `${lateWrite(io)}: ${undone ? 'undone' : 'not undone'}`);
}

/** When a failed undo is tried again: after 1 s, then 10 s. */
const UNDO_BACKOFF_MS = [1_000, 10_000];

/**
 * Tries a failed undo again. It stops once this process wrote the key in time meanwhile (`writes`
 * moved on): that write stands, even if its value is the late one's (a retried save writes the same
 * record). Nothing waits for it, and it never throws.
 */
async function undoLater(io: FenceIo, key: string, value: string | null, writes: number): Promise<void> {
  for (const wait of UNDO_BACKOFF_MS) {
    await new Promise<void>((resolve) => {
      // The timer never keeps a process alive.
      const timer: { unref?: () => void } = setTimeout(resolve, wait);
      timer.unref?.();
    });
    if (inTimeWrites(io.storage, key) !== writes) return;
    const undone = await undoLate(io, key, value).catch(() => undefined);
    if (undone) told(io);
    if (undone !== undefined) return;
  }
}

/** The `undone` hook, which must not break an undo (a sync closed by `stop()` may throw). */
function told(io: FenceIo): void {
  try {
    io.undone?.();
  } catch {
    // A hint is best effort: storage is the truth.
  }
}

function record(storage: TokenStorage, key: string, value: string | null): void {
  const byKey = lastInTime.get(storage) ?? new Map<string, { value: string | null; n: number }>();
  lastInTime.set(storage, byKey);
  byKey.set(key, { value, n: inTimeWrites(storage, key) + 1 });
}

/** Under a new lock: if `key` still holds what the late write left, puts back what was due. */
function undoLate(io: FenceIo, key: string, value: string | null): Promise<boolean> {
  return withStorageLock(io.storage, io.lockName, io.holdMs, (fence) => undo(io, key, value, fence));
}

/** Holding the lock whose fence is `fence`: if `key` still holds what the late write left, puts back what was due. */
async function undo(io: FenceIo, key: string, value: string | null, fence: AbortSignal): Promise<boolean> {
  const now = await readKey(io.storage, key);
  if (now !== value) return false; // a later, in-time write went over it: that one stands
  const due = (processOnlyLock(io.storage) ? lastInTime.get(io.storage)?.get(key)?.value : undefined) ?? null;
  if (due === now) return false; // the late write changed nothing
  // Fenced in turn: an undo that is late too is undone once more (or found replaced), then reported.
  await fencedWrite(io, key, due, fence);
  return true;
}

/** The lock `withStorageLock` takes is the in-process one: no `lock()`, no `navigator.locks`. */
function processOnlyLock(storage: TokenStorage): boolean {
  if (typeof storage.lock === 'function') return false;
  const locks = (globalThis as { navigator?: { locks?: { request?: unknown } } }).navigator?.locks;
  return !(locks && typeof locks.request === 'function');
}

const lateWrite = (io: FenceIo) => `A write outlived the storage lock '${io.lockName}' (${io.holdMs} ms)`;

function letGo(io: FenceIo): AuthError {
  return new AuthError('StorageFailure', lateWrite(io));
}
