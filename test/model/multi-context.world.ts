/**
 * The world of the multi-context model test (docs/storage.md, "Exploring"): a fake Cognito shared by
 * every context, one shared storage seen through a slow and sometimes failing view per context, and
 * latency schedules. Everything here is driven by fake timers and by fast-check's choices, so a run
 * replays exactly.
 */

import { UnsecuredJWT } from 'jose';
import { AuthError, type AuthServices, type TokenStorage, type Tokens } from '../../src/index.js';
import { TEST_ISSUER } from '../helpers/tokens.js';

export const CLIENT_ID = 'client123';
export const USERS = ['alice@example.com', 'bob@example.com'] as const;

/** One sign-in at the fake, and every token it and its refreshes issued. */
export interface FakeSession {
  sid: number;
  user: string;
  tokens: string[];
  refreshTokens: string[];
}

/**
 * How Cognito answers the n-th refresh, RevokeToken or GlobalSignOut of a run (fault `remote`): `ok`, or
 * refused before it applies with 429 (`Throttled`) or a 5xx (`Service`). Past the list every call
 * is `ok`: Cognito recovers, so the world can converge, and shrinking goes towards no fault at all.
 */
export type RemoteFault = 'ok' | 'throttled' | 'service';

/** Latencies in ms, taken in turn (cycled): fast-check chooses them, so a run replays exactly. */
export class Schedule {
  #i = 0;
  constructor(private readonly ms: readonly number[]) {}
  next(): number {
    const ms = this.ms.length === 0 ? 0 : (this.ms[this.#i % this.ms.length] ?? 0);
    this.#i++;
    return ms;
  }
}

/** Resolves after `ms` (fake timers), or rejects as a network error when `signal` aborts first. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => reject(new AuthError('Network', 'The request was aborted'));
    if (signal?.aborted) return aborted();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      aborted();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Cognito as the contexts see it: each sign-in issues fresh tokens; a refresh issues a new access
 * and id token (and, with `rotate`, a new refresh token, the old one stops working); RevokeToken and
 * GlobalSignOut (every refresh token of the user) are recorded. `invalid` is what it no longer accepts.
 */
export class FakeCognito {
  readonly sessions: FakeSession[] = [];
  readonly sidOf = new Map<string, number>();
  readonly invalid = new Set<string>();
  readonly revokeCalls: string[] = [];
  readonly globalCalls: string[] = [];
  /** Refresh token → the instance (context incarnation) it was handed to. */
  readonly issuedTo = new Map<string, number>();

  /** The faults each call was answered with, for the trace. */
  readonly faultsMade: string[] = [];

  constructor(
    readonly rotate: boolean,
    private readonly remoteFaults: readonly RemoteFault[] = [],
  ) {}

  #serial = 0;
  #calls = 0;

  /** The next refresh/revoke/global call's fault, thrown before the fake applies anything. */
  fault(call: string): void {
    const f = this.remoteFaults[this.#calls++] ?? 'ok';
    if (f === 'ok') return;
    this.faultsMade.push(`${call}:${f}`);
    if (f === 'throttled') throw new AuthError('Throttled', 'Rate exceeded (429)');
    throw new AuthError('Service', 'InternalErrorException (500)');
  }

  /** Cognito-shaped tokens, every one unique (even two id tokens of one user in the same second). */
  #mint(user: string): Tokens {
    const n = ++this.#serial;
    const now = Math.floor(Date.now() / 1000);
    const jwt = (claims: Record<string, string>) =>
      new UnsecuredJWT({ ...claims, jti: `jti-${n}` })
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .encode();
    return {
      accessToken: jwt({
        username: user,
        sub: `sub-${user}`,
        iss: TEST_ISSUER,
        client_id: CLIENT_ID,
        token_use: 'access',
        origin_jti: `origin-${n}`,
      }),
      idToken: jwt({
        'cognito:username': user,
        email: user,
        sub: `sub-${user}`,
        iss: TEST_ISSUER,
        aud: CLIENT_ID,
        token_use: 'id',
      }),
      // Cognito refresh tokens are JWEs: five base64url parts.
      refreshToken: `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.refresh-${n}-part.iv-${n}.cipher-${n}-text.tag-${n}`,
    };
  }

  #record(session: FakeSession, tokens: Partial<Tokens>, instance: number): void {
    for (const t of [tokens.accessToken, tokens.idToken, tokens.refreshToken]) {
      if (t === undefined) continue;
      session.tokens.push(t);
      this.sidOf.set(t, session.sid);
    }
    if (tokens.refreshToken !== undefined) {
      session.refreshTokens.push(tokens.refreshToken);
      this.issuedTo.set(tokens.refreshToken, instance);
    }
  }

  session(sid: number): FakeSession {
    const s = this.sessions[sid];
    if (!s) throw new Error(`no fake session #${sid}`);
    return s;
  }

  signIn(user: string, instance: number): Tokens {
    const session: FakeSession = { sid: this.sessions.length, user, tokens: [], refreshTokens: [] };
    this.sessions.push(session);
    const tokens = this.#mint(user);
    this.#record(session, tokens, instance);
    return tokens;
  }

  refresh(refreshToken: string, instance: number): Partial<Tokens> {
    const sid = this.sidOf.get(refreshToken);
    if (sid === undefined || this.invalid.has(refreshToken)) {
      throw new AuthError('NotAuthorized', 'Refresh Token has been revoked');
    }
    const session = this.session(sid);
    const fresh = this.#mint(session.user);
    const answer: Partial<Tokens> = { accessToken: fresh.accessToken, idToken: fresh.idToken };
    if (this.rotate) {
      answer.refreshToken = fresh.refreshToken;
      this.invalid.add(refreshToken);
    }
    this.#record(session, answer, instance);
    return answer;
  }

  /** Cognito answers 200 for a token it already revoked. */
  revoke(refreshToken: string): void {
    this.revokeCalls.push(refreshToken);
    this.invalid.add(refreshToken);
  }

  globalSignOut(accessToken: string): void {
    const sid = this.sidOf.get(accessToken);
    const session = sid === undefined ? undefined : this.sessions[sid];
    if (!session || session.refreshTokens.every((t) => this.invalid.has(t))) {
      throw new AuthError('NotAuthorized', 'Access Token has been revoked');
    }
    this.globalCalls.push(accessToken);
    for (const s of this.sessions) if (s.user === session.user) for (const t of s.refreshTokens) this.invalid.add(t);
  }
}

/** One incarnation of a context: a crash ends it (`dead`), a restart makes a new one. */
export interface Incarnation {
  readonly id: number;
  dead: boolean;
  /** Storage reads still to fail: set when a sync message (a hint) arrives (fault `hints`). */
  failReads: number;
  online(): boolean;
}

/** The AuthServices one incarnation talks to: the shared fake, behind its own latency and connectivity. */
export function incarnationServices(
  cognito: FakeCognito,
  me: Incarnation,
  latency: Schedule,
  inFlight: { n: number },
  late = false,
): AuthServices {
  /**
   * One request. Aborted (timed out, the step left, or its context crashed) it never reaches the
   * fake; with `late` (fault `late`) a sign-in or refresh goes on and answers after its abort, as a
   * transport that ignores the signal does. A crashed context gets no answer either way.
   */
  async function remote<T>(signal: AbortSignal, answer: () => T, answersLate = false): Promise<T> {
    inFlight.n++;
    try {
      const ignores = late && answersLate;
      await pause(latency.next(), ignores ? undefined : signal);
      if (!me.online()) throw new AuthError('Network', 'fetch failed (offline)');
      if ((signal.aborted && !ignores) || me.dead) throw new AuthError('Network', 'The request was aborted');
      return answer();
    } finally {
      inFlight.n--;
    }
  }
  return {
    clientId: CLIENT_ID,
    signIn: (c, signal) => remote(signal, () => cognito.signIn(c.username, me.id), true),
    refresh: (rt, signal) =>
      remote(
        signal,
        () => {
          cognito.fault('refresh');
          return cognito.refresh(rt, me.id);
        },
        true,
      ),
    globalSignOut: (at, signal) =>
      remote(signal, () => {
        cognito.fault('globalSignOut');
        cognito.globalSignOut(at);
      }),
    revokeToken: (rt, signal) =>
      remote(signal, () => {
        cognito.fault('revokeToken');
        cognito.revoke(rt);
      }),
  };
}

/**
 * One storage shared by every context (like `localStorage`), with a lock shared by all of them (as
 * `navigator.locks` is across tabs). Each incarnation sees it through `viewFor`: every operation
 * waits its latency first (0 ms: answered synchronously), a dead incarnation's pending operations
 * never land (a crash), and the one operation numbered `faultAt` throws. Faults `slow` and `hints`:
 * the operations numbered in `slowOps` take `slowMs` (longer than the contexts' `storageMs`, so they
 * outlive their lock), and a read by an incarnation with `failReads` left throws (a hint followed by
 * failing reads).
 */
export class SharedStorage {
  readonly map = new Map<string, string>();
  ops = 0;
  readonly inFlight = { n: 0 };
  /**
   * Late writes (landing after their lock was let go) that went over a value: on a storage not
   * fenced at commit, the undo then removes the key rather than putting that value back (a
   * documented limit, docs/storage.md). Fenced (like fileStorage and Redis), a late write never lands.
   */
  lateOverOthers = 0;
  /**
   * Keys a late write landed on (storage not fenced at commit), until the next in-time write of the
   * key (its undo, or another context's write over it): storage is judged again only then.
   */
  readonly latePending = new Set<string>();
  /** The program ended: its faults end too (no fault, no slow operation from here on). */
  faultsOver = false;
  #tails = new Map<string, Promise<unknown>>();

