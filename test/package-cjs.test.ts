import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * CommonJS consumers: every entry point loads with `require()` on Node >= 20.19 (require of ESM), through the
 * `default` condition of `exports`. A `.cjs` file runs in a child Node against a temp install of the package:
 * this repo's package.json as it is, `dist/` transpiled file by file from `src/` by esbuild (the same module
 * graph as `npm run build`, in well under a second, whether or not `dist/` was built), and the dependencies
 * through a symlink to this repo's node_modules.
 */
const ROOT = new URL('../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
const specifiers = Object.keys(pkg.exports)
  .filter((path) => path !== './package.json')
  .map((path) => (path === '.' ? 'authchart' : `authchart/${path.slice(2)}`));

const requireEsm = process.features.require_module;
if (!requireEsm) console.info(`[authchart] CommonJS test skipped: Node ${process.version} has no require(esm)`);

/** Requires each specifier, then imports it: the same module instance must come back, with every export. */
const CONSUMER = `'use strict';
const answer = {};
(async () => {
  for (const specifier of JSON.parse(process.argv[2])) {
    const required = require(specifier);
    const imported = await import(specifier);
    const keys = Object.keys(required).sort();
    answer[specifier] = {
      keys: keys.length,
      sameAsImport: keys.join() === Object.keys(imported).sort().join() && keys.every((k) => required[k] === imported[k]),
    };
  }
  process.stdout.write(JSON.stringify(answer));
})();
`;

describe.skipIf(!requireEsm)('CommonJS: require() of every entry point (Node >= 20.19)', () => {
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'authchart-cjs-'));
    const installed = join(dir, 'node_modules', 'authchart');
    mkdirSync(installed, { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(installed, 'node_modules'), 'dir');
    const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(ROOT, 'src', file));
    await build({
      entryPoints: sources,
      outdir: join(installed, 'dist'),
      outbase: join(ROOT, 'src'),
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
    });
    writeFileSync(join(dir, 'consumer.cjs'), CONSUMER);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('require() answers the module that import() answers, for each subpath of exports', () => {
    expect(specifiers).toContain('authchart');
    const run = spawnSync(process.execPath, ['consumer.cjs', JSON.stringify(specifiers)], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.status, `node consumer.cjs failed:\n${run.stderr}`).toBe(0);
    const answer = JSON.parse(run.stdout) as Record<string, { keys: number; sameAsImport: boolean }>;
    expect(Object.keys(answer)).toEqual(specifiers);
    for (const [specifier, { keys, sameAsImport }] of Object.entries(answer)) {
      expect({ specifier, exported: keys > 0, sameAsImport }).toEqual({
        specifier,
        exported: true,
        sameAsImport: true,
      });
    }
  });
});
