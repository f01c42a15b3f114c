import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cognitoLocalBin } from '../../src/testing/cognito-local.js';

describe('finding cognito-local, an optional peer dependency', () => {
  it('where it is not installed: InvalidConfig saying to npm i -D cognito-local', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authchart-no-cognito-local-'));
    try {
      writeFileSync(join(dir, 'app.js'), '');
      const error = await cognitoLocalBin(pathToFileURL(join(dir, 'app.js')).href).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'AuthError', code: 'InvalidConfig' });
      expect((error as Error).message).toContain('npm i -D cognito-local');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('where it is installed: the start script its package.json names', async () => {
    expect(await cognitoLocalBin()).toMatch(/cognito-local[/\\]lib[/\\]bin[/\\]start\.js$/);
  });
});
