/**
 * fileStorage's cross-process lock: `<file>.lock`, a directory made with `mkdir` (proper-lockfile).
 * The holder writes `<file>.lock/owner` (host, pid, a random token) once it has the lock. A lock
 * whose owner ran on this host and whose process is gone (a crash, SIGKILL) is taken over at once;
 * any other lock only once proper-lockfile finds it stale (not refreshed for `staleMs`).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { AuthError } from '../errors.js';
import { failure } from './file-guard.js';
import { holderGone, thisHost } from './lock-owner.js';

interface Owner {
  host: string;
  pid: number;
  token: string;
}

/**
 * proper-lockfile removes a lock with `rmdir`, which fails on a directory that holds the owner
 * file: its release and its stale takeover remove the whole directory instead.
 */
const lockFs = {
  ...fs,
  rmdir: (path: string, callback: (error: NodeJS.ErrnoException | null) => void) =>
    fs.rm(path, { recursive: true, force: true }, callback),
  rmdirSync: (path: string) => fs.rmSync(path, { recursive: true, force: true }),
};

/** Takes `<file>.lock`, retrying with jitter until `timeoutMs`; a dead owner's lock is taken over at once. */
export async function acquire(
  file: string,
  timeoutMs: number,
  staleMs: number,
  onCompromised: (error: Error) => void,
): Promise<() => Promise<void>> {
  const dir = `${file}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const release = await lockfile.lock(file, {
        realpath: false,
        lockfilePath: dir,
        stale: staleMs,
        update: staleMs / 2, // a live holder's lock never looks stale
        retries: 0,
        onCompromised,
        fs: lockFs,
      });
      await recordOwner(dir);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw failure(`Could not lock ${file}`, error);
      if (await takeOverFromDeadOwner(dir)) continue;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new AuthError(
          'StorageFailure',
          `Could not lock the token file ${file} within ${timeoutMs} ms: another process holds ${file}.lock. ` +
            `If its process is gone, the lock is taken over at once on the same host, else once it is ${staleMs} ms old.`,
          { cause: error },
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(left, 5 + Math.random() * 25)));
    }
  }
}

/**
 * Writes the owner file. Until it lands, the lock names no owner and is judged by staleness alone.
 * Adding a file changes the directory's mtime, which proper-lockfile reads as its lock being taken
 * over: the mtime it set is put back.
 */
async function recordOwner(dir: string): Promise<void> {
  const owner: Owner = { host: thisHost(), pid: process.pid, token: randomUUID() };
  try {
    const { mtime } = await stat(dir);
    await writeFile(`${dir}/owner`, JSON.stringify(owner), { mode: 0o600, flag: 'wx' });
    await utimes(dir, mtime, mtime);
  } catch {
    // No owner recorded: a crash of this holder is recovered by staleness, as before.
  }
}

async function readOwner(dir: string): Promise<Owner | null> {
  try {
    const owner = JSON.parse(await readFile(`${dir}/owner`, 'utf8')) as Partial<Owner>;
    if (typeof owner.host !== 'string' || typeof owner.pid !== 'number' || typeof owner.token !== 'string') return null;
    return { host: owner.host, pid: owner.pid, token: owner.token };
  } catch {
    return null; // no owner yet (just taken), or not ours to judge: staleness decides
  }
}

/**
 * Removes the lock if its owner is a process of this host that is gone; true if the caller should
 * try again at once. The lock is first renamed aside (atomic), and removed only if the renamed one
 * is still the dead owner's: two processes that both found the owner dead never remove a lock one
 * of them has just taken. Should one move a live lock aside in that instant, it is moved back;
 * if that fails, its holder finds it lost and fails its write (as after a stale takeover).
 */
async function takeOverFromDeadOwner(dir: string): Promise<boolean> {
  const owner = await readOwner(dir);
  if (!owner || !holderGone(owner.host, owner.pid)) return false;
  const aside = `${dir}.gone-${randomUUID()}`;
  try {
    await rename(dir, aside);
  } catch {
    return true; // already gone (another process took it over): try again
  }
  const moved = await readOwner(aside);
  if (moved?.token !== owner.token) await rename(aside, dir).catch(() => undefined);
  await rm(aside, { recursive: true, force: true }).catch(() => undefined);
  return true;
}
