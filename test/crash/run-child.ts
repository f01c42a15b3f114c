/** Spawns a crash-test child under tsx and SIGKILLs it at the first stdout line `killAt` accepts. */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ChildRun {
  lines: string[];
  killed: boolean;
  /** The line the child was killed at. */
  killedAt?: string;
}

export function runChild(
  script: string,
  env: Record<string, string>,
  killAt?: (line: string) => boolean,
  timeoutMs = 20_000,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: ChildRun = { lines: [], killed: false };
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child timed out; printed ${run.lines.slice(-5).join(', ')}; stderr ${stderr}`));
    }, timeoutMs);
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts.filter(Boolean)) {
        run.lines.push(line);
        if (!run.killed && killAt?.(line)) {
          run.killed = true;
          run.killedAt = line;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`child exited ${code}: ${stderr}`));
      else resolve(run);
    });
  });
}

/** A token-shaped string (JWT or JWE part), also inside JSON or a binary file. */
const TOKEN_LIKE = /eyJ[\w-]+\.[\w-]*|refresh\d+part/;

/** Every file under `dir` (temp files and lock directories included) that holds a token-shaped string. */
export async function filesWithTokens(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries.filter((e) => e.isFile())) {
    const path = join(entry.parentPath, entry.name);
    if (TOKEN_LIKE.test(await readFile(path, 'latin1'))) found.push(path);
  }
  return found;
}

/** A small seeded PRNG (mulberry32), so a failing run can be repeated with its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
