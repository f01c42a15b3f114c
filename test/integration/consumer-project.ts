/**
 * A consumer project of the packed package, installed without the network: `npm pack` of this repo,
 * then `npm ci --offline` in a new project whose lockfile names the tarball and, for authchart's
 * dependencies, the entries of this repo's lockfile (so npm takes them from its cache, where this
 * repo's own `npm ci` put them). Dev tools the consumer's tests run with (vitest, cognito-local) are
 * linked from this repo's node_modules.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}

interface Manifest {
  name: string;
  version: string;
  license?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** A command's outcome, stdout and stderr together. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}` };
}

/** `npm pack` of this repo (its `prepack` builds dist/) into `dir`: the tarball's file name. */
export function pack(dir: string): string {
  const packed = run('npm', ['pack', '--json', '--pack-destination', dir], ROOT);
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.output}`);
  const json = packed.output.slice(packed.output.indexOf('['), packed.output.lastIndexOf(']') + 1);
  const [first] = JSON.parse(json) as { filename: string }[];
  if (!first) throw new Error(`npm pack named no tarball:\n${packed.output}`);
  return first.filename;
}

/** The parent package's folder of a lockfile path (`node_modules/a/node_modules/b` → `node_modules/a`). */
function parentOf(path: string): string {
  const i = path.lastIndexOf('/node_modules/');
  return i < 0 ? '' : path.slice(0, i);
}

/** The entries of this repo's lockfile that `names` need, found as Node would from the root. */
export function lockClosure(names: string[]): Record<string, LockEntry> {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const out: Record<string, LockEntry> = {};
  const visit = (from: string, name: string, optional: boolean): void => {
    for (let dir = from; ; dir = parentOf(dir)) {
      const path = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      const entry = lock.packages[path];
      if (entry) {
        if (out[path]) return;
        // The consumer depends on these directly: none of them is a dev-only package there.
        const { dev: _dev, devOptional: _devOptional, peer: _peer, ...kept } = entry;
        out[path] = kept;
        for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false);
        for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true);
        return;
      }
      if (!dir) {
        if (optional) return;
        throw new Error(`package-lock.json has no ${name} for ${from || 'the root'}`);
      }
    }
  };
  for (const name of names) visit('', name, false);
  return out;
}

/**
 * Writes the consumer's package.json and lockfile (authchart from `tarball`, in `dir`) and runs
 * `npm ci --offline`. Answers npm's output when it failed, `null` when it installed.
 */
export function installConsumer(dir: string, tarball: string): { status: number | null; output: string } {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
  const spec = `file:${tarball}`;
  const integrity = `sha512-${createHash('sha512')
    .update(readFileSync(join(dir, tarball)))
    .digest('base64')}`;
  const pkg = { name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { authchart: spec } };
  const lock = {
    name: pkg.name,
    version: pkg.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies },
      'node_modules/authchart': {
        version: manifest.version,
        resolved: spec,
        integrity,
        license: manifest.license,
        dependencies: manifest.dependencies,
        engines: manifest.engines,
        peerDependencies: manifest.peerDependencies,
        peerDependenciesMeta: manifest.peerDependenciesMeta,
      },
      ...lockClosure(Object.keys(manifest.dependencies ?? {})),
    },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  return run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], dir);
}

/** Links `name` from this repo's node_modules into the consumer's (a dev tool it would install itself). */
export function linkDevTool(dir: string, name: string): void {
  symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
}
