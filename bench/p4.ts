/**
 * P4: bundle sizes, like for like: esbuild, minified, browser, ESM, gzip, each entry exporting
 * only what an app on that path imports. Bundled from src/ (what an app's bundler sees).
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { findModule, ROOT, TRANSPORTS } from './child.js';
import { type Figure, figure, round, unavailable } from './stats.js';

/** The build both measures share: what an app's bundler makes of the entry. */
const esbuildFor = (external: string[]) =>
  ({
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    external,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  }) as const;

/** What an entry costs: the chunks loaded with it, and the `import()` chunks loaded only when used. */
interface Bundle {
  /** The entry chunk and every chunk it imports statically: what a page pays at load. */
  initialKb: number;
  /** Each dynamic `import()` chunk, by the source module it holds (first input), in KB gzip. */
  lazyKb: Record<string, number>;
}

/** Bundles `entry` (a virtual module resolved from the repo root) with code splitting on. */
async function bundle(entry: string, external: string[] = []): Promise<Bundle> {
  const result = await build({
    entryPoints: ['p4-entry'],
    plugins: [
      {
        name: 'p4-entry',
        setup(b) {
          b.onResolve({ filter: /^p4-entry$/ }, () => ({ path: 'p4-entry', namespace: 'p4' }));
          b.onLoad({ filter: /.*/, namespace: 'p4' }, () => ({ contents: entry, resolveDir: ROOT, loader: 'ts' }));
        },
      },
    ],
    ...esbuildFor(external),
    splitting: true,
    outdir: '/p4-out',
    metafile: true,
  });
  const outputs = result.metafile.outputs;
  // Metafile keys are relative to the working directory, output paths absolute: match by file name.
  const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  const byName = new Map(result.outputFiles.map((f) => [base(f.path), gzipSync(f.contents).length / 1024]));
  const gz = new Map(Object.keys(outputs).map((k) => [k, byName.get(base(k)) ?? 0]));
  // A lazy chunk has an entryPoint too (the module it holds): the entry is the virtual one.
  const entryChunk = Object.keys(outputs).find((k) => outputs[k]?.entryPoint === 'p4:p4-entry') as string;
  const initial = new Set<string>();
  const visit = (chunk: string) => {
    if (initial.has(chunk)) return;
    initial.add(chunk);
    for (const i of outputs[chunk]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entryChunk);
  const lazyKb: Record<string, number> = {};
  for (const chunk of Object.keys(outputs)) {
    if (initial.has(chunk) || chunk.endsWith('.map')) continue;
    const source = Object.keys(outputs[chunk]?.inputs ?? {})[0] ?? chunk;
    lazyKb[source] = round(gz.get(chunk) ?? 0, 1);
  }
  const initialKb = round(
    [...initial].reduce((n, c) => n + (gz.get(c) ?? 0), 0),
    1,
  );
  return { initialKb, lazyKb };
}

/**
 * An entry's size with every chunk counted, as one file (esbuild inlines `import()` without
 * splitting): comparable with earlier runs, and no cross-chunk gzip loss charged to either side.
 */
async function gzipKb(entry: string, external: string[] = []): Promise<number> {
  const result = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
    ...esbuildFor(external),
  });
  return round(gzipSync(result.outputFiles[0]?.contents ?? new Uint8Array()).length / 1024, 1);
}

const HOW =
  'esbuild (bundle, minify, platform browser, ESM, es2022, NODE_ENV=production) of an entry that re-exports only what an app on that path imports; gzip of the output (one file: lazy `import()` chunks included, unless the figure says otherwise).';
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
  // The fetch path in chunks: an app that adopts sessions and signs out never loads the lazy ones.
  const fetchBundle = fetchPath
    ? await bundle(`${core} export { cognitoServices } from '${rel(fetchPath)}';`)
    : undefined;
  if (fetchPath && fetchBundle) {
    authchart['coreWithFetchTransport'] = await gzipKb(`${core} export { cognitoServices } from '${rel(fetchPath)}';`);
    authchart['coreWithFetchTransportInitial'] = fetchBundle.initialKb;
  }
  if (sdkPath)
    authchart['coreWithSdkTransport'] = await gzipKb(`${core} export { cognitoServices } from '${rel(sdkPath)}';`);
  const detail = {
    authchartKb: authchart,
    fetchTransportLazyChunksKb: fetchBundle?.lazyKb,
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
    how: `${HOW} authchart has no separate sign-out entry: an app that only adopts sessions and signs out imports createAuth and the fetch transport, and loads the chunks they import statically; the lazy \`import()\` chunks (SRP) load only at a sign-in, so they are not counted here: this figure is the initial chunk of the same build with code splitting on (the lazy chunks' sizes are in the detail; P4.fullSignInSignOut counts them).`,
  };
  const sdkValue = authchart['coreWithSdkTransport'];
  // The account calls: what importing all seventeen adds to a sign-in app, on each side.
  const ACCOUNT =
    'signUp, confirmSignUp, resendSignUpCode, resetPassword, confirmResetPassword, updatePassword, fetchUserAttributes, updateUserAttributes, confirmUserAttribute, sendUserAttributeVerificationCode, deleteUserAttributes, setUpTOTP, verifyTOTPSetup, updateMFAPreference, fetchMFAPreference, autoSignIn, deleteUser';
  const accountPath = findModule('src', ['account/index']);
  const accountFigure = {
    id: 'P4.accountAdds',
    title:
      "What the account calls add to a sign-in app: authchart/account's seventeen functions vs Amplify's same imports",
    unit: 'KB gzip',
    how: `${HOW} authchart: (createAuth + webStorage + fetch transport + the seventeen from authchart/account) − (the same without them). Amplify: (Amplify.configure + signIn + signOut + the same seventeen names from aws-amplify/auth) − (Amplify.configure + signIn + signOut). The seventeen: ${ACCOUNT}.`,
  };
  let accountResult: Figure;
  if (fetchPath && accountPath) {
    const withAccount = await gzipKb(
      `${core} export { cognitoServices } from '${rel(fetchPath)}'; export { ${ACCOUNT} } from '${rel(accountPath)}';`,
    );
    const amplifyWith = await gzipKb(
      `export { signIn, signOut, ${ACCOUNT} } from 'aws-amplify/auth'; export { Amplify } from 'aws-amplify';`,
    );
    const ours = round(withAccount - (authchart['coreWithFetchTransport'] as number), 1);
    const theirs = round(amplifyWith - amplify.configureSignInSignOut, 1);
    accountResult = figure({
      ...accountFigure,
      value: ours,
      goal: { text: `≤ what Amplify's same imports add (${theirs} KB)`, threshold: theirs, op: '<=' },
      detail: { authchartWithAccountKb: withAccount, amplifyWithAccountKb: amplifyWith },
    });
  } else {
    accountResult = unavailable(
      { ...accountFigure, goal: { text: '—', threshold: null, op: '<=' } },
      'authchart/account (src/account/index.ts) is not in this checkout',
    );
  }
  return [
    accountResult,
    fetchPath
      ? figure({ ...full, value: authchart['coreWithFetchTransport'] as number, detail })
      : unavailable(full, noFetch),
    fetchPath
      ? figure({ ...signOut, value: authchart['coreWithFetchTransportInitial'] as number, detail })
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
