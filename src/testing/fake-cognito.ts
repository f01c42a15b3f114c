/**
 * `fakeCognito()`: the {@link AuthServices} of a user pool app client, in process. A user table
 * answers sign-ins; refresh tokens are tracked so RevokeToken, GlobalSignOut and rotation have the
 * effects Cognito's have; and the test decides latency, failures, hangs and being offline. Every
 * call is recorded.
 */
import { AuthError, type AuthErrorCode } from '../errors.js';
import { manualConnectivity } from '../services/connectivity.js';
import type { AuthServices, Clock, Connectivity, Credentials, SignInChallenge, Tokens } from '../services/types.js';
import { createUserPool, type FakeUser } from './fake-pool.js';
import { FAKE_CLIENT_ID, FAKE_USER_POOL_ID, issuerOf } from './fake-tokens.js';

export type { FakeUser } from './fake-pool.js';

/** The remote calls of {@link AuthServices} that the fake answers, by method name. */
export type FakeOperation = 'signIn' | 'respondToChallenge' | 'refresh' | 'globalSignOut' | 'revokeToken';

/** What each operation answers; {@link FakeCognito.respond} replaces the user table's answer with one. */
export interface FakeAnswers {
  signIn: AuthServices['signIn'];
  respondToChallenge: NonNullable<AuthServices['respondToChallenge']>;
  refresh: AuthServices['refresh'];
  globalSignOut: AuthServices['globalSignOut'];
  revokeToken: AuthServices['revokeToken'];
}

/** One call the fake received. */
export interface FakeCall {
  readonly operation: FakeOperation;
  /** `signIn` and `respondToChallenge`: the username (the password is not kept). */
  readonly username?: string;
  /** `refresh` and `revokeToken`: the refresh token; `globalSignOut`: the access token. */
  readonly token?: string;
  /** The signal the call was given. */
  readonly signal: AbortSignal;
  /** `pending` while it runs, then `ok` or `failed`. */
  readonly outcome: 'pending' | 'ok' | 'failed';
  /** What it threw, once `failed` (an {@link AuthError}, unless a {@link FakeCognito.respond} answer threw something else). */
  readonly error?: unknown;
}

/** Options of {@link fakeCognito}. */
export interface FakeCognitoOptions {
  /** The user table: username → password, or a {@link FakeUser}. Default none. */
  users?: Record<string, string | FakeUser>;
  /** Default `fakeclient`. */
  clientId?: string;
  /** `<region>_<id>`; names the issuer (`https://cognito-idp.<region>.amazonaws.com/<userPoolId>`). Default `eu-west-1_Fake`. */
  userPoolId?: string;
  /** Lifetime of the access and ID tokens, in seconds. Default 3600. */
  accessTokenValiditySeconds?: number;
  /** A refresh answers a new refresh token and the old one stops working (Cognito's refresh token rotation). Default false. */
  rotateRefreshTokens?: boolean;
  /** Token revocation is enabled on the app client: tokens carry `origin_jti`, RevokeToken works. Default true. */
  revocable?: boolean;
  /** Every call waits this long before it answers (ms); or per operation. Default 0. */
  latencyMs?: number | Partial<Record<FakeOperation, number>>;
  /** Start offline (see {@link FakeCognito.setOffline}). Default false. */
  offline?: boolean;
  /** The clock tokens are issued by (`iat`, `exp`). Default `Date`. */
  clock?: Clock;
}

/** Options of {@link FakeCognito.fail}. */
export interface FakeFailureOptions {
  /** How many calls fail, from the next one on; default every call until {@link FakeCognito.heal}. */
  times?: number;
  /** The error's message; default one naming the operation and the code. */
  message?: string;
  /** The Cognito exception name the error carries (`serviceName`), e.g. `InternalErrorException`. */
  serviceName?: string;
}

