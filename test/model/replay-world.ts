/**
 * The replay world of the chart model: the real machine with authchart's real service adapters
 * (SessionStore on a real in-memory storage), fake remote services and a store whose operations
 * wait for the path to say how they end, a manual connectivity and a simulated clock.
 */
import { fromPromise, SimulatedClock } from 'xstate';
import { AuthError } from '../../src/errors.js';
import type { AuthMachine } from '../../src/machines/auth.machine.js';
import { authMachineWithServices } from '../../src/machines/auth.slots.js';
import type { AuthConfig, AuthDeps } from '../../src/machines/auth.types.js';
import type { DeferredTokens, Deps as OutboxDeps } from '../../src/machines/outbox.machine.js';
import { outboxWithServices } from '../../src/machines/outbox.slots.js';
import { manualConnectivity } from '../../src/services/connectivity.js';
import type { HostedUI } from '../../src/services/hosted-ui.js';
import type { AuthServices, SignInChallenge, Tokens } from '../../src/services/types.js';
import { type Sealed, seal } from '../../src/session/sealed.js';
import { sessionFromTokens } from '../../src/session/session.js';
import { SessionStore } from '../../src/session/store.js';
import { faultyStorage, ownKeys } from '../helpers/fakes.js';
import {
  type ActorSrc,
  type Arrange,
  MODEL_SESSION_ID,
  type ModelEvent,
  NOW_S,
  OTHER_SESSION_ID,
  plainTokens,
  redirectTokens,
  refreshedTokens,
  revocableTokens,
  type Seed,
} from './fixtures.js';

export const CLIENT_ID = 'client123';

const QUIET_OUTBOX = outboxWithServices.provide({
  actors: {
    claimOutbox: fromPromise<DeferredTokens, OutboxDeps & { config: AuthConfig }>(async () => ({
      tokens: seal<string[]>([]),
      count: 0,
      globals: [],
      slots: [],
      busy: 0,
    })),
  },
});

// Sessions the real actors make get the model's id (it only tells stored sessions apart).
globalThis.crypto.getRandomValues = (<T extends ArrayBufferView | null>(array: T): T => {
  if (array) new Uint8Array(array.buffer, array.byteOffset, array.byteLength).fill(0);
  return array;
}) as Crypto['getRandomValues'];
export const MODEL_CONFIG: AuthConfig = {
  deferRevocation: false,
  revocation: 'auto',
  remoteStepMs: 1000,
  hostedUIMs: 2000,
  refreshLeewayMs: 60_000,
  refreshRetryMs: 1000,
  storageMs: 3000,
  challengeMs: 180_000,
};

/** A fixture-produced event carries where it came from, so the replay can arrange it. */
export type FixtureEvent = ModelEvent & {
  fixture?: { src: ActorSrc; kind: 'done' | 'error'; name: string; arrange: Arrange };
};

/** Waiters for "how does this call end?", one queue per actor src. */
class Gate {
  private waiters = new Map<ActorSrc, ((a: Arrange) => void)[]>();

  wait(src: ActorSrc, signal?: AbortSignal): Promise<Arrange> {
    return new Promise<Arrange>((resolve, reject) => {
      const list = this.waiters.get(src) ?? [];
      const waiter = (a: Arrange) => resolve(a);
      list.push(waiter);
      this.waiters.set(src, list);
      signal?.addEventListener(
        'abort',
        () => {
          this.waiters.set(
            src,
            (this.waiters.get(src) ?? []).filter((w) => w !== waiter),
          );
          reject(new AuthError('Network', 'aborted'));
        },
        { once: true },
      );
    });
  }

  /** A step timed out: its storage call, still waiting, now fails (so the store's queue moves on). */
  releaseAll(src: ActorSrc, arrange: Arrange): void {
    for (const waiter of this.waiters.get(src)?.splice(0) ?? []) waiter(arrange);
  }

