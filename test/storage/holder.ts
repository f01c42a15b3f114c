/** A child process that takes a storage's lock and holds it until SIGKILLed (hold-lock-child.ts). */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const HOLDER = join(import.meta.dirname, 'hold-lock-child.ts');

/** Starts a child that takes the lock and holds it; resolves once it holds it. */
export function startHolder(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      if (c.includes('locked')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`holder exited ${code} before locking: ${err}`)));
  });
}

/** SIGKILLs the child and waits until it is gone. */
export function kill(child: ChildProcess): Promise<void> {
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return gone;
}
