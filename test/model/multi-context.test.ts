/**
 * The multi-context model test (docs/storage.md, "Exploring"), at the public API: 2 to 4 `createAuth`
 * contexts over one shared storage (slow, rarely failing) and one sync bus, one fake Cognito.
 * fast-check picks the interleavings; after every run the invariants of `multi-context.checks.ts`
 * must hold.
 *
 * Replay: FC_SEED=<seed> FC_PATH=<path> npx vitest run test/model/multi-context.test.ts
 * (both are printed on failure). FC_RUNS sets the number of runs.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { type AuthError, createAuth, manualConnectivity, memorySyncBus, type SignOutResult } from '../../src/index.js';
import { type CallRec, DEADLINE_MS, Invariants, type Live, noteHeld } from './multi-context.checks.js';
import { bothInspect, hostileConnectivity, type Reentry, reentrantInspect } from './multi-context.env.js';
import { FOUND } from './multi-context.found.js';
import { FOUND_IN_ENV } from './multi-context.found-env.js';
import { FOUND_AROUND_SIGN_IN } from './multi-context.found-sign-in.js';
import { FOUND_IN_STORAGE } from './multi-context.found-storage.js';
import { describeStep, type Input, input, program, SLOW_MS, STORAGE_MS, skewOf } from './multi-context.program.js';
import {
  FakeCognito,
  type Incarnation,
  incarnationServices,
  Schedule,
  SharedStorage,
  seedStorage,
  USERS,
} from './multi-context.world.js';

function outcome(value: unknown): string {
  const r = value as Partial<SignOutResult> & { status?: string };
  if (r && typeof r === 'object' && 'steps' in r && r.steps) {
    const steps = Object.entries(r.steps)
      .filter(([, v]) => v !== 'notRun')
      .map(([k, v]) => `${k}:${v}`);
    return `${r.status}${'deferred' in r ? ` deferred:${r.deferred}` : ''} [${steps.join(' ')}]`;
  }
  if (r && typeof r === 'object' && 'accessToken' in r) return 'tokens';
  return JSON.stringify(value) ?? 'undefined';
}

/** MC_DEBUG=1: the trace also shows each chart's transitions (investigation only). */
const chartTrace = (c: number, log: (line: string) => void) => (e: InspectionEvent) => {
  if (e.type !== '@xstate.snapshot' || e.actorRef.sessionId !== e.rootId) return;
  log(`c${c} ${e.event.type} → ${'value' in e.snapshot ? JSON.stringify(e.snapshot.value) : ''}`);
};

const START = new Date('2026-01-01T00:00:00Z');
const stats = { runs: 0, calls: 0, reentrant: 0, checks: 0, violations: 0, failingRuns: 0 };

