/**
 * fileStorage's `lock(name, critical)` beyond the contract: real processes, the refresh of a held
 * lock, a lock taken over while held, the wait bound, and calls made inside the section.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/bindings/node.js';
import { AuthError } from '../../src/index.js';
import { sleep } from '../helpers/async.js';
import { kill, startHolder } from './holder.js';

const CHILD = join(import.meta.dirname, 'increment-child.ts');
const KEY = 'authchart.x.count';

let dir = '';
let file = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authchart-file-lock-'));
  file = join(dir, 'tokens.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

/** Starts a child under tsx and resolves once it printed `ready`. */
function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; exited: Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<string>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes('ready\n')) resolve({ child, exited });
    });
    exited.catch(reject);
  });
}

/** Two processes each doing 25 read-increment-writes of one key at the same moment; the final count. */
async function twoProcesses(locked: boolean): Promise<number> {
  const env = { FILE: file, COUNT: '25', LOCKED: locked ? '1' : '0' };
  const children = await Promise.all([startChild(env), startChild(env)]);
  for (const { child } of children) child.stdin?.end('go\n');
  await Promise.all(children.map((c) => c.exited));
  return Number(await fileStorage(file).getItem(KEY));
}

describe('fileStorage.lock across processes', () => {
  it('two processes, 25 locked increments each, end at 50; without the lock they lose updates', async () => {
    const unlocked = await twoProcesses(false);
    console.info(`two processes x 25 increments: ${unlocked} without the lock`);
    expect(unlocked).toBeLessThan(50);
    await rm(file);
    expect(await twoProcesses(true)).toBe(50);
    expect(await readdir(dir)).toEqual(['tokens.json']); // no lock or temp file left
  }, 60_000);
});

describe('fileStorage.lock in one process', () => {
  it('is refreshed while held: a section longer than staleLockMs is not taken over', async () => {
    const a = fileStorage(file, { staleLockMs: 2000 });
    const b = fileStorage(file, { staleLockMs: 2000, lockTimeoutMs: 6000 });
    let sectionEnded = 0;
    const section = a.lock('authchart.x', async () => {
      await a.setItem(KEY, 'a');
      await sleep(3200);
      await a.setItem(KEY, 'a-after');
      sectionEnded = Date.now();
    });
    await sleep(100);
    const write = Promise.resolve(b.setItem(KEY, 'b')).then(() => Date.now());
    await section;
    const wroteAt = await write;
    expect(wroteAt).toBeGreaterThanOrEqual(sectionEnded);
    expect(await b.getItem(KEY)).toBe('b');
  }, 15_000);

  it('a lock taken over while held fails the section and its later writes with StorageFailure', async () => {
    const a = fileStorage(file, { staleLockMs: 2000 });
    let writeError: AuthError | null = null;
    const section = a.lock('authchart.x', async () => {
      await a.setItem(KEY, 'before');
      await rm(`${file}.lock`, { recursive: true }); // what a process that judged it stale does
      await sleep(1500); // the next refresh (every 1000 ms) finds it gone
      writeError = await rejection(Promise.resolve(a.setItem(KEY, 'after')));
      return 'done';
    });
    const error = await rejection(section);
    expect(error.code).toBe('StorageFailure');
    expect(error.message).toMatch(/taken over/);
    expect((writeError as AuthError | null)?.code).toBe('StorageFailure');
    expect(await a.getItem(KEY)).toBe('before');
  }, 10_000);

  it('waiting longer than lockTimeoutMs fails with StorageFailure naming the lock file and the bound', async () => {
    const a = fileStorage(file);
    const b = fileStorage(file, { lockTimeoutMs: 300 });
    const section = a.lock('authchart.x', () => sleep(1200));
    await sleep(50);
    const started = Date.now();
    let ran = false;
    const error = await rejection(
      b.lock('authchart.x', async () => {
        ran = true;
      }),
    );
    const waited = Date.now() - started;
    await section;
    expect(error.code).toBe('StorageFailure');
    expect(error.message).toContain(`${file}.lock`);
    expect(error.message).toContain('300 ms');
    expect(ran).toBe(false);
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(1000);
  });

  it("inside the section: another handle on the file, a nested lock, and the handle's own waiting calls", async () => {
    const a = fileStorage(file);
    const other = fileStorage(file);
    let entered: () => void = () => {};
    const inSection = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const started = Date.now();
    const section = a.lock('authchart.x', async () => {
      entered();
      await sleep(50);
      // The outside call below waits for the lock in this handle's queue: these must not queue behind it.
      await a.setItem(KEY, 'inside');
      await other.setItem(`${KEY}.other`, 'o');
      return a.lock('nested', async () => `${await a.getItem(KEY)}+${await other.getItem(`${KEY}.other`)}`);
    });
    await inSection;
    const outside = a.setItem(KEY, 'outside'); // called from outside the section
    const answer = await section;
    expect(answer).toBe('inside+o');
    expect(Date.now() - started).toBeLessThan(2000);
    await outside;
    expect(await a.getItem(KEY)).toBe('outside'); // it ran after the section
  });

  it('a call the section left running takes the lock after the section, as any call', async () => {
    const a = fileStorage(file);
    let late: Promise<void> | undefined;
    await a.lock('authchart.x', async () => {
      late = sleep(100).then(() => a.setItem(KEY, 'late')); // born in the section, runs after it
    });
    const b = fileStorage(file);
    await b.lock('authchart.x', async () => {
      await sleep(300); // the late call comes at 100 ms: it must wait for this section
      await b.setItem(KEY, 'b');
    });
    await late;
    expect(await b.getItem(KEY)).toBe('late');
    expect(await readdir(dir)).toEqual(['tokens.json']);
  });
});

