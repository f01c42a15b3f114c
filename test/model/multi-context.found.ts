/**
 * Defects of src the multi-context model found with its faults (Cognito's 429/5xx, slow storage,
 * clock skew, failing reads after a hint, `stop()`, corrupt or old-layout data at start), each as the
 * shrunk program that showed it, now fixed: `multi-context.test.ts` replays each and asserts its
 * invariant holds. Every seed `npm run explore` finds becomes one more case here (fixed first).
 */
import type { Input, Step } from './multi-context.program.js';

export interface Found {
  name: string;
  /** The invariant it breaks, as the violation starts. */
  breaks: string;
  input: Input;
}

export const base = {
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
  fenced: false,
} satisfies Omit<Input, 'steps'>;

export const signIn = (ctx: number, gap: number): Step => ({ t: 'signIn', ctx, user: 0, gap });
export const signOut = (ctx: number, gap: number): Step => ({ t: 'signOut', ctx, global: false, gap });

export const FOUND: Found[] = [
  {
    name:
      "a sign-in whose save fails, when another context's sign-in is in storage, follows it and never " +
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
    name: 'the same by a save slower than storageMs while the context is offline (RevokeToken fails Offline)',
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
    name: 'a clear that failed after another context signed the same session out: the context reads storage again and follows it (not signed in for good)',
    breaks: '[4]',
    // FC_SEED=20261125 MC_OFF= FC_PATH=16:1:1:1:1:1:1:1:1:1:1:3:2:0:2:4:6:7:6:5:5:5:5:5
    input: {
      ...base,
      remoteFaults: ['ok'],
      hintReadFails: 1,
      steps: [signIn(0, -1), signOut(1, 0), signOut(0, 1), { t: 'crash', ctx: 0 }],
    },
  },
  {
    name: 'the same with RevokeToken throttled: the signedOut event says RevokeToken failed',
    breaks: '[6]',
    // FC_SEED=20261125 MC_OFF= FC_PATH=16:2:2:2:1:4:2:1:1:1:7:10:10:0:6
    input: {
      ...base,
      remoteFaults: ['throttled'],
      hintReadFails: 3,
      steps: [signIn(0, 0), signIn(1, -1), { t: 'crash', ctx: 0 }],
    },
  },
  {
    name: 'a clear slower than storageMs answers failed, then lands: the context reads storage again, follows it, and tells the others',
    breaks: '[4]',
    // FC_SEED=20261125 MC_OFF= FC_PATH=172:2:3:2:3:3:2:2:2:2:9:6:5:5:6:2:2:9:1:5
    input: { ...base, contexts: 3, remoteFaults: [], slowOps: [31], steps: [signIn(0, 1), signOut(0, -1)] },
  },
  {
    name: 'an offline sign-out whose clear times out answers failed with RevokeToken skipped: that answer tells the app the token was not revoked',
    breaks: '[6]',
    // FC_SEED=20261125 MC_OFF= FC_PATH=168:1:3:1:2:2:2:3:11:11:11:15:1:2:10:9:11:13:13:5:13:13:13:16:16:18:18:18:18:3:2
    input: {
      ...base,
      contexts: 3,
      storageMs: [2],
      remoteFaults: ['ok'],
      slowOps: [51, 0],
      skewMs: [0],
      initial: 'oldLayout',
      steps: [signIn(1, -1), signOut(0, 1), { t: 'crash', ctx: 0 }, signOut(0, 1), { t: 'net', ctx: 0, online: false }],
    },
  },
  {
    name: 'a read that succeeds starts the back-off of failed reads over: an hour later, a context whose reads fail after a hint still follows storage within seconds',
    breaks: '[4]',
    // FC_SEED=1021700496 MC_OFF= FC_PATH=30:2:2:3:3:2:4:3:3:2:6:11:6:10:11:11:11:4:4:4:5:10:9:13:16:19:19:21:23:24:2:5:9:1:8:9:9:7:0:6
    input: {
      ...base,
      remoteFaults: [],
      skewMs: [0],
      hintReadFails: 2,
      steps: [signIn(0, -1), signOut(0, -1), { t: 'wait', ms: 3_600_000 }, signIn(0, 0)],
    },
  },
  {
    name: 'a sign-out from a context waiting to re-read storage after a hint, whose clear fails: it reads storage again afterwards (the hint is not lost)',
    breaks: '[4]',
    // FC_SEED=298771318 MC_OFF= FC_PATH=6:2:2:2:2:1:1:1:1:4:5:6:7:8:10:12:0:6:5:6:6:6:6:6
    input: {
      ...base,
      remoteFaults: ['ok'],
      skewMs: [0],
      hintReadFails: 3,
      initial: 'oldLayout',
      steps: [signOut(0, 1), signOut(1, 1), { t: 'net', ctx: 0, online: false }],
    },
  },
  {
    name: 'signOut() holding a session another context replaced: its RevokeToken is throttled, it goes on to sign out the newer session, and its answer says the first RevokeToken failed (never complete)',
    breaks: '[1]',
    // FC_SEED=510576911 MC_OFF= FC_PATH=197:2:3:3:2:3:3:3:5:2:4:11:11:17:21:21:23:3:15:19:19:2
    input: {
      ...base,
      contexts: 4,
      storageMs: [1],
      remoteFaults: ['throttled'],
      initial: 'corrupt',
      steps: [signIn(2, 1), signIn(3, -1), signOut(2, 1), signOut(0, 1), { t: 'net', ctx: 2, online: false }],
    },
  },
  {
    name: "a refresh refused because another context rotated the token, when storage could not be read in time: the sign-out's clear keeps the session refreshed elsewhere and follows it (it never removes a newer token of the same session)",
    breaks: '[6]',
    // FC_SEED=140339174 MC_OFF= FC_PATH=737:2:3:3:3:3:3:6:3:3:1:2:2:5:4:4:4:7:5:7:8:7:7:7
    input: {
      ...base,
      contexts: 3,
      rotate: true,
      remoteFaults: [],
      slowOps: [28],
      skewMs: [0],
      hintReadFails: 1,
      initial: 'oldLayout',
      steps: [{ t: 'wait', ms: 3_600_000 }, signIn(0, 1)],
    },
  },
  {
    name: 'stop() while the clear runs fences it off: the journal stays, the next start finishes the sign-out and tells the other contexts (a clear that landed after stop() told no one)',
    breaks: '[4]',
    // FC_SEED=1398236239 MC_OFF= FC_PATH=61:1:3:1:1:5:10:8:5:5:5:2:3:3:4:5:6:5:6:1:4:3:8:10:12:1:1:2:1:15:15:17:16:16:18:19:18:19:21:21:14:16:16:16:16
    input: {
      ...base,
      contexts: 3,
      storageMs: [1],
      remoteFaults: ['ok'],
      slowOps: [28],
      steps: [
        signIn(0, -1),
        signOut(0, 1),
        { t: 'retry', ctx: 0, gap: 1 },
        signOut(0, 7),
        { t: 'stop', ctx: 0 },
        { t: 'retry', ctx: 0, gap: 1 },
      ],
    },
  },
  {
    name: "a sync message starts the back-off of reading storage over: a context whose refreshes failed for an hour offline still follows another context's sign-out within seconds",
    breaks: '[4]',
    // FC_SEED=602874827 MC_OFF= FC_PATH=511:2:2:2:2:2:2:2:4:2:2:2:2:5:9:8:8:8:9:2:3:2:3:4:9:11:13:1:12:12:12:12:12
    input: {
      ...base,
      contexts: 3,
      remoteFaults: ['ok'],
      slowOps: [6],
      hintReadFails: 2,
      steps: [
        signIn(0, 1),
        { t: 'net', ctx: 0, online: false },
        { t: 'wait', ms: 3_600_000 },
        signOut(1, -1),
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: 0 },
      ],
    },
  },
  {
    name: "stop() while a sign-out's clear runs, when the clear landed just before: the other contexts are told to read storage, so none stays signed in to the session it cleared",
    breaks: '[4]',
    // FC_SEED=738223383 MC_OFF= FC_PATH=461:0:0:17:23:24:24:26:25:27:4:17:20:14:14:16:20:14:14:20:14:22:16:20:14:20:28:29:30:30:30
    input: {
      ...base,
      storageMs: [6, 15, 2, 2],
      remoteMs: [4, 2],
      remoteFaults: ['throttled'],
      skewMs: [0],
      steps: [
        signIn(0, 1),
        { t: 'signOut', ctx: 1, global: true, gap: 0 },
        { t: 'wait', ms: 200 },
        { t: 'stop', ctx: 1 },
        signIn(0, 1),
      ],
    },
  },
  {
    name: 'every context that follows a sign-out tells the others, and each hint made their reads fail again: the world now ends its faults with the program, so convergence is judged once they stop (a world defect, not one of src)',
    breaks: '[4]',
    // FC_SEED=1382239602 MC_OFF= FC_PATH=600:2:2:2:3:4:4:4:4:4:8:7:8:3:3:3:7:7:7:12:14:6:10:11:2:3:13:13:14:13:13:13:13:14:2:9:10
    input: {
      ...base,
      contexts: 4,
      remoteFaults: ['ok'],
      slowOps: [0],
      hintReadFails: 3,
      steps: [signIn(3, -1), signIn(0, 1), signOut(3, -1)],
    },
  },
  {
    name: 'a context signed out because it could not read storage hears that another signed out: it reads storage now (another session may be there), not after its doubled back-off',
    breaks: '[4]',
    // FC_SEED=383752622 MC_OFF= FC_PATH=245:10:5:5:5:5:5:1:1:1:1:1:8:2:3:2:6:10:9:10:3:8:5:1:5:5:7:7:7:7
    input: {
      ...base,
      contexts: 3,
      remoteFaults: [],
      slowOps: [22],
      hintReadFails: 3,
      steps: [signIn(0, -1), signIn(1, -1), { t: 'retry', ctx: 0, gap: 0 }],
    },
  },
  {
    name: "a crash between a rotated refresh and its write, then an offline sign-out that defers the token it restored: the rotated token lost in the crash is the documented limit, not the deferral's (a world defect: the check blamed the deferral)",
    breaks: '[2]',
    // FC_SEED=880135688 MC_OFF= FC_PATH=524:0:2:3:4:4:4:7:5:4:4:8:7:12:3:2:11:14:17:18:16:2:17:17:3:2:16:19:19:16:14:14
    input: {
      ...base,
      deferRevocation: true,
      rotate: true,
      storageMs: [1],
      remoteFaults: ['ok'],
      initial: 'corrupt',
      steps: [
        signIn(0, -1),
        { t: 'fetchTokens', ctx: 0, forceRefresh: true, gap: 1 },
        { t: 'crash', ctx: 0 },
        { t: 'net', ctx: 0, online: false },
        signOut(0, 1),
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: -1 },
      ],
    },
  },
  {
    name: "an online signOut() of a session whose newest (rotated) token another context's offline sign-out put in the outbox: it revokes that token too before it answers complete",
    breaks: '[1]',
    // FC_SEED=2077161387 MC_OFF= FC_PATH=916:3:4:4:4:3:3:5:4:3:5:7:6:8:11:12:15:15:4:22:26:26:22:22:22 (also 1563829218)
    input: {
      ...base,
      contexts: 3,
      deferRevocation: true,
      rotate: true,
      storageMs: [1],
      steps: [
        signIn(0, -1),
        { t: 'wait', ms: 3_600_000 },
        signOut(0, 1),
        { t: 'net', ctx: 0, online: false },
        { t: 'fetchTokens', ctx: 1, forceRefresh: true, gap: 0 },
        signOut(2, -1),
        signIn(0, -1),
      ],
    },
  },
  {
    name: "signOut() while a refresh's rotated token is being stored, and that write fails: the sign-out revokes the rotated token (storage's older one after it), never storage's older one in its place",
    breaks: '[6]',
    // FC_SEED=2129803646 MC_OFF= FC_PATH=401:2:3:2:2:3:3:12:15:14:15:15:16:2:11:8:8:7:7:7
    input: {
      ...base,
      contexts: 3,
      rotate: true,
      storageMs: [1],
      faultAt: 28,
      steps: [signIn(0, -1), { t: 'fetchTokens', ctx: 0, forceRefresh: true, gap: 1 }, signOut(0, 0)],
    },
  },
  {
    name: "signOut({ global: true }) joining a local sign-out before its remote steps, just as another context's sign-in lands: like any call that joins, it covers what storage holds, so that session is signed out too before complete",
    breaks: '[1]',
    // FC_SEED=1066235624 MC_OFF= FC_PATH=614:1:5:10:1:4:6:6:9:2:14:2:7:15:7:7:13:13:13:13:6:14:12:16:19:22:24:27:27:25
    input: {
      ...base,
      contexts: 3,
      storageMs: [4, 1],
      hintReadFails: 1,
      steps: [
        signIn(0, -1),
        signIn(1, 9),
        signOut(0, 0),
        signIn(0, 5),
        { t: 'wait', ms: 5 },
        { t: 'signOut', ctx: 0, global: true, gap: 1 },
        { t: 'wait', ms: 5 },
      ],
    },
  },
  {
    name: "an online signOut() of a session whose rotated token another context's offline global sign-out left in the outbox: it runs that GlobalSignOut (a refresh first: the access token held went with the token revoked) before it answers complete",
    breaks: '[1]',
    // FC_SEED=2104978882 MC_OFF= FC_PATH=456:1:3:4:6:6:6:6:6:6:15:5:8:3:4:10:14:17:3:3:17
    input: {
      ...base,
      contexts: 3,
      deferRevocation: true,
      rotate: true,
      storageMs: [1],
      skewMs: [0],
      steps: [
        { t: 'net', ctx: 0, online: false },
        signIn(1, -1),
        { t: 'fetchTokens', ctx: 1, forceRefresh: true, gap: -1 },
        { t: 'signOut', ctx: 0, global: true, gap: -1 },
        signOut(2, -1),
      ],
    },
  },
  {
    name: "signOut() that goes on to a second and a third session storage held: its answer still says the first round's RevokeToken failed (each round carried only the one before it)",
    breaks: '[1]',
    // FC_SEED=815336463 MC_OFF= FC_PATH=476:2:1:3:4:6:9:12:12:18:20:25:1:2:2:1:20:21:23:23:23:20:20:20
    input: {
      ...base,
      contexts: 3,
      storageMs: [1],
      remoteFaults: ['throttled', 'service'],
      skewMs: [0],
      steps: [signOut(2, 0), signIn(0, 0), signIn(2, 1), signIn(1, -1), signOut(0, -1), { t: 'retry', ctx: 0, gap: 1 }],
    },
  },
];