/** One run of the model: the steps, then quiet, connectivity back, a nudge, quiet, and the checks. */
async function runModel(i: Input): Promise<{ violations: string[]; trace: string[] }> {
  vi.setSystemTime(START);
  const cognito = new FakeCognito(i.rotate, i.remoteFaults);
  let inv: Invariants | undefined;
  // A late write on a storage not fenced at commit is visible until its undo (the documented limit,
  // docs/storage.md "Known limits"): judged at the undo and every write after it, not in between.
  const storage = new SharedStorage(i.faultAt, () => inv?.onStorage(), i.slowOps, SLOW_MS, i.fenced);
  seedStorage(storage, cognito, i.initial);
  inv = new Invariants(cognito, storage);
  const checks = inv;
  const storageLatency = new Schedule(i.storageMs);
  const remoteLatency = new Schedule(i.remoteMs);
  const remoteInFlight = { n: 0 };
  const bus = memorySyncBus();
  const conns = Array.from({ length: i.contexts }, () => manualConnectivity(true));
  const lives: Live[] = [];
  const calls: CallRec[] = [];
  const trace: string[] = [];
  const log = (line: string) => trace.push(`${String(Date.now() - START.getTime()).padStart(6)} ms  ${line}`);
  let incarnations = 0;
  let faultsOver = false;

  const start = (c: number) => {
    const conn = conns[c] as ReturnType<typeof manualConnectivity>;
    const inc: Incarnation & { ctx: number } = {
      id: incarnations++,
      ctx: c,
      dead: false,
      failReads: 0,
      online: () => conn.isOnline(),
    };
    const skew = skewOf(i, c);
    // Fault `reentry`: the inspect observer calls this very instance while its chart is processing.
    let self: Live | undefined;
    const reenter = (r: Reentry) => {
      if (self) reentrant(self, r);
    };
    const reentrantObserver = reentrantInspect(i.reentries ?? [], i.contexts, c, () => faultsOver, reenter);
    const auth = createAuth({
      services: incarnationServices(cognito, inc, remoteLatency, remoteInFlight, i.late === true),
      storage: storage.viewFor(inc, storageLatency),
      connectivity: hostileConnectivity(conn, i.conn?.[c]),
      // A message from another context is a hint to read storage: the next reads may fail (fault `hints`).
      sync: (name) => {
        const channel = bus.connect(name);
        return {
          ...channel,
          subscribe: (listener) =>
            channel.subscribe((m) => {
              if (!faultsOver) inc.failReads = i.hintReadFails;
              listener(m);
            }),
        };
      },
      clock: { now: () => Date.now() + skew },
      deferRevocation: i.deferRevocation,
      ...bothInspect(process.env['MC_DEBUG'] ? chartTrace(c, log) : undefined, reentrantObserver),
      timeouts: { remoteStepMs: 300, storageMs: STORAGE_MS, refreshRetryMs: 1000 },
    });
    const live: Live = { inc, auth, held: [] };
    self = live;
    auth.subscribe(() => noteHeld(live));
    noteHeld(live);
    auth.on('signedOut', ({ reason, result, error }) =>
      log(
        `c${c} signed out (${reason})${result ? `: ${outcome(result)}` : ''}${error ? ` ${error.code}: ${error.message}` : ''}`,
      ),
    );
    // What the app is told about a token it may have to revoke itself counts as reported ("reported as
    // not known to be revoked", docs/storage.md).
    const notRevoked = (e: AuthError | undefined) => e?.message.includes('could not be revoked') === true;
    auth.on('tokensNotStored', ({ error }) => {
      log(`c${c} tokensNotStored (${error.code})`);
      checks.onReported(live, lives, `tokensNotStored (${error.code})`);
    });
    auth.on('deferredRevocationsDropped', ({ count }) => {
      log(`c${c} deferredRevocationsDropped (${count})`);
      checks.onDropped(lives, count);
    });
    auth.on('tokenRefreshFailed', ({ error }) => {
      if (notRevoked(error)) checks.onReported(live, lives, error.message);
    });
    auth.on('signedOut', ({ error, result }) => {
      if (notRevoked(error)) checks.onReported(live, lives, error?.message ?? '');
      // A sign-out the chart ran by itself (a cancelled sign-in, a journal finished after a crash)
      // says RevokeToken did not run or failed: told too, whoever held the token before.
      if (
        result &&
        result.status !== 'complete' &&
        !('deferred' in result && result.deferred) &&
        result.steps.revokeToken !== 'done'
      )
        checks.onReported(live, lives, `signedOut event: ${outcome(result)}`, true);
    });
    auth.on('signedIn', ({ restored }) => {
      const rt = auth.getTokens()?.refreshToken;
      log(`c${c} signed in${restored ? ' (restored)' : ''} with ${rt ? checks.rt(rt) : '?'}`);
    });
    lives[c] = live;
  };

  const issue = <T>(live: Live, desc: string, promise: Promise<T>, onValue?: (v: T) => void): CallRec => {
    const rec: CallRec = { desc, startedAt: Date.now(), settledAt: null, outcome: 'pending' };
    calls.push(rec);
    stats.calls++;
    log(`${desc} called (${live.auth.state})`);
    promise.then(
      (v) => {
        rec.settledAt = Date.now();
        rec.outcome = outcome(v);
        onValue?.(v);
        log(`${desc} → ${rec.outcome}`);
      },
      (e: AuthError) => {
        rec.settledAt = Date.now();
        rec.outcome = `rejected ${e?.code ?? String(e)}`;
        log(`${desc} rejected with: ${e?.message}`);
        if (e?.message?.includes('could not be revoked')) checks.onReported(live, lives, e.message);
        log(`${desc} → ${rec.outcome}`);
      },
    );
    return rec;
  };

  /** A call made from inside the chart's processing (fault `reentry`), tracked like every other call. */
  let reentries = 0;
  const reentrant = (live: Live, r: Reentry) => {
    stats.reentrant++;
    const desc = `r${++reentries} c${live.inc.ctx}.${r.call} from inspect at ${r.on} #${r.nth}`;
    try {
      if (r.call === 'signOut') {
        const w = checks.beginSignOut(live);
        issue(live, desc, live.auth.signOut(), (v) => checks.onSignOut(live, w, v, desc));
      } else if (r.call === 'retry') issue(live, desc, live.auth.retryDeferredRevocations());
      else issue(live, desc, live.auth.fetchTokens({ minValidityMs: 0 }));
    } catch (e) {
      // A call must answer through its promise: one that throws in the observer is a defect too.
      calls.push({ desc: `${desc} threw ${String(e)}`, startedAt: Date.now(), settledAt: null, outcome: 'threw' });
    }
  };

  const busy = () => calls.some((c) => c.settledAt === null) || storage.inFlight.n > 0 || remoteInFlight.n > 0;
  const quiesce = async () => {
    let idle = 0;
    for (let t = 0; t < 2 * DEADLINE_MS && idle < 10; t += 50) {
      await vi.advanceTimersByTimeAsync(50);
      idle = busy() ? 0 : idle + 1;
    }
  };

  for (let c = 0; c < i.contexts; c++) start(c);
  try {
    for (const [n, s] of i.steps.entries()) {
      const c = 'ctx' in s ? s.ctx % i.contexts : 0;
      const live = lives[c] as Live;
      const desc = `#${n + 1} ${describeStep(s, i.contexts).replace(/ {3}\(.*\)$/, '')}`;
      let rec: CallRec | null = null;
      if (s.t === 'signIn') {
        rec = issue(live, desc, live.auth.signIn({ username: USERS[s.user] as string, password: 'pw' }));
      } else if (s.t === 'signOut') {
        const w = checks.beginSignOut(live);
        rec = issue(live, desc, live.auth.signOut({ global: s.global }), (r) => checks.onSignOut(live, w, r, desc));
      } else if (s.t === 'fetchTokens') {
        rec = issue(live, desc, live.auth.fetchTokens({ minValidityMs: 0, forceRefresh: s.forceRefresh }));
      } else if (s.t === 'retry') {
        rec = issue(live, desc, live.auth.retryDeferredRevocations());
      } else if (s.t === 'crash') {
        log(desc);
        live.inc.dead = true;
        checks.onCrash(
          live,
          lives.filter((l) => l !== live),
        );
        live.auth.stop();
        start(c);
      } else if (s.t === 'stop') {
        // Unlike a crash, the incarnation is not dead: its pending storage writes still land, and
        // stop() itself must report a refresh token only it holds (tokensNotStored).
        log(desc);
        live.auth.stop();
        start(c);
      } else if (s.t === 'net') {
        log(desc);
        conns[c]?.set(s.online);
      } else {
        log(desc);
        await vi.advanceTimersByTimeAsync(s.ms);
      }
      if (rec && 'gap' in s && s.gap > 0) await vi.advanceTimersByTimeAsync(s.gap);
      if (rec && 'gap' in s && s.gap < 0) {
        for (let t = 0; t < 2 * DEADLINE_MS && rec.settledAt === null; t += 10) await vi.advanceTimersByTimeAsync(10);
      }
    }
    await quiesce();
    // The final nudge, through public means only: every context back online, then fetchTokens() on each.
    log('end: connectivity on everywhere, then fetchTokens({ minValidityMs: 0 }) on every context');
    for (const conn of conns) conn.set(true);
    // The faults end with the program, as the network does: no read fails after a hint, no storage
    // operation is slow or faulty (else each context that follows a sign-out, and tells the others,
    // starts their failed reads over, and an operation numbered slow lands in every later read).
    faultsOver = true;
    storage.faultsOver = true;
    for (const live of lives) live.inc.failReads = 0;
    await quiesce();
    // Convergence is eventual: a context whose re-read of storage failed looks again after its
    // back-off (refreshRetryMs 1 s, doubling): at most 3 failed reads after a hint take 1 + 2 + 4 s.
    await vi.advanceTimersByTimeAsync(10 * 1000);
    await quiesce();
    for (const live of lives)
      issue(live, `nudge c${live.inc.ctx}.fetchTokens()`, live.auth.fetchTokens({ minValidityMs: 0 }));
    await quiesce();
    checks.final(lives, calls);
    const held = lives.map((l) => `c${l.inc.ctx}: ${l.auth.state}`).join(', ');
    log(`final: ${held}; storage: ${checks.dump()}; remote faults made: [${cognito.faultsMade}]`);
  } finally {
    for (const live of lives) live.auth.stop();
  }
  stats.checks += checks.checks;
  const violations = [...checks.violations.values()];
  // The documented limit of a storage not fenced at commit (docs/storage.md, Known limits): a late
  // write that went over another context's write is undone by removing the key, so sessions and
  // tokens may be lost without a word. Only convergence and the orphan check are waived, and only then.
  if (storage.lateOverOthers > 0) {
    const waived = violations.filter((v) => ['[4]', '[6]'].some((n) => v.startsWith(n)));
    if (waived.length > 0) trace.push(`waived (a late unfenced write went over another's): ${waived.join('; ')}`);
    return { violations: violations.filter((v) => !waived.includes(v)), trace };
  }
  return { violations, trace };
}

