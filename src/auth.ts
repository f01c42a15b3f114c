import { type Actor, createActor, fromPromise, type InspectionEvent, type Observer, waitFor } from 'xstate';
import { AuthError } from './errors.js';
import { computeRefreshDelay, stepsNotRun } from './machines/auth.logic.js';
import { type AuthMachine, authMachine } from './machines/auth.machine.js';
import type {
  AuthConfig,
  AuthDeps,
  AuthEmitted,
  AuthEventName,
  AuthEventPayload,
  RevocationPolicy,
  SignOutResult,
} from './machines/auth.types.js';
import { defaultConnectivity } from './services/connectivity.js';
import { memoryStorage } from './services/storage.js';
import { defaultSync } from './services/sync.js';
import type {
  AuthServices,
  Clock,
  Connectivity,
  Credentials,
  SessionSyncFactory,
  TokenStorage,
  Tokens,
} from './services/types.js';
import { RevocationOutbox, safeIsOnline } from './session/outbox.js';
import { type Sealed, seal, unseal } from './session/sealed.js';
import { refreshedSession, type SignedInWith, sessionFromTokens } from './session/session.js';
import { SessionStore } from './session/store.js';

/** Bounds and schedules, in milliseconds. */
export interface AuthTimeouts {
  /** Bound on each remote call (sign-in, refresh, GlobalSignOut, RevokeToken). Default 5000. */
  remoteStepMs?: number;
  /** Bound on the hosted UI `/logout` step. Default 120000. */
  hostedUISignOutMs?: number;
  /** Refresh this long before the access token expires (at most half its lifetime). Default 60000. */
  refreshLeewayMs?: number;
  /** First wait before retrying a refresh that failed for a network reason; doubles up to 64×. Default 5000. */
  refreshRetryMs?: number;
}

