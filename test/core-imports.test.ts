import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;
/**
 * The layers, by folder: `adapters/` talks to platforms and remote services, `bindings/` are the
 * package's edge entry points (frameworks, Node), `testing/` is `authchart/testing` (for apps'
 * tests). Everything else is the portable core.
 */
const OUTSIDE_CORE = ['adapters', 'bindings', 'testing'];
const CORE_PACKAGES = new Set(['xstate', 'jose']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const layerOf = (path: string) => (OUTSIDE_CORE.includes(path.split(sep)[0] ?? '') ? path.split(sep)[0] : 'core');

describe('the core stays portable', () => {
  it('imports nothing but xstate, jose and its own core modules: no adapter, no binding, no node:, no SDK', () => {
    const offending: string[] = [];
    let checked = 0;
    for (const file of sourceFiles(SRC)) {
      const name = relative(SRC, file);
      if (layerOf(name) !== 'core') continue;
      checked++;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s*['"]([^'"]+)['"]/gm)) {
        const spec = m[1] ?? '';
        if (spec.startsWith('.')) {
          const target = relative(SRC, join(dirname(file), spec));
          if (layerOf(target) !== 'core') offending.push(`${name}: ${spec}`);
          continue;
        }
        if (!CORE_PACKAGES.has(spec)) offending.push(`${name}: ${spec}`);
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(offending).toEqual([]);
  });

  it('authchart/testing imports the core, jose and Node built-ins only: no AWS SDK, and cognito-local only by path at run time', () => {
    const offending: string[] = [];
    for (const file of sourceFiles(join(SRC, 'testing'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^\s*(?:import|export)[^'"]*from\s*|import\()['"]([^'"]+)['"]/gm)) {
        const spec = m[1] ?? '';
        const target = spec.startsWith('.') ? relative(SRC, join(dirname(file), spec)) : '';
        const allowed = spec.startsWith('.')
          ? ['core', 'testing'].includes(layerOf(target) ?? '')
          : spec === 'jose' || spec.startsWith('node:');
        if (!allowed) offending.push(`${relative(SRC, file)}: ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('nothing outside authchart/testing imports it', () => {
    const importers = sourceFiles(SRC)
      .filter((file) => layerOf(relative(SRC, file)) !== 'testing')
      .filter((file) => /from\s*['"][./]*testing\//.test(readFileSync(file, 'utf8')));
    expect(importers).toEqual([]);
  });

  it('the adapters folder holds what talks to platforms and remote services', () => {
    const adapters = sourceFiles(join(SRC, 'adapters')).map((f) => relative(SRC, f));
    expect(adapters).toContain(join('adapters', 'file-storage.ts'));
  });
});
