/**
 * Shared bench helpers: summaries (median, min, max), interleaving order, and the `Figure` record
 * every measurement ends up in (a value, its goal, and whether the goal is met).
 */

/** Median, min and max of a set of rounds. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * @example summarize([3, 1, 2]) // { median: 2, min: 1, max: 3, rounds: 3 }
 */
export function summarize(xs: readonly number[], digits = 2): Summary {
  if (xs.length === 0) throw new Error('summarize: no rounds');
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  return {
    median: round(median, digits),
    min: round(s[0] as number, digits),
    max: round(s.at(-1) as number, digits),
    rounds: s.length,
  };
}

/** `"1.2 (0.9–1.6)"`: median with min and max. */
export const fmt = (s: Summary, unit = ''): string => `${s.median}${unit} (${s.min}–${s.max})`;

/**
 * Round `i`'s order: the list rotated by `i`, so each participant goes first equally often and
 * slow-downs from other load on the machine fall on every side alike.
 * @example rotation(['a', 'b', 'c'], 1) // ['b', 'c', 'a']
 */
export function rotation<T>(items: readonly T[], i: number): T[] {
  const k = i % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** How a figure compares with its threshold. */
export type GoalOp = '<=' | '>=' | '==';

export interface Goal {
  text: string;
  /** The number the figure's `value` is compared with (`null` when the figure could not be measured). */
  threshold: number | null;
  op: GoalOp;
}

/** One reported figure: what it is, how it was measured, its goal, and whether it is met. */
export interface Figure {
  id: string;
  title: string;
  unit: string;
  /** The number compared with the goal; `null` when not measurable (then `reason` says why). */
  value: number | null;
  goal: Goal;
  met: boolean;
  how: string;
  reason?: string;
  /** The measurements behind `value` (summaries of rounds, yardsticks, the other side). */
  detail: Record<string, unknown>;
}

/**
 * Builds a figure and decides `met` from `value`, `goal.op` and `goal.threshold`.
 * @example figure({ id: 'P5.heap', title: 'Heap', unit: 'KB', value: 6.1, goal: { text: '≤ 7 KB', threshold: 7, op: '<=' }, how: '…', detail: {} }).met // true
 */
export function figure(f: Omit<Figure, 'met'> & { met?: boolean }): Figure {
  const { value, goal } = f;
  let met = false;
  if (value !== null && goal.threshold !== null) {
    if (goal.op === '<=') met = value <= goal.threshold;
    else if (goal.op === '>=') met = value >= goal.threshold;
    else met = value === goal.threshold;
  }
  return { ...f, met: f.met ?? met };
}

/** A figure that could not be measured in this run: never met, with the reason. */
export function unavailable(f: Omit<Figure, 'met' | 'value' | 'reason' | 'detail'>, reason: string): Figure {
  return { ...f, value: null, met: false, reason, detail: {} };
}

/** User + system CPU time of this process, in µs. */
export function cpuMicros(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** `BENCH_QUICK=1`: few rounds and small counts, to check that the bench runs, not to measure. */
export const QUICK = process.env['BENCH_QUICK'] === '1';
/** Rounds per figure (at least 11 unless quick). */
export const ROUNDS = Math.max(QUICK ? 3 : 11, Number(process.env['BENCH_ROUNDS'] ?? (QUICK ? 3 : 15)));
