/**
 * The BFF's sessions: one authchart instance per session id, kept in this process while it is
 * used, with its tokens in Redis under the session's own prefix.
 *
 * Why a per-process cache rather than a fresh `createAuth` per request: the instance owns the
 * refresh schedule and an answered challenge, and a request then costs one Redis round trip
 * instead of a full restore. The cache is never the truth: `redisSync` makes every cached instance
 * follow a sign-out made elsewhere at once, and each request first reads two keys (the tombstone
 * and the sign-out journal, plus the last-user pointer) so that a missed message, or a sign-out
 * whose process died, can never leave a session served here.
 */
import { randomBytes } from 'node:crypto';
import type { createClient } from 'redis';
import { redisStorage, redisSync } from '../../src/bindings/redis.js';
import {
  type Auth,
  AuthError,
  type AuthServices,
  createAuth,
  type RevocationPolicy,
  type SessionSync,
  type SignOutResult,
} from '../../src/index.js';

export type RedisClient = ReturnType<typeof createClient>;
export type LogEvent = { event: string } & Record<string, unknown>;

export interface SessionsOptions {
  redis: RedisClient;
  services: AuthServices;
  /** Every key this BFF writes starts with it. Default `bff:`. */
  keyPrefix?: string;
  /** RevokeToken on sign-out: `auto` (Cognito with revocation on) or `always` (cognito-local). */
  revocation?: RevocationPolicy;
  /** Absolute lifetime of a session's keys in Redis (and of the cookie). Default 30 days. */
  ttlSeconds?: number;
  /** Drop an instance unused this long from this process (it stays in Redis). Default 10 minutes. */
  idleMs?: number;
  log?: (entry: LogEvent) => void;
}

/** What a request's session id stands for. */
export type Lookup =
  | { kind: 'active'; auth: Auth }
  /** A sign-in waits for a challenge answer in this process. */
  | { kind: 'challenged'; auth: Auth }
  /**
   * Signed out (here or elsewhere). `finished`: this lookup just finished a sign-out found in the
   * journal (its process died, or it failed on a Redis outage), with that sign-out's result.
   */
  | { kind: 'ended'; finished?: SignOutResult }
  /** Never existed, expired, or its sign-in never finished. */
  | { kind: 'unknown' };

/**
 * 32 random bytes, base64url: 256 bits, 43 characters.
 *
 * @example
 * SESSION_ID.test(newSessionId()); // true
 */
export const newSessionId = (): string => randomBytes(32).toString('base64url');
export const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

interface Entry {
  auth: Auth;
  lastUsed: number;
}

/** Waits until the instance is signed in, signed out or stopped (or `ms` passed), e.g. after a restore. */
function settled(auth: Auth, ms: number): Promise<void> {
  const done = () =>
    auth.actor.getSnapshot().status !== 'active' || ['signedIn', 'signedOut'].includes(auth.getSnapshot().status);
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    const off = auth.subscribe(() => done() && finish());
    function finish() {
      clearTimeout(timer);
      off();
      resolve();
    }
  });
}

/**
 * @example
 * const sessions = new Sessions({ redis, services, revocation: 'always' });
 * const found = await sessions.lookup(sid);
 */
export class Sessions {
  readonly #o: Required<Omit<SessionsOptions, 'log'>> & Pick<SessionsOptions, 'log'>;
  readonly #entries = new Map<string, Entry>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #ns: string;
  readonly #locks = new Map<string, Promise<void>>();

  constructor(options: SessionsOptions) {
    this.#o = { keyPrefix: 'bff:', revocation: 'auto', ttlSeconds: 30 * 86_400, idleMs: 600_000, ...options };
    // authchart's own key layout inside a session's prefix (see SessionStore).
    this.#ns = `authchart.${options.services.clientId}.`;
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(this.#o.idleMs, 60_000));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#entries.size;
  }

  get ttlSeconds(): number {
    return this.#o.ttlSeconds;
  }

  #prefix(sid: string): string {
    return `${this.#o.keyPrefix}s:${sid}:`;
  }