/** The fake: pass it to `createAuth({ services })`, and `connectivity` beside it. */
export interface FakeCognito extends AuthServices {
  readonly clientId: string;
  readonly issuer: string;
  readonly userPoolId: string;
  /** Online unless {@link setOffline}: pass it to `createAuth({ connectivity })` so authchart knows, as a browser would. */
  readonly connectivity: Connectivity;
  /** Every call so far, oldest first. */
  readonly calls: readonly FakeCall[];
  /** The calls of one operation, oldest first. */
  callsTo(operation: FakeOperation): FakeCall[];
  /** Calls of `operation` (or of any) still running. */
  inFlight(operation?: FakeOperation): number;
  /** Whether the fake is offline. */
  readonly offline: boolean;
  /** Offline, every call fails at once with `Network` (as a request does with no network), and `connectivity` says so. */
  setOffline(offline: boolean): void;
  /** Calls of `operation` throw an {@link AuthError} with `code` (after the latency). */
  fail(operation: FakeOperation, code: AuthErrorCode, options?: FakeFailureOptions): void;
  /** Calls of `operation` never answer: each rejects (`Timeout`) only when its signal aborts. */
  hang(operation: FakeOperation, options?: { times?: number }): void;
  /**
   * Ends the failures and hangs of `operation` (default all) set by {@link fail} and {@link hang};
   * a call already hanging still waits for its signal.
   */
  heal(operation?: FakeOperation): void;
  /** The latency of `operation` (default every one), in ms. */
  setLatency(ms: number, operation?: FakeOperation): void;
  /** Answers `operation` with `answer` instead of the user table (after offline, latency and failures); `undefined` restores it. */
  respond<K extends FakeOperation>(operation: K, answer: FakeAnswers[K] | undefined): void;
  /** Adds (or replaces) a user. */
  addUser(username: string, user: string | FakeUser): void;
  /** Tokens for a user as a sign-in would issue them, without a call: to seed storage or `adoptSession()`. */
  issueTokens(username: string): Tokens;
  /** Whether Cognito would now refuse this refresh or access token (revoked, signed out globally, rotated away). */
  isRevoked(token: string): boolean;
}

/** Waits `ms` (Infinity: until aborted); rejects `Timeout` when `signal` aborts first. */
function wait(ms: number, signal: AbortSignal, cognitoName: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => {
      if (timer !== undefined) clearTimeout(timer);
      reject(new AuthError('Timeout', `${cognitoName} was aborted before Cognito answered`, { cause: signal.reason }));
    };
    if (signal.aborted) return aborted();
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          signal.removeEventListener('abort', aborted);
          resolve();
        }, ms)
      : undefined;
    signal.addEventListener('abort', aborted, { once: true });
  });
}

/** Cognito's operation names, for messages. */
const COGNITO_NAME: Record<FakeOperation, string> = {
  signIn: 'InitiateAuth',
  respondToChallenge: 'RespondToAuthChallenge',
  refresh: 'InitiateAuth (REFRESH_TOKEN_AUTH)',
  globalSignOut: 'GlobalSignOut',
  revokeToken: 'RevokeToken',
};

type Fault = { kind: 'fail'; code: AuthErrorCode; options: FakeFailureOptions } | { kind: 'hang' };

/**
 * In-process Cognito services for an app's tests.
 *
 * @example
 * ```ts
 * import { createAuth } from 'authchart';
 * import { fakeCognito } from 'authchart/testing';
 *
 * const cognito = fakeCognito({ users: { 'alice@example.com': 'Correct-Horse-9' } });
 * const auth = createAuth({ services: cognito, connectivity: cognito.connectivity });
 * await auth.signIn({ username: 'alice@example.com', password: 'Correct-Horse-9' });
 * cognito.fail('revokeToken', 'Throttled');
 * await auth.signOut(); // partial: revokeTokenError.code === 'Throttled'
 * ```
 */
