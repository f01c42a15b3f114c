/**
 * What the model found around a sign-in: one saved over another context's session, one that could
 * not be saved, and a sign-out or stop() while one runs. Replayed as `multi-context.found.ts` says.
 */
import { base, type Found, signIn, signOut } from './multi-context.found.js';

export const FOUND_AROUND_SIGN_IN: Found[] = [
  {
    name: "a signOut() made while the chart runs its own sign-out of a failed sign-in is never answered when that sign-out finds another context's session and follows it (it settles only at stop())",
    breaks: '[5]',
    // FC_SEED=20261125 MC_OFF=remote,slow,skew,stop,initial: two reads fail after each sync message.
    input: {
      ...base,
      storageMs: [2],
      hintReadFails: 2,
      steps: [signIn(0, -1), signIn(1, 0), signIn(0, -1), { t: 'signOut', ctx: 1, global: false, gap: -1 }],
    },
  },
  {
    name: 'stop() while the chart revokes the tokens of a sign-in it could not store: the app hears tokensNotStored, and stop() revokes them (best effort)',
    breaks: '[6]',
    // FC_SEED=20261125 MC_OFF= FC_PATH=16:1:1:1:1:1:0:11:4:4:4:6:6:11:11:8
    input: {
      ...base,
      remoteMs: [6],
      faultAt: 12,
      remoteFaults: ['ok'],
      hintReadFails: 1,
      steps: [signIn(1, -1), { t: 'stop', ctx: 1 }, { t: 'crash', ctx: 0 }],
    },
  },
  {
    name: "the sign-out of a sign-in that could not be stored, whose clear fails too: said in a signedOut event, and storage is read again later (another context's session is followed)",
    breaks: '[4]',
    // FC_SEED=20261125 MC_OFF= FC_PATH=16:2:2:2:1:4:2:1:1:1:7:10:10:0:0:5
    input: {
      ...base,
      remoteFaults: ['ok'],
      hintReadFails: 3,
      steps: [signIn(0, 0), signIn(1, -1), { t: 'crash', ctx: 0 }],
    },
  },
  {
    name: 'stop() while a sign-in is being saved: the write is fenced off, so a rejected sign-in is never restored (and other contexts never miss it)',
    breaks: '[4]',
    // FC_SEED=20261125 MC_OFF= FC_PATH=96:1:1:2:1:5:2:4:4:4:4:4:11:10:13:2:3:3:2:5:7:2:7:7:7:7:7:10:7:8:11:16:16:0:5:6:2:3:8:5:5
    input: {
      ...base,
      storageMs: [2, 1],
      remoteFaults: ['ok'],
      initial: 'corrupt',
      steps: [signIn(0, 24), { t: 'stop', ctx: 0 }],
    },
  },
  {
    name: "signOut() during a sign-in's save, whose RevokeToken fails, then storage holds another session: the first round is said in a signedOut event before the sign-out goes on",
    breaks: '[6]',
    // FC_SEED=20261125 MC_OFF= FC_PATH=126:1:1:3:2:2:2:9:9:10:13:15:1:12:1:10:13:3:11:1:13:16:26:27:10:0:1:12:16:15:15:15:15
    input: {
      ...base,
      storageMs: [2],
      remoteFaults: ['service', 'ok', 'service', 'ok'],
      initial: 'corrupt',
      steps: [signIn(1, 26), signIn(0, -1), signOut(1, -1), { t: 'net', ctx: 0, online: false }],
    },
  },
  {
    name: "signOut() as this context's sign-in is saved over another context's session: complete speaks for what it signed out, while the replaced session's token waits for the drain its save asked for",
    breaks: '[1]',
    // FC_SEED=587262254 MC_OFF= FC_PATH=100:1:2:1:3:3:5:5:4:2:2:2:2:5:1:5:9:11:12:13:1:14:5:14:14:14:14:14
    input: {
      ...base,
      contexts: 3,
      storageMs: [1],
      remoteFaults: [],
      steps: [
        signIn(1, 0),
        signIn(0, -1),
        { t: 'crash', ctx: 0 },
        signOut(1, 0),
        { t: 'stop', ctx: 0 },
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: 0 },
      ],
    },
  },
  {
    name: 'a sign-out that revoked its token while a newer sign-in put that token in the outbox, and the settle failed on a read after a hint: the revoked entry left for the drain does not make complete untrue',
    breaks: '[1]',
    // FC_SEED=587262254 MC_OFF= FC_PATH=113:0:0:0:1:0:0:1:0:1:1:1:1:1:2:2:4:5:5:7
    input: {
      ...base,
      storageMs: [1],
      remoteFaults: [],
      skewMs: [0],
      hintReadFails: 1,
      steps: [signIn(1, -1), signIn(0, 0), signOut(1, 1)],
    },
  },
  {
    name: "signOut() joins the chart's sign-out of a sign-in it could not save, and the journal's read of storage fails: the caller's ask to cover what storage holds stands, so the other session is signed out too before complete",
    breaks: '[1]',
    // FC_SEED=1370095324 MC_OFF= FC_PATH=440:0:0:0:2:2:5:5:12:14:14:12:12:12
    input: {
      ...base,
      storageMs: [2],
      remoteFaults: [],
      hintReadFails: 2,
      steps: [
        { t: 'fetchTokens', ctx: 1, forceRefresh: false, gap: -1 },
        signIn(1, 0),
        signIn(0, -1),
        signOut(0, 1),
        signIn(0, 1),
      ],
    },
  },
  {
    name: "signOut() while the sign-in's tokens are being saved fences that write off: a cancelled sign-in never lands in storage after its sign-out (where no one would be told)",
    breaks: '[4]',
    // FC_SEED=1764710861 MC_OFF= FC_PATH=21:1:1:1:2:2:1:2:2:2:13:12:1:13:15:7:21:21:2:1:13:16:16:16
    input: {
      ...base,
      contexts: 3,
      storageMs: [1],
      remoteFaults: [],
      hintReadFails: 3,
      steps: [
        signOut(0, 0),
        signIn(2, 1),
        { t: 'fetchTokens', ctx: 1, forceRefresh: false, gap: -1 },
        signOut(2, 0),
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: -1 },
      ],
    },
  },
  {
    name: "signOut() while this context saves its sign-in, when the journal's read of storage fails: it covers the session storage holds (the one the sign-in would have replaced), and never answers complete and then follows it",
    breaks: '[1]',
    // FC_SEED=922054993 MC_OFF= FC_PATH=778:1:5:5:3:8:6:5:5:6:9:8:12:12:17:18:18:18:23:19:19:19
    input: {
      ...base,
      contexts: 3,
      storageMs: [3],
      remoteMs: [7, 0],
      skewMs: [0],
      hintReadFails: 2,
      steps: [signIn(0, -1), signIn(1, -1), signIn(2, 7), signOut(2, 0), signIn(0, 1)],
    },
  },
  {
    name: 'a sign-in that fails while another context signs in reads storage afterwards and follows that session (it stayed signed out beside it)',
    breaks: '[4]',
    // FC_SEED=1826412276 MC_OFF= FC_PATH=244:3:2:5:7:6:8:5:7:7:11:11:11:11:20:9:13:6:6:11:14:14:27:30:30:30:26
    input: {
      ...base,
      contexts: 4,
      storageMs: [0, 0, 6],
      skewMs: [0],
      steps: [
        signOut(1, 37),
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: 1 },
        signOut(1, 24),
        signIn(1, 0),
        signIn(0, -1),
        { t: 'net', ctx: 1, online: false },
      ],
    },
  },
  {
    name: 'stop() while a sign-in is being written, and a new instance on the same storage at once: the lock is held until that write is undone, so the new instance never restores the rejected sign-in',
    breaks: '[4]',
    // FC_SEED=889652020 MC_OFF= FC_PATH=464:0:0:2:7:6:6:7:5:6:7:7:8:8:10:0:9:5:7:3:8:4:9:3:7:2:5:6:1:4:5:5:5
    input: {
      ...base,
      storageMs: [2],
      steps: [{ t: 'fetchTokens', ctx: 1, forceRefresh: false, gap: -1 }, signIn(0, 2), { t: 'stop', ctx: 0 }],
    },
  },
  {
    name: "a sign-in cancelled by signOut() once its write had landed, then a crash before the sign-out's journal: the next start restores that session and tells the other contexts (none had heard of it, so they stayed signed out beside it)",
    breaks: '[4]',
    // FC_SEED=1364885850 MC_OFF= FC_PATH=221:0:1:2:5:10:25:31:30:30:30:30:32:31:33:33:36:8:8:8:35:10:33:8:33:8:36:8:13:29:10:10:32:13:31:32:6:1:6:18:3:4:3:3:18:6:17:6:16:5:17:6:16
    input: {
      ...base,
      storageMs: [0, 1, 1, 0],
      remoteMs: [13, 0],
      remoteFaults: ['ok'],
      steps: [signOut(0, -1), signIn(0, 13), signOut(0, 1), { t: 'crash', ctx: 0 }],
    },
  },
  {
    name: 'stop() while signing out a cancelled sign-in whose late write lands as stop() runs: the app hears tokensNotStored for that token, and the world now counts that report though storage held the token at that instant (its undo removes it; a world defect)',
    breaks: '[6]',
    // FC_SEED=2015396075 MC_OFF= FC_PATH=1:40:40:49:48:49:5:5:9:12:27:11:36:46:49:52:51:51:51:49:49
    input: {
      ...base,
      contexts: 3,
      storageMs: [2, 0, 5, 3, 11],
      remoteFaults: ['service', 'throttled', 'ok'],
      steps: [
        signOut(0, 18),
        signIn(0, 26),
        signIn(0, 25),
        signOut(2, -1),
        signOut(0, 3),
        { t: 'stop', ctx: 0 },
        signOut(0, 1),
      ],
    },
  },
];
