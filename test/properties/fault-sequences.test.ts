import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  type Auth,
  AuthError,
  type AuthServices,
  createAuth,
  manualConnectivity,
  memorySyncBus,
  type SignOutResult,
} from '../../src/index.js';
import { faultyStorage, ownKeys } from '../helpers/fakes.js';
import { makeTokens, tokenStrings } from '../helpers/tokens.js';

const REMOTE_STEP_MS = 1000;
const CLIENT_ID = 'client123';
/**
 * A sign-out waits on at most two bounded remote steps here: the refresh before an expired
 * GlobalSignOut is a third, but these fakes answer it at once or let it time out (which skips the rest).
 */
const SIGN_OUT_BOUND_MS = 2 * REMOTE_STEP_MS + 50;
/** fetchTokens() waits for at most one bounded refresh. */
const FETCH_BOUND_MS = REMOTE_STEP_MS + 50;

type Outcome = 'ok' | 'network' | 'hang' | 'late' | 'notAuthorized' | 'throttled' | 'unsupported';
const outcome = fc.constantFrom<Outcome>('ok', 'network', 'hang', 'late', 'notAuthorized', 'throttled', 'unsupported');

type Command =
  | { type: 'signIn'; outcome: Outcome; revocable: boolean }
  | {
      type: 'signOut';
      global: boolean;
      globalOutcome: Outcome;
      revokeOutcome: Outcome;
      storageThrows: boolean;
      concurrent: boolean;
    }
  | {
      type: 'fetchTokens';
      outcome: Outcome;
      minValidityMs: number;
      forceRefresh: boolean;
      concurrent: boolean;
      storageThrows: boolean;
    }
  | { type: 'timePasses'; ms: number }
  | { type: 'goOffline' }
  | { type: 'goOnline' }
  | { type: 'refreshDue'; outcome: Outcome }
  | { type: 'restart' }
  | { type: 'otherTabSignIn' }
  | { type: 'otherTabSignOut'; global: boolean };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ type: fc.constant('signIn' as const), outcome, revocable: fc.boolean() }),
  fc.record({
    type: fc.constant('signOut' as const),
    global: fc.boolean(),
    globalOutcome: outcome,
    revokeOutcome: outcome,
    storageThrows: fc.boolean(),
    concurrent: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('fetchTokens' as const),
    outcome,
    minValidityMs: fc.constantFrom(0, 60_000, 300_000),
    forceRefresh: fc.boolean(),
    concurrent: fc.boolean(),
    storageThrows: fc.boolean(),
  }),
  // Less than the 540 s until the refresh timer: tokens age without a refresh.
  fc.record({ type: fc.constant('timePasses' as const), ms: fc.constantFrom(200_000, 400_000) }),
  fc.constant({ type: 'goOffline' as const }),
  fc.constant({ type: 'goOnline' as const }),
  fc.record({ type: fc.constant('refreshDue' as const), outcome }),
  fc.constant({ type: 'restart' as const }),
  fc.constant({ type: 'otherTabSignIn' as const }),
  fc.record({ type: fc.constant('otherTabSignOut' as const), global: fc.boolean() }),
);

function errorFor(o: Outcome): AuthError | null {
  switch (o) {
    case 'network':
      return new AuthError('Network', 'fetch failed');
    case 'notAuthorized':
      return new AuthError('NotAuthorized', 'Token has been revoked');
    case 'throttled':
      return new AuthError('Throttled', 'Rate exceeded');
    case 'unsupported':
      return new AuthError('RevocationUnsupported', 'revocation disabled');
    default:
      return null;
  }
}