// CI replays one fixed seed, so a red run is the code's doing, never the draw's. FC_SEED=random
// explores new interleavings (what that may still find and no client can fix: docs/storage.md, "Known limits").
const seedEnv = process.env['FC_SEED'] ?? '20261125';
const seed = seedEnv === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(seedEnv);
const path = process.env['FC_PATH'];
const numRuns = Number(process.env['FC_RUNS'] ?? 200);
/** Investigation only: MC_FOCUS=2,4 fails (and shrinks) on those invariants alone. Unset, every invariant is asserted. */
const focus = process.env['MC_FOCUS']?.split(',').map((n) => `[${n.trim()}]`);

afterAll(() => {
  const shrinking = stats.failingRuns > 0 ? `, ${stats.failingRuns} failing runs (shrinking included)` : '';
  console.log(
    `multi-context model: ${stats.runs} runs, ${stats.calls} calls (${stats.reentrant} re-entrant), ${stats.checks} invariant checks, ` +
      `${stats.violations} violations${shrinking} (FC_SEED=${seed}${path ? ` FC_PATH=${path}` : ''} to replay)`,
  );
});

describe('many contexts over one storage and one sync bus (docs/storage.md: storage is the truth)', () => {
  it('no token at rest after complete, deferred tokens kept, no session back, convergence, every call settles, no token forgotten', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      await fc.assert(
        fc.asyncProperty(input, async (i) => {
          stats.runs++;
          const { violations, trace } = await runModel(i);
          stats.violations += violations.length;
          if (violations.length > 0) stats.failingRuns++;
          const report = `${violations.length} invariant violation(s):\n${violations.join('\n')}\n\nprogram:\n${program(i)}\n\ntrace:\n${trace.join('\n')}`;
          expect(focus ? violations.filter((v) => focus.some((f) => v.startsWith(f))) : violations, report).toEqual([]);
        }),
        { numRuns, seed, ...(path ? { path } : {}), endOnFailure: false },
      );
    } finally {
      vi.useRealTimers();
    }
  }, 120_000);
});

// What the model found with its faults (docs/storage.md, "Exploring"), each fixed: its shrunk program replays here.
describe('what the model found with its faults, replayed', () => {
  for (const d of [...FOUND, ...FOUND_AROUND_SIGN_IN, ...FOUND_IN_STORAGE, ...FOUND_IN_ENV]) {
    it(d.name, async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
      try {
        const { violations, trace } = await runModel(d.input);
        const report = `program:\n${program(d.input)}\n\ntrace:\n${trace.join('\n')}`;
        expect(
          violations.filter((v) => v.startsWith(d.breaks)),
          report,
        ).toEqual([]);
      } finally {
        vi.useRealTimers();
      }
    });
  }
});
