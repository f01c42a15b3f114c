/**
 * `npm run bench`: authchart and Amplify JS v6 on the same work, against the same server, in one
 * run. Prints a table, writes bench/results.json and the figures section of docs/benchmarks.md.
 * Figures are never asserted in tests. `BENCH_RUNS` (default 21) and `BENCH_BLACKHOLE_CAP_MS`
 * (default 60000) tune the run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Amplify } from 'aws-amplify';
import { signIn as amplifySignIn, signOut as amplifySignOut } from 'aws-amplify/auth';
import { build } from 'esbuild';
import { cognitoServices } from '../src/adapters/cognito/index.js';
import { type Auth, type AuthServices, createAuth, memoryStorage } from '../src/index.js';
import { makeTokens } from '../test/helpers/tokens.js';
import { type CognitoStub, startCognitoStub } from './cognito-stub.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
const RUNS = Number(process.env['BENCH_RUNS'] ?? 21);
const BLACKHOLE_CAP_MS = Number(process.env['BENCH_BLACKHOLE_CAP_MS'] ?? 60_000);
const LATENCIES = [0, 20, 100];
const USER = { username: 'bench@example.com', password: 'Bench-Passw0rd' };
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const log = (line = '') => process.stdout.write(`${line}\n`);

// Amplify is a singleton: one configuration for the whole run, pointed at the stub.
function configureAmplify(stub: CognitoStub) {
  Amplify.configure({
    Auth: { Cognito: { userPoolId: 'eu-west-1_bench', userPoolClientId: 'benchclient', userPoolEndpoint: stub.url } },
  });
}
const amplifySignInOnce = () => amplifySignIn({ ...USER, options: { authFlowType: 'USER_PASSWORD_AUTH' } });

function makeAuthchart(stub: CognitoStub, remoteStepMs = 5000): Auth {
  return createAuth({
    services: cognitoServices({
      clientId: 'benchclient',
      region: 'eu-west-1',
      endpoint: stub.url,
      authFlow: 'USER_PASSWORD_AUTH',
    }),
    storage: memoryStorage(),
    sync: null,
    timeouts: { remoteStepMs },
  });
}

/** One round trip of the same kind of request, with plain fetch: the floor any sign-out pays per call. */
async function rttFloor(stub: CognitoStub): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const res = await fetch(stub.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.RevokeToken',
      },
      body: JSON.stringify({ Token: 'x', ClientId: 'benchclient' }),
    });
    await res.text();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function p1(stub: CognitoStub) {
  const rows: Record<string, unknown>[] = [];
  const auth = makeAuthchart(stub);
  await auth.ready;
  for (const latency of LATENCIES) {
    stub.latencyMs = latency;
    const floor = await rttFloor(stub);
    for (const global of [false, true]) {
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // Alternate who goes first, so neither always gets the warm connection.
        const order = i % 2 === 0 ? ['authchart', 'amplify'] : ['amplify', 'authchart'];
        for (const who of order) {
          if (who === 'authchart') {
            await auth.signIn(USER);
            const t0 = performance.now();
            const r = await auth.signOut({ global });
            ours.push(performance.now() - t0);
            if (r.status !== 'complete') throw new Error(`authchart sign-out was ${r.status}`);
          } else {
            await amplifySignInOnce();
            const t0 = performance.now();
            await amplifySignOut({ global });
            theirs.push(performance.now() - t0);
          }
        }
      }
      const a = median(ours);
      const b = median(theirs);
      rows.push({
        latencyMs: latency,
        scope: global ? 'global' : 'local',
        rttMs: round(floor),
        authchartMs: round(a),
        amplifyMs: round(b),
        authchartPerRtt: round(a / floor),
        amplifyPerRtt: round(b / floor),
        authchartVsAmplify: round(a / b),
      });
    }
  }
  auth.stop();
  stub.latencyMs = 0;
  return rows;
}

