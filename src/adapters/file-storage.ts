/**
 * `authchart/node`: durable token storage for Node apps and CLIs, safe across processes.
 *
 * One JSON file holds every key. Each change takes a cross-process lock (`<file>.lock`, via
 * proper-lockfile), re-reads the file, changes one key, and writes a temp file that is synced and
 * renamed over the old one (`file-guard.ts`). A crash (even SIGKILL) leaves the old or the new
 * file, never a torn one; the next open removes the temp file a killed writer left. Nothing is
 * cached: every call reads the file, so two handles or processes never undo each other's writes.
 * The file is written with mode 0600, owned by this process: it holds tokens. Every call first
 * checks the path (`checkPath`): it trusts no symlink and no file of another user.
 *
 * `lock(name, critical)` holds that same lock for a whole read-compare-write section; the calls
 * made inside it know (through AsyncLocalStorage) that they already hold it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { lstat, mkdir, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AuthError } from '../errors.js';
import type { TokenStorage } from '../services/types.js';
import { checkPath, failure, openToRead, writeFileAtomically } from './file-guard.js';
import { acquire } from './file-lock.js';
import { parseMembers, serializeMembers } from './json-members.js';

export interface FileStorage extends TokenStorage {
  readonly path: string;
  /** Every key in the file (other apps' keys included). */
  keys(): Promise<string[]>;
  /** The file's cross-process lock, held for all of `critical` (see the method's own comment). */
  lock<T>(name: string, critical: () => Promise<T>): Promise<T>;
}

/** Options of {@link fileStorage}. */
export interface FileStorageOptions {
  /**
   * Longest wait for the lock before a call fails with `StorageFailure`. Default 8000 ms: above
   * `staleLockMs`, so a lock left by a killed process is taken over within one call, and below
   * `createAuth`'s `storageMs` (10000).
   */
  lockTimeoutMs?: number;
  /**
   * A lock whose holder has not refreshed it for this long belongs to a dead process and is
   * taken over (a holder on this host whose process is gone: at once). Default 5000 ms; at least 2000 (proper-lockfile's floor). A live holder refreshes
   * it every `staleLockMs / 2`.
   */
  staleLockMs?: number;
}

/** The file lock one `lock()` section holds. */
interface Held {
  /** The calls made inside the section, one at a time and in order. */
  queue: Promise<unknown>;
  /** The section has ended: a call it left running takes the lock the usual way. */
  done: boolean;
  /** Throws `StorageFailure` once the lock was taken over (this process stalled past `staleLockMs`). */
  assertHeld(): void;
}

/**
 * The file locks the running async context holds, by file. Shared by the handles of the process:
 * a second handle on the same file called inside a section must not wait for the first.
 */
const heldLocks = new AsyncLocalStorage<ReadonlyMap<string, Held>>();

interface Snapshot {
  members: Map<string, string>;
  /** The file exists but is not a JSON object (it counts as empty). */
  corrupt: boolean;
}

/**
 * Token storage in one JSON file, shared safely by every process and handle that uses the same path.
 *
 * Every call fails with `AuthError` `StorageFailure` (the message names the path and why, never the
 * contents), and nothing is written, when:
 * - the path, or `<path>.lock`, is a symlink (the tokens would go where it points);
 * - the path is not a regular file (a directory, a FIFO, a device);
 * - the file is owned by another uid than `process.getuid()` (its owner could read the tokens);
 * - its directory is writable by every user without the sticky bit (anyone could swap the file).
 *
 * A file of ours that others may read is tightened to 0600 when read, and every write makes a new
 * file, 0600 and ours (never chowned). Windows has no uid nor mode bits: there only symlinks
 * (junctions included) and non-regular files are refused; protect the directory with its ACL.
 *
 * @example
 * import { fileStorage } from 'authchart/node';
 * const auth = createAuth({ services, storage: fileStorage(`${os.homedir()}/.myapp/tokens.json`) });
 */
