import {
  AuthError,
  type AuthServices,
  type Credentials,
  memoryStorage,
  type TokenStorage,
  type Tokens,
} from '../../src/index.js';
import { makeTokens } from './tokens.js';

/** What a fake remote call does: succeed, throw, or hang until aborted. */
export type Outcome<T = void> = { ok: T } | { error: unknown } | 'hang' | (() => Promise<T>);

export interface Call {
  arg: string;
  signal: AbortSignal;
}

export interface FakeServices extends AuthServices {
  calls: {
    signIn: Credentials[];
    refresh: Call[];
    globalSignOut: Call[];
    revokeToken: Call[];
    hostedUISignOut: AbortSignal[];
  };
  script: {
    signIn: Outcome<Tokens>;
    refresh: Outcome<Partial<Tokens>>;
    globalSignOut: Outcome;
    revokeToken: Outcome;
    hostedUISignOut: Outcome;
  };
  /** How many calls are running right now, per step. */
  inFlight: { globalSignOut: number; revokeToken: number; refresh: number };
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
  /** Records the call, counts it in flight while it runs, and answers as scripted. */
  async function tracked<K extends 'refresh' | 'globalSignOut' | 'revokeToken'>(
    name: K,
    arg: string,
    signal: AbortSignal,
  ): Promise<Awaited<ReturnType<FakeServices[K]>>> {
    fake.calls[name].push({ arg, signal });
    fake.inFlight[name]++;
    try {
      return (await run(fake.script[name] as Outcome<unknown>, signal)) as Awaited<ReturnType<FakeServices[K]>>;
    } finally {
      fake.inFlight[name]--;
    }
  }
  const fake: FakeServices = {
    clientId: 'client123',
    calls: { signIn: [], refresh: [], globalSignOut: [], revokeToken: [], hostedUISignOut: [] },
    script: {
      signIn: { ok: tokens },
      refresh: { ok: { accessToken: tokens.accessToken, idToken: tokens.idToken } },
      globalSignOut: { ok: undefined },
      revokeToken: { ok: undefined },
      hostedUISignOut: { ok: undefined },
    },
    inFlight: { globalSignOut: 0, revokeToken: 0, refresh: 0 },
    async signIn(input, signal) {
      fake.calls.signIn.push(input);
      return run(fake.script.signIn, signal);
    },
    refresh: (refreshToken, signal) => tracked('refresh', refreshToken, signal),
    globalSignOut: (accessToken, signal) => tracked('globalSignOut', accessToken, signal),
    revokeToken: (refreshToken, signal) => tracked('revokeToken', refreshToken, signal),
    async hostedUISignOut(signal) {
      fake.calls.hostedUISignOut.push(signal);
      return run(fake.script.hostedUISignOut, signal);
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
