/**
 * The world of the multi-context model test (issue 19): a fake Cognito shared by every context, one
 * shared storage seen through a slow and sometimes failing view per context, and latency schedules.
 * Everything here is driven by fake timers and by fast-check's choices, so a run replays exactly.
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

  constructor(readonly rotate: boolean) {}

  #serial = 0;

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
  online(): boolean;
}

/** The AuthServices one incarnation talks to: the shared fake, behind its own latency and connectivity. */
export function incarnationServices(
  cognito: FakeCognito,
  me: Incarnation,
  latency: Schedule,
  inFlight: { n: number },
): AuthServices {
  async function remote<T>(signal: AbortSignal, answer: () => T): Promise<T> {
    inFlight.n++;
    try {
      await pause(latency.next(), signal);
      if (!me.online()) throw new AuthError('Network', 'fetch failed (offline)');
      // A request aborted (timed out, or its context crashed) never reaches the fake.
      if (signal.aborted || me.dead) throw new AuthError('Network', 'The request was aborted');
      return answer();
    } finally {
      inFlight.n--;
    }
  }
  return {
    clientId: CLIENT_ID,
    signIn: (c, signal) => remote(signal, () => cognito.signIn(c.username, me.id)),
    refresh: (rt, signal) => remote(signal, () => cognito.refresh(rt, me.id)),
    globalSignOut: (at, signal) => remote(signal, () => cognito.globalSignOut(at)),
    revokeToken: (rt, signal) => remote(signal, () => cognito.revoke(rt)),
  };
}

/**
 * One storage shared by every context (like `localStorage`), with a lock shared by all of them (as
 * `navigator.locks` is across tabs). Each incarnation sees it through `viewFor`: every operation
 * waits its latency first (0 ms: answered synchronously), a dead incarnation's pending operations
 * never land (a crash), and the one operation numbered `faultAt` throws.
 */
export class SharedStorage {
  readonly map = new Map<string, string>();
  ops = 0;
  readonly inFlight = { n: 0 };
  #tails = new Map<string, Promise<unknown>>();

  constructor(
    readonly faultAt: number | null,
    private readonly onWrite: () => void,
  ) {}

  values(): string[] {
    return [...this.map.values()];
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
    const op = <T>(write: boolean, fn: () => T): T | Promise<T> => {
      const n = this.ops++;
      const land = (): T => {
        if (me.dead) throw new Error('the context crashed before this storage operation');
        if (n === this.faultAt) throw new Error('injected storage fault');
        const result = fn();
        if (write) this.onWrite();
        return result;
      };
      const ms = latency.next();
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
      setItem: (key, value) =>
        op(true, () => {
          this.map.set(key, value);
        }),
      removeItem: (key) =>
        op(true, () => {
          this.map.delete(key);
        }),
      lock: <T>(name: string, critical: () => Promise<T>) => this.lock(name, critical),
    };
  }
}
