import { afterEach, beforeEach, vi } from 'vitest';
import { AuthError, type AuthServices, memoryStorage, type TokenStorage, type Tokens } from '../../src/index.js';
import { makeTokens } from './tokens.js';

/**
 * Fakes whose every answer the test decides: each remote call waits at a gate until the test
 * settles it, and storage can be held (answers on `release()`) or hung (never answers).
 * Written here because the shared fakes answer at once or hang; a model run needs to stop
 * between "the call was made" and "the call answered".
 */
export type RemoteStep = 'signIn' | 'refresh' | 'hostedUISignOut' | 'globalSignOut' | 'revokeToken' | 'deleteUser';
/** The account calls the fake answers at once (never gated): SignUp (not yet confirmed) and ConfirmSignUp. */
export type AccountStep = 'signUp' | 'confirmSignUp';

export interface Gate {
  step: RemoteStep;
  /** The token the call was given (access token for GlobalSignOut and DeleteUser, refresh token for refresh and RevokeToken). */
  token?: string;
  resolve(): void;
  reject(error: AuthError): void;
}

export interface GatedServices extends AuthServices {
  /** Calls made and not yet settled or aborted, oldest first. */
  open: Gate[];
  /** Every call ever made, by step. */
  made: (RemoteStep | AccountStep)[];
  /** The tokens each refresh answered with, by refresh call number (1-based; a hole where it did not answer ok). */
  refreshed: Tokens[];
  /** What signIn answers with. */
  signInTokens: Tokens;
}

/** A fixed instant for every run: tokens and the chart's clock agree, and no refresh falls due within a run. */
export const T0 = Date.UTC(2026, 0, 1) / 1000;

/** The open call of `step` (the oldest); throws, naming what is open, if there is none. */
export function openGate(s: GatedServices, step: RemoteStep): Gate {
  const g = s.open.find((x) => x.step === step);
  if (!g) throw new Error(`no open ${step} call (open: ${s.open.map((x) => x.step).join(', ')})`);
  return g;
}

export function gatedServices(tokens: Tokens = makeTokens({ now: T0 })): GatedServices {
  const fake: GatedServices = {
    clientId: 'client123',
    open: [],
    made: [],
    refreshed: [],
    signInTokens: tokens,
    signIn: (_input, signal) => gate('signIn', signal).then(() => tokens),
    // Fresh tokens minted when the gate opens (on the fake clock), shaped like Cognito's answer: no refresh token.
    refresh: (refreshToken, signal) => {
      const n = fake.made.filter((s) => s === 'refresh').length + 1;
      return gate('refresh', signal, refreshToken).then(() => {
        const t = makeTokens({ now: Math.floor(Date.now() / 1000) });
        fake.refreshed[n] = t;
        return { accessToken: t.accessToken, idToken: t.idToken };
      });
    },
    globalSignOut: (token, signal) => gate('globalSignOut', signal, token),
    revokeToken: (token, signal) => gate('revokeToken', signal, token),
    hostedUISignOut: (signal) => gate('hostedUISignOut', signal),
    // `deleteUser` (authchart/account) is the one account call gated here; SignUp and ConfirmSignUp
    // answer at once (no Session: an auto sign-in signs in with the password); any other is refused.
    cognitoCall: (operation, body, signal) => {
      if (operation === 'DeleteUser') return gate('deleteUser', signal, String(body['AccessToken'])).then(() => ({}));
      if (operation === 'SignUp') {
        fake.made.push('signUp');
        return Promise.resolve({
          UserSub: 'sub-alice',
          UserConfirmed: false,
          CodeDeliveryDetails: { DeliveryMedium: 'EMAIL', Destination: 'a***@e***.com', AttributeName: 'email' },
        });
      }
      if (operation === 'ConfirmSignUp') {
        fake.made.push('confirmSignUp');
        return Promise.resolve({});
      }
      return Promise.reject(new AuthError('InvalidConfig', `the gated fake does not answer ${operation}`));
    },
  };
  function gate(step: RemoteStep, signal: AbortSignal, token?: string): Promise<void> {
    fake.made.push(step);
    return new Promise<void>((resolve, reject) => {
      const g: Gate = {
        step,
        ...(token === undefined ? {} : { token }),
        resolve: () => {
          drop();
          resolve();
        },
        reject: (error) => {
          drop();
          reject(error);
        },
      };
      const drop = () => {
        fake.open = fake.open.filter((x) => x !== g);
      };
      fake.open.push(g);
      // The fake honours its AbortSignal, as every real service must.
      signal.addEventListener('abort', () => g.reject(new AuthError('Network', 'aborted')), { once: true });
    });
  }
  return fake;
}