  constructor(
    readonly faultAt: number | null,
    /** After every write; `late`: it landed after its lock was let go (unfenced), and its undo follows. */
    private readonly onWrite: (late: boolean) => void,
    readonly slowOps: readonly number[] = [],
    readonly slowMs = 0,
    readonly fenced = false,
  ) {}

  values(): string[] {
    return [...this.map.values()];
  }

  /** Every stored value but the outbox's (index and slots). */
  valuesOutsideOutbox(): string[] {
    return [...this.map].filter(([k]) => !k.startsWith(`authchart.${CLIENT_ID}.outbox`)).map(([, v]) => v);
  }

  /** Whether any stored value contains this token. */
  holds(token: string, values = this.values()): boolean {
    return values.some((v) => v.includes(token));
  }

  lock<T>(name: string, critical: () => Promise<T>): Promise<T> {
    const tail = this.#tails.get(name) ?? Promise.resolve();
    const run = tail.then(critical);
    this.#tails.set(
      name,
      run.catch(() => undefined),
    );
    return run;
  }

  viewFor(me: Incarnation, latency: Schedule): TokenStorage {
    // This incarnation's lock sections: a write made by none that is still held (the code of a
    // section the lock was let go of, running on) is late, fence or not (the outbox's carry none).
    let sections = 0;
    let current = 0;
    const ended = new Set<number>();
    const section = <T>(critical: () => Promise<T>) => {
      current = ++sections;
      const id = current;
      return critical().finally(() => {
        ended.add(id);
        if (current === id) current = 0;
      });
    };
    const op = <T>(write: boolean, fn: () => T, key = '', fence?: AbortSignal): T | Promise<T> => {
      const n = this.ops++;
      const before = this.map.get(key);
      const within = current;
      // Decided when the read is made: the reads right after the hint are the ones that fail.
      // Ended with the program for every incarnation, a stopped one's undo still running too.
      const failRead = !write && me.failReads > 0 && !this.faultsOver;
      if (failRead) me.failReads--;
      const land = (): T => {
        if (me.dead) throw new Error('the context crashed before this storage operation');
        if (n === this.faultAt && !this.faultsOver) throw new Error('injected storage fault');
        if (failRead) throw new Error('injected read fault after a sync message');
        const late = write && (fence?.aborted === true || within === 0 || ended.has(within));
        if (late) {
          if (this.fenced) throw new Error('fenced off: the lock was let go before this write committed');
          // Its undo removes the key, or (the outbox's) it stays: what it went over is lost either way.
          if (this.map.get(key) !== undefined || before !== undefined) this.lateOverOthers++;
        }
        const result = fn();
        if (write && late) this.latePending.add(key);
        else if (write) this.latePending.delete(key);
        if (write) this.onWrite(late);
        return result;
      };
      const ms = this.slowOps.includes(n) && !this.faultsOver ? this.slowMs : latency.next();
      if (ms === 0) return land();
      this.inFlight.n++;
      return pause(ms)
        .finally(() => {
          this.inFlight.n--;
        })
        .then(land);
    };
    return {
      getItem: (key) => op(false, () => this.map.get(key) ?? null),
      setItem: (key, value, options) =>
        op(
          true,
          () => {
            this.map.set(key, value);
          },
          key,
          options?.fence,
        ),
      removeItem: (key, options) =>
        op(
          true,
          () => {
            this.map.delete(key);
          },
          key,
          options?.fence,
        ),
      ...(this.fenced ? { fencedWrites: true } : {}),
      lock: <T>(name: string, critical: () => Promise<T>) => this.lock(name, () => section(critical)),
    };
  }
}

