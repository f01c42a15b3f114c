/**
 * `authchart/node`: durable token storage for Node apps and CLIs.
 *
 * One JSON file holds every key. Each change writes a temp file, syncs it, and renames it over the
 * old one, so a crash (even SIGKILL) leaves either the old or the new file, never a torn one.
 * The file is created with mode 0600: it holds tokens.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { TokenStorage } from '../services/types.js';

export interface FileStorage extends TokenStorage {
  readonly path: string;
  /** Every key in the file. */
  keys(): Promise<string[]>;
}

export function fileStorage(path: string): FileStorage {
  let data: Map<string, string> | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<Map<string, string>> {
    if (data) return data;
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      data = new Map(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      data = new Map();
    }
    return data;
  }

  async function persist(map: Map<string, string>): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    // write-file-atomic: temp file in the same directory, fsync, rename over the old file.
    await writeFileAtomic(path, JSON.stringify(Object.fromEntries(map)), { mode: 0o600, fsync: true });
  }

  /** One operation at a time, in order. */
  function serial<T>(op: () => Promise<T>): Promise<T> {
    const run = queue.then(op, op);
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    path,
    getItem: (key) => serial(async () => (await load()).get(key) ?? null),
    setItem: (key, value) =>
      serial(async () => {
        const map = new Map(await load());
        map.set(key, value);
        await persist(map);
        data = map;
      }),
    removeItem: (key) =>
      serial(async () => {
        const current = await load();
        if (!current.has(key)) return;
        const map = new Map(current);
        map.delete(key);
        await persist(map);
        data = map;
      }),
    keys: () => serial(async () => [...(await load()).keys()]),
  };
}
