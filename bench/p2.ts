/**
 * P2: a blackholed server (accepts, never answers): how long until each library's sign-out
 * settles, capped. authchart and Amplify run side by side, each against its own stub, so the
 * run takes one cap per scope. `BENCH_BLACKHOLE_CAP_MS` sets the cap (default 30 s).
 */
import { signIn as amplifySignIn, signOut as amplifySignOut } from 'aws-amplify/auth';
import { loadDist } from './child.js';
import { startCognitoStub } from './cognito-stub.js';
import { configureAmplify } from './p1.js';
import { type Figure, figure, QUICK, round } from './stats.js';

const CAP_MS = Number(process.env['BENCH_BLACKHOLE_CAP_MS'] ?? (QUICK ? 6000 : 30_000));
const STEP_MS = 5000;
const USER = { username: 'bench@example.com', password: 'Bench-Passw0rd' };

async function settleWithin<T>(p: Promise<T>): Promise<{ settled: boolean; ms: number; value?: T }> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const capped = new Promise<'cap'>((r) => {
    timer = setTimeout(() => r('cap'), CAP_MS);
  });
  const out = await Promise.race([p.then((value) => ({ value })), capped]);
  clearTimeout(timer);
  const ms = performance.now() - t0;
  return out === 'cap' ? { settled: false, ms } : { settled: true, ms, value: out.value };
}

export async function p2(): Promise<Figure[]> {
  const { core, sdk } = await loadDist();
  if (!sdk) throw new Error('no SDK transport in dist/');
  const ourStub = await startCognitoStub();
  const amplifyStub = await startCognitoStub();
  configureAmplify(amplifyStub);
  const figures: Figure[] = [];
  try {
    for (const global of [false, true]) {
      const auth = core.createAuth({
        services: sdk.cognitoServices({
          clientId: 'benchclient',
          region: 'eu-west-1',
          endpoint: ourStub.url,
          authFlow: 'USER_PASSWORD_AUTH',
        }),
        storage: core.memoryStorage(),
        sync: null,
        timeouts: { remoteStepMs: STEP_MS },
      });
      await auth.signIn(USER);
      await amplifySignIn({ ...USER, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
      ourStub.blackhole = true;
      amplifyStub.blackhole = true;
      const [ours, theirs] = await Promise.all([
        settleWithin(auth.signOut({ global })),
        settleWithin(amplifySignOut({ global })),
      ]);
      for (const s of [ourStub, amplifyStub]) {
        s.blackhole = false;
        s.dropConnections();
      }
      auth.stop();
      // An unsettled Amplify sign-out stays pending; give its dropped connections time to fail.
      if (!theirs.settled) await new Promise((r) => setTimeout(r, 500));
      const scope = global ? 'global' : 'local';
      const said = (r: { settled: boolean; ms: number }) =>
        r.settled ? `${round(r.ms / 1000, 2)} s` : `did not settle in ${CAP_MS / 1000} s`;
      figures.push(
        figure({
          id: `P2.blackhole.${scope}`,
          title: `${scope} sign-out against a blackholed server: time until authchart settles`,
          unit: 's',
          value: ours.settled ? round(ours.ms / 1000, 2) : null,
          goal: {
            text: `settles within remoteStepMs (${STEP_MS / 1000} s) + 0.5 s`,
            threshold: STEP_MS / 1000 + 0.5,
            op: '<=',
          },
          how: `One sign-out per side against a stub that accepts and never answers, capped at ${CAP_MS / 1000} s; authchart's steps are bounded by timeouts.remoteStepMs.`,
          detail: {
            authchart: `${said(ours)}${ours.settled ? ` (${(ours.value as { status: string }).status})` : ''}`,
            amplify: said(theirs),
          },
        }),
      );
    }
  } finally {
    await ourStub.stop();
    await amplifyStub.stop();
  }
  return figures;
}
