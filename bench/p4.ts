/**
 * P4: bundle sizes, like for like: esbuild, minified, browser, ESM, gzip, each entry exporting
 * only what an app on that path imports. Bundled from src/ (what an app's bundler sees).
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { findModule, ROOT, TRANSPORTS } from './child.js';
import { type Figure, figure, round, unavailable } from './stats.js';

async function gzipKb(entry: string, external: string[] = []): Promise<number> {
  const result = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    external,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return round(gzipSync(result.outputFiles[0]?.contents ?? new Uint8Array()).length / 1024, 1);
}

const HOW =
  'esbuild (bundle, minify, platform browser, ESM, es2022, NODE_ENV=production) of an entry that re-exports only what an app on that path imports; gzip of the output.';
const core = `export { createAuth, webStorage } from './src/index.ts';`;
const rel = (abs: string) => `./${abs.slice(ROOT.length).replace(/^\/+/, '')}`;

export async function p4(): Promise<Figure[]> {
  const amplify = {
    configureSignInSignOut: await gzipKb(
      `export { signIn, signOut } from 'aws-amplify/auth'; export { Amplify } from 'aws-amplify';`,
    ),
    configureSignInChallengesSignOut: await gzipKb(
      `export { signIn, confirmSignIn, signOut } from 'aws-amplify/auth'; export { Amplify } from 'aws-amplify';`,
    ),
    signOutOnly: await gzipKb(`export { signOut } from 'aws-amplify/auth';`),
    configureSignOut: await gzipKb(
      `export { signOut } from 'aws-amplify/auth'; export { Amplify } from 'aws-amplify';`,
    ),
  };
  const authchart: Record<string, number> = {
    coreWithoutXstate: await gzipKb(core, ['xstate']),
    core: await gzipKb(core),
  };
  const fetchPath = findModule('src', TRANSPORTS.fetch);
  const sdkPath = findModule('src', TRANSPORTS.sdk);
  if (fetchPath)
    authchart['coreWithFetchTransport'] = await gzipKb(`${core} export { cognitoServices } from '${rel(fetchPath)}';`);
  if (sdkPath)
    authchart['coreWithSdkTransport'] = await gzipKb(`${core} export { cognitoServices } from '${rel(sdkPath)}';`);
  const detail = {
    authchartKb: authchart,
    amplifyKb: amplify,
    fetchTransport: fetchPath && rel(fetchPath),
    sdkTransport: sdkPath && rel(sdkPath),
  };
  const noFetch = 'the fetch transport (src/adapters/cognito/index.ts, export cognitoServices) is not in this checkout';

  const full = {
    id: 'P4.fullSignInSignOut',
    title: 'Full sign-in (SRP + challenges) + sign-out: createAuth + webStorage + fetch transport',
    unit: 'KB gzip',
    // The lean-core bar: ≤ 31 KB and ≤ 0.75× Amplify's same imports, whichever is lower (26 KB stays the aim).
    goal: {
      text: `≤ 31 KB and ≤ 0.75× Amplify configure + signIn + confirmSignIn + signOut (${amplify.configureSignInChallengesSignOut} KB × 0.75 = ${round(amplify.configureSignInChallengesSignOut * 0.75, 1)} KB)`,
      threshold: Math.min(31, round(amplify.configureSignInChallengesSignOut * 0.75, 1)),
      op: '<=' as const,
    },
    how: `${HOW} Amplify's side: Amplify.configure + signIn (SRP) + confirmSignIn (challenges) + signOut.`,
  };
  const signOut = {
    id: 'P4.signOutOnly',
    title: 'Sign-out-only path: what an app that only signs out (adopted sessions) imports',
    unit: 'KB gzip',
    goal: {
      text: `≤ Amplify's Amplify.configure + signOut (${amplify.configureSignOut} KB)`,
      threshold: amplify.configureSignOut,
      op: '<=' as const,
    },
    how: `${HOW} authchart has no separate sign-out entry: an app that only adopts sessions and signs out still imports createAuth and the whole fetch transport (its methods live on one object, so sign-in cannot be tree-shaken).`,
  };
  const sdkValue = authchart['coreWithSdkTransport'];
  return [
    fetchPath
      ? figure({ ...full, value: authchart['coreWithFetchTransport'] as number, detail })
      : unavailable(full, noFetch),
    fetchPath
      ? figure({ ...signOut, value: authchart['coreWithFetchTransport'] as number, detail })
      : unavailable(signOut, noFetch),
    sdkValue === undefined
      ? unavailable(
          {
            id: 'P4.sdkPath',
            title: 'SDK path',
            unit: 'KB gzip',
            goal: { text: '—', threshold: null, op: '<=' },
            how: HOW,
          },
          'no SDK transport found',
        )
      : figure({
          id: 'P4.sdkPath',
          title: 'SDK path: createAuth + webStorage + AWS SDK v3 transport',
          unit: 'KB gzip',
          value: sdkValue,
          goal: {
            text: `≤ Amplify configure + signIn + signOut (${amplify.configureSignInSignOut} KB)`,
            threshold: amplify.configureSignInSignOut,
            op: '<=',
          },
          how: `${HOW} The optional SDK transport brings the AWS SDK v3 Cognito client (USER_PASSWORD_AUTH only, no SRP).`,
          detail,
        }),
  ];
}