/** What storage holds before any context starts (fault `initial`). */
export type Initial = 'empty' | 'corrupt' | 'corruptOutbox' | 'oldLayout';

/** The instance number of tokens nobody in the run was handed: the old layout's, left by an older version. */
export const BEFORE_THE_RUN = -1;

/**
 * Puts `initial` into storage: a session record that is not JSON, an outbox index that is not JSON,
 * or a session in the layout of authchart ≤ 0.1 (`lastAuthUser` and `<user>.<field>`), issued by the
 * fake beforehand so its refresh token is one Cognito honours and the orphan invariant follows it.
 */
export function seedStorage(storage: SharedStorage, cognito: FakeCognito, initial: Initial): void {
  const prefix = `authchart.${CLIENT_ID}.`;
  if (initial === 'corrupt') storage.map.set(`${prefix}session`, '{"v":1,"accessToken":"eyJ');
  if (initial === 'corruptOutbox') storage.map.set(`${prefix}outbox`, '[0, "not a slot"');
  if (initial === 'oldLayout') {
    const user = USERS[0];
    const tokens = cognito.signIn(user, BEFORE_THE_RUN);
    storage.map.set(`${prefix}lastAuthUser`, user);
    storage.map.set(`${prefix}${user}.accessToken`, tokens.accessToken);
    storage.map.set(`${prefix}${user}.idToken`, tokens.idToken);
    storage.map.set(`${prefix}${user}.refreshToken`, tokens.refreshToken);
    storage.map.set(`${prefix}${user}.signedInWith`, 'password');
  }
}
