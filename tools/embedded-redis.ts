/**
 * An embedded Redis for tests, the BFF demo and the bench: Debian's `redis-server` on 127.0.0.1,
 * on a free port, in a fresh temp directory, with persistence off (`--save '' --appendonly no`).
 * redis-server has no `--port 0`, so a free port is found first (and the start retried if another
 * process takes it in between).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface EmbeddedRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  dir: string;
  /** Simulates an outage: SAVE (so the data survives), then SIGKILL. */
  down(): Promise<void>;
  /** Starts it again on the same port and directory (the saved data is loaded). */
  up(): Promise<void>;
  /** Kills it and removes the directory. */
  stop(): Promise<void>;
}

/**
 * The path of `redis-server` (`AUTHCHART_REDIS_SERVER`, else PATH, then /usr/bin and /usr/sbin), or
 * `null` when it is not installed. `AUTHCHART_REDIS_SERVER=none` pretends it is absent (to check the skip).
 *
 * @example
 * if (!findRedisServer()) console.warn('install redis-server');
 */
export function findRedisServer(): string | null {
  const forced = process.env['AUTHCHART_REDIS_SERVER'];
  if (forced) return forced === 'none' ? null : forced;
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

let warned = false;
/**
 * `true` when redis-server is installed; otherwise prints ONE line per test run (vitest runs each
 * file in a worker process: a marker file named for the parent process keeps the others quiet)
 * saying the Redis tests are skipped, and answers `false`. For `describe.skipIf(!hasRedis('…'))`.
 *
 * @example
 * describe.skipIf(!hasRedis('redisStorage'))('redisStorage', () => { … });
 */
export function hasRedis(what: string): boolean {
  if (findRedisServer()) return true;
  if (warned) return false;
  warned = true;
  const marker = join(tmpdir(), `authchart-no-redis-${process.env['VITEST'] ? process.ppid : process.pid}`);
  try {
    writeFileSync(marker, '', { flag: 'wx' });
  } catch {
    return false; // another file of this run already said it
  }
  console.warn(`redis-server not found (apt-get install redis-server): skipping the Redis tests (${what}, …)`);
  return false;
}

/**
 * A port that was free a moment ago on 127.0.0.1.
 *
 * @example
 * const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Sends one inline command over a raw socket; resolves with the first reply line.
 *
 * @example
 * await rawCommand(port, 'PING'); // '+PONG'
 */
export function rawCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on ${port}: no answer to ${command}`));
    }, timeoutMs);
    let data = '';
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const end = data.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.end();
        resolve(data.slice(0, end));
      }
    });
    socket.write(`${command}\r\n`);
  });
}

function spawnServer(bin: string, port: number, dir: string): { child: ChildProcess; output: () => string } {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  const child = spawn(bin, [...args, '--daemonize', 'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  return { child, output: () => output };
}

async function waitForPing(port: number, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}); it printed:\n${output()}`);
    }
    if ((await rawCommand(port, 'PING', 300).catch(() => '')) === '+PONG') return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer PING; it printed:\n${output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function kill(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * Starts redis-server; ready once PING answers.
 *
 * @example
 * const redis = await startEmbeddedRedis();
 * try { const client = await createClient({ url: redis.url }).connect(); … } finally { await redis.stop(); }
 */
export async function startEmbeddedRedis(opts: { startTimeoutMs?: number } = {}): Promise<EmbeddedRedis> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const dir = await mkdtemp(join(tmpdir(), 'authchart-redis-'));
  let child: ChildProcess | null = null;
  let port = 0;
  const start = async () => {
    const s = spawnServer(bin, port, dir);
    child = s.child;
    await waitForPing(port, s.child, s.output, opts.startTimeoutMs ?? 10_000);
  };
  try {
    // The free port may be taken between the probe and the start: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        await kill(child, 'SIGKILL');
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async down() {
      await rawCommand(port, 'SAVE', 5000);
      await kill(child, 'SIGKILL');
    },
    up: start,
    async stop() {
      await kill(child, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