/** Options of {@link createAuth}. Only `services` is required. */
export interface CreateAuthOptions {
  services: AuthServices;
  /** Where tokens are kept. Default: {@link memoryStorage}. */
  storage?: TokenStorage;
  /** Default: `navigator.onLine` where it exists, else always online. */
  connectivity?: Connectivity;
  /** When to call RevokeToken on sign-out. Default `auto`. */
  revocation?: RevocationPolicy;
  timeouts?: AuthTimeouts;
  /** Compared with JWT `exp` to schedule refreshes. Default `Date`. */
  clock?: Clock;
  /**
   * Keep a refresh token that could not be revoked because the network failed (`Offline`,
   * `Network`, `Timeout`) in an outbox key, and retry RevokeToken when connectivity returns or at
   * the next start. Off by default: the outbox holds a refresh token in storage until then.
   */
  deferRevocation?: boolean;
  /**
   * Cross-tab sync: when one tab signs out, the others follow without network calls; when one
   * signs in, the others restore. Default: BroadcastChannel (else the storage event) in browsers,
   * none elsewhere; `null` turns it off; `memorySyncBus().connect` links instances in one process.
   */
  sync?: SessionSyncFactory | null;
  /** Receives XState inspection events (e.g. `createBrowserInspector().inspect`). Tokens are sealed: they serialise as `"[redacted]"`. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** The deepest state the machine is in, as a dotted path. */
export type AuthStateValue =
  | 'restoring.readingStoredSession'
  | 'restoring.discardingInvalidSession'
  | 'signedOut'
  | 'signingIn.authenticating'
  | 'signingIn.savingSession'
  | 'signingIn.undoingPartialSave'
  | 'signedIn.waitingToRefresh'
  | 'signedIn.refreshingTokens'
  | 'signedIn.waitingToRetryRefresh'
  | 'signedIn.storingRefreshedTokens'
  | 'signingOut.checkingHostedUI'
  | 'signingOut.signingOutOfHostedUI'
  | 'signingOut.writingJournal'
  | 'signingOut.checkingConnectivity'
  | 'signingOut.signingOutGlobally'
  | 'signingOut.revokingRefreshToken'
  | 'signingOut.clearingCache';

/** What the app may know about the session: no token strings. */
export interface SessionView {
  username: string;
  email?: string;
  signedInWith: SignedInWith;
  accessTokenExpiresAt: number;
  revocable: boolean;
}

/** A running auth instance: one statechart actor and a small promise API over it. */
/** An immutable view of the auth state, for UI bindings; a new object only when something changed. */
export interface AuthSnapshot {
  /** The deepest state, e.g. `signingOut.revokingRefreshToken`. */
  state: AuthStateValue;
  /** The top-level state. */
  status: 'restoring' | 'signedOut' | 'signingIn' | 'signedIn' | 'signingOut';
  session: SessionView | null;
}

export interface Auth {
  /** Resolves when the stored session has been read (restored or not). */
  readonly ready: Promise<void>;
  /**
   * The current {@link AuthSnapshot}; the same object until the state or session changes, so it
   * works with `useSyncExternalStore` and other external-store contracts together with {@link Auth.subscribe}.
   */
  getSnapshot(): AuthSnapshot;
  /** The current state. */
  readonly state: AuthStateValue;
  /** Signs in with USER_PASSWORD_AUTH. Rejects with `AlreadySignedIn` while a user is signed in. */
  signIn(input: Credentials): Promise<void>;
  /** Stores tokens obtained elsewhere (hosted UI redirect, another SDK) as the signed-in session. */
  adoptSession(tokens: Tokens, options?: { signedInWith?: SignedInWith }): Promise<void>;
  /** Always settles; never throws. A call while one runs returns the same promise. */
  signOut(options?: { global?: boolean }): Promise<SignOutResult>;
  /** Who is signed in (also while signing out), without token strings; `null` when signed out. */
  getSession(): SessionView | null;
  /** The current tokens, for calling your APIs. `null` when signed out. */
  getTokens(): Tokens | null;
  /** Called with every new state; returns an unsubscribe function. */
  subscribe(listener: (state: AuthStateValue) => void): () => void;
  /** Listens to `signedIn`, `signedOut`, `signOutFailed`, `tokenRefresh`, `tokenRefreshFailure`; returns an unsubscribe function. */
  on<N extends AuthEventName>(event: N, listener: (payload: AuthEventPayload<N>) => void): () => void;
  /** The XState actor, for `@xstate/react`, `@xstate/vue`, Stately Inspector. */
  readonly actor: Actor<AuthMachine>;
  /**
   * Retries RevokeToken for refresh tokens kept by `deferRevocation` (also done by itself at start
   * and when connectivity returns). Resolves with how many were revoked or refused for good, and how many remain.
   */
  retryDeferredRevocations(): Promise<{ settled: number; remaining: number }>;
  /** Stops timers and in-flight requests. Pending calls reject (or, for signOut, resolve) with `Cancelled`. */
  stop(): void;
}

const DEFAULTS = {
  revocation: 'auto',
  remoteStepMs: 5000,
  hostedUISignOutMs: 120_000,
  refreshLeewayMs: 60_000,
  refreshRetryMs: 5000,
} as const;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new AuthError('InvalidConfig', `timeouts.${name} must be a positive finite number of milliseconds`);
  }
  return value;
}

function validateServices(services: AuthServices | undefined): AuthServices {
  if (!services || typeof services !== 'object') throw new AuthError('InvalidConfig', 'options.services is required');
  for (const m of ['signIn', 'refresh', 'globalSignOut', 'revokeToken'] as const) {
    if (typeof services[m] !== 'function') throw new AuthError('InvalidConfig', `services.${m} must be a function`);
  }
  if (typeof services.clientId !== 'string' || services.clientId.length === 0) {
    throw new AuthError('InvalidConfig', 'services.clientId must be a non-empty string');
  }
  return services;
}

