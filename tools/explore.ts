/**
 * `npm run explore -- --minutes N`: runs the multi-context model (test/model/multi-context.test.ts)
 * with random seeds and every fault class on (docs/storage.md, "Exploring"), until the time is up.
 * CI replays one fixed seed with the faults of open defects off; this is where new interleavings are
 * looked for.
 *
 * Each batch is one vitest process (`FC_SEED=<seed> FC_RUNS=<runs>`): fast-check stops at a batch's
 * first failure and shrinks it, and the seed and path it prints replay it exactly. Prints the runs
 * and seeds tried and, on a failure, the seed, path, first violation and replay command; exits 1.
 *
 * Options: --minutes N (default 10), --runs N per batch (default 1000), --off remote,slow (fault
 * classes to leave out, as MC_OFF), --keep-going (list every failing batch instead of stopping).
 */
import { spawn } from 'node:child_process';
import { parseArgs, stripVTControlCharacters } from 'node:util';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    runs: { type: 'string', default: '1000' },
    off: { type: 'string', default: '' },
    'keep-going': { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const runsPerBatch = Number(values.runs);
if (!(minutes > 0) || !(runsPerBatch > 0)) {
  console.error('usage: npm run explore -- [--minutes N] [--runs N] [--off remote,slow] [--keep-going]');
  process.exit(2);
}
const started = Date.now();
const deadline = started + minutes * 60_000;
const TEST = 'test/model/multi-context.test.ts';
// Only the property: the fixed defect cases would run again in every batch for nothing.
const PROPERTY = 'no token at rest after complete';

interface Batch {
  seed: number;
  runs: number;
  failure: { path: string; violation: string; output: string } | null;
}

// Strip ANSI colours (vitest colours its output even into a pipe when FORCE_COLOR is set).
const plain = (s: string) => stripVTControlCharacters(s);

function batch(seed: number): Promise<Batch> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', TEST, '-t', PROPERTY], {
      env: { ...process.env, FC_SEED: String(seed), FC_RUNS: String(runsPerBatch), MC_OFF: values.off },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    // A batch still running at the deadline is cut short: its runs are not counted.
    const timer = setTimeout(() => child.kill('SIGTERM'), Math.max(0, deadline - Date.now()) + 5_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const text = plain(output);
      const runs = Number(/multi-context model: (\d+) runs/.exec(text)?.[1] ?? 0);
      const path = /seed: -?\d+, path: "([^"]*)"/.exec(text)?.[1];
      if (code === 0 || path === undefined) {
        resolve({ seed, runs: code === 0 ? runs : 0, failure: null });
        return;
      }
      const violation = /^\[\d\] .*$/m.exec(text)?.[0] ?? '(see output)';
      resolve({ seed, runs, failure: { path, violation, output: text } });
    });
  });
}

let runs = 0;
const seeds: number[] = [];
const failures: Batch[] = [];
while (Date.now() < deadline) {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const b = await batch(seed);
  if (Date.now() > deadline + 4_000 && b.failure === null) break;
  seeds.push(seed);
  runs += b.runs;
  console.log(`seed ${seed}: ${b.runs} runs${b.failure ? `, FAILED ${b.failure.violation}` : ''}`);
  if (b.failure) {
    failures.push(b);
    if (!values['keep-going']) break;
  }
}

const took = ((Date.now() - started) / 60_000).toFixed(1);
console.log(`\nexplore: ${runs} runs over ${seeds.length} seeds in ${took} of ${minutes} min (${seeds.join(', ')})`);
for (const f of failures) {
  const fail = f.failure as NonNullable<Batch['failure']>;
  const counterexample = /Counterexample: \[([\s\S]*?)\]\nShrunk/.exec(fail.output)?.[1] ?? '';
  console.log(`\nFAILED seed ${f.seed} path ${fail.path}\n${fail.violation}\nprogram:\n${counterexample}`);
  console.log(
    `replay: MC_OFF=${values.off} FC_SEED=${f.seed} FC_PATH=${fail.path} npx vitest run ${TEST} -t '${PROPERTY}'`,
  );
}
process.exit(failures.length > 0 ? 1 : 0);