async function settleWithin<T>(p: Promise<T>, capMs: number): Promise<{ settled: boolean; ms: number; value?: T }> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const capped = new Promise<'cap'>((r) => {
    timer = setTimeout(() => r('cap'), capMs);
  });
  const out = await Promise.race([p.then((value) => ({ value })), capped]);
  clearTimeout(timer);
  const ms = performance.now() - t0;
  return out === 'cap' ? { settled: false, ms } : { settled: true, ms, value: out.value };
}

async function p2(stub: CognitoStub) {
  const rows: Record<string, unknown>[] = [];
  for (const global of [false, true]) {
    const auth = makeAuthchart(stub, 5000);
    await auth.signIn(USER);
    stub.blackhole = true;
    const ours = await settleWithin(auth.signOut({ global }), BLACKHOLE_CAP_MS);
    stub.blackhole = false;
    stub.dropConnections();
    auth.stop();

    await amplifySignInOnce();
    stub.blackhole = true;
    const theirs = await settleWithin(amplifySignOut({ global }), BLACKHOLE_CAP_MS);
    stub.blackhole = false;
    stub.dropConnections();
    // An unsettled Amplify sign-out stays pending; give its dropped connections time to fail.
    if (!theirs.settled) await new Promise((r) => setTimeout(r, 500));
    rows.push({
      scope: global ? 'global' : 'local',
      authchart: ours.settled
        ? `${round(ours.ms / 1000, 2)} s (${(ours.value as { status: string }).status})`
        : `did not settle in ${BLACKHOLE_CAP_MS / 1000} s`,
      amplify: theirs.settled ? `${round(theirs.ms / 1000, 2)} s` : `did not settle in ${BLACKHOLE_CAP_MS / 1000} s`,
    });
  }
  return rows;
}

function memoryServices(): AuthServices {
  const tokens = makeTokens({ revocable: true });
  return {
    clientId: 'benchclient',
    signIn: async () => tokens,
    refresh: async () => ({}),
    globalSignOut: async () => {},
    revokeToken: async () => {},
  };
}

async function p3() {
  const N = 2000;
  const services = memoryServices();
  const storage = memoryStorage();
  const auth = createAuth({ services, storage, sync: null });
  await auth.ready;
  const measure = async (cycle: () => Promise<void>) => {
    for (let i = 0; i < 200; i++) await cycle(); // warm up
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await cycle();
    const c = process.cpuUsage(c0);
    return {
      cpuUsPerCycle: round((c.user + c.system) / N, 1),
      wallUsPerCycle: round(((performance.now() - t0) * 1000) / N, 1),
    };
  };
  const ours = await measure(async () => {
    await auth.signIn(USER);
    await auth.signOut();
  });
  const signal = new AbortController().signal;
  const keys = ['accessToken', 'idToken', 'refreshToken', 'signedInWith'].map((k) => `bare.${k}`);
  // The same calls and storage writes with no state machine, no checks, no result.
  const bare = await measure(async () => {
    const t = await services.signIn(USER, signal);
    if ('challenge' in t) throw new Error('bench user has a challenge');
    for (const k of keys) storage.setItem(k, t.accessToken);
    storage.setItem('bare.lastAuthUser', USER.username);
    await services.revokeToken(t.refreshToken, signal);
    for (const k of [...keys, 'bare.lastAuthUser']) storage.removeItem(k);
  });
  auth.stop();
  return {
    cycles: N,
    authchart: ours,
    bareAsyncFunction: bare,
    overheadCpuUsPerCycle: round(ours.cpuUsPerCycle - bare.cpuUsPerCycle, 1),
  };
}

async function gzipSize(entry: string, external: string[] = []): Promise<number> {
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
  return gzipSync(result.outputFiles[0]?.contents ?? new Uint8Array()).length;
}

