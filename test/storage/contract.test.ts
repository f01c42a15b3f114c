/** The storage contract for every storage authchart ships (Redis runs it from test/redis/contract.test.ts). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { fileStorage } from '../../src/bindings/node.js';
import { memoryStorage, type WebStorageLike, webStorage } from '../../src/index.js';
import { describeStorageContract } from './contract.js';
import { fakeWebLocks } from './fake-web-locks.js';

/** A `localStorage` stand-in: every tab of an origin sees the same map. */
function mapStorage(map: Map<string, string>): WebStorageLike {
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => {
      map.set(key, String(value));
    },
    removeItem: (key) => {
      map.delete(key);
    },
  };
}

describeStorageContract('memoryStorage', async () => ({ storage: memoryStorage(), cleanup: async () => {} }));

// The tabs share navigator.locks, as in a browser (withStorageLock uses it for webStorage).
describeStorageContract('webStorage (two tabs on one localStorage)', async () => {
  const shared = new Map<string, string>();
  vi.stubGlobal('navigator', { locks: fakeWebLocks() });
  return {
    storage: webStorage(mapStorage(shared)),
    reopen: async () => webStorage(mapStorage(shared)),
    cleanup: async () => {
      vi.unstubAllGlobals();
    },
  };
});

describeStorageContract('fileStorage (two handles on one file = two processes)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'authchart-contract-'));
  const file = join(dir, 'tokens.json');
  return {
    storage: fileStorage(file),
    reopen: async () => fileStorage(file),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