export function fileStorage(path: string, options: FileStorageOptions = {}): FileStorage {
  const file = resolve(path);
  const lockTimeoutMs = checkMs('lockTimeoutMs', options.lockTimeoutMs, 8000);
  const staleLockMs = Math.max(checkMs('staleLockMs', options.staleLockMs, 5000), 2000);
  let queue: Promise<unknown> = Promise.resolve();
  let swept = false;
  /** Identity of the corrupt file already reported, so it is reported once. */
  let reportedCorrupt: string | null = null;

  /** The section of `lock()` the calling context runs in, if any. */
  const current = (): Held | undefined => {
    const held = heldLocks.getStore()?.get(file);
    return held && !held.done ? held : undefined;
  };

  /**
   * One operation of this handle at a time, in order (the lock orders them across handles). Inside
   * a section, the section's own queue: this handle's queue may hold calls waiting for the lock.
   */
  function serial<T>(op: () => Promise<T>): Promise<T> {
    const held = current();
    const run = (held ? held.queue : queue).then(op, op);
    const tail = run.catch(() => undefined);
    if (held) held.queue = tail;
    else queue = tail;
    return run;
  }

  async function read(): Promise<Snapshot> {
    let text: string;
    let identity: string;
    await checkPath(file);
    const handle = await openToRead(file);
    if (!handle) return { members: new Map(), corrupt: false };
    try {
      const stat = await handle.stat();
      identity = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      text = await handle.readFile('utf8');
    } catch (error) {
      throw failure(`Could not read the token file ${file}`, error);
    } finally {
      await handle.close().catch(() => undefined);
    }
    const members = parseMembers(text);
    if (members) {
      reportedCorrupt = null;
      return { members, corrupt: false };
    }
    if (reportedCorrupt === identity) return { members: new Map(), corrupt: true };
    reportedCorrupt = identity;
    // The path only: the contents may hold tokens.
    throw new AuthError(
      'StorageCorrupt',
      `The token file ${file} is not a JSON object (empty, truncated or not JSON). It now counts as empty; the next write replaces it.`,
    );
  }

  /** Runs `op` holding the cross-process lock (already held inside a `lock()` section). */
  async function locked<T>(op: (assertHeld: () => void) => Promise<T>): Promise<T> {
    const held = current();
    if (!held) return hold((h) => op(h.assertHeld));
    await sweepOnce();
    // Also fails once the section ended: a call it left running no longer holds the lock.
    return op(() => {
      held.assertHeld();
      if (held.done) throw failure(`The lock on ${file} was let go before this write committed`, null);
    });
  }

  /** Takes the file lock, runs `body`, lets go; the first lock of a handle sweeps dead writers' temp files. */
  async function hold<T>(body: (held: Held) => Promise<T>): Promise<T> {
    try {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw failure(`Could not create the directory of ${file}`, error);
    }
    // Before the lock and the sweep: both would act on whatever a symlink at the path points to.
    await checkPath(file);
    let lost: unknown = null;
    const release = await acquire(file, lockTimeoutMs, staleLockMs, (error) => {
      lost = error;
    });
    const held: Held = {
      queue: Promise.resolve(),
      done: false,
      assertHeld: () => {
        if (lost)
          throw failure(`The lock on ${file} was taken over (this process stalled for over ${staleLockMs} ms)`, lost);
      },
    };
    try {
      await sweepOnce();
      return await body(held);
    } finally {
      held.done = true;
      await release().catch(() => undefined);
    }
  }

  async function sweepOnce(): Promise<void> {
    if (swept) return;
    await sweepTemps(file);
    swept = true;
  }

  async function write(members: Map<string, string>, assertHeld: () => void, fence?: AbortSignal): Promise<void> {
    // Checked again right before the rename (the commit point): the lock, and the caller's fence.
    const stillHeld = () => {
      assertHeld();
      if (fence?.aborted) throw failure(`The lock on ${file} was let go before this write committed`, fence.reason);
    };
    stillHeld();
    try {
      // Temp file beside the path, fsync, rename over the path itself (never a link's target); always 0600, ours.
      await writeFileAtomically(file, serializeMembers(members), stillHeld);
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw failure(`Could not write the token file ${file}`, error);
    }
  }

  async function readOpened(): Promise<Snapshot> {
    if (!swept) await locked(async () => undefined);
    return read();
  }

  return {
    path: file,
    // Reads take no lock: every write is an atomic rename, so a read sees a whole file.
    getItem: (key) =>
      serial(async () => {
        const raw = (await readOpened()).members.get(key);
        if (raw === undefined) return null;
        const value: unknown = JSON.parse(raw);
        return typeof value === 'string' ? value : null;
      }),
    // Checks `options.fence` right before its rename (see `write`).
    fencedWrites: true,
    setItem: (key, value, options) =>
      serial(() =>
        locked(async (assertHeld) => {
          const { members } = await read();
          members.set(key, JSON.stringify(value));
          await write(members, assertHeld, options?.fence);
        }),
      ),
    removeItem: (key, options) =>
      serial(() =>
        locked(async (assertHeld) => {
          const { members, corrupt } = await read();
          // A corrupt file is rewritten even without the key: it may still hold tokens.
          if (!members.delete(key) && !corrupt) return;
          await write(members, assertHeld, options?.fence);
        }),
      ),
    keys: () => serial(async () => [...(await readOpened()).members.keys()]),
    /**
     * Runs `critical` holding the file's cross-process lock (`<file>.lock`), refreshed every
     * `staleLockMs / 2` while held. One lock per file: `name` is ignored, so every section on the
     * file excludes every other. This handle's calls (and other handles' on the same file) made
     * inside `critical` (or in callbacks it starts, while it runs) count as the section's: they
     * run under the held lock, in order; a nested `lock()` runs at once. Calls still running after
     * the section take the lock as any call.
     * Fails with `StorageFailure` if the lock is not had within `lockTimeoutMs`, or if it was
     * taken over while held (then the section's writes after that point failed too).
     *
     * @example
     * await storage.lock('authchart.client', async () => {
     *   const n = Number((await storage.getItem('count')) ?? 0);
     *   await storage.setItem('count', String(n + 1));
     * });
     */
    lock<T>(_name: string, critical: () => Promise<T>): Promise<T> {
      if (current()) return (async () => critical())(); // already held by this context: re-entering must not wait for itself
      return hold(async (held) => {
        const store = new Map(heldLocks.getStore() ?? []);
        store.set(file, held);
        const result = await heldLocks.run(store, critical);
        held.assertHeld(); // lost while `critical` ran: its writes may have raced another process's
        return result;
      });
    },
  };
}

/**
 * Removes write-file-atomic temp files (`<file>.<uint32>`) of this file. Called holding the lock,
 * and every writer writes holding it, so any such file is a killed writer's: it may hold tokens.
 */
async function sweepTemps(file: string): Promise<void> {
  // After `checkPath`: `file` is no symlink, so its temps are beside the path itself, never beside a link's target.
  const dir = dirname(file);
  const temp = new RegExp(`^${escapeRegExp(basename(file))}\\.\\d{1,10}$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw failure(`Could not list the directory of ${file}`, error);
  }
  for (const name of names.filter((n) => temp.test(n))) {
    const path = join(dir, name);
    const stat = await lstat(path).catch(() => null);
    if (!stat?.isFile()) continue;
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw failure(`Could not remove the stale temp file ${path}`, error);
    });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function checkMs(name: keyof FileStorageOptions, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new AuthError('InvalidConfig', `fileStorage: ${name} must be a positive finite number of milliseconds`);
  }
  return value;
}
