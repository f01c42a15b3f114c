import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installConsumer, linkDevTool, pack, ROOT, run } from './consumer-project.js';

/**
 * What a new user does: install the packed authchart in a project of their own, import
 * `authchart/testing`, and run the guide's "Testing your app" examples (read from docs/guide.md,
 * so the guide cannot drift from what works) with vitest, the embedded Cognito included.
 */
const hasCognitoLocal = (() => {
  try {
    createRequire(join(ROOT, 'package.json')).resolve('cognito-local/package.json');
    return true;
  } catch {
    return false;
  }
})();
if (!hasCognitoLocal) console.info('[authchart] consumer test skipped: cognito-local is not installed (npm ci)');

/** The guide's example test files: the ts blocks of "Testing your app" whose first line names a `.test.ts` file. */
function guideExamples(): { file: string; code: string }[] {
  const guide = readFileSync(join(ROOT, 'docs', 'guide.md'), 'utf8');
  const start = guide.indexOf('## Testing your app');
  const end = guide.indexOf('\n## ', start + 1);
  const section = guide.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n\/\/ (\S+\.test\.ts)\n([\s\S]*?)```/g)].map((m) => ({
    file: m[1] ?? '',
    code: m[2] ?? '',
  }));
}

/** The environment of a child run: this run's own vitest variables left out. */
function childEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0' };
}

describe.skipIf(!hasCognitoLocal)('a consumer project built from npm pack uses authchart/testing', () => {
  let dir = '';
  let installed: { status: number | null; output: string } = { status: null, output: '' };
  /** Why the steps after the install cannot run here, when they cannot. */
  let skipReason = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'authchart-consumer-'));
    const tarball = pack(dir);
    installed = installConsumer(dir, tarball);
    if (installed.status !== 0 && /ENOTCACHED/.test(installed.output)) {
      skipReason = "npm's cache lacks a dependency of authchart (run npm ci once)";
      console.info(`[authchart] consumer test skipped: ${skipReason}`);
    }
  }, 240_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs the tarball and its dependencies with npm ci --offline', ({ skip }) => {
    if (skipReason) skip(skipReason);
    expect(installed.status, installed.output).toBe(0);
    const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', 'authchart', 'package.json'), 'utf8'));
    expect(pkg.exports['./testing']).toEqual({
      types: './dist/testing/index.d.ts',
      import: './dist/testing/index.js',
      default: './dist/testing/index.js',
    });
  });

  it('without cognito-local installed, startEmbeddedCognito rejects InvalidConfig saying to npm i -D cognito-local', ({
    skip,
  }) => {
    if (skipReason) skip(skipReason);
    const script = `import('authchart/testing')
      .then((m) => m.startEmbeddedCognito())
      .then(() => console.log('started'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
    const started = run(process.execPath, ['--input-type=module', '-e', script], dir, childEnv());
    expect(started.status, started.output).toBe(0);
    const error = JSON.parse(started.output.trim()) as { code: string; message: string };
    expect(error.code).toBe('InvalidConfig');
    expect(error.message).toContain('npm i -D cognito-local');
  });

  it("type-checks and runs the guide's example tests green with vitest, the embedded Cognito included", ({ skip }) => {
    if (skipReason) skip(skipReason);
    const examples = guideExamples();
    expect(examples.map((e) => e.file)).toEqual(['sign-out.test.ts', 'sign-in.embedded.test.ts']);
    for (const { file, code } of examples) writeFileSync(join(dir, file), code);
    // What the guide tells the user to install beside authchart.
    linkDevTool(dir, 'vitest');
    linkDevTool(dir, 'cognito-local');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          lib: ['es2022', 'dom'],
          types: [],
        },
        include: ['*.test.ts'],
      }),
    );
    const typed = run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], dir);
    expect(typed.status, typed.output).toBe(0);

    const tested = run(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], dir, childEnv());
    expect(tested.status, tested.output).toBe(0);
    expect(tested.output).toMatch(/Test Files\s+2 passed \(2\)/);
    expect(tested.output).toMatch(/Tests\s+3 passed \(3\)/);
  });
});