async function p4() {
  const kb = (n: number) => round(n / 1024, 1);
  return {
    coreWithoutXstateKb: kb(await gzipSize(`export * from './src/index.ts';`, ['xstate'])),
    coreWithXstateKb: kb(await gzipSize(`export * from './src/index.ts';`)),
    corePlusCognitoKb: kb(
      await gzipSize(
        `export * from './src/index.ts'; export { cognitoServices } from './src/adapters/cognito/index.ts';`,
      ),
    ),
    amplifySignOutKb: kb(await gzipSize(`export { signOut } from 'aws-amplify/auth';`)),
    amplifySignOutWithConfigureKb: kb(
      await gzipSize(`export { signOut, signIn } from 'aws-amplify/auth'; export { Amplify } from 'aws-amplify';`),
    ),
  };
}

/** P5 runs in its own process with --expose-gc, so heap figures are not polluted by the rest. */
function p5(): Record<string, unknown> {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./p5.ts', import.meta.url))],
    {
      encoding: 'utf8',
      env: process.env,
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

function table(rows: Record<string, unknown>[]) {
  const cols = Object.keys(rows[0] ?? {});
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  log(line(cols));
  for (const r of rows) log(line(cols.map((c) => String(r[c]))));
}

function markdownTable(rows: Record<string, unknown>[]) {
  const cols = Object.keys(rows[0] ?? {});
  return [
    `| ${cols.join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => String(r[c])).join(' | ')} |`),
  ].join('\n');
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: round(totalmem() / 2 ** 30, 1),
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
};
log(
  `authchart vs Amplify JS v6 — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${RUNS} runs per figure (median)\n`,
);

const stub = await startCognitoStub();
configureAmplify(stub);
try {
  log('P1 sign-out wall time against the stub (ms; ratio to one round trip and to Amplify)');
  const p1Rows = await p1(stub);
  table(p1Rows);
  log('\nP3 CPU per sign-in + sign-out cycle, in-memory services (µs)');
  const p3Res = await p3();
  table([
    { who: 'authchart', ...p3Res.authchart },
    { who: 'bare async function', ...p3Res.bareAsyncFunction },
  ]);
  log('\nP4 bundle sizes (esbuild, minified, gzip, KB)');
  const p4Res = await p4();
  table([p4Res]);
  log('\nP5 10 000 auth actors in one process');
  const p5Res = p5();
  table([p5Res]);
  log(`\nP2 blackholed server (accepts, never answers), capped at ${BLACKHOLE_CAP_MS / 1000} s`);
  const p2Rows = await p2(stub);
  table(p2Rows);

  const results = { machine, runs: RUNS, p1: p1Rows, p2: p2Rows, p3: p3Res, p4: p4Res, p5: p5Res };
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  const docPath = new URL('../docs/benchmarks.md', import.meta.url);
  const doc = readFileSync(docPath, 'utf8');
  const figures = [
    '<!-- figures:start (written by `npm run bench`) -->',
    `Latest run: ${machine.date}, ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${RUNS} runs per figure (median).`,
    '',
    '**P1 — sign-out wall time (ms)**',
    '',
    markdownTable(p1Rows),
    '',
    `**P2 — blackholed server, capped at ${BLACKHOLE_CAP_MS / 1000} s**`,
    '',
    markdownTable(p2Rows),
    '',
    '**P3 — CPU per sign-in + sign-out cycle, in-memory services (µs)**',
    '',
    markdownTable([
      { who: 'authchart', ...p3Res.authchart },
      { who: 'bare async function', ...p3Res.bareAsyncFunction },
    ]),
    '',
    '**P4 — bundle sizes, esbuild minified + gzip (KB)**',
    '',
    markdownTable([p4Res]),
    '',
    '**P5 — 10 000 auth actors in one process**',
    '',
    markdownTable([p5Res]),
    '<!-- figures:end -->',
  ].join('\n');
  writeFileSync(docPath, doc.replace(/<!-- figures:start[\s\S]*<!-- figures:end -->/, figures));
  log('\nwrote bench/results.json and docs/benchmarks.md');
} finally {
  await stub.stop();
  // A still-pending Amplify sign-out (P2) must not keep the process alive.
  process.exit(0);
}