function configFrom(options: CreateAuthOptions): AuthConfig {
  const revocation = options.revocation ?? DEFAULTS.revocation;
  if (!['auto', 'always', 'never'].includes(revocation)) {
    throw new AuthError('InvalidConfig', 'revocation must be "auto", "always" or "never"');
  }
  const t = options.timeouts ?? {};
  return {
    revocation,
    remoteStepMs: positive('remoteStepMs', t.remoteStepMs, DEFAULTS.remoteStepMs),
    hostedUISignOutMs: positive('hostedUISignOutMs', t.hostedUISignOutMs, DEFAULTS.hostedUISignOutMs),
    refreshLeewayMs: positive('refreshLeewayMs', t.refreshLeewayMs, DEFAULTS.refreshLeewayMs),
    refreshRetryMs: positive('refreshRetryMs', t.refreshRetryMs, DEFAULTS.refreshRetryMs),
    deferRevocation: options.deferRevocation === true,
  };
}

function leafPath(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['', ''];
  const rest = leafPath(child);
  return rest ? `${key}.${rest}` : key;
}

function assertCredentials(input: Credentials): void {
  if (!input || typeof input.username !== 'string' || input.username.trim() === '') {
    throw new AuthError('InvalidInput', 'username must be a non-empty string');
  }
  if (typeof input.password !== 'string' || input.password === '') {
    throw new AuthError('InvalidInput', 'password must be a non-empty string');
  }
}

function depsOf(deps: Sealed<AuthDeps> | null): AuthDeps {
  if (!deps) throw new AuthError('InvalidConfig', 'The machine was started without services (input.deps)');
  return unseal(deps);
}

/**
 * @internal The chart with authchart's own implementations in its slots, built once and shared by
 * every instance: each instance's services come in through its input (`deps`, sealed).
 */
export const authMachineWithServices: AuthMachine = authMachine.provide({
  actors: {
    readSession: fromPromise(({ input }) => depsOf(input.deps).store.load()),
    signIn: fromPromise(async ({ input, signal }) => {
      const { services, clock } = depsOf(input.deps);
      const step = await services.signIn(unseal(input.credentials), signal);
      if ('challenge' in step) {
        throw new AuthError('ChallengeRequired', `Sign-in needs the ${step.challengeName} challenge`, {
          challengeName: step.challengeName,
        });
      }
      return sessionFromTokens(step, 'password', clock.now());
    }),
    saveSession: fromPromise(({ input }) => depsOf(input.deps).store.save(input.session)),
    refreshTokens: fromPromise(async ({ input, signal }) => {
      const { services, clock } = depsOf(input.deps);
      const fresh = await services.refresh(unseal(input.session.tokens).refreshToken, signal);
      return refreshedSession(input.session, fresh, clock.now());
    }),
    hostedUISignOut: fromPromise(({ input, signal }) => {
      const { services } = depsOf(input.deps);
      if (!services.hostedUISignOut) {
        return Promise.reject(
          new AuthError(
            'InvalidConfig',
            'This session came from the hosted UI, but services.hostedUISignOut is not set',
          ),
        );
      }
      return services.hostedUISignOut(signal);
    }),
    globalSignOut: fromPromise(({ input, signal }) =>
      depsOf(input.deps).services.globalSignOut(unseal(input.tokens).accessToken, signal),
    ),
    revokeToken: fromPromise(({ input, signal }) =>
      depsOf(input.deps).services.revokeToken(unseal(input.tokens).refreshToken, signal),
    ),
    clearSession: fromPromise(({ input }) =>
      depsOf(input.deps).store.clear(input.username, {
        keepForRevocation: input.keepForRevocation ? unseal(input.keepForRevocation).refreshToken : null,
      }),
    ),
    writeJournal: fromPromise(({ input }) => {
      const { store, clock } = depsOf(input.deps);
      return store.writeJournal({ scope: input.scope, username: input.username, startedAt: clock.now() });
    }),
  },
  actions: {
    publishSignedIn: ({ context }) => depsOf(context.deps).sync?.publish({ type: 'signedIn' }),
    publishSignedOut: ({ context }) => depsOf(context.deps).sync?.publish({ type: 'signedOut' }),
  },
  guards: {
    // An unknown state counts as online: the step timeout still bounds every remote call.
    isOffline: ({ context }) => !safeIsOnline(depsOf(context.deps).connectivity),
  },
  delays: {
    refreshDelay: ({ context }) =>
      context.session ? computeRefreshDelay(context.session, context.config, depsOf(context.deps).clock.now()) : 0,
  },
});