  async release(src: ActorSrc, arrange: Arrange): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const waiter = this.waiters.get(src)?.shift();
      if (waiter) return waiter(arrange);
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`the path says ${src} answers now, but no ${src} call is waiting`);
  }
}

export function createWorld() {
  const gate = new Gate();
  const storage = faultyStorage({ 'app.theme': 'dark' });
  const seeder = new SessionStore(storage, CLIENT_ID);
  const calls = { signIn: 0, refresh: 0, globalSignOut: 0, revokeToken: 0, hostedUISignOut: 0 };
  const inFlight = { globalSignOut: 0, revokeToken: 0 };

  async function remote(src: ActorSrc, signal: AbortSignal): Promise<Tokens | undefined> {
    return (await remoteStep(src, signal)).tokens;
  }

  async function remoteStep(
    src: ActorSrc,
    signal: AbortSignal,
  ): Promise<{ tokens?: Tokens; challenge?: SignInChallenge; redirectUrl?: string }> {
    const a = await gate.wait(src, signal);
    if (a.kind === 'reject') throw a.error;
    if (a.kind !== 'resolve') throw new Error(`bad arrangement for ${src}`);
    return a;
  }

  const services: AuthServices = {
    clientId: CLIENT_ID,
    async signIn(_input, signal) {
      calls.signIn++;
      const a = await remoteStep('signIn', signal);
      return a.challenge ?? a.tokens ?? revocableTokens;
    },
    async respondToChallenge(_input, signal) {
      const a = await remoteStep('respondToChallenge', signal);
      return a.challenge ?? a.tokens ?? revocableTokens;
    },
    async refresh(_token, signal) {
      calls.refresh++;
      const t = (await remote('refreshTokens', signal)) ?? refreshedTokens;
      return { accessToken: t.accessToken, idToken: t.idToken };
    },
    async globalSignOut(_token, signal) {
      calls.globalSignOut++;
      inFlight.globalSignOut++;
      try {
        await remote('globalSignOut', signal);
      } finally {
        inFlight.globalSignOut--;
      }
    },
    async revokeToken(_token, signal) {
      calls.revokeToken++;
      inFlight.revokeToken++;
      try {
        await remote('revokeToken', signal);
      } finally {
        inFlight.revokeToken--;
      }
    },
    async hostedUISignOut(signal) {
      calls.hostedUISignOut++;
      await remote('hostedUISignOut', signal);
    },
    // The chart's one account call (deleteUser); authchart/account's others are tested on their own.
    async cognitoCall(operation, _body, signal) {
      if (operation !== 'DeleteUser') throw new Error(`the model makes no ${operation} call`);
      await remote('deleteUser', signal);
      return {};
    },
  };

  async function seed(s: Seed | undefined) {
    // A read mid-session sees what another context left: the seed is the whole of storage (ours).
    if (s !== undefined) for (const key of ownKeys(storage, CLIENT_ID)) storage.removeItem(key);
    if (s === 'journalLocal' || s === 'journalGlobal' || s === 'journalOnly') {
      const scope = s === 'journalGlobal' ? 'global' : 'local';
      await seeder.writeJournal({ scope, startedAt: 0, username: 'alice@example.com' });
    }
    if (s === 'valid' || s === 'validHostedUI' || s === 'journalLocal' || s === 'journalGlobal') {
      const how = s === 'validHostedUI' ? 'hostedUI' : 'password';
      await seeder.save(sessionFromTokens(revocableTokens, how, undefined, MODEL_SESSION_ID));
    } else if (s === 'validOther') {
      await seeder.save(sessionFromTokens(plainTokens, 'password', undefined, OTHER_SESSION_ID));
    } else if (s === 'garbage') {
      storage.setItem(seeder.sessionKey, 'garbage');
    }
  }

  /** Storage-backed actors: wait for the path, then run the real store on a working or failing storage. */
  async function gated<T>(src: ActorSrc, run: () => Promise<T>): Promise<T> {
    const a = await gate.wait(src);
    if (src === 'writeJournal') world.journalWriteFailed = a.kind === 'storageFails';
    if (a.kind === 'storage') await seed(a.seed);
    const fail = a.kind === 'storageFails';
    if (fail) Object.assign(storage.faults, { get: true, set: true, remove: true });
    try {
      return await run();
    } finally {
      if (fail) Object.assign(storage.faults, { get: false, set: false, remove: false });
    }
  }

  class GatedStore extends SessionStore {
    override load() {
      return gated('readSession', () => super.load());
    }
    override save(session: Parameters<SessionStore['save']>[0]) {
      return gated('saveSession', () => super.save(session));
    }
    override saveRefreshed(session: Parameters<SessionStore['saveRefreshed']>[0]) {
      return gated('storeRefreshedTokens', () => super.saveRefreshed(session));
    }
    override clear(target: Parameters<SessionStore['clear']>[0], options?: Parameters<SessionStore['clear']>[1]) {
      return gated('clearSession', () => super.clear(target, options));
    }
    // The model's redirects always come back to a sign-in this storage started.
    override async takeRedirect() {
      return (
        (await super.takeRedirect()) ?? { state: 's', codeVerifier: 'v', nonce: 'n', redirectUri: 'r', createdAt: 0 }
      );
    }
    override writeJournal(...args: Parameters<SessionStore['writeJournal']>) {
      return gated('writeJournal', () => super.writeJournal(...args));
    }
  }

  // The hosted UI, gated like the remote services; only its answers matter to the chart.
  const hostedUI: HostedUI & { leavesPage: boolean } = {
    clientId: CLIENT_ID,
    leavesPage: false,
    createAuthorization: async () => ({
      url: 'https://auth.example/oauth2/authorize',
      transaction: {
        state: 's',
        codeVerifier: 'v',
        nonce: 'n',
        redirectUri: 'https://app.example/callback',
        createdAt: 0,
      },
    }),
    async openUrl(_url, _purpose, signal) {
      const a = await remoteStep('startRedirect', signal ?? new AbortController().signal);
      return a.redirectUrl;
    },
    async exchangeCode(_url, _tx, signal) {
      const a = await remoteStep('exchangeCode', signal);
      return { tokens: a.tokens ?? redirectTokens, customState: 'back-to' };
    },
    async signOut(signal) {
      calls.hostedUISignOut++;
      await remote('hostedUISignOut', signal);
    },
  };

  // The passkey prompt, gated like the remote services: it answers an assertion, or rejects.
  const passkeys = {
    async get(_request: string, signal: AbortSignal) {
      await remoteStep('passkeyAssertion', signal);
      return '{"id":"cred-1","type":"public-key"}';
    },
    create: async () => '{}',
  };

  const connectivity = manualConnectivity(true);
  const clock = new SimulatedClock();
  clock.set(NOW_S * 1000);
  // The outbox child is tested on its own (test/outbox): here its drains find nothing, so every
  // remote call in flight belongs to the chart's own steps.
  const machine: AuthMachine = authMachineWithServices.provide({ actors: { outbox: QUIET_OUTBOX } });
  const deps: Sealed<AuthDeps> = seal({
    services,
    hostedUI,
    passkeys,
    store: new GatedStore(storage, CLIENT_ID),
    connectivity,
    // The chart reads the model's fixed "now": the simulated clock drives its timers only, so that
    // jumping past a refresh delay cannot make the path's guards (token freshness, expiry) disagree.
    clock: { now: () => NOW_S * 1000 },
    // The simulated clock jumps past refresh delays while the fixtures' tokens stay as minted: exp
    // is not the model's concern (test/token-checks.test.ts checks it), so any exp passes here.
    clockToleranceMs: Number.MAX_SAFE_INTEGER,
    sync: null,
  });
  const input = { config: MODEL_CONFIG, deps };
  const world = {
    hostedUI,
    gate,
    storage,
    calls,
    inFlight,
    connectivity,
    clock,
    machine,
    input,
    journalWriteFailed: false,
  };
  return world;
}

export type World = ReturnType<typeof createWorld>;
