/**
 * fileStorage's commit point (docs/storage.md, "A write that outlives its lock does not land"): a
 * write whose lock was let go while it ran does not rename its temp file over the token file,
 * whether authchart's fence aborted or the `lock()` section that made the call ended. It rejects
 * with `StorageFailure` and leaves no temp file.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/bindings/node.js';

const KEY = 'authchart.x.session';
let dir = '';
let file = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authchart-file-fence-'));
  file = join(dir, 'tokens.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fence that is still up when the write begins and is down at every later look: let go mid-write. */
function fenceLetGoMidWrite(): AbortSignal {
  let looks = 0;
  const signal = {
    get aborted() {
      looks++;
      return looks > 1;
    },
    reason: new Error('let go'),
  };
  return signal as unknown as AbortSignal;
}

describe('fileStorage checks the lock at its commit point', () => {
  it('declares fencedWrites', () => {
    expect(fileStorage(file).fencedWrites).toBe(true);
  });

  it('a setItem whose fence aborts while it runs does not rename: the old value stays', async () => {
    const storage = fileStorage(file);
    await storage.setItem(KEY, 'bob');
    const fence = fenceLetGoMidWrite();
    await expect(storage.setItem(KEY, 'alice', { fence })).rejects.toMatchObject({ code: 'StorageFailure' });
    expect(await storage.getItem(KEY)).toBe('bob');
    expect(await readdir(dir)).toEqual(['tokens.json']);
  });

  it('a removeItem whose fence aborts while it runs does not rename: the key stays', async () => {
    const storage = fileStorage(file);
    await storage.setItem(KEY, 'bob');
    await expect(storage.removeItem(KEY, { fence: fenceLetGoMidWrite() })).rejects.toMatchObject({
      code: 'StorageFailure',
    });
    expect(await storage.getItem(KEY)).toBe('bob');
  });

  it('a write a lock() section left running when it ended does not land after the lock is let go', async () => {
    const storage = fileStorage(file);
    await storage.setItem(KEY, 'bob');
    let late: Promise<void> | undefined;
    await storage.lock('x', async () => {
      // Started inside the section, not awaited: it is mid-write when the section ends.
      late = Promise.resolve(storage.setItem(KEY, 'alice'));
      late.catch(() => undefined);
      await Promise.resolve();
    });
    await expect(late).rejects.toMatchObject({ code: 'StorageFailure' });
    expect(JSON.parse(await readFile(file, 'utf8'))[KEY]).toBe('bob');
  });
});
