/**
 * A process that takes a storage's lock, prints `locked`, and holds it until it is killed: what a
 * crash in a critical section leaves behind. `KIND=file` (FILE) or `KIND=redis` (REDIS_URL, PREFIX).
 */
import { createClient } from 'redis';
import { fileStorage } from '../../src/bindings/node.js';
import { redisStorage } from '../../src/bindings/redis.js';

const { KIND = 'file', FILE = '', REDIS_URL = '', PREFIX = '', STALE_MS = '60000' } = process.env;

async function storage() {
  if (KIND === 'file') return fileStorage(FILE, { staleLockMs: Number(STALE_MS) });
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  return redisStorage(client, { prefix: PREFIX, lockTtlMs: Number(STALE_MS) });
}

const s = await storage();
await s.lock?.('authchart.x', async () => {
  await s.setItem('authchart.x.holder', String(process.pid));
  process.stdout.write('locked\n');
  // Held until SIGKILL: a timer keeps the process alive (the lock's own timers do not).
  await new Promise(() => setInterval(() => {}, 60_000));
});