/** One run's world: fake services whose next answers the commands decide, a faulty storage, connectivity. */
function world() {
  const issued: string[] = [];
  const next = {
    signIn: 'ok' as Outcome,
    revocable: true,
    refresh: 'ok' as Outcome,
    global: 'ok' as Outcome,
    revoke: 'ok' as Outcome,
  };
  const calls = { globalSignOut: 0, revokeToken: 0, refresh: 0 };
  const mint = (revocable: boolean) => {
    const t = makeTokens({ expiresIn: 600, revocable });
    issued.push(...tokenStrings([t]));
    return t;
  };
  function answer<T>(o: Outcome, value: () => T, signal: AbortSignal): Promise<T> {
    const error = errorFor(o);
    if (error) return Promise.reject(error);
    if (o === 'hang') {
      return new Promise<T>((_, reject) =>
        signal.addEventListener('abort', () => reject(new AuthError('Network', 'aborted'))),
      );
    }
    // 'late': answers after the bound, ignoring the abort (a server that does not honour it).
    if (o === 'late') return new Promise<T>((resolve) => setTimeout(() => resolve(value()), 3 * REMOTE_STEP_MS));
    return Promise.resolve(value());
  }
  const services: AuthServices = {
    clientId: CLIENT_ID,
    signIn: (_c, signal) => answer(next.signIn, () => mint(next.revocable), signal),
    refresh: (_r, signal) => {
      calls.refresh++;
      return answer(
        next.refresh,
        () => {
          const t = mint(true);
          return { accessToken: t.accessToken, idToken: t.idToken };
        },
        signal,
      );
    },
    globalSignOut: (_a, signal) => {
      calls.globalSignOut++;
      return answer(next.global, () => undefined, signal);
    },
    revokeToken: (_r, signal) => {
      calls.revokeToken++;
      return answer(next.revoke, () => undefined, signal);
    },
  };
  const storage = faultyStorage({ 'app.theme': 'dark' });
  const connectivity = manualConnectivity(true);
  // A second tab: its own (always answering) services, the same storage and sync bus.
  const bus = memorySyncBus();
  const otherTabServices: AuthServices = {
    clientId: CLIENT_ID,
    signIn: async () => mint(true),
    refresh: async () => ({}),
    globalSignOut: async () => {},
    revokeToken: async () => {},
  };
  return { issued, next, calls, services, storage, connectivity, bus, otherTabServices };
}

async function settle<T>(promise: Promise<T>, maxMs: number): Promise<{ value: T; elapsed: number } | null> {
  const t0 = Date.now();
  let done: { value: T } | null = null;
  void promise.then((value) => {
    done = { value };
  });
  for (let waited = 0; waited <= maxMs && !done; waited += 10) await vi.advanceTimersByTimeAsync(10);
  const d = done as { value: T } | null;
  return d ? { value: d.value, elapsed: Date.now() - t0 } : null;
}

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const numRuns = Number(process.env['FC_RUNS'] ?? 1000);
let runs = 0;
let steps = 0;
let signOuts = 0;
let fetches = 0;
let fetchedTokens = 0;

afterAll(() => {
  console.info(
    `property runs: ${runs}, steps: ${steps}, sign-outs: ${signOuts}, fetchTokens: ${fetches} ` +
      `(${fetchedTokens} resolved), seed: ${seed} (FC_SEED=${seed} to replay)`,
  );
});