export type StorageMode = 'open' | 'held' | 'hung' | 'failing';

export interface GatedStorage extends TokenStorage {
  mode: StorageMode;
  /** Lets every held call through, in order, and opens the storage. */
  release(): void;
  /** Storage calls still waiting (held or hung). */
  waiting(): number;
  dump(): Record<string, string>;
}

/**
 * memoryStorage behind a switch: `open` answers at once, `held` waits for `release()`, `hung` never
 * answers, `failing` rejects every call (a full or locked disk) until `release()`.
 */
export function gatedStorage(initial: Record<string, string> = {}, mode: StorageMode = 'open'): GatedStorage {
  const inner = memoryStorage(Object.entries(initial));
  let held: (() => void)[] = [];
  let waiting = 0;
  // biome-ignore lint/suspicious/noExplicitAny: one wrapper for getItem, setItem and removeItem
  const call = (op: () => any): any => {
    if (storage.mode === 'open') return op();
    if (storage.mode === 'failing') return Promise.reject(new Error('storage failed (disk full)'));
    waiting++;
    if (storage.mode === 'hung') return new Promise(() => {});
    return new Promise((resolve) => {
      held.push(() => {
        waiting--;
        resolve(op());
      });
    });
  };
  const storage: GatedStorage = {
    mode,
    getItem: (key) => call(() => inner.getItem(key)),
    setItem: (key, value) => call(() => inner.setItem(key, value)),
    removeItem: (key) => call(() => inner.removeItem(key)),
    release() {
      storage.mode = 'open';
      const run = held;
      held = [];
      for (const go of run) go();
    },
    waiting: () => waiting,
    dump: () => Object.fromEntries(inner.keys().map((k) => [k, String(inner.getItem(k))])),
  };
  return storage;
}

/** Tokens issued an hour before they expire, `leftS` seconds after T0 (a restored session: expiry from `exp`). */
export function tokensExpiringIn(leftS: number): Tokens {
  return makeTokens({ now: T0 + leftS - 3600, expiresIn: 3600 });
}

/** What storage holds after alice signed in with a password: one record (the real store's layout). */
export function storedSession(
  tokens: Tokens = makeTokens({ now: T0 }),
  options: { id?: string; signedInWith?: 'password' | 'hostedUI'; clientId?: string } = {},
): Record<string, string> {
  const record = {
    v: 1,
    id: options.id ?? 'stored-session',
    signedInWith: options.signedInWith ?? 'password',
    ...tokens,
  };
  return { [`authchart.${options.clientId ?? 'client123'}.session`]: JSON.stringify(record) };
}

/** The layout before the one-record session (`lastAuthUser` and per-field keys): read once, to migrate. */
export function legacyStoredSession(tokens: Tokens = makeTokens({ now: T0 })): Record<string, string> {
  const p = 'authchart.client123.';
  const u = 'alice@example.com';
  return {
    [`${p}${u}.accessToken`]: tokens.accessToken,
    [`${p}${u}.idToken`]: tokens.idToken,
    [`${p}${u}.refreshToken`]: tokens.refreshToken,
    [`${p}${u}.signedInWith`]: 'password',
    [`${p}lastAuthUser`]: u,
  };
}

/** Runs every microtask and I/O callback queued so far (timers are fake; setImmediate is real). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Fake timers and Date only: setImmediate stays real so `flush()` works. */
export function useModelTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(T0 * 1000);
}

/** A promise's answer as it arrives, never awaited: a test asserts that it settled (and how), so one
 * that never settles fails the test instead of hanging it. */
export function track<T>(promise: Promise<T>) {
  const t: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(t, { settled: true, value }),
    (error) => Object.assign(t, { settled: true, error }),
  );
  return t;
}

/**
 * The gated tests' one set-up: the model's fake timers before each test; after it, `stop()` on the
 * instance `current()` names (stopping twice is harmless) and real timers again.
 *
 * @example
 * ```ts
 * let auth: Auth | undefined;
 * withGatedTestHooks(() => auth);
 * ```
 */
export function withGatedTestHooks(current: () => { stop(): void } | undefined): void {
  beforeEach(() => useModelTimers());
  afterEach(() => {
    current()?.stop();
    vi.useRealTimers();
  });
}
