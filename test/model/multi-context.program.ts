/**
 * The programs of the multi-context model (docs/storage.md, "Exploring"): what fast-check chooses for
 * a run (the contexts, the world's faults, the steps) and how a program reads in a failure report.
 * Every fault is an option of the run, so shrinking removes the faults a failure does not need.
 */
import fc from 'fast-check';
import {
  type ConnFault,
  describeReentry,
  type ReentrantCall,
  type Reentry,
  type Trigger,
} from './multi-context.env.js';
import { type Initial, type RemoteFault, USERS } from './multi-context.world.js';

/** After a call: 0 = issue the next one in the same tick, n > 0 = let n ms pass, -1 = wait until it settles. */
export type Gap = number;
export type Step =
  | { t: 'signIn'; ctx: number; user: number; gap: Gap }
  | { t: 'signOut'; ctx: number; global: boolean; gap: Gap }
  | { t: 'fetchTokens'; ctx: number; forceRefresh: boolean; gap: Gap }
  | { t: 'retry'; ctx: number; gap: Gap }
  | { t: 'crash'; ctx: number }
  | { t: 'stop'; ctx: number }
  | { t: 'net'; ctx: number; online: boolean }
  | { t: 'wait'; ms: number };

export interface Input {
  contexts: number;
  deferRevocation: boolean;
  rotate: boolean;
  storageMs: number[];
  remoteMs: number[];
  faultAt: number | null;
  /** Fault `remote`: Cognito's answer to the n-th refresh/RevokeToken/GlobalSignOut (then `ok`). */
  remoteFaults: RemoteFault[];
  /** Fault `slow`: storage operations that take longer than `storageMs` (they outlive their lock). */
  slowOps: number[];
  /** Fault `skew`: each context's clock, ahead (+) or behind (−) the fake's, in ms. */
  skewMs: number[];
  /** Fault `hints`: how many storage reads fail right after a context gets a sync message. */
  hintReadFails: number;
  /** Fault `initial`: what storage holds before the first context starts. */
  initial: Initial;
  /**
   * Fault `late`: a sign-in or refresh request that reached Cognito answers even when its abort
   * signal fired meanwhile (a transport that ignores it once the request is sent).
   */
  late?: boolean;
  /** Fault `conn`: context c's connectivity (contexts past the list have a sound one). */
  conn?: ConnFault[];
  /** Fault `reentry`: inspect observers that call their own instance while its chart is processing. */
  reentries?: Reentry[];
  /** The storage checks the lock's fence at commit (like fileStorage and Redis): a late write never lands. */
  fenced: boolean;
  steps: Step[];
}

/** The contexts' `timeouts.storageMs`, and how long a slow operation takes: past it. */
export const STORAGE_MS = 1000;
export const SLOW_MS = 1500;

/**
 * The model's fault classes (docs/storage.md, "Exploring"), by name; `MC_OFF=hints,stop` leaves those
 * out (investigation, CI).
 */
export const FAULTS = ['remote', 'slow', 'skew', 'hints', 'stop', 'initial', 'late', 'conn', 'reentry'] as const;
export type Fault = (typeof FAULTS)[number];
/**
 * What CI leaves out: nothing. A fault class goes here only while a defect it finds is open in src
 * (each one a case in `multi-context.found.ts`). `npm run explore` sets `MC_OFF=` (every fault on).
 */
export const CI_OFF: readonly Fault[] = [];
const off = new Set(
  (process.env['MC_OFF'] ?? CI_OFF.join(','))
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean),
);

/** Mostly nothing: a fault in every run would hide the ordinary paths, and shrinking goes towards none. */
const sometimes = <T>(fault: Fault, none: T, some: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  off.has(fault)
    ? fc.constant(none)
    : fc.oneof({ withCrossShrink: true }, { weight: 3, arbitrary: fc.constant(none) }, { weight: 1, arbitrary: some });

const gap = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 40 }) },
  { weight: 3, arbitrary: fc.constant(-1) },
);
const ctx = fc.nat({ max: 3 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('signIn' as const), ctx, user: fc.nat({ max: 1 }), gap }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('signOut' as const), ctx, global: fc.boolean(), gap }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('fetchTokens' as const), ctx, forceRefresh: fc.boolean(), gap }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('retry' as const), ctx, gap }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('crash' as const), ctx }) },
  { weight: off.has('stop') ? 0 : 1, arbitrary: fc.record({ t: fc.constant('stop' as const), ctx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('net' as const), ctx, online: fc.boolean() }) },
  // An hour lets every context's refresh timer fire.
  { weight: 1, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.constantFrom(5, 200, 3_600_000) }) },
);
const latencies = fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 12 });
const remoteFault = fc.constantFrom<RemoteFault>('ok', 'throttled', 'service');
// subscribe() throws from its 1st call (the instance's), 2nd (the outbox's first), 3rd, or never.
const connFault: fc.Arbitrary<ConnFault> = fc.record({
  throwFrom: fc.nat({ max: 3 }),
  unsubscribeThrows: fc.boolean(),
});
const reentry: fc.Arbitrary<Reentry> = fc.record({
  ctx,
  on: fc.constantFrom<Trigger>('OUTBOX_DRAINED', 'SIGN_OUT', 'RETRY_DEFERRED', 'outboxReport'),
  nth: fc.integer({ min: 1, max: 3 }),
  call: fc.constantFrom<ReentrantCall>('retry', 'signOut', 'fetchTokens'),
});

