import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CHILD = new URL('./child.ts', import.meta.url).pathname;

function runChild(env: Record<string, string>, killAt?: string): Promise<{ lines: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child timed out; printed ${lines.join(', ')}; stderr ${stderr}`));
    }, 20_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines.push(line);
        if (killAt && line === killAt) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve({ lines, killed });
    });
  });
}

const KILL_POINTS: { scope: 'local' | 'global'; at: string; globalFails?: boolean }[] = [
  { scope: 'local', at: 'journal-written' },
  { scope: 'local', at: 'in-revoke' },
  { scope: 'local', at: 'removing:session' },
  { scope: 'local', at: 'removing:redirectTransaction' },
  { scope: 'local', at: 'removing:signOutJournal' },
  { scope: 'global', at: 'journal-written' },
  { scope: 'global', at: 'in-global' },
  { scope: 'global', at: 'in-revoke', globalFails: true },
  { scope: 'global', at: 'removing:session' },
];

describe('crash-safe sign-out (real child processes, SIGKILL, fileStorage)', () => {
  let dir = '';
  let tried = 0;
  afterAll(async () => {
    console.info(`kill points tried: ${tried}`);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(KILL_POINTS)(
    'killed at $at ($scope): on restart the session never comes back and no key of ours is left',
    async ({ scope, at, globalFails }) => {
      dir ||= await mkdtemp(join(tmpdir(), 'authchart-kill-'));
      const file = join(dir, `${scope}-${at.replace(':', '-')}.json`);
      const env = { FILE: file, SCOPE: scope, GLOBAL_FAILS: globalFails ? '1' : '' };
      const first = await runChild({ ...env, MODE: 'signout', KILL_AT: at }, at);
      expect(first.killed, `never reached ${at}: ${first.lines.join(', ')}`).toBe(true);
      expect(first.lines).toContain('signed-in');
      tried++;
      const second = await runChild({ ...env, MODE: 'restart' });
      const report = JSON.parse(second.lines.at(-1) ?? '{}') as { state: string; keys: string[] };
      expect(report).toEqual({ state: 'signedOut', keys: [] });
    },
  );
});
