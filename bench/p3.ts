/**
 * P3: CPU per sign-in + sign-out cycle, measured in a fresh process from dist/ (bench/p3-child.ts),
 * with its yardsticks in the same rounds. Fails the bench if the bare xstate yardstick no longer
 * has the shape of authchart's path (then bench/p3-shape.ts must follow the chart).
 */
import { runChild } from './child.js';
import type { CognitoStub } from './cognito-stub.js';
import type { Shape } from './p3-shape.js';
import { type Figure, figure, ROUNDS, type Summary, unavailable } from './stats.js';

interface P3Out {
  shape: { authchart: Shape; bareXstate: Shape };
  cyclesPerRound: Record<string, number>;
  cpuUsPerCycle: Record<string, Summary>;
  wallUsPerCycle: Record<string, Summary>;
  ratios: Record<string, Summary>;
}

export async function p3(stub: CognitoStub): Promise<Figure[]> {
  stub.latencyMs = 0;
  const out = await runChild<P3Out>('p3-child.ts', { STUB_URL: stub.url });
  const keys = Object.keys(out.shape.authchart) as (keyof Shape)[];
  const differing = keys.filter((k) => out.shape.authchart[k] !== out.shape.bareXstate[k]);
  if (differing.length > 0) {
    throw new Error(
      `P3: the bare xstate yardstick no longer has the shape of authchart's path (${differing.join(', ')}: ` +
        `${JSON.stringify(out.shape)}). bareMachine is built from the recorded path: this is a defect in bench/p3-shape.ts.`,
    );
  }
  const rounds = `${ROUNDS} rounds in a fresh \`node --expose-gc\` process loading dist/, after a warm-up; in every round each variant runs its cycles in rotating order, after a GC; CPU = user + system (\`process.cpuUsage\`) ÷ cycles.`;
  const detail = {
    cpuUsPerCycle: out.cpuUsPerCycle,
    wallUsPerCycle: out.wallUsPerCycle,
    ratios: out.ratios,
    cyclesPerRound: out.cyclesPerRound,
  };
  const figures: Figure[] = [
    figure({
      id: 'P3.shape',
      title: 'Bare xstate yardstick has the shape of authchart’s path (counts that differ)',
      unit: 'counts',
      value: differing.length,
      goal: { text: 'no count differs (the bench fails otherwise)', threshold: 0, op: '==' },
      how: "One cycle on each actor with xstate's `inspect` option: states entered, invoked actors (`@xstate.actor`), timers (delayed `xstate.raise`), eventless transitions and microsteps.",
      detail: out.shape,
    }),
    figure({
      id: 'P3.cpuVsBareXstate',
      title: 'CPU per sign-in + sign-out cycle, authchart ÷ bare xstate machine of the same shape',
      unit: '×',
      value: (out.ratios['authchartVsBareXstate'] as Summary).median,
      goal: { text: '≤ 1.3× the bare xstate machine', threshold: 1.3, op: '<=' },
      how: `In-memory services, real-size tokens. The bare machine is built from the path authchart's chart takes in one recorded cycle (same state nodes, nesting, eventless steps, timers, invoked actors and emitted event types), so it follows the chart without upkeep. Its actors and the hand-written equivalent do authchart's work (service calls, storage writes, jose decode, result object). Ratio paired per round. ${rounds}`,
      detail,
    }),
  ];
  const amplifyFigure = (which: 'SDK' | 'fetch') => {
    const key = which === 'SDK' ? 'authchartSdkVsAmplifyOnStub' : 'authchartFetchVsAmplifyOnStub';
    const base = {
      id: `P3.cpuVsAmplify.${which.toLowerCase()}`,
      title: `CPU per cycle over HTTP on the stub, authchart (${which}) ÷ Amplify`,
      unit: '×',
      goal: { text: "≤ Amplify's CPU per cycle (1.0×)", threshold: 1, op: '<=' as const },
      how: `USER_PASSWORD_AUTH sign-in + local sign-out against the Cognito stub (in the parent process, so its CPU is not counted). ${rounds}`,
    };
    const r = out.ratios[key];
    return r
      ? figure({ ...base, value: r.median, detail })
      : unavailable(base, 'the fetch transport (src/adapters/cognito/index.ts) is not in this checkout');
  };
  figures.push(amplifyFigure('SDK'), amplifyFigure('fetch'));
  return figures;
}
