/**
 * Runs bench parts in fresh Node processes against the compiled library in `dist/` (not the
 * TypeScript sources under tsx). A child script is bundled by esbuild into bench/dist/ with every
 * package left external; it loads authchart from `dist/` at run time (see {@link loadDist}).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

/** The repository root; children get it through `AUTHCHART_ROOT` (their own location differs). */
export const ROOT = process.env['AUTHCHART_ROOT'] ?? fileURLToPath(new URL('..', import.meta.url));

/** Where each transport lives, old and new layouts (the SDK one is moving to adapters/). */
export const TRANSPORTS = {
  sdk: ['adapters/cognito-sdk', 'services/cognito'],
  fetch: ['adapters/cognito/index'],
} as const;

/** The first of `candidates` (paths under src/ or dist/ without extension) that exists, or null. */
export function findModule(dir: 'src' | 'dist', candidates: readonly string[]): string | null {
  const ext = dir === 'src' ? '.ts' : '.js';
  for (const c of candidates) {
    const p = join(ROOT, dir, `${c}${ext}`);
    if (existsSync(p)) return p;
  }
  return null;
}

type Core = typeof import('../src/index.js');
type SdkTransport = typeof import('../src/adapters/cognito-sdk.js');

/** The compiled library, and whichever transports this checkout has. */
export async function loadDist(): Promise<{
  core: Core;
  sdk: SdkTransport | null;
  fetch: Pick<SdkTransport, 'cognitoServices'> | null;
}> {
  const load = async <T>(path: string | null): Promise<T | null> =>
    path ? ((await import(pathToFileURL(path).href)) as T) : null;
  const core = await load<Core>(join(ROOT, 'dist/index.js'));
  if (!core) throw new Error('dist/index.js is missing: run npm run build');
  return {
    core,
    sdk: await load<SdkTransport>(findModule('dist', TRANSPORTS.sdk)),
    fetch: await load<Pick<SdkTransport, 'cognitoServices'>>(findModule('dist', TRANSPORTS.fetch)),
  };
}

/** `npm run build`: the children measure what it writes to dist/. */
export function buildDist(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Bundles `entry` (a bench/*.ts file) and runs it with `node --expose-gc` in a fresh process;
 * returns the JSON object the child prints on its last line.
 * @example const out = await runChild('p5-child.ts', { P5_ACTORS: '10000' });
 */
export async function runChild<T>(entry: string, env: Record<string, string> = {}): Promise<T> {
  const name = entry.replace(/\.ts$/, '');
  const outfile = join(ROOT, 'bench', 'dist', `${name}.mjs`);
  await build({
    entryPoints: [join(ROOT, 'bench', entry)],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
  // Asynchronous: the parent keeps serving the Cognito stub the child may be calling.
  const child = promisify(execFile)(process.execPath, ['--expose-gc', outfile], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env, AUTHCHART_ROOT: ROOT, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  child.child.stderr?.pipe(process.stderr);
  const { stdout: out } = await child;
  const last = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as T;
}
