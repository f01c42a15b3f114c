/**
 * Renders docs/benchmarks.md from bench/results.json: the whole page is generated, so every
 * number in it comes from the last run. Used by bench/run.ts and tools/bench-doc.ts.
 */
import type { Figure, Summary } from './stats.js';

export interface Results {
  machine: Record<string, unknown>;
  quick: boolean;
  rounds: number;
  durationS: number;
  figures: Figure[];
}

const isSummary = (x: unknown): x is Summary =>
  typeof x === 'object' && x !== null && 'median' in x && 'min' in x && 'max' in x;
const cell = (x: unknown): string => {
  if (isSummary(x)) return `${x.median} (${x.min}–${x.max})`;
  if (typeof x === 'object' && x !== null)
    return Object.entries(x)
      .map(([k, v]) => `${k}: ${cell(v)}`)
      .join(', ');
  return String(x);
};
const esc = (s: string) => s.replace(/\|/g, '\\|');

/** Detail entries as table rows: a map of summaries becomes one row per key. */
function detailRows(detail: Record<string, unknown>): string[] {
  const rows: string[] = [];
  for (const [key, value] of Object.entries(detail)) {
    const nested = typeof value === 'object' && value !== null && !isSummary(value) ? Object.entries(value) : null;
    if (nested?.every(([, v]) => isSummary(v) || typeof v !== 'object')) {
      for (const [k, v] of nested) rows.push(`| ${esc(key)} | ${esc(k)} | ${esc(cell(v))} |`);
    } else rows.push(`| ${esc(key)} | | ${esc(cell(value))} |`);
  }
  return rows;
}

function section(f: Figure): string {
  const value = f.value === null ? 'not available' : `${f.value} ${f.unit}`;
  const lines = [
    `### ${f.id}: ${f.title}`,
    '',
    `**${value}** — goal: ${f.goal.text} — **${f.met ? 'met' : 'not met'}**${f.reason ? ` (${f.reason})` : ''}`,
    '',
    `How measured: ${f.how}`,
  ];
  const rows = detailRows(f.detail);
  if (rows.length > 0)
    lines.push('', '| measurement | side | median (min–max) or value |', '| --- | --- | --- |', ...rows);
  return lines.join('\n');
}

const PARTS: Record<string, string> = {
  P1: 'P1 — sign-out wall time over HTTP, against a floor on the same stack',
  P2: 'P2 — a server that never answers',
  P3: 'P3 — CPU per sign-in + sign-out cycle',
  P4: 'P4 — bundle size',
  P5: 'P5 — memory per signed-in actor',
  P6: 'P6 — sessions across processes (Redis)',
};

/**
 * @example writeFileSync('docs/benchmarks.md', renderBenchmarks(JSON.parse(readFileSync('bench/results.json', 'utf8'))));
 */
export function renderBenchmarks(r: Results): string {
  const m = r.machine;
  const met = r.figures.filter((f) => f.met).length;
  const out = [
    '# Benchmarks: authchart vs Amplify JS v6',
    '',
    '<!-- Generated from bench/results.json by `npm run bench` (or `npx tsx tools/bench-doc.ts`). Do not edit. -->',
    '',
    `Latest run: ${m['date']}, ${m['cpu']}, ${m['cores']} cores, ${m['memoryGiB']} GiB, Node ${m['node']}; ` +
      `${r.rounds} rounds per figure${r.quick ? ' (QUICK mode: not a measurement)' : ''}; the run took ${r.durationS} s.`,
    `Machine state: ${m['state']}`,
    '',
    'Both libraries run against the same Cognito stub (bench/cognito-stub.ts, 127.0.0.1, JSON 1.1, real-size',
    'Cognito-shaped tokens), in the same rounds, in rotating order, after a warm-up. Every figure is the',
    'median over rounds with min and max, and carries its goal; CI only checks that the bench runs.',
    'CPU and memory figures (P3, P5) run in fresh processes against the compiled library in `dist/`.',
    'P1 and P2 run in the bench process, which loads authchart from `dist/` too.',
    '',
    "What the figures do not say: authchart's sign-out does more than Amplify's (a journal write, bounded steps,",
    "a result with per-step outcomes); Amplify's `signOut` also clears its Hub and OAuth state. Both keep tokens",
    'in memory here (Node). A figure whose value is "n/a" could not be measured in this checkout; the reason is given.',
    '',
    `**${met} of ${r.figures.length} goals met.**`,
    '',
    '| figure | value | goal | met |',
    '| --- | --- | --- | --- |',
    ...r.figures.map(
      (f) =>
        `| ${f.id} | ${f.value === null ? 'n/a' : `${f.value} ${f.unit}`} | ${esc(f.goal.text)} | ${f.met ? 'yes' : 'no'} |`,
    ),
  ];
  for (const [part, title] of Object.entries(PARTS)) {
    const figures = r.figures.filter((f) => f.id.startsWith(`${part}.`));
    if (figures.length === 0) continue;
    out.push('', `## ${title}`, '', figures.map(section).join('\n\n'));
  }
  return `${out.join('\n')}\n`;
}