describe('random fault sequences (fast-check)', () => {
  it('every sign-out and fetchTokens() settles within its bound and the invariants hold after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (commands) => {
        runs++;
        vi.useFakeTimers();
        vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
        const w = world();
        const seen: unknown[] = [];
        const make = () => {
          const a = createAuth({
            services: w.services,
            storage: w.storage,
            connectivity: w.connectivity,
            timeouts: { remoteStepMs: REMOTE_STEP_MS, refreshRetryMs: 1000 },
            sync: w.bus.connect,
          });
          for (const name of [
            'signedIn',
            'signedOut',
            'signOutFailed',
            'tokensRefreshed',
            'tokenRefreshFailed',
          ] as const) {
            a.on(name, (p) => seen.push(p));
          }
          return a;
        };
        let auth: Auth = make();
        const otherTab = createAuth({ services: w.otherTabServices, storage: w.storage, sync: w.bus.connect });
        // After a complete/partial sign-out and until the next sign-in, nothing may write tokens back.
        let signedOutForGood = false;
        try {
          await settle(auth.ready, 100);
          for (const c of commands) {
            steps++;
            switch (c.type) {
              case 'signIn': {
                w.next.signIn = c.outcome;
                w.next.revocable = c.revocable;
                const r = await settle(
                  auth.signIn({ username: 'alice@example.com', password: 'pw' }).then(
                    () => 'ok',
                    () => 'rejected',
                  ),
                  4 * REMOTE_STEP_MS,
                );
                if (r?.value === 'ok') signedOutForGood = false;
                break;
              }
              case 'signOut': {
                signOuts++;
                w.next.global = c.globalOutcome;
                w.next.revoke = c.revokeOutcome;
                if (c.storageThrows) w.storage.faults.remove = true;
                const before = { ...w.calls };
                const wasSignedIn = auth.state.startsWith('signedIn');
                const first = auth.signOut({ global: c.global });
                const second = c.concurrent ? auth.signOut({ global: !c.global }) : first;
                // 1. every sign-out settles, within the bound (fake time)
                const r = await settle(Promise.all([first, second]), SIGN_OUT_BOUND_MS + 100);
                w.storage.faults.remove = false;
                if (!r) throw new Error('signOut() did not settle within the bound');
                expect(r.elapsed).toBeLessThanOrEqual(SIGN_OUT_BOUND_MS);
                const [result, other] = r.value as [SignOutResult, SignOutResult];
                // Callers of one sign-out agree on the outcome; a global caller is never answered
                // with a local sign-out as if GlobalSignOut had run or had not been needed.
                expect(other.status === 'failed').toBe(result.status === 'failed');
                const globalResult = c.global ? result : c.concurrent ? other : null;
                if (globalResult && wasSignedIn) expect(globalResult.steps.globalSignOut).not.toBe('notRun');
                seen.push(result, other);
                // 2. complete/partial ⇒ signed out, none of our keys
                if (result.status !== 'failed') {
                  expect(auth.state).toBe('signedOut');
                  expect(ownKeys(w.storage, CLIENT_ID)).toEqual([]);
                  signedOutForGood = true;
                  // 7. after a complete sign-out there are no tokens to fetch
                  const f = await settle(
                    auth.fetchTokens().catch((e: unknown) => e),
                    10,
                  );
                  expect(f?.value instanceof AuthError && f.value.code).toBe('NotSignedIn');
                } else {
                  // 3. failed ⇒ still signed in; signed out before, failed means the clear could not
                  // confirm storage is empty (docs/sign-out.md row 12: signOut() in any state clears storage).
                  expect(auth.state.startsWith(wasSignedIn ? 'signedIn' : 'signedOut')).toBe(true);
                  expect(result.status === 'failed' && result.error.code).toBe('StorageFailure');
                }
                // 4. never two RevokeToken or GlobalSignOut calls for one sign-out
                expect(w.calls.revokeToken - before.revokeToken).toBeLessThanOrEqual(1);
                expect(w.calls.globalSignOut - before.globalSignOut).toBeLessThanOrEqual(1);
                break;
              }
              case 'fetchTokens': {
                fetches++;
                w.next.refresh = c.outcome;
                if (c.storageThrows) w.storage.faults.set = true;
                const before = { state: auth.state, tokens: auth.getTokens(), refresh: w.calls.refresh };
                const options = { minValidityMs: c.minValidityMs, forceRefresh: c.forceRefresh };
                const calls = [auth.fetchTokens(options), ...(c.concurrent ? [auth.fetchTokens(options)] : [])];
                // 8. every fetchTokens() settles, within one bounded refresh
                const r = await settle(Promise.allSettled(calls), FETCH_BOUND_MS + 100);
                w.storage.faults.set = false;
                if (!r) throw new Error('fetchTokens() did not settle within the bound');
                expect(r.elapsed).toBeLessThanOrEqual(FETCH_BOUND_MS);
                // 9. concurrent callers share one refresh
                expect(w.calls.refresh - before.refresh).toBeLessThanOrEqual(1);
                const refreshed = w.calls.refresh > before.refresh;
                for (const s of r.value) {
                  seen.push(s.status === 'fulfilled' ? 'tokens' : s.reason);
                  if (s.status === 'fulfilled') {
                    fetchedTokens++;
                    // 10. resolved tokens hold for minValidityMs (exp is whole seconds: up to 1 s early)
                    const left = (decodeJwt(s.value.accessToken).exp as number) * 1000 - Date.now();
                    expect(left).toBeGreaterThanOrEqual(c.minValidityMs - 1000);
                    if (c.forceRefresh) {
                      expect(refreshed).toBe(true);
                      expect(s.value.accessToken).not.toBe(before.tokens?.accessToken);
                    }
                    continue;
                  }
                  const e = s.reason as unknown;
                  if (!(e instanceof AuthError)) throw new Error(`fetchTokens() rejected with ${String(e)}`);
                  // 11. no session, no tokens; a failed refresh says when the held tokens expire
                  if (before.state === 'signedOut') expect(e.code).toBe('NotSignedIn');
                  if (['Network', 'Timeout', 'Offline'].includes(e.code)) {
                    expect(e.tokenExpiresAt).toBeTypeOf('number');
                    // The session stays (unless the timer's own refresh, due at once, was refused meanwhile).
                    const refused = refreshed && c.outcome === 'notAuthorized';
                    expect(auth.state.startsWith('signedIn') || refused).toBe(true);
                  }
                }
                // 12. a refused refresh ends the session (the callers' code: see test/fetch-tokens.test.ts)
                if (refreshed && c.outcome === 'notAuthorized') {
                  expect(r.value.every((s) => s.status === 'rejected')).toBe(true);
                  expect(auth.state).toBe('signedOut');
                  expect(ownKeys(w.storage, CLIENT_ID)).toEqual([]);
                  signedOutForGood = true;
                }
                break;
              }
              case 'timePasses':
                await vi.advanceTimersByTimeAsync(c.ms);
                break;
              case 'goOffline':
                w.connectivity.set(false);
                break;
              case 'goOnline':
                w.connectivity.set(true);
                break;
              case 'refreshDue':
                w.next.refresh = c.outcome;
                await vi.advanceTimersByTimeAsync(600_000);
                break;
              case 'restart':
                auth.stop();
                auth = make();
                await settle(auth.ready, 100);
                break;
              case 'otherTabSignIn': {
                const r = await settle(
                  otherTab.signIn({ username: 'alice@example.com', password: 'pw' }).then(
                    () => 'ok',
                    () => 'rejected',
                  ),
                  4 * REMOTE_STEP_MS,
                );
                if (!r) throw new Error('the other tab’s signIn() did not settle');
                if (r.value === 'ok') signedOutForGood = false;
                break;
              }
              case 'otherTabSignOut': {
                const r = await settle(otherTab.signOut({ global: c.global }), SIGN_OUT_BOUND_MS + 100);
                if (!r) throw new Error('the other tab’s signOut() did not settle');
                await vi.advanceTimersByTimeAsync(10);
                if (r.value.status !== 'failed') {
                  // This tab follows with no call of its own, and nothing of ours is left.
                  const before = { ...w.calls };
                  await settle(auth.ready, 10);
                  expect(auth.state).toBe('signedOut');
                  expect(ownKeys(w.storage, CLIENT_ID)).toEqual([]);
                  expect(w.calls).toEqual(before);
                  signedOutForGood = true;
                }
                break;
              }
            }
            await vi.advanceTimersByTimeAsync(5 * REMOTE_STEP_MS); // let late answers arrive
            // 6. after a sign-out, no later refresh (or late answer) writes tokens back
            if (signedOutForGood) expect(ownKeys(w.storage, CLIENT_ID)).toEqual([]);
            // 5. no token string in any result, error message or emitted payload
            const text = JSON.stringify(seen, (_k, v) => (v instanceof Error ? `${v.name}: ${v.message}` : v));
            for (const token of w.issued)
              if (text.includes(token)) throw new Error('a token string leaked into a result or event');
          }
        } finally {
          auth.stop();
          otherTab.stop();
          vi.useRealTimers();
        }
      }),
      { numRuns, seed, verbose: 1 },
    );
  }, 600_000);
});