describe('fileStorage.lock after a crash (docs/storage.md, dead processes)', () => {
  it('a lock whose holder was SIGKILLed on this host is taken over at once, long before staleLockMs', async () => {
    const holder = await startHolder({ KIND: 'file', FILE: file, STALE_MS: '60000' });
    await kill(holder);
    // 60 s staleness, 3 s wait: only the dead-owner check can take the lock in time.
    const restarted = fileStorage(file, { staleLockMs: 60_000, lockTimeoutMs: 3000 });
    expect(await restarted.lock('authchart.x', async () => 'mine')).toBe('mine');
    await restarted.setItem(KEY, 'after the crash');
    expect(await restarted.getItem('authchart.x.holder')).toBe(String(holder.pid));
    expect(await readdir(dir)).toEqual(['tokens.json']); // no lock, owner or moved-aside lock left
  }, 20_000);

  it('a lock whose holder is alive is not taken over: the wait ends with StorageFailure', async () => {
    const holder = await startHolder({ KIND: 'file', FILE: file, STALE_MS: '60000' });
    try {
      const other = fileStorage(file, { staleLockMs: 60_000, lockTimeoutMs: 500 });
      const error = await rejection(other.lock('authchart.x', async () => 'stolen'));
      expect(error.code).toBe('StorageFailure');
    } finally {
      await kill(holder);
    }
  }, 20_000);

  it('a dead owner on another host is left to staleness', async () => {
    const holder = await startHolder({ KIND: 'file', FILE: file, STALE_MS: '60000' });
    await kill(holder);
    const owner = JSON.parse(await readFile(`${file}.lock/owner`, 'utf8')) as { host: string };
    await writeFile(`${file}.lock/owner`, JSON.stringify({ ...owner, host: 'elsewhere' }));
    const other = fileStorage(file, { staleLockMs: 60_000, lockTimeoutMs: 500 });
    expect((await rejection(other.lock('authchart.x', async () => 'stolen'))).code).toBe('StorageFailure');
  }, 20_000);
});
