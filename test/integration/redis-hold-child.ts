/**
 * Child of redis-hold-timing.test.ts: takes `HOLD_NAME` on `HOLD_URL` with prefix `HOLD_PREFIX`
 * (holdMs `HOLD_MS`), prints `inside <lock value>` inside the section and then hangs there until
 * SIGKILLed (HOLD_MODE=write-loop: writes every 50 ms meanwhile, printing `write landed|refused`).
 */
import { createClient } from 'redis';
import { redisStorage } from '../../src/bindings/redis.js';

const client = createClient({ url: process.env['HOLD_URL'] ?? 'redis://127.0.0.1:6379', disableOfflineQueue: true });
client.on('error', () => {});
await client.connect();
const prefix = process.env['HOLD_PREFIX'] ?? 'k:';
const name = process.env['HOLD_NAME'] ?? 'x';
const storage = redisStorage(client, { prefix, lockTtlMs: Number(process.env['HOLD_TTL'] ?? 5000) });
// The section's fence, as authchart gives it: never aborted here (only Redis's check can refuse a write).
const fence = new AbortController().signal;
await storage.lock?.(
  name,
  async () => {
    await storage.setItem('session', 'child', { fence });
    console.log(`inside ${String(await client.get(`${prefix}lock:${name}`))}`);
    // HOLD_MODE=write-loop: keeps writing (its fence never aborts: only Redis's check can refuse) and says how each went.
    for (let i = 0; process.env['HOLD_MODE'] === 'write-loop'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const outcome = await Promise.resolve(storage.setItem('session', `late-${i}`, { fence })).then(
        () => 'landed',
        () => 'refused',
      );
      console.log(`write ${outcome}`);
    }
    await new Promise(() => {});
  },
  { holdMs: Number(process.env['HOLD_MS'] ?? 60_000), fence },
);
