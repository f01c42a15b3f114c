/**
 * Pay only for what you use: the core and `authchart/cognito` carry none of `authchart/account`'s
 * code, and an app that imports one account call gets that call, not the others.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
async function bundle(entry: string): Promise<string> {
  const out = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    external: ['xstate'],
    logLevel: 'silent',
  });
  return out.outputFiles[0]?.text ?? '';
}

describe('authchart/account costs an app nothing until it imports it', () => {
  it('the core with the fetch transport names no account operation', async () => {
    const code = await bundle(
      `export { createAuth, webStorage } from './src/index.ts'; export { cognitoServices } from './src/adapters/cognito/index.ts';`,
    );
    for (const operation of [
      'SignUp',
      'ConfirmForgotPassword',
      'ChangePassword',
      'UpdateUserAttributes',
      'UserAttributes',
    ]) {
      expect(code).not.toContain(operation);
    }
  });

  it('signUp alone brings no call for the signed-in user', async () => {
    const code = await bundle(`export { signUp } from './src/account/index.ts';`);
    expect(code).toContain('SignUp');
    for (const operation of [
      'ChangePassword',
      'UpdateUserAttributes',
      'DeleteUserAttributes',
      'ConfirmForgotPassword',
    ]) {
      expect(code).not.toContain(operation);
    }
  });
});
