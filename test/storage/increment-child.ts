/**
 * A process that increments one key of a fileStorage N times, each a read-increment-write, with
 * or without `withStorageLock`. It prints `ready`, waits for a line on stdin (so two children
 * start together), then prints `done`.
 */
import { createInterface } from 'node:readline';
import { fileStorage } from '../../src/bindings/node.js';
import { withStorageLock } from '../../src/session/lock.js';

const { FILE = '', COUNT = '25', LOCKED = '1', PAUSE_MS = '10' } = process.env;
if (!FILE) throw new Error('FILE is required');
const storage = fileStorage(FILE);
const KEY = 'authchart.x.count';

async function increment(): Promise<void> {
  const n = Number((await storage.getItem(KEY)) ?? '0');
  await new Promise((resolve) => setTimeout(resolve, Number(PAUSE_MS))); // the other process gets in here without the lock
  await storage.setItem(KEY, String(n + 1));
}

process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once('line', resolve));
lines.close();
for (let i = 0; i < Number(COUNT); i++) {
  await (LOCKED === '1' ? withStorageLock(storage, 'authchart.x', 10_000, increment) : increment());
}
process.stdout.write('done\n');
