/**
 * Open defects in src the multi-context model found with the faults of issue 24, each as the
 * shrunk program that shows it. `multi-context.test.ts` replays each as an `it.fails` case: CI stays
 * green while the defect is open, and the case goes red the day src fixes it (then turn it into a
 * plain `it` and take its fault class out of `CI_OFF`). Found on seed 20261125 with one fault class on.
 */
import type { Input, Step } from './multi-context.program.js';

export interface Defect {
  name: string;
  /** The invariant it breaks, as the violation starts. */
  breaks: string;
  input: Input;
}

const base = {
  contexts: 2,
  deferRevocation: false,
  rotate: false,
  storageMs: [0],
  remoteMs: [0],
  faultAt: null,
  remoteFaults: [],
  slowOps: [],
  skewMs: [],
  hintReadFails: 0,
  initial: 'empty',
} satisfies Omit<Input, 'steps'>;

const signIn = (ctx: number, gap: number): Step => ({ t: 'signIn', ctx, user: 0, gap });

export const DEFECTS: Defect[] = [
  {
    name:
      "D1: a sign-in whose save fails, when another context's sign-in is in storage, follows it and never " +
      'reports that RevokeToken failed for its own refresh token (the app only hears "Could not write to storage")',
    breaks: '[6]',
    // FC_SEED=20261125 MC_OFF=slow,skew,hints,stop,initial: RevokeToken answers 500.
    input: {
      ...base,
      storageMs: [1],
      faultAt: 13,
      remoteFaults: ['service'],
      steps: [signIn(1, 1), signIn(0, -1)],
    },
  },
  {
    name: 'D1 again, by a save slower than storageMs while the context is offline (RevokeToken fails Offline)',
    breaks: '[6]',
    // FC_SEED=20261125 MC_OFF=remote,skew,hints,stop,initial.
    input: {
      ...base,
      slowOps: [14],
      steps: [
        signIn(0, 0),
        signIn(1, 0),
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: 1 },
        { t: 'net', ctx: 1, online: false },
        { t: 'signOut', ctx: 0, global: false, gap: 1 },
      ],
    },
  },
  {
    name: 'D3: a migration of the old layout whose key removal fails in part (the pointer goes, a token key stays) leaves that token at rest for good: a clear looks at the old layout only where its pointer is, and the sign-out answers complete',
    breaks: '[1]',
    // FC_SEED=20261125 MC_OFF=remote,slow,skew,hints,stop.
    input: {
      ...base,
      faultAt: 11,
      initial: 'oldLayout',
      steps: [
        { t: 'signOut', ctx: 0, global: false, gap: 1 },
        { t: 'retry', ctx: 0, gap: 1 },
      ],
    },
  },
  {
    name: "D4: a signOut() made while the chart runs its own sign-out of a failed sign-in is never answered when that sign-out finds another context's session and follows it (it settles only at stop())",
    breaks: '[5]',
    // FC_SEED=20261125 MC_OFF=remote,slow,skew,stop,initial: two reads fail after each sync message.
    input: {
      ...base,
      storageMs: [2],
      hintReadFails: 2,
      steps: [signIn(0, -1), signIn(1, 0), signIn(0, -1), { t: 'signOut', ctx: 1, global: false, gap: -1 }],
    },
  },
];