export function fakeCognito(options: FakeCognitoOptions = {}): FakeCognito {
  const clientId = options.clientId ?? FAKE_CLIENT_ID;
  const userPoolId = options.userPoolId ?? FAKE_USER_POOL_ID;
  const issuer = issuerOf(userPoolId);
  const pool = createUserPool({
    clientId,
    issuer,
    validitySeconds: options.accessTokenValiditySeconds ?? 3600,
    rotate: options.rotateRefreshTokens === true,
    revocable: options.revocable !== false,
    clock: options.clock ?? { now: () => Date.now() },
  });
  for (const [username, user] of Object.entries(options.users ?? {})) pool.addUser(username, user);

  const connectivity = manualConnectivity(options.offline !== true);
  const latency = new Map<FakeOperation | 'all', number>();
  if (typeof options.latencyMs === 'number') latency.set('all', options.latencyMs);
  else for (const [op, ms] of Object.entries(options.latencyMs ?? {})) latency.set(op as FakeOperation, ms);
  const faults = new Map<FakeOperation, { fault: Fault; left: number }>();
  const answers: Partial<FakeAnswers> = {};
  const calls: { -readonly [K in keyof FakeCall]: FakeCall[K] }[] = [];

  /** The scripted fault of the next call of `op`, counted down. */
  function takeFault(op: FakeOperation): Fault | undefined {
    const entry = faults.get(op);
    if (!entry) return undefined;
    if (--entry.left <= 0) faults.delete(op);
    return entry.fault;
  }

  async function call<T>(
    operation: FakeOperation,
    detail: { username?: string; token?: string },
    signal: AbortSignal,
    answer: () => Promise<T>,
  ): Promise<T> {
    const record: (typeof calls)[number] = { operation, ...detail, signal, outcome: 'pending' };
    calls.push(record);
    const name = COGNITO_NAME[operation];
    try {
      if (!connectivity.isOnline()) {
        throw new AuthError('Network', `${name} got no answer from Cognito: the fake Cognito is offline`);
      }
      const ms = latency.get(operation) ?? latency.get('all') ?? 0;
      if (ms > 0) await wait(ms, signal, name);
      const fault = takeFault(operation);
      if (fault?.kind === 'hang') await wait(Number.POSITIVE_INFINITY, signal, name);
      if (fault?.kind === 'fail') {
        const { message, serviceName } = fault.options;
        throw new AuthError(fault.code, message ?? `${name} failed with ${fault.code} (fakeCognito().fail)`, {
          ...(serviceName === undefined ? {} : { serviceName }),
        });
      }
      const value = await answer();
      record.outcome = 'ok';
      return value;
    } catch (error) {
      record.outcome = 'failed';
      record.error = error;
      throw error;
    }
  }

  const fake: FakeCognito = {
    clientId,
    issuer,
    userPoolId,
    connectivity,
    calls,
    callsTo: (operation) => calls.filter((c) => c.operation === operation),
    inFlight: (operation) =>
      calls.filter((c) => c.outcome === 'pending' && (operation === undefined || c.operation === operation)).length,
    get offline() {
      return !connectivity.isOnline();
    },
    setOffline: (offline) => connectivity.set(!offline),
    fail(operation, code, failure = {}) {
      faults.set(operation, { fault: { kind: 'fail', code, options: failure }, left: failure.times ?? Infinity });
    },
    hang(operation, hang = {}) {
      faults.set(operation, { fault: { kind: 'hang' }, left: hang.times ?? Infinity });
    },
    heal(operation) {
      if (operation === undefined) faults.clear();
      else faults.delete(operation);
    },
    setLatency(ms, operation) {
      if (operation === undefined) {
        latency.clear();
        latency.set('all', ms);
      } else latency.set(operation, ms);
    },
    respond(operation, answer) {
      if (answer === undefined) delete answers[operation];
      else answers[operation] = answer;
    },
    addUser: (username, user) => pool.addUser(username, user),
    issueTokens: (username) => pool.issue(pool.user(username)),
    isRevoked: (token) => pool.isRevoked(token),

    signIn: (input: Credentials, signal) =>
      call('signIn', { username: input.username }, signal, () =>
        answers.signIn ? answers.signIn(input, signal) : Promise.resolve(pool.signIn(input)),
      ),
    respondToChallenge: (input: { challenge: SignInChallenge; answer: string }, signal) =>
      call('respondToChallenge', { username: input.challenge.username }, signal, () =>
        answers.respondToChallenge ? answers.respondToChallenge(input, signal) : Promise.resolve(pool.answer(input)),
      ),
    refresh: (refreshToken, signal) =>
      call('refresh', { token: refreshToken }, signal, () =>
        answers.refresh ? answers.refresh(refreshToken, signal) : Promise.resolve(pool.refresh(refreshToken)),
      ),
    globalSignOut: (accessToken, signal) =>
      call('globalSignOut', { token: accessToken }, signal, () =>
        answers.globalSignOut
          ? answers.globalSignOut(accessToken, signal)
          : Promise.resolve(pool.globalSignOut(accessToken)),
      ),
    revokeToken: (refreshToken, signal) =>
      call('revokeToken', { token: refreshToken }, signal, () =>
        answers.revokeToken ? answers.revokeToken(refreshToken, signal) : Promise.resolve(pool.revoke(refreshToken)),
      ),
  };
  return fake;
}
