/**
 * What `fileStorage` checks before it trusts its path, and the one way it writes (docs/storage.md,
 * "What `fileStorage` refuses"). The token file may sit where someone else can put things: a symlink
 * there would have the tokens written wherever it points, and a file another user made would stay
 * theirs (and readable by them) after we write it.
 *
 * Every refusal is `StorageFailure` naming the path and the reason, never the contents.
 *
 * POSIX checks the owner (against `process.getuid()`) and the mode bits. Windows has neither uid
 * nor meaningful mode bits (access is the directory's ACL, which is not checked): there only
 * symlinks (and junctions, which `lstat` reports as symlinks) and non-regular files are refused.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsPromises, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuthError } from '../errors.js';

const posix = process.platform !== 'win32';
/** 0 where Node has no such flag (Windows): the `lstat` checks stand alone there. */
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** A FIFO swapped in after the checks must not block the open (it is then refused as not a file). */
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * Refuses a path that is not safe to keep tokens at: a directory every user may write without the
 * sticky bit (anyone could swap the file between our check and our write), a symlink or
 * non-regular file at the path or at `<file>.lock`, a file owned by another user. A missing file
 * is fine: it will be created, ours and 0600.
 */
export async function checkPath(file: string): Promise<void> {
  await checkDirectory(dirname(file));
  const lock = `${file}.lock`;
  const lockStat = await lstatOrNull(lock);
  if (lockStat?.isSymbolicLink()) throw refused(lock, 'is a symlink', 'the lock would be taken where it points');
  const fileStat = await lstatOrNull(file);
  if (fileStat) checkFile(file, fileStat);
}

/**
 * Opens the token file to read, or `null` if there is none. `O_NOFOLLOW` refuses a symlink put
 * there after `checkPath`, and the checks run again on the opened file itself (`fstat`), so what is
 * read is what was checked. A file of ours that others may read is tightened to 0600 here: it holds
 * tokens now, not at the next write.
 */
export async function openToRead(file: string): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // ELOOP on Linux and macOS, EMLINK on FreeBSD: the path became a symlink after the checks.
    if (O_NOFOLLOW && (code === 'ELOOP' || code === 'EMLINK')) throw symlinkRefused(file);
    throw failure(`Could not read the token file ${file}`, error);
  }
  try {
    const stats = await handle.stat();
    checkFile(file, stats);
    // Best effort (a read-only mount cannot): the next write makes a new 0600 file anyway.
    if (posix && (stats.mode & 0o077) !== 0) await handle.chmod(0o600).catch(() => undefined);
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error instanceof AuthError ? error : failure(`Could not read the token file ${file}`, error);
  }
}

/**
 * Writes `data` to `file` atomically: a new temp file `<file>.<uint32>` beside it (created with
 * `O_EXCL | O_NOFOLLOW`, so nothing already there, link or file, is opened), mode 0600, synced,
 * then renamed over `file`. The temp file is created by this process, so it is ours: nothing is
 * chowned to anyone.
 *
 * Why not write-file-atomic: it resolves `realpath(file)` and renames over the link's target, so a
 * symlink at the path is followed (and with no `chown` option it gives the file back to the old
 * file's owner). `rename(2)` over the path itself replaces a symlink there instead of following it:
 * a link that appears after `checkPath` cannot redirect the write. A crash leaves the temp file,
 * which fileStorage's sweep removes (same name pattern as write-file-atomic's).
 */
export async function writeFileAtomically(file: string, data: string, beforeRename?: () => void): Promise<void> {
  const temp = `${file}.${randomBytes(4).readUInt32BE(0)}`;
  let handle: FileHandle | null = null;
  try {
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600);
    if (posix) await handle.chmod(0o600); // the umask may have taken bits the open asked for; never adds any
    await handle.writeFile(data, 'utf8');
    await handle.sync();
    await handle.close();
    handle = null;
    // The commit point: a writer whose lock was let go meanwhile throws here, and nothing lands.
    beforeRename?.();
    // Looked up at the call, so the crash tests can stop a process right here (test/crash/cycle-child.ts).
    await fsPromises.rename(temp, file);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

async function checkDirectory(dir: string): Promise<void> {
  // Every directory up to the root: anyone who may rename a directory on the way can put an old
  // token file back (a replayed session), not only the token file's own directory's writers.
  for (let at = dir; ; at = dirname(at)) {
    // `stat`, not `lstat`: a symlinked directory on the way (macOS /var, a moved home) is normal.
    const stats = await stat(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null; // created next, 0700
      throw failure(`Could not check the directory ${at}`, error);
    });
    if (!posix) return;
    if (stats && (stats.mode & 0o002) !== 0 && (stats.mode & 0o1000) === 0) {
      throw refused(at, 'is writable by every user and has no sticky bit', 'another user could swap the token file');
    }
    if (dirname(at) === at) return;
  }
}

function checkFile(file: string, stats: Stats): void {
  if (stats.isSymbolicLink()) throw symlinkRefused(file);
  if (!stats.isFile()) throw refused(file, 'is not a regular file', 'it cannot hold the tokens');
  // Our writes always make a new file with one name: a second name is someone's link to it (or
  // ours to another file), and reading or tightening through it touches that other file.
  if (posix && stats.nlink > 1) throw refused(file, `has ${stats.nlink} hard links`, 'it is another file too');
  const uid = posix ? process.getuid?.() : undefined;
  if (uid !== undefined && stats.uid !== uid) {
    throw refused(
      file,
      `is owned by uid ${stats.uid}, not by this process (uid ${uid})`,
      'its owner could read the tokens',
    );
  }
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw failure(`Could not check ${path}`, error);
  }
}

function symlinkRefused(file: string): AuthError {
  return refused(file, 'is a symlink', 'tokens would be written where it points');
}

function refused(path: string, why: string, risk: string): AuthError {
  return new AuthError('StorageFailure', `${path} ${why}: fileStorage refuses it (${risk})`);
}

/** A failing file system call as `StorageFailure`, with its errno code (the path, never contents). */
export function failure(message: string, cause: unknown): AuthError {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  return new AuthError('StorageFailure', code ? `${message} (${code})` : message, { cause });
}