  /** A fresh session id and its (signed-out) instance, for a sign-in. */
  create(): { sid: string; auth: Auth } {
    const sid = newSessionId();
    return { sid, auth: this.#open(sid) };
  }

  #open(sid: string): Auth {
    const prefix = this.#prefix(sid);
    const { redis, services, revocation, ttlSeconds } = this.#o;
    const auth = createAuth({
      services,
      storage: redisStorage(redis, { prefix, ttlSeconds }),
      sync: (name) => this.#heard(redisSync(redis, { prefix })(name)),
      revocation,
      timeouts: { storageMs: 3000 },
    });
    auth.on('signedOut', () => {
      // Leave the listener before stopping the instance that called it.
      setImmediate(() => this.#drop(sid, auth));
    });
    this.#entries.set(sid, { auth, lastUsed: Date.now() });
    return auth;
  }

  /**
   * Logs when this process announces a sign-out and when it hears another's: the propagation time
   * the tests and the bench print (`at`: a sub-millisecond wall clock, comparable across processes).
   */
  #heard(sync: SessionSync): SessionSync {
    const at = () => performance.timeOrigin + performance.now();
    return {
      ...sync,
      publish: (message) => {
        if (message.type === 'signedOut') this.#o.log?.({ event: 'sign_out_published', at: at() });
        sync.publish(message);
      },
      subscribe: (listener) =>
        sync.subscribe((message) => {
          if (message.type === 'signedOut') this.#o.log?.({ event: 'sign_out_heard', at: at() });
          listener(message);
        }),
    };
  }

  #drop(sid: string, auth?: Auth): void {
    const entry = this.#entries.get(sid);
    if (!entry || (auth && entry.auth !== auth)) return;
    this.#entries.delete(sid);
    entry.auth.stop();
  }

  /** Marks a session as ended (a logout replayed later is told so) and forgets it here. */
  async end(sid: string): Promise<void> {
    await this.#o.redis.set(`${this.#prefix(sid)}ended`, '1', {
      expiration: { type: 'EX', value: this.#o.ttlSeconds },
    });
    this.#drop(sid);
  }

  /**
   * What `sid` stands for now, Redis being the truth. Lookups of one session run one at a time in a
   * process, so two requests never open two instances of it. Rejects `StorageFailure` when Redis is
   * unreachable.
   */
  lookup(sid: string): Promise<Lookup> {
    const run = (this.#locks.get(sid) ?? Promise.resolve()).then(() => this.#lookup(sid));
    const tail = run.then(
      () => {},
      () => {},
    );
    this.#locks.set(sid, tail);
    void tail.then(() => {
      if (this.#locks.get(sid) === tail) this.#locks.delete(sid);
    });
    return run;
  }

  async #lookup(sid: string): Promise<Lookup> {
    const p = this.#prefix(sid);
    const keys = [`${p}ended`, `${p}${this.#ns}session`, `${p}${this.#ns}signOutJournal`];
    const [ended, user, journal] = await this.#o.redis.mGet(keys).catch((cause: unknown) => {
      throw new AuthError('StorageFailure', 'Could not read the session from Redis', { cause });
    });
    const entry = this.#entries.get(sid);
    if (entry) entry.lastUsed = Date.now();
    const status = entry?.auth.getSnapshot().status;
    if (ended) {
      this.#drop(sid);
      return { kind: 'ended' };
    }
    if (journal) {
      // A sign-out of this session is under way here: it is ending.
      if (status === 'signingOut') return { kind: 'ended' };
      // One started elsewhere and may have died with its process: restoring finishes it.
      this.#drop(sid);
      const auth = this.#open(sid);
      let finished: SignOutResult | undefined;
      const off = auth.on('signedOut', ({ result }) => {
        finished = result;
      });
      await auth.ready;
      await settled(auth, 15_000);
      off();
      if (auth.getSnapshot().status === 'signedOut') {
        this.#o.log?.({ event: 'finished_interrupted_sign_out', status: finished?.status ?? null });
        await this.end(sid);
      }
      return finished ? { kind: 'ended', finished } : { kind: 'ended' };
    }
    if (!user) {
      if (entry && status === 'signingIn') return { kind: 'challenged', auth: entry.auth };
      this.#drop(sid);
      return { kind: 'unknown' };
    }
    const auth = entry && status !== 'signedOut' ? entry.auth : this.#reopen(sid);
    await auth.ready;
    await settled(auth, 15_000);
    return auth.getSnapshot().status === 'signedIn' ? { kind: 'active', auth } : { kind: 'unknown' };
  }

  #reopen(sid: string): Auth {
    this.#drop(sid);
    return this.#open(sid);
  }

  /** Forgets an instance whose sign-in failed (nothing of it is in Redis). */
  discard(sid: string): void {
    this.#drop(sid);
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#o.idleMs;
    for (const [sid, entry] of this.#entries) {
      // Idle, and not in the middle of something: it stays in Redis, restored on next use.
      const { status } = entry.auth.getSnapshot();
      if (entry.lastUsed < cutoff && (status === 'signedIn' || status === 'signedOut')) this.#drop(sid);
    }
  }

  /** Stops every instance (tokens stay in Redis). */
  close(): void {
    clearInterval(this.#sweeper);
    for (const sid of [...this.#entries.keys()]) this.#drop(sid);
  }
}
