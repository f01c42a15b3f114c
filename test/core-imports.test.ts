import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;
/** Platform and SDK adapters live in their own entry points; everything else is the portable core. */
const ADAPTERS = new Set([
  'node.ts',
  'services/file-storage.ts',
  'adapters/cognito-sdk.ts',
  'react.ts',
  'vue.ts',
  'svelte.ts',
]);
const CORE_PACKAGES = new Set(['xstate', 'jose']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('the core stays portable', () => {
  it('imports nothing but xstate, jose and its own modules (no node:, no framework, no AWS SDK)', () => {
    const offending: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const name = relative(SRC, file);
      if (ADAPTERS.has(name)) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s*['"]([^'"]+)['"]/gm)) {
        const spec = m[1] ?? '';
        if (spec.startsWith('.')) {
          // …nor an adapter, through a relative path.
          const target = relative(SRC, join(dirname(file), spec)).replace(/\.js$/, '.ts');
          if (ADAPTERS.has(target)) offending.push(`${name}: ${spec}`);
          continue;
        }
        if (!CORE_PACKAGES.has(spec)) offending.push(`${name}: ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