export const input: fc.Arbitrary<Input> = fc
  .record({
    contexts: fc.integer({ min: 2, max: 4 }),
    deferRevocation: fc.boolean(),
    rotate: fc.boolean(),
    storageMs: latencies,
    remoteMs: latencies,
    // One run in four throws on one storage operation (0-150); shrinking goes towards no fault at all.
    faultAt: fc.nat({ max: 603 }).map((v) => (v < 453 ? null : v - 453)),
    remoteFaults: sometimes('remote', [], fc.array(remoteFault, { minLength: 1, maxLength: 8 })),
    slowOps: sometimes('slow', [], fc.uniqueArray(fc.nat({ max: 150 }), { minLength: 1, maxLength: 3 })),
    skewMs: sometimes('skew', [], fc.array(fc.integer({ min: -60_000, max: 60_000 }), { minLength: 1, maxLength: 4 })),
    hintReadFails: sometimes('hints', 0, fc.integer({ min: 1, max: 3 })),
    initial: sometimes<Initial>('initial', 'empty', fc.constantFrom<Initial>('corrupt', 'corruptOutbox', 'oldLayout')),
    late: sometimes('late', false, fc.constant(true)),
    conn: sometimes('conn', [], fc.array(connFault, { minLength: 1, maxLength: 4 })),
    reentries: sometimes('reentry', [], fc.array(reentry, { minLength: 1, maxLength: 3 })),
    fenced: fc.boolean(),
    steps: fc.array(step, { minLength: 1, maxLength: 20 }),
  })
  .map((i) => Object.assign(i, { [fc.toStringMethod]: () => program(i) }));

export function describeStep(s: Step, contexts: number): string {
  const c = 'ctx' in s ? `c${s.ctx % contexts}.` : '';
  const after = (g: Gap) => (g === 0 ? '   (same tick)' : g < 0 ? '   (awaited)' : `   (+${g} ms)`);
  switch (s.t) {
    case 'signIn':
      return `${c}signIn(${USERS[s.user]})${after(s.gap)}`;
    case 'signOut':
      return `${c}signOut({ global: ${s.global} })${after(s.gap)}`;
    case 'fetchTokens':
      return `${c}fetchTokens({ forceRefresh: ${s.forceRefresh} })${after(s.gap)}`;
    case 'retry':
      return `${c}retryDeferredRevocations()${after(s.gap)}`;
    case 'crash':
      return `${c}crash: killed (nothing of it lands) and a new createAuth on the same storage and bus`;
    case 'stop':
      return `${c}stop(): a clean stop (its storage writes land) and a new createAuth on the same storage and bus`;
    case 'net':
      return `${c}connectivity ${s.online ? 'on' : 'off'}`;
    case 'wait':
      return `wait ${s.ms} ms`;
  }
}

/** Context `c`'s clock skew (contexts past the list run on the fake's clock). */
export const skewOf = (i: Input, c: number): number => i.skewMs[c] ?? 0;

export function program(i: Input): string {
  const faults = [
    `fault at storage op ${i.faultAt ?? 'none'}`,
    `remote faults [${i.remoteFaults}]`,
    `slow storage ops (${SLOW_MS} ms > storageMs ${STORAGE_MS}) [${i.slowOps}]`,
    `clock skew ms [${i.skewMs}]`,
    `reads failing after a hint: ${i.hintReadFails}`,
    `late answers: ${i.late === true}`,
    `storage at start: ${i.initial}`,
    `connectivity [${(i.conn ?? [])
      .slice(0, i.contexts)
      .map(
        (f, c) =>
          `c${c}: subscribe throws from #${f.throwFrom || 'never'}${f.unsubscribeThrows ? ', unsubscribe throws' : ''}`,
      )
      .join('; ')}]`,
    `re-entrant calls from inspect [${(i.reentries ?? []).map((r) => describeReentry(r, i.contexts)).join('; ')}]`,
    `storage fenced at commit: ${i.fenced}`,
  ];
  const head =
    `${i.contexts} contexts, deferRevocation: ${i.deferRevocation}, rotation: ${i.rotate}, ` +
    `storage ms [${i.storageMs}], remote ms [${i.remoteMs}]\n  ${faults.join(', ')}`;
  return [head, ...i.steps.map((s, n) => `  ${n + 1}. ${describeStep(s, i.contexts)}`)].join('\n');
}
