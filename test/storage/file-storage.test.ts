/**
 * fileStorage beyond the contract (docs/storage.md, "How `fileStorage` works"): dead writers' temp
 * files, corrupt files and other apps' values, mode 0600, and the cross-process lock. No stale cache,
 * no lost or resurrected write: that is the contract's cross-handle part, run in contract.test.ts.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/bindings/node.js';
import { AuthError } from '../../src/index.js';

const TOKEN = 'eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.refresh1part.iv1.cipher1text.tag1';
const KEY = 'authchart.client123.alice.refreshToken';

let dir = '';
let file = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authchart-file-'));
  file = join(dir, 'tokens.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: unknown): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected a rejection');
}

describe('temp files of a dead writer', () => {
  it('are removed when the file is opened; nothing else is', async () => {
    await writeFile(file, JSON.stringify({ [KEY]: 'current' }));
    const temps = ['tokens.json.123456789', 'tokens.json.4294967295', 'tokens.json.7'];
    const kept = ['tokens.json.bak', 'tokens.json.12x', 'tokens.json.', 'other.json.123456', 'tokens.json.123.json'];
    for (const name of [...temps, ...kept]) await writeFile(join(dir, name), JSON.stringify({ [KEY]: TOKEN }));
    await mkdir(join(dir, 'tokens.json.55')); // a directory with a temp's name is not one of ours
    await symlink(join(dir, 'other.json.123456'), join(dir, 'tokens.json.66'));

    expect(await fileStorage(file).getItem(KEY)).toBe('current');
    expect((await readdir(dir)).sort()).toEqual(['tokens.json', 'tokens.json.55', 'tokens.json.66', ...kept].sort());
  });

  it('are removed by the first write too', async () => {
    await writeFile(join(dir, 'tokens.json.3141592653'), JSON.stringify({ [KEY]: TOKEN }));
    await fileStorage(file).setItem('otherapp.x', '1');
    expect(await readdir(dir)).toEqual(['tokens.json']);
  });
});

describe('a corrupt file', () => {
  const CORRUPT = {
    empty: '',
    truncated: JSON.stringify({ 'otherapp.x': '1', [KEY]: TOKEN }).slice(0, 60),
    'not JSON': `refresh=${TOKEN}`,
    'a JSON array': JSON.stringify([TOKEN]),
    'JSON null': 'null',
  };

  it.each(Object.entries(CORRUPT))(
    '%s: reported once as StorageCorrupt (path, no contents), then empty',
    async (_, text) => {
      await writeFile(file, text);
      const storage = fileStorage(file);
      const error = await rejection(storage.getItem(KEY));
      expect(error.code).toBe('StorageCorrupt');
      expect(error.message).toContain(file);
      expect(error.message).not.toContain('refresh1part');
      expect(await storage.getItem(KEY)).toBeNull();
      expect(await storage.getItem(KEY)).toBeNull();
      await storage.setItem('authchart.client123.lastAuthUser', 'bob');
      // The next write replaced the file: the tokens it held are gone.
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ 'authchart.client123.lastAuthUser': 'bob' });
    },
  );

  it('a write that meets it first reports it and changes nothing; the next write replaces the file', async () => {
    await writeFile(file, CORRUPT.truncated);
    const storage = fileStorage(file);
    expect((await rejection(storage.setItem(KEY, 'new'))).code).toBe('StorageCorrupt');
    expect(await readFile(file, 'utf8')).toBe(CORRUPT.truncated);
    await storage.setItem(KEY, 'new');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ [KEY]: 'new' });
  });

  it('sign-out recovers: a removal, even of a key it does not show, replaces it with an empty file', async () => {
    await writeFile(file, CORRUPT.truncated);
    const storage = fileStorage(file);
    expect((await rejection(storage.removeItem(KEY))).code).toBe('StorageCorrupt');
    await storage.removeItem(KEY);
    expect(await readFile(file, 'utf8')).toBe('{}');
  });

  it('a new corruption after a good read is reported again; each handle reports it once', async () => {
    const a = fileStorage(file);
    await a.setItem(KEY, 'v');
    await writeFile(file, '{"half":');
    expect((await rejection(a.getItem(KEY))).code).toBe('StorageCorrupt');
    expect(await a.getItem(KEY)).toBeNull();
    expect((await rejection(fileStorage(file).getItem(KEY))).code).toBe('StorageCorrupt');
    await a.setItem(KEY, 'w');
    expect(await a.getItem(KEY)).toBe('w');
    await writeFile(file, 'garbage');
    expect((await rejection(a.getItem(KEY))).code).toBe('StorageCorrupt');
  });
});

describe("other apps' values", () => {
  it('are kept byte for byte on rewrite, non-string values included', async () => {
    const foreign =
      '"otherapp.config": {"n": 12345678901234567890, "f": 1.0, "list": [1, "a", null, true]}, "flag": true, "n": -0, "big": 1E+400';
    await writeFile(file, `{ ${foreign}, "${KEY}": "old" }`);
    const storage = fileStorage(file);
    expect(await storage.getItem('flag')).toBeNull(); // not a string: not ours to read
    await storage.setItem(KEY, 'new');
    await storage.removeItem(KEY);
    await storage.setItem('authchart.client123.lastAuthUser', 'bob');
    expect(await readFile(file, 'utf8')).toBe(
      '{"otherapp.config":{"n": 12345678901234567890, "f": 1.0, "list": [1, "a", null, true]},"flag":true,"n":-0,"big":1E+400,' +
        '"authchart.client123.lastAuthUser":"bob"}',
    );
  });
});

describe('file mode', () => {
  it('a new file is 0600, and an existing 0644 file becomes 0600 at the next write', async () => {
    const storage = fileStorage(join(dir, 'nested', 'deeper', 'tokens.json'));
    await storage.setItem(KEY, 'v');
    expect((await stat(storage.path)).mode & 0o777).toBe(0o600);
    await writeFile(file, '{}');
    await chmod(file, 0o644);
    await fileStorage(file).setItem(KEY, 'v');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});

describe('the cross-process lock', () => {
  it("a dead process's stale lock is taken over", async () => {
    await mkdir(`${file}.lock`);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old);
    const started = Date.now();
    await fileStorage(file, { lockTimeoutMs: 3000 }).setItem(KEY, 'v');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await readdir(dir)).toEqual(['tokens.json']);
  });

  it('a live lock not released within lockTimeoutMs fails with StorageFailure naming the lock; nothing is written', async () => {
    await mkdir(`${file}.lock`);
    const keepFresh = setInterval(() => {
      const now = new Date();
      utimes(`${file}.lock`, now, now).catch(() => undefined);
    }, 100);
    try {
      const started = Date.now();
      const error = await rejection(fileStorage(file, { lockTimeoutMs: 400, staleLockMs: 2000 }).setItem(KEY, TOKEN));
      const waited = Date.now() - started;
      expect(error.code).toBe('StorageFailure');
      expect(error.message).toContain(`${file}.lock`);
      expect(error.message).toContain('400 ms');
      expect(waited).toBeGreaterThanOrEqual(390);
      expect(waited).toBeLessThan(1500);
      await expect(stat(file)).rejects.toThrow(/ENOENT/);
    } finally {
      clearInterval(keepFresh);
    }
  });

  it('the lock is released after each call, also after a failed one', async () => {
    await writeFile(file, 'garbage');
    const storage = fileStorage(file);
    await rejection(storage.setItem(KEY, 'v'));
    expect(await readdir(dir)).toEqual(['tokens.json']);
    await storage.setItem(KEY, 'v');
    expect(await readdir(dir)).toEqual(['tokens.json']);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects lockTimeoutMs/staleLockMs %s as InvalidConfig',
    (ms) => {
      expect(() => fileStorage(file, { lockTimeoutMs: ms })).toThrow(
        expect.objectContaining({ code: 'InvalidConfig' }),
      );
      expect(() => fileStorage(file, { staleLockMs: ms })).toThrow(expect.objectContaining({ code: 'InvalidConfig' }));
    },
  );
});