/**
 * Creates and starts an auth instance: reads the stored session, then signs in, refreshes and
 * signs out through the statechart. Throws `InvalidConfig` for bad options.
 */
export function createAuth(options: CreateAuthOptions): Auth {
  const services = validateServices(options?.services);
  const config = configFrom(options);
  const storage = options.storage ?? memoryStorage();
  const connectivity = options.connectivity ?? defaultConnectivity();
  const clock = options.clock ?? { now: () => Date.now() };
  const store = new SessionStore(storage, services.clientId);
  const syncFactory = options.sync === undefined ? defaultSync() : options.sync;
  const sync = syncFactory ? syncFactory(`authchart.${services.clientId}`) : null;

  const actor = createActor(authMachineWithServices, {
    input: { config, deps: seal({ services, store, connectivity, clock, sync }) },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });

  let nextRequestId = 1;
  let pendingSignOut: Promise<SignOutResult> | null = null;
  const cancellers = new Set<() => void>();
  const stateListeners = new Set<(state: AuthStateValue) => void>();
  let lastState = '';

  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });

  actor.subscribe({
    next(snapshot) {
      const value = leafPath(snapshot.value) as AuthStateValue;
      if (!value.startsWith('restoring')) resolveReady();
      if (value === lastState) return;
      lastState = value;
      for (const listener of [...stateListeners]) safely(() => listener(value));
    },
    error() {
      resolveReady();
    },
  });
  actor.start();

  const cleanups: (() => void)[] = [];
  if (sync) {
    cleanups.push(
      sync.subscribe((message) =>
        actor.send({ type: message.type === 'signedIn' ? 'SYNC_SIGNED_IN' : 'SYNC_SIGNED_OUT' }),
      ),
      () => sync.close?.(),
    );
  }

  const outbox = new RevocationOutbox(store, services, config.remoteStepMs);
  if (config.deferRevocation) {
    void ready.then(() => outbox.drainQuietly(connectivity));
    const unsubscribe = connectivity.subscribe?.((online) => {
      if (online) outbox.drainQuietly(connectivity);
    });
    if (unsubscribe) cleanups.push(unsubscribe);
  }

  /** Sends an event and waits for the emitted answer that `match` recognises. */
  function request<T>(
    send: () => void,
    type: AuthEmitted['type'],
    match: (e: AuthEmitted) => T | undefined,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = () => {
        sub.unsubscribe();
        reject(new AuthError('Cancelled', 'The auth instance was stopped'));
      };
      const sub = actor.on(type, (event) => {
        const answer = match(event);
        if (answer === undefined) return;
        sub.unsubscribe();
        cancellers.delete(cancel);
        resolve(answer);
      });
      cancellers.add(cancel);
      send();
    });
  }

  /** Resolves once the machine is in none of these states (or rejects if the instance stops first). */
  const notIn = (...states: ('restoring' | 'signingOut')[]) =>
    waitFor(actor, (s) => !states.some((state) => s.matches(state)));

  async function signInWith(event: (id: number) => Parameters<typeof actor.send>[0]): Promise<void> {
    await ready;
    if (pendingSignOut) await pendingSignOut;
    // A restore (another tab signed in) or a sign-out the machine started itself (a rejected refresh,
    // another tab, an interrupted one) finishes first.
    await notIn('restoring', 'signingOut').catch(() => {
      throw new AuthError('Cancelled', 'The auth instance was stopped');
    });
    const id = nextRequestId++;
    const error = await request(
      () => actor.send(event(id)),
      'signInSettled',
      (e) => (e.type === 'signInSettled' && e.id === id ? { error: e.error } : undefined),
    );
    if (error.error) throw error.error;
  }

  let cachedSnapshot: AuthSnapshot | null = null;
  let cachedFrom: { state: string; session: unknown } = { state: '', session: undefined };

  const auth: Auth = {
    ready,
    getSnapshot() {
      const snapshot = actor.getSnapshot();
      const state = leafPath(snapshot.value) as AuthStateValue;
      const session = snapshot.context.session;
      if (!cachedSnapshot || cachedFrom.state !== state || cachedFrom.session !== session) {
        cachedFrom = { state, session };
        cachedSnapshot = Object.freeze({
          state,
          status: state.split('.')[0] as AuthSnapshot['status'],
          session: auth.getSession(),
        });
      }
      return cachedSnapshot;
    },
    get state() {
      return leafPath(actor.getSnapshot().value) as AuthStateValue;
    },
    actor,

    async signIn(input) {
      assertCredentials(input);
      const credentials = seal({ username: input.username, password: input.password });
      return signInWith((id) => ({ type: 'SIGN_IN', id, credentials }));
    },

    async adoptSession(tokens, opts = {}) {
      const session = sessionFromTokens(tokens, opts.signedInWith ?? 'password');
      return signInWith((id) => ({ type: 'ADOPT_SESSION', id, session }));
    },

    signOut(opts = {}) {
      if (pendingSignOut) return pendingSignOut;
      const global = opts.global === true;
      const run = (async () => {
        await ready;
        // A SIGN_OUT sent while another tab's session is being read would go unheard.
        await notIn('restoring');
        return request(
          () => actor.send({ type: 'SIGN_OUT', global }),
          'signOutSettled',
          (e) => (e.type === 'signOutSettled' ? e.result : undefined),
        );
      })().catch(
        (error: unknown): SignOutResult => ({
          status: 'failed',
          signedOutLocally: false,
          scope: global ? 'global' : 'local',
          steps: stepsNotRun(),
          error: error instanceof AuthError ? error : new AuthError('InvalidState', 'Sign-out could not run'),
        }),
      );
      pendingSignOut = run.finally(() => {
        pendingSignOut = null;
      });
      return pendingSignOut;
    },

    getSession() {
      const snapshot = actor.getSnapshot();
      const session = snapshot.context.session;
      if (!session || !(snapshot.matches('signedIn') || snapshot.matches('signingOut'))) return null;
      return {
        username: session.username,
        ...(session.email === undefined ? {} : { email: session.email }),
        signedInWith: session.signedInWith,
        accessTokenExpiresAt: session.accessTokenExpiresAt,
        revocable: session.revocable,
      };
    },

    getTokens() {
      const snapshot = actor.getSnapshot();
      const session = snapshot.context.session;
      if (!session || !snapshot.matches('signedIn')) return null;
      return { ...unseal(session.tokens) };
    },

    subscribe(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },

    on(name, listener) {
      const sub = actor.on(name, (event) => {
        const { type: _type, ...payload } = event as AuthEmitted;
        safely(() => listener(payload as never));
      });
      return () => sub.unsubscribe();
    },

    retryDeferredRevocations: () => outbox.drain(),

    stop() {
      for (const cleanup of cleanups.splice(0)) cleanup();
      outbox.stop();
      for (const cancel of [...cancellers]) cancel();
      cancellers.clear();
      stateListeners.clear();
      actor.stop();
    },
  };
  return auth;
}

/** A throwing listener must not break the machine; its error is re-thrown outside it. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
