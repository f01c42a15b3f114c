import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./idle-child.ts', import.meta.url));

describe('in Node', () => {
  it('a signed-in instance waiting to refresh does not keep the process alive', () => {
    // The refresh is due in about an hour: a ref'd timer would hold the process until the spawn's timeout.
    const run = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stdout.trim()).toBe('signedIn.waitingToRefresh');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
  });
});
