/**
 * Crash safety (docs/sign-out.md, "Crash-safe sign-out"; docs/storage.md, "How `fileStorage` works"):
 * real child processes on fileStorage, SIGKILLed at random points of sign-in, refresh and sign-out
 * (inside fileStorage's write included). After a restart and one `signOut()`, no token string is left
 * anywhere in the directory. And two processes writing one file at once lose no write. CRASH_SEED
 * repeats a run; CRASH_KILLS_PER_PHASE sets how many kills per phase.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesWithTokens, runChild, seeded } from './run-child.js';

const CHILD = new URL('./cycle-child.ts', import.meta.url).pathname;
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
const PER_PHASE = Number(process.env.CRASH_KILLS_PER_PHASE ?? 3);
const PHASES = ['sign-in', 'refresh', 'sign-out'] as const;

interface Point {
  index: number;
  phase: string;
  name: string;
}

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'authchart-random-kill-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Picks `PER_PHASE` distinct points per phase, one of them inside fileStorage's write. */
function pick(points: Point[], random: () => number): Point[] {
  const picks: Point[] = [];
  for (const phase of PHASES) {
    const pool = points.filter((p) => p.phase === phase);
    const take = (from: Point[]) => {
      const left = from.filter((p) => !picks.includes(p));
      const chosen = left[Math.floor(random() * left.length)];
      if (chosen) picks.push(chosen);
    };
    take(pool.filter((p) => p.name === 'rename-temp'));
    for (let i = 1; i < PER_PHASE; i++) take(pool);
  }
  return picks;
}

describe('SIGKILL at random points of sign-in, refresh and sign-out (fileStorage, real processes)', () => {
  it('after a restart and one signOut(), no temp file, lock or token string is left', async () => {
    const dry = await runChild(CHILD, { MODE: 'cycle', FILE: join(root, 'dry', 'tokens.json') });
    expect(dry.lines.at(-1)).toBe('{"done":true}');
    const points: Point[] = dry.lines.slice(0, -1).map((line) => {
      const [index = '', phase = '', ...name] = line.split(' ');
      return { index: Number(index), phase, name: name.join(' ') };
    });
    for (const phase of PHASES) expect(points.some((p) => p.phase === phase && p.name === 'rename-temp')).toBe(true);

    const picks = pick(points, seeded(SEED));
    const failures: string[] = [];
    let tempsLeft = 0;
    let tempsWithTokens = 0;
    let tempsAfter = 0;
    for (const [k, point] of picks.entries()) {
      const dir = join(root, `kill-${k}`);
      await mkdir(dir);
      const env = { FILE: join(dir, 'tokens.json') };
      const label = `#${point.index} ${point.phase} ${point.name}`;
      const first = await runChild(CHILD, { ...env, MODE: 'cycle', KILL_AT_INDEX: String(point.index) }, (line) =>
        line.startsWith(`${point.index} `),
      );
      // A run may drift from the dry run's order (timers); any kill at that index is still a crash.
      if (!first.killed) {
        failures.push(`${label}: ran to the end without reaching it`);
        continue;
      }
      const temps = (await readdir(dir)).filter((n) => /^tokens\.json\.\d+$/.test(n));
      tempsLeft += temps.length;
      tempsWithTokens += (await filesWithTokens(dir)).filter((f) => /\.json\.\d+$/.test(f)).length;
      const restart = await runChild(CHILD, { ...env, MODE: 'restart' });
      const report = JSON.parse(restart.lines.at(-1) ?? '{}') as { state?: string; keys?: string[] };
      const leaks = await filesWithTokens(dir);
      const left = await readdir(dir);
      tempsAfter += left.filter((n) => /^tokens\.json\.\d+$/.test(n)).length;
      // Storage's part: no temp file, no lock, no torn file, nothing outside the token file.
      if (left.some((n) => n !== 'tokens.json') || leaks.some((f) => !f.endsWith('/tokens.json'))) {
        failures.push(`${label}: left ${left.join(', ')}; token strings in ${leaks.join(', ')}`);
      }
      await readFile(env.FILE, 'utf8').then(JSON.parse, (e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e; // nothing was ever written
      });
      if (report.state !== 'signedOut') failures.push(`${label}: restart ${JSON.stringify(report)}`);
      // The session's part: the session is one record (docs/storage.md), so no kill leaves half of one.
      if (leaks.length === 0 && report.keys?.length === 0) continue;
      failures.push(`${label}: restart ${JSON.stringify(report)}, tokens in ${leaks}`);
    }
    const byPhase = PHASES.map((phase) => `${phase} ${picks.filter((p) => p.phase === phase).length}`).join(', ');
    console.info(
      `random SIGKILL: ${picks.length} kills of ${points.length} points (${byPhase}; ` +
        `${picks.filter((p) => p.name === 'rename-temp').length} inside a write), seed ${SEED}; ` +
        `${tempsLeft} temp files left by kills (${tempsWithTokens} holding tokens), ${tempsAfter} left after restart; ` +
        `${failures.length} kills left a token string after restart and one signOut()`,
    );
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(tempsWithTokens, 'a kill inside a write leaves a temp file with tokens').toBeGreaterThan(0);
  }, 180_000);

  it('two processes writing one file at once lose no write', async () => {
    const dir = join(root, 'concurrent');
    await mkdir(dir);
    const env = { FILE: join(dir, 'tokens.json') };
    const writes = 200;
    const [auth, writer] = await Promise.all([
      runChild(CHILD, { ...env, MODE: 'loop-auth', CYCLES: '20' }, undefined, 60_000),
      runChild(CHILD, { ...env, MODE: 'loop-writer', WRITES: String(writes) }, undefined, 60_000),
    ]);
    const a = JSON.parse(auth.lines.at(-1) ?? '{}') as { started: number; ended: number; lost: number };
    const w = JSON.parse(writer.lines.at(-1) ?? '{}') as { started: number; ended: number };
    const overlapMs = Math.min(a.ended, w.ended) - Math.max(a.started, w.started);
    const stored = JSON.parse(await readFile(env.FILE, 'utf8')) as Record<string, unknown>;
    const missing = Array.from({ length: writes }, (_, i) => i).filter((i) => stored[`other.${i}`] !== `value-${i}`);
    console.info(
      `concurrent writers: 20 sign-in/out cycles and ${writes} writes overlapped ${overlapMs} ms; ` +
        `${missing.length} writes lost, ${a.lost} auth writes lost or undone`,
    );
    expect(overlapMs, 'the two processes did not run at the same time').toBeGreaterThan(100);
    expect(missing).toEqual([]);
    expect(a.lost).toBe(0);
    expect(Object.keys(stored).filter((k) => k.startsWith('authchart.'))).toEqual([]);
    expect(await filesWithTokens(dir)).toEqual([]);
  }, 90_000);
});
