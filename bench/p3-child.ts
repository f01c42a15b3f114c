/**
 * P3 child (fresh process, authchart from dist/): CPU per sign-in + sign-out cycle. In-memory
 * services for authchart and its two yardsticks; the Cognito stub (in the parent, `STUB_URL`) for
 * authchart's transports and Amplify. Prints one JSON line.
 */
import { Amplify } from 'aws-amplify';
import { signIn as amplifySignIn, signOut as amplifySignOut } from 'aws-amplify/auth';
import type { InspectionEvent } from 'xstate';
import type { AuthServices } from '../src/index.js';
import { loadDist } from './child.js';
import {
  bareActor,
  handWritten,
  type PathStep,
  pathRecorder,
  type Shape,
  shapeCounter,
  type Work,
} from './p3-shape.js';
import { cpuMicros, QUICK, ROUNDS, rotation, summarize } from './stats.js';
import { cognitoTokens } from './tokens.js';

const USER = { username: 'bench@example.com', password: 'Bench-Passw0rd' };
const STUB_URL = process.env['STUB_URL'] ?? '';
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const { core, sdk, fetch: fetchTransport } = await loadDist();

const tokens = cognitoTokens(USER.username);
const services: AuthServices = {
  clientId: 'benchclient',
  signIn: async () => tokens,
  refresh: async () => ({}),
  globalSignOut: async () => {},
  revokeToken: async () => {},
};
const work: Work = { services, storage: core.memoryStorage(), remoteStepMs: 5000 };

/** authchart with in-memory services; `inspect` only for the shape count. */
async function authchart(inspect?: (e: InspectionEvent) => void) {
  const auth = core.createAuth({
    services,
    storage: core.memoryStorage(),
    sync: null,
    ...(inspect ? { inspect } : {}),
  });
  await auth.ready;
  return auth;
}

/**
 * One cycle on authchart, recorded and counted; the bare machine is built from that path and its
 * cycle counted too (the counts must match).
 */
async function shapes(): Promise<{ authchart: Shape; bareXstate: Shape; path: { start: string; path: PathStep[] } }> {
  const ours = shapeCounter();
  const recorder = pathRecorder();
  const auth = await authchart((e) => {
    ours.inspect(e);
    recorder.inspect(e);
  });
  ours.reset(auth.actor.getSnapshot().value);
  recorder.reset(auth.actor.getSnapshot().value);
  await auth.signIn(USER);
  const result = await auth.signOut();
  if (result.status !== 'complete' || result.steps.revokeToken !== 'done') throw new Error('unexpected sign-out');
  auth.stop();
  const path = { start: recorder.start, path: [...recorder.path] };
  const theirs = shapeCounter();
  const bare = bareActor(work, path, theirs.inspect);
  theirs.reset(bare.actor.getSnapshot().value);
  await bare.signIn(USER);
  await bare.signOut();
  bare.actor.stop();
  return { authchart: { ...ours.counts }, bareXstate: { ...theirs.counts }, path };
}

type Cycle = () => Promise<void>;
const variants: Record<string, { cycle: Cycle; n: number }> = {};
const inMemoryN = QUICK ? 20 : 200;
const stubN = QUICK ? 5 : 30;

// The yardstick is built from the path authchart takes now: record it first.
const { path: recorded, ...shape } = await shapes();

const ours = await authchart();
variants['authchart'] = {
  n: inMemoryN,
  cycle: async () => {
    await ours.signIn(USER);
    await ours.signOut();
  },
};
const bare = bareActor(work, recorded);
variants['bare xstate machine'] = {
  n: inMemoryN,
  cycle: async () => {
    await bare.signIn(USER);
    await bare.signOut();
  },
};
const hand = handWritten(work);
variants['hand-written'] = {
  n: inMemoryN,
  cycle: async () => {
    await hand.signIn(USER);
    await hand.signOut();
  },
};

const stops: (() => void)[] = [() => ours.stop(), () => bare.actor.stop()];
if (STUB_URL) {
  const options = {
    clientId: 'benchclient',
    region: 'eu-west-1',
    endpoint: STUB_URL,
    authFlow: 'USER_PASSWORD_AUTH' as const,
  };
  for (const [name, transport] of [
    ['authchart (SDK) on the stub', sdk],
    ['authchart (fetch) on the stub', fetchTransport],
  ] as const) {
    if (!transport) continue;
    const auth = core.createAuth({
      services: transport.cognitoServices(options),
      storage: core.memoryStorage(),
      sync: null,
    });
    await auth.ready;
    stops.push(() => auth.stop());
    variants[name] = {
      n: stubN,
      cycle: async () => {
        await auth.signIn(USER);
        await auth.signOut();
      },
    };
  }
  Amplify.configure({
    Auth: { Cognito: { userPoolId: 'eu-west-1_bench', userPoolClientId: 'benchclient', userPoolEndpoint: STUB_URL } },
  });
  variants['Amplify on the stub'] = {
    n: stubN,
    cycle: async () => {
      await amplifySignIn({ ...USER, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
      await amplifySignOut();
    },
  };
}

// Warm-up: every variant, enough cycles for the JIT to settle.
for (const v of Object.values(variants)) for (let i = 0; i < v.n * (QUICK ? 1 : 2); i++) await v.cycle();

const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const wall: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const name of rotation(Object.keys(variants), r)) {
    const v = variants[name] as { cycle: Cycle; n: number };
    gc(); // each variant's round starts without the previous one's garbage
    const c0 = cpuMicros();
    const t0 = performance.now();
    for (let i = 0; i < v.n; i++) await v.cycle();
    cpu[name]?.push((cpuMicros() - c0) / v.n);
    wall[name]?.push(((performance.now() - t0) * 1000) / v.n);
  }
}
for (const stop of stops) stop();

const ratio = (a: string, b: string) =>
  summarize(
    (cpu[a] ?? []).map((x, i) => x / (cpu[b]?.[i] as number)),
    3,
  );
process.stdout.write(
  `${JSON.stringify({
    shape,
    cyclesPerRound: Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, v.n])),
    cpuUsPerCycle: Object.fromEntries(Object.entries(cpu).map(([k, xs]) => [k, summarize(xs, 1)])),
    wallUsPerCycle: Object.fromEntries(Object.entries(wall).map(([k, xs]) => [k, summarize(xs, 1)])),
    ratios: {
      authchartVsBareXstate: ratio('authchart', 'bare xstate machine'),
      authchartVsHandWritten: ratio('authchart', 'hand-written'),
      ...(STUB_URL ? { authchartSdkVsAmplifyOnStub: ratio('authchart (SDK) on the stub', 'Amplify on the stub') } : {}),
      ...(variants['authchart (fetch) on the stub']
        ? { authchartFetchVsAmplifyOnStub: ratio('authchart (fetch) on the stub', 'Amplify on the stub') }
        : {}),
    },
  })}\n`,
);
process.exit(0);
