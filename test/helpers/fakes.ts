import {
  type AccountOperation,
  AuthError,
  type AuthServices,
  type Credentials,
  type HostedUI,
  memoryStorage,
  type TokenStorage,
  type Tokens,
} from '../../src/index.js';
import { type FakeCognito, fakeCognito } from '../../src/testing/index.js';
import { makeTokens } from './tokens.js';

/** What a fake remote call does: succeed, throw, or hang until aborted. */
export type Outcome<T = void> = { ok: T } | { error: unknown } | 'hang' | (() => Promise<T>);

export interface Call {
  arg: string;
  signal: AbortSignal;
}

/** One `authchart/account` request as the transport got it. */
export interface AccountCall {
  operation: AccountOperation;
  body: Record<string, unknown>;
  signal: AbortSignal;
}

/**
 * authchart/testing's `fakeCognito` (app client `client123`; its call record and in-flight counts),
 * with every answer scripted by the test instead of a user table.
 */
export interface FakeServices extends AuthServices {
  /** The fakeCognito underneath: its record of every call, `fail`, `hang`, `setOffline`, … */
  cognito: FakeCognito;
  calls: {
    signIn: Credentials[];
    readonly refresh: Call[];
    readonly globalSignOut: Call[];
    readonly revokeToken: Call[];
    hostedUISignOut: AbortSignal[];
    cognitoCall: AccountCall[];
  };
  script: {
    signIn: Outcome<Tokens>;
    refresh: Outcome<Partial<Tokens>>;
    globalSignOut: Outcome;
    revokeToken: Outcome;
    hostedUISignOut: Outcome;
    /** The `authchart/account` transport's answer to a request (by default `{}`). */
    cognitoCall: (call: AccountCall) => Outcome<Record<string, unknown>>;
  };
  /** How many calls are running right now, per step. */
  readonly inFlight: { readonly globalSignOut: number; readonly revokeToken: number; readonly refresh: number };
}

function run<T>(outcome: Outcome<T>, signal: AbortSignal): Promise<T> {
  if (outcome === 'hang') {
    return new Promise<T>((_, reject) => {
      signal.addEventListener('abort', () => reject(new AuthError('Network', 'aborted')), { once: true });
    });
  }
  if (typeof outcome === 'function') return outcome();
  if ('ok' in outcome) return Promise.resolve(outcome.ok);
  return Promise.reject(outcome.error);
}

export function fakeServices(tokens: Tokens = makeTokens()): FakeServices {
  const cognito = fakeCognito({ clientId: 'client123', userPoolId: 'eu-west-1_Test' });
  const recorded = (operation: 'refresh' | 'globalSignOut' | 'revokeToken'): Call[] =>
    cognito.callsTo(operation).map((c) => ({ arg: c.token ?? '', signal: c.signal }));
  cognito.respond('signIn', (input, signal) => {
    fake.calls.signIn.push(input);
    return run(fake.script.signIn, signal);
  });
  cognito.respond('refresh', (_token, signal) => run(fake.script.refresh, signal));
  cognito.respond('globalSignOut', (_token, signal) => run(fake.script.globalSignOut, signal));
  cognito.respond('revokeToken', (_token, signal) => run(fake.script.revokeToken, signal));
  const fake: FakeServices = {
    cognito,
    clientId: cognito.clientId,
    calls: {
      signIn: [],
      get refresh() {
        return recorded('refresh');
      },
      get globalSignOut() {
        return recorded('globalSignOut');
      },
      get revokeToken() {
        return recorded('revokeToken');
      },
      hostedUISignOut: [],
      cognitoCall: [],
    },
    script: {
      signIn: { ok: tokens },
      refresh: { ok: { accessToken: tokens.accessToken, idToken: tokens.idToken } },
      globalSignOut: { ok: undefined },
      revokeToken: { ok: undefined },
      hostedUISignOut: { ok: undefined },
      cognitoCall: () => ({ ok: {} }),
    },
    inFlight: {
      get globalSignOut() {
        return cognito.inFlight('globalSignOut');
      },
      get revokeToken() {
        return cognito.inFlight('revokeToken');
      },
      get refresh() {
        return cognito.inFlight('refresh');
      },
    },
    signIn: (input, signal) => cognito.signIn(input, signal),
    refresh: (refreshToken, signal) => cognito.refresh(refreshToken, signal),
    globalSignOut: (accessToken, signal) => cognito.globalSignOut(accessToken, signal),
    revokeToken: (refreshToken, signal) => cognito.revokeToken(refreshToken, signal),
    async hostedUISignOut(signal) {
      fake.calls.hostedUISignOut.push(signal);
      return run(fake.script.hostedUISignOut, signal);
    },
    // A transport for `authchart/account` too, answering as the test scripts it.
    async cognitoCall(operation, body, signal) {
      const call = { operation, body, signal };
      fake.calls.cognitoCall.push(call);
      return run(fake.script.cognitoCall(call), signal);
    },
  };
  return fake;
}

/** memoryStorage that can be told to throw, and lists its keys. */
export function faultyStorage(initial: Record<string, string> = {}) {
  const inner = memoryStorage(Object.entries(initial));
  const faults = { get: false, set: false, remove: false };
  const storage: TokenStorage & { faults: typeof faults; keys(): string[]; dump(): Record<string, string> } = {
    faults,
    getItem(key) {
      if (faults.get) throw new Error('storage read failed');
      return inner.getItem(key);
    },
    setItem(key, value) {
      if (faults.set) throw new Error('QuotaExceededError');
      inner.setItem(key, value);
    },
    removeItem(key) {
      if (faults.remove) throw new Error('storage remove failed');
      inner.removeItem(key);
    },
    keys: () => inner.keys(),
    dump: () => Object.fromEntries(inner.keys().map((k) => [k, String(inner.getItem(k))])),
  };
  return storage;
}

export function ownKeys(storage: { keys(): string[] }, clientId = 'client123'): string[] {
  return storage.keys().filter((k) => k.startsWith(`authchart.${clientId}.`));
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A hosted UI whose sign-in comes back at once (a popup: state `s`, nonce `n-ours`) and whose token
 * endpoint answers as `exchangeCode` does: the core's checks and ordering are all that stand.
 */
export function popupHostedUI(exchangeCode: HostedUI['exchangeCode'], issuer?: string): HostedUI {
  return {
    clientId: 'client123',
    ...(issuer === undefined ? {} : { issuer }),
    leavesPage: false,
    createAuthorization: async () => ({
      url: 'https://auth.example/oauth2/authorize',
      transaction: {
        state: 's',
        codeVerifier: 'v'.repeat(43),
        nonce: 'n-ours',
        redirectUri: 'https://app.example/cb',
        createdAt: Date.now(),
      },
    }),
    openUrl: async () => 'https://app.example/cb?code=c&state=s',
    exchangeCode,
    signOut: async () => {},
  };
}
