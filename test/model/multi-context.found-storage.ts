/**
 * What the model found where storage itself goes wrong: the old layout's migration, and writes
 * that land late (slower than the lock's hold). Replayed as `multi-context.found.ts` says.
 */
import { base, type Found, signIn, signOut } from './multi-context.found.js';

export const FOUND_IN_STORAGE: Found[] = [
  {
    name: 'a migration of the old layout whose key removal fails in part (the pointer goes, a token key stays) leaves that token at rest for good: a clear looks at the old layout only where its pointer is, and the sign-out answers complete',
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
    name: 'a sign-in save slower than storageMs on a storage fenced at commit: the late write never lands over the next sign-in (on an unfenced one this is the documented limit)',
    breaks: '[',
    // FC_SEED=587262254 MC_OFF= FC_PATH=104:1:1:1:1:0:2:7:14:7:6:10:6:6:14:7:1:0:0:1:7:0:0:1:6:4:4:5:4:5:5:5:5:5:5:5:5 (fenced: false)
    input: {
      ...base,
      remoteFaults: [],
      slowOps: [20],
      initial: 'corrupt',
      fenced: true,
      steps: [signIn(0, -1), signIn(0, 0)],
    },
  },
  {
    name: "an outbox entry written late (the outbox's writes carry no fence) after its session was signed out and revoked: one more token to drop at the next drain, not a session back",
    breaks: '[',
    // FC_SEED=298162423 MC_OFF= FC_PATH=451:3:6:4:4:4:11:6:11:11:11:14:17:3:3:5:3:15:3:3:21:4:18:3:19:18:1:7:2:5:4:9:5:4:10:10:9:5:12:12:19:19:20:20:20:20:20:20
    input: {
      ...base,
      contexts: 3,
      storageMs: [1, 0],
      remoteFaults: [],
      slowOps: [32, 0],
      skewMs: [0],
      fenced: false,
      steps: [
        signIn(0, 0),
        signIn(2, 1),
        { t: 'stop', ctx: 1 },
        signIn(1, -1),
        signOut(1, 1),
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: -1 },
      ],
    },
  },
  {
    name: 'a late outbox entry of a session an offline sign-out cleared (not revoked, and said so): a token for the drain to revoke, not that session back',
    breaks: '[3]',
    // FC_SEED=1227204942 MC_OFF= FC_PATH=288:2:2:3:2:3:3:3:10:5:7:5:6:7:7:10:2:2:6:9:16:16:22:23:26:27:26:27:27:27:23:23:23:23:23
    input: {
      ...base,
      contexts: 4,
      storageMs: [1],
      remoteFaults: [],
      slowOps: [43, 64],
      skewMs: [0],
      initial: 'corrupt',
      steps: [
        signOut(2, 0),
        signIn(1, 0),
        signIn(2, -1),
        { t: 'net', ctx: 1, online: false },
        signOut(1, 1),
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: 1 },
      ],
    },
  },
  {
    name: "a migration of the old layout whose key removals were fenced off after a newer sign-in replaced its record: the next start keeps the old layout's token for revocation, then removes its keys (it stayed valid beside the record)",
    breaks: '[4]',
    // FC_SEED=442711840 MC_OFF= FC_PATH=115:0:0:0:2:1:1:1:1:1:8:0:12:0:0:1:3:0:0:0:1:5:5:5:5:5:5:5:5
    input: {
      ...base,
      remoteFaults: ['ok'],
      slowOps: [11],
      initial: 'oldLayout',
      steps: [signIn(1, 1), { t: 'crash', ctx: 0 }],
    },
  },
  {
    name: "a migration's record write that lands late, after a sign-out cleared and revoked that session, is visible until its undo: the documented limit of a storage not fenced at commit, now judged at the undo (a world defect); and a clear that finds the old layout alone keeps its token for revocation",
    breaks: '[',
    // FC_SEED=886730423 MC_OFF= FC_PATH=562:1:1:3:2:2:2:2:8:9:7:9:8:8:11:1:4:11:16:16:18:18:20:1:3:18:1:18:18:18:1:20:22:3:18:18:18:21:1:19:21:19:22:11:8:9:2:12:13:5:17:0:16:17:16:16:16:16:16:16
    input: {
      ...base,
      storageMs: [1],
      slowOps: [12, 26],
      skewMs: [0],
      initial: 'oldLayout',
      steps: [
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: 5 },
        { t: 'crash', ctx: 0 },
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: -1 },
        signOut(0, -1),
      ],
    },
  },
  {
    name: 'storage operations numbered slow kept landing in the reads of a context after the program ended, so it timed out at every look: the world now ends its slow and faulty operations with the program (a world defect)',
    breaks: '[4]',
    // FC_SEED=475620310 MC_OFF= FC_PATH=393:1:3:1:5:4:1:1:2:3:2:9:2:9:12:13:10:10:18:17:23:23:23:1:23:28:28:28:28:28
    input: {
      ...base,
      contexts: 3,
      storageMs: [2],
      faultAt: 61,
      slowOps: [53, 57, 62],
      hintReadFails: 2,
      steps: [
        signIn(0, -1),
        signIn(1, 0),
        { t: 'crash', ctx: 2 },
        signOut(0, 1),
        signOut(2, 0),
        signIn(0, -1),
        { t: 'net', ctx: 0, online: false },
      ],
    },
  },
  {
    name: "a sign-in's save slower than storageMs lands over another context's session and is undone by removing the key: the documented limit of a storage not fenced at commit, now counted as such when the write went over a value already there, not only one written meanwhile (a world defect)",
    breaks: '[',
    // FC_SEED=1481503519 MC_OFF= FC_PATH=745:0:0:0:0:0:0:0:8:7:6:8:7:10:10:10
    input: {
      ...base,
      slowOps: [21, 0],
      skewMs: [0],
      initial: 'corrupt',
      steps: [signOut(0, 1), signIn(1, 1), signIn(0, 1)],
    },
  },
  {
    name: "a migration's record write that lands late after both contexts signed out, whose undo's read fails after a hint: the undo is tried again later and the record goes (it stayed at rest, and the sign-out's complete was untrue)",
    breaks: '[1]',
    // FC_SEED=529343681 MC_OFF= FC_PATH=664:0:0:0:2:1:3:5:5:5:4:10:14:18:0:0:0:0:7:7:7:7:7
    input: { ...base, slowOps: [10], hintReadFails: 1, initial: 'oldLayout', steps: [signOut(0, 1), signOut(1, -1)] },
  },
  {
    name: 'a rejected sign-in whose save lands late, when three reads after a hint fail: the undo retried after a back-off removes it, and every context is told (none stays apart from storage)',
    breaks: '[4]',
    // FC_SEED=428636398 MC_OFF= FC_PATH=80:2:2:6:5:4:3:5:15:2:5:5:5:16:16:4:17:18:2:2:3:2:17:17:17:18
    input: {
      ...base,
      contexts: 4,
      storageMs: [1],
      slowOps: [27],
      hintReadFails: 3,
      steps: [signIn(0, 1), signIn(2, 0), { t: 'crash', ctx: 1 }, { t: 'net', ctx: 0, online: true }],
    },
  },
  {
    name: 'the same, when the context that wrote late restored its own rejected sign-in before the undo: the undo tells this context too, so it follows storage',
    breaks: '[4]',
    // FC_SEED=428636398 MC_OFF= FC_PATH=318:3:2:9:7:3:3:9:1:1:1:4:3:3:2:2:2:9:9:8:16:15:15:15:17:8:13:15:1:1:15:15:15:17:17:17:17:17
    input: {
      ...base,
      contexts: 3,
      storageMs: [6],
      remoteFaults: ['ok'],
      slowOps: [19],
      hintReadFails: 2,
      steps: [signIn(2, -1), signIn(0, 7), signIn(0, -1), signOut(0, 0)],
    },
  },
  {
    name: "an outbox write that lands late (its section's lock let go) over another context's entry: the documented limit of a storage not fenced at commit (the outbox's writes carry no fence), which the world now tells by the lock section a write was made in (a world defect)",
    breaks: '[6]',
    // FC_SEED=1350665811 MC_OFF= FC_PATH=945:3:3:4:4:5:3:4:5:21:17:11:9:12:4:4:4:12:16:18:20:26:27:27:27:27
    input: {
      ...base,
      contexts: 4,
      deferRevocation: true,
      storageMs: [1],
      slowOps: [55, 34],
      steps: [
        { t: 'retry', ctx: 0, gap: 16 },
        { t: 'net', ctx: 2, online: false },
        signIn(3, 2),
        signOut(2, -1),
        signIn(0, -1),
        signOut(2, 0),
      ],
    },
  },
  {
    name: "a drain whose refresh rotated a deferred global sign-out's token put the new one in the outbox under a lock of its own, not the storage's: on a storage that fences writes, that write was refused and the token lost",
    breaks: '[6]',
    // FC_SEED=923433235 MC_OFF= FC_PATH=129:2:2:2:2:4:7:10:11:12:15:12:12 (also 502924740, 1843472232, 307390153)
    input: {
      ...base,
      deferRevocation: true,
      rotate: true,
      remoteFaults: ['ok', 'throttled'],
      hintReadFails: 1,
      fenced: true,
      steps: [
        { t: 'net', ctx: 1, online: false },
        signIn(0, 1),
        { t: 'signOut', ctx: 1, global: true, gap: -1 },
        { t: 'crash', ctx: 0 },
      ],
    },
  },
  {
    name: "stop() while a sign-in is being saved, and the held undo's read fails after a hint: a new instance restores the rejected sign-in, the undo tried again later removes it and tells the others (and the stopped instance's failing reads end with the program, as every other fault: a world defect)",
    breaks: '[4]',
    // FC_SEED=1061285336 MC_OFF= FC_PATH=136:2:6:4:4:7:2:3:7:7:5:7:7:7:19:18:21:21:19:19:19
    input: {
      ...base,
      contexts: 4,
      storageMs: [0, 5, 0, 0],
      skewMs: [0],
      hintReadFails: 3,
      steps: [signIn(1, 5), signOut(0, -1), { t: 'stop', ctx: 1 }, signOut(2, 0)],
    },
  },
  {
    name: "a migration's record write that lands late, then another context's writes before its undo: storage is judged at the undo, not at each write in between (the documented window of a storage not fenced at commit; a world defect)",
    breaks: '[3]',
    // FC_SEED=434256722 MC_OFF= FC_PATH=214:2:2:2:2:2:2:2:10:1:6:6:6:7:7:11:12:14:6:14:14:16:16:16:16:13:13
    input: {
      ...base,
      contexts: 3,
      slowOps: [10, 58],
      skewMs: [0],
      initial: 'oldLayout',
      steps: [
        signOut(0, 0),
        signOut(1, 0),
        { t: 'net', ctx: 0, online: false },
        { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: -1 },
      ],
    },
  },
  {
    name: "the same judged at a sign-out's answer: a late migration record write pending its undo is not held against an earlier complete (storage is judged at the undo, and at the end; a world defect)",
    breaks: '[1]',
    // FC_SEED=1763507203 MC_OFF= FC_PATH=574:1:1:1:1:1:1:1:7:10:0:1:1:1:6:8:7:7:7:13:12:12:1:7:15:15
    input: { ...base, slowOps: [47, 10, 48], initial: 'oldLayout', steps: [signOut(0, -1), signOut(0, 0)] },
  },
];
