/** One embedded redis-server per test file, and clients to it that are closed with it. */
import { createClient } from 'redis';
import { afterAll, beforeAll } from 'vitest';
import { redisStorage } from '../../src/bindings/redis.js';
import { createAuth, type TokenStorage } from '../../src/index.js';
import { type EmbeddedRedis, startEmbeddedRedis } from '../../tools/embedded-redis.js';
import { fakeServices } from '../helpers/fakes.js';
import { makeTokens } from '../helpers/tokens.js';

export type Client = ReturnType<typeof createClient>;

/**
 * Call inside a `describe`: starts redis-server before its tests and stops it after. `connect()`
 * opens one client (one simulated process) that fails fast when Redis is down.
 */
export function useEmbeddedRedis() {
  let redis: EmbeddedRedis | undefined;
  const clients: Client[] = [];
  beforeAll(async () => {
    redis = await startEmbeddedRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await redis?.stop();
  });
  const server = (): EmbeddedRedis => {
    if (!redis) throw new Error('redis-server is not started yet');
    return redis;
  };
  return {
    server,
    /** Closes this client with the server (e.g. a `duplicate()` made by the test). */
    track(c: Client): Client {
      clients.push(c);
      return c;
    },
    async connect(): Promise<Client> {
      const c = createClient({ url: server().url, disableOfflineQueue: true });
      c.on('error', () => {});
      clients.push(c);
      await c.connect();
      return c;
    },
  };
}

/** An instance over `redisStorage(client, { prefix })` with fake services (the hostile Redis tests' set-up). */
export function redisAuth(client: Client, prefix: string, opts: { storageMs?: number; user?: string } = {}) {
  const tokens = makeTokens({ username: opts.user ?? 'alice@example.com' });
  const services = fakeServices(tokens);
  const auth = createAuth({
    services,
    storage: redisStorage(client, { prefix }),
    sync: null,
    timeouts: { storageMs: opts.storageMs ?? 500 },
  });
  return { auth, services, tokens };
}

/** How `p` settled, and how long it took (ms). */
export async function timed<T>(p: Promise<T>) {
  const t0 = performance.now();
  const r = await p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return { ...r, ms: performance.now() - t0 };
}

/**
 * `s.lock` as authchart calls it (`withStorageLock`): each section gets a fence, passed to `critical`
 * (to give to its writes) and, with `holdMs`, to `lock`; it aborts when `critical` settles (authchart
 * lets go then). Without `holdMs`, `lock` gets no section: its writes are plain, fence or not.
 */
export function lockOf(s: TokenStorage) {
  const { lock } = s;
  if (!lock) throw new Error('this storage has no lock');
  return <T>(name: string, critical: (fence: AbortSignal) => Promise<T>, holdMs?: number): Promise<T> => {
    const fence = new AbortController();
    const run = () => critical(fence.signal).finally(() => fence.abort(new Error('let go')));
    return lock(name, run, holdMs === undefined ? undefined : { holdMs, fence: fence.signal });
  };
}

/** Every message, stack and JSON form along an error's `cause` chain (to look for a secret in all of them). */
export function errorChainText(e: unknown): string {
  const parts: string[] = [];
  let x: unknown = e;
  for (let i = 0; x && i < 10; i++) {
    parts.push(String((x as Error).message), String((x as Error).stack), JSON.stringify(x) ?? '');
    x = (x as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}
