import { type Actor, createActor, type Subscription } from 'xstate';
import {
  bindOnFirstRead,
  cancelledSignOut,
  claimProvider,
  credentialsOf,
  depsWithStop,
  forwardCredentials,
  lateTokens,
  leafPath,
  type Pending,
  resultOf,
  revokeOnStop,
  StopSignal,
  SYSTEM_CLOCK,
  safely,
  stopped,
  unrefClock,
} from './client-helpers.js';
import { AuthError } from './errors.js';
import { unstoredAtStop } from './machines/auth.logic.js';
import type { AuthMachine } from './machines/auth.machine.js';
import { authMachineWithServices } from './machines/auth.slots.js';
import type { AuthEmitted, AuthEvent, AuthEventName, AuthEventPayload, SignOutResult } from './machines/auth.types.js';
import { type CreateAuthOptions, clockTolerance, validateOptions } from './options.js';
import { defaultConnectivity, safeSubscribe } from './services/connectivity.js';
import { memoryStorage } from './services/storage.js';
import { defaultSync } from './services/sync.js';
import type { AwsCredentials, Credentials, Tokens } from './services/types.js';
import { defaultWake } from './services/wake.js';
import { SecretRegistry } from './session/redact.js';
import { type Sealed, seal, unseal } from './session/sealed.js';
import { type SignedInWith, sessionFromTokens } from './session/session.js';
import { SessionStore } from './session/store.js';
import { assertTokens } from './session/token-checks.js';

export type { AuthTimeouts, CreateAuthOptions } from './options.js';
export type { Auth, AuthSnapshot, AuthStateValue, SessionView, SignInResult } from './public-types.js';

import type { Auth, AuthSnapshot, AuthStateValue, SessionView, SignInResult } from './public-types.js';

const NOOP = () => {};

/** An event the chart answers by request id, without its id (`#ask` adds it). */
type Request = AuthEvent extends infer E ? (E extends { id: number } ? Omit<E, 'id'> : never) : never;

/**
 * The promise API over one actor. It only turns calls into events and the chart's answers into
 * promise results: every rule about order, waiting and cancelling is a transition of the chart.
 */
class AuthClient implements Auth {
  readonly actor: Actor<AuthMachine>;
  readonly ready: Promise<void>;
  #resolveReady!: () => void;
  #deps: ReturnType<typeof depsWithStop>;
  #nextId = 1;
  /** The calls waiting for the chart's answer, by id: made at the first, let go of when none waits. */
  #pending: Map<number, Pending> | null = null;
  #cleanups: (() => void)[] = [];
  #listeners: Set<(state: AuthStateValue) => void> | null = null;
  #lastState = '';
  #stopped = false;
  readonly #stopping = new StopSignal();
  #snapshot: AuthSnapshot | null = null;
  /** What `#snapshot` was made from. */
  #snapshotState = '';
  #snapshotSession: unknown;

  constructor(options: CreateAuthOptions) {
    const config = validateOptions(options);
    const { services } = options;
    const clock = options.clock ?? SYSTEM_CLOCK;
    const secrets = new SecretRegistry();
    const outbox = {
      cap: options.maxDeferredRevocations,
      now: () => clock.now(),
      secret: (token: string) => secrets.keep(token),
    };
    const store = new SessionStore(options.storage ?? memoryStorage(), services.clientId, {
      holdMs: config.storageMs,
      outbox,
      // A late write undone: any context may have read it, this one too, so all read storage again.
      // After stop() too (best effort: a closed sync may throw, and fence.ts swallows it).
      undone: () => {
        deps.sync?.publish({ type: 'signedOut' });
        if (!this.#stopped) this.actor.send({ type: 'SYNC_SIGNED_OUT' });
      },
    });
    this.#cleanups.push(claimProvider(options.credentials));
    const syncFactory = options.sync === undefined ? defaultSync() : options.sync;
    const deps = depsWithStop(
      {
        services,
        hostedUI: options.hostedUI ?? null,
        passkeys: options.passkeys ?? null,
        credentials: options.credentials ?? null,
        store,
        connectivity: options.connectivity ?? defaultConnectivity(),
        clock,
        clockToleranceMs: clockTolerance(options),
        late: lateTokens(config, (error) => this.#stopped || this.actor.send({ type: 'TOKENS_UNREVOKED', error })),
        sync: syncFactory ? syncFactory(`authchart.${services.clientId}`) : null,
        secrets,
      },
      this.#stopping,
    );
    this.#deps = deps;
    this.ready = new Promise<void>((resolve) => {
      this.#resolveReady = resolve;
    });
    this.actor = createActor(authMachineWithServices, {
      input: { config, deps: seal(deps) },
      clock: unrefClock,
      // No inspect: undefined, which xstate reads as none.
      inspect: options.inspect as NonNullable<CreateAuthOptions['inspect']>,
    });
    const answers: Subscription = this.actor.on('*', (event) => this.#answer(event));
    const states = this.actor.subscribe({
      next: (snapshot) => this.#onState(leafPath(snapshot.value)),
      error: () => this.#settleAll(),
    });
    for (const subscription of [answers, states]) this.#cleanups.push(() => subscription.unsubscribe());
    // The page came back or the network did: the chart checks the tokens (one refresh for all).
    const wake = () => this.actor.send({ type: 'WAKE' });
    const wakeSource = options.wake === undefined ? defaultWake() : options.wake;
    if (wakeSource) this.#cleanups.push(wakeSource.subscribe(wake));
    this.#cleanups.push(safeSubscribe(deps.connectivity, (online) => online && wake()));
    const { sync } = deps;
    if (sync) {
      this.#cleanups.push(
        sync.subscribe((m) => this.actor.send({ type: m.type === 'signedIn' ? 'SYNC_SIGNED_IN' : 'SYNC_SIGNED_OUT' })),
        () => sync.close?.(),
      );
    }
    this.actor.start();
  }

  #onState(state: string): void {
    if (!state.startsWith('restoring')) this.#markReady();
    if (state === this.#lastState) return;
    this.#lastState = state;
    for (const listener of [...(this.#listeners ?? [])]) safely(() => listener(state as AuthStateValue));
  }

  /** The chart's answers, matched to the waiting calls by request id. */
  #answer(event: AuthEmitted): void {
    if (event.type === 'signInSettled') {
      const p = this.#take(event.id, 'signIn');
      if (event.error) p?.reject(event.error);
      else p?.resolve(resultOf(event));
    } else if (event.type === 'signOutSettled') {
      for (const { id, result } of event.answers) this.#take(id, 'signOut')?.resolve(result);
    } else if (event.type === 'tokensFetched') {
      for (const id of event.ids) {
        const p = this.#take(id, 'tokens');
        if (!p) continue;
        if (event.error) p.reject(event.error);
        else {
          // Read from the snapshot, never from an event: tokens stay out of inspection.
          const tokens = this.getTokens();
          if (tokens) p.resolve(tokens);
          else p.reject(new AuthError('Cancelled', 'The session ended before tokens were handed out'));
        }
      }
    } else if (event.type === 'deferredRevocationsSettled') {
      for (const p of event.ids.map((id) => this.#take(id, 'retry'))) {
        if (event.error) p?.reject(event.error);
        else p?.resolve({ settled: event.settled, remaining: event.remaining });
      }
    }
  }

  #take<K extends Pending['kind']>(id: number, kind: K): Extract<Pending, { kind: K }> | undefined {
    const pending = this.#pending;
    const p = pending?.get(id);
    if (p?.kind !== kind) return undefined;
    pending?.delete(id);
    if (!pending?.size) this.#pending = null;
    return p as Extract<Pending, { kind: K }>;
  }

  /** Resolves `ready` once; the resolver is let go of after (the state listener calls this at every change). */
  #markReady(): void {
    this.#resolveReady();
    this.#resolveReady = NOOP;
  }

  #settleAll(): void {
    this.#markReady();
    const pending = [...(this.#pending?.values() ?? [])];
    this.#pending = null;
    for (const p of pending) {
      if (p.kind === 'signOut') p.resolve(cancelledSignOut(p.global));
      else p.reject(stopped());
    }
  }

  /** Stopped, or the chart ended in error (a bug, a hostile dependency): a call sent now would never be answered. */
  get #ended(): boolean {
    return this.#stopped || this.actor.getSnapshot().status !== 'active';
  }

  /** Sends `event` with a new request id; settles with the chart's answer. Once `#ended`, rejects `Cancelled`. */
  #ask<T>(kind: Pending['kind'], event: Request, global?: boolean): Promise<T> {
    if (this.#ended) return Promise.reject(stopped());
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending ??= new Map();
      this.#pending.set(id, { kind, global, resolve, reject } as unknown as Pending);
      this.actor.send({ ...event, id } as AuthEvent);
    });
  }

  signIn(input: Credentials): Promise<SignInResult> {
    let credentials: Sealed<Credentials>;
    try {
      credentials = seal(credentialsOf(input));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#ask('signIn', { type: 'SIGN_IN', credentials });
  }

  adoptSession(tokens: Tokens, opts: { signedInWith?: SignedInWith } = {}): Promise<void> {
    let session: ReturnType<typeof sessionFromTokens>;
    try {
      session = sessionFromTokens(tokens, opts.signedInWith ?? 'password');
      // Every check but exp: the app hands over what another SDK held, which the chart refreshes if stale.
      const { services } = this.#deps;
      assertTokens(
        tokens,
        {
          clientId: services.clientId,
          now: 0,
          clockToleranceMs: 0,
          fresh: { accessToken: false, idToken: false },
          issuer: services.issuer,
        },
        'adoptSession',
      );
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#ask<SignInResult>('signIn', { type: 'ADOPT_SESSION', session }).then(NOOP);
  }

  signInWithRedirect(options: { provider?: string; customState?: string } = {}): Promise<SignInResult> {
    const { provider, customState } = options ?? {};
    if (
      (provider !== undefined && typeof provider !== 'string') ||
      (customState !== undefined && typeof customState !== 'string')
    ) {
      return Promise.reject(new AuthError('InvalidInput', 'provider and customState must be strings'));
    }
    // An undefined field is no field: the chart reads `!== undefined`.
    return this.#ask('signIn', { type: 'REDIRECT_SIGN_IN', provider, customState } as Request);
  }

  handleRedirect(url: string): Promise<SignInResult> {
    if (typeof url !== 'string' || url === '') {
      return Promise.reject(new AuthError('InvalidInput', 'handleRedirect needs the redirect URL'));
    }
    return this.#ask('signIn', { type: 'HANDLE_REDIRECT', url: seal(url) });
  }

  confirmSignIn(answer: string): Promise<SignInResult> {
    if (typeof answer !== 'string' || answer.trim() === '') {
      return Promise.reject(new AuthError('InvalidInput', 'The challenge answer must be a non-empty string'));
    }
    return this.#ask('signIn', { type: 'CONFIRM_SIGN_IN', answer: seal(answer) });
  }

  signOut(opts: { global?: boolean } = {}): Promise<SignOutResult> {
    const global = opts?.global === true;
    if (this.#ended) return Promise.resolve(cancelledSignOut(global));
    return this.#ask('signOut', { type: 'SIGN_OUT', global }, global);
  }

  fetchTokens(options: { minValidityMs?: number; forceRefresh?: boolean } = {}): Promise<Tokens> {
    const minValidityMs = options?.minValidityMs ?? 60_000;
    if (typeof minValidityMs !== 'number' || !Number.isFinite(minValidityMs) || minValidityMs < 0) {
      return Promise.reject(new AuthError('InvalidInput', 'minValidityMs must be a number ≥ 0'));
    }
    return this.#ask('tokens', { type: 'FETCH_TOKENS', minValidityMs, forceRefresh: options?.forceRefresh === true });
  }

  /** The provider holds them (`authchart/identity-pool`); the chart clears them on its way out of `signedIn`. */
  fetchCredentials(options: { forceRefresh?: boolean } = {}): Promise<AwsCredentials> {
    const { remoteStepMs } = this.actor.getSnapshot().context.config;
    const forceRefresh = options?.forceRefresh === true;
    return forwardCredentials(this.#deps, this.#stopped, {
      tokens: () => this.fetchTokens(),
      forceRefresh,
      remoteStepMs,
    });
  }

  retryDeferredRevocations(): Promise<{ settled: number; remaining: number }> {
    return this.#ask('retry', { type: 'RETRY_DEFERRED' });
  }

  getSnapshot(): AuthSnapshot {
    const snapshot = this.actor.getSnapshot();
    const state = leafPath(snapshot.value) as AuthStateValue;
    const session = snapshot.context.session;
    if (!this.#snapshot || this.#snapshotState !== state || this.#snapshotSession !== session) {
      this.#snapshotState = state;
      this.#snapshotSession = session;
      this.#snapshot = Object.freeze({
        state,
        status: state.split('.')[0] as AuthSnapshot['status'],
        session: this.getSession(),
      });
    }
    return this.#snapshot;
  }

  get state(): AuthStateValue {
    return leafPath(this.actor.getSnapshot().value) as AuthStateValue;
  }

  getSession(): SessionView | null {
    const snapshot = this.actor.getSnapshot();
    const session = snapshot.context.session;
    if (!session || !(snapshot.matches('signedIn') || snapshot.matches('signingOut'))) return null;
    return {
      username: session.username,
      ...(session.email === undefined ? {} : { email: session.email }),
      signedInWith: session.signedInWith,
      accessTokenExpiresAt: session.accessTokenExpiresAt,
      revocable: session.revocable,
      adminScope: session.adminScope,
    };
  }

  getTokens(): Tokens | null {
    const snapshot = this.actor.getSnapshot();
    const session = snapshot.context.session;
    if (!session || !snapshot.matches('signedIn')) return null;
    return { ...unseal(session.tokens) };
  }

  subscribe(listener: (state: AuthStateValue) => void): () => void {
    this.#listeners ??= new Set();
    const listeners = this.#listeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  on<N extends AuthEventName>(name: N, listener: (payload: AuthEventPayload<N>) => void): () => void {
    const sub = this.actor.on(name, (event) => {
      const { type: _type, ...payload } = event as AuthEmitted;
      safely(() => listener(payload as unknown as AuthEventPayload<N>));
    });
    return () => sub.unsubscribe();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopping.abort();
    // A refresh token no storage holds: the chart reports it (STOP), then it is revoked best effort.
    const snap = this.actor.getSnapshot();
    const writing = snap.matches({ signedIn: 'storingRefreshedTokens' });
    const orphan = snap.status === 'active' ? unstoredAtStop(snap.context, writing) : null;
    if (snap.status === 'active') this.actor.send({ type: 'STOP' });
    this.actor.stop();
    safely(() => this.#deps.credentials?.clear());
    const { session, config } = snap.context;
    if (orphan?.revoke && session) revokeOnStop(this.#deps.services, session, config.remoteStepMs);
    // One throwing cleanup (an app's unsubscribe) must not leave the rest, or the answers, undone.
    for (const cleanup of this.#cleanups.splice(0)) safely(cleanup);
    this.#listeners?.clear();
    this.#settleAll();
  }
}

// Bound methods: `const { signOut } = auth` and useSyncExternalStore work (each bound at its first read).
bindOnFirstRead(AuthClient.prototype);

/**
 * Creates and starts an auth instance: reads the stored session, then signs in, refreshes and
 * signs out through the statechart. Throws `InvalidConfig` for bad options.
 *
 * @example
 * ```ts
 * import { createAuth, webStorage } from 'authchart';
 * import { cognitoServices } from 'authchart/cognito';
 *
 * const auth = createAuth({
 *   services: cognitoServices({ clientId: 'app-client-id', region: 'eu-west-1', userPoolId: 'eu-west-1_abc' }),
 *   storage: webStorage(localStorage),
 * });
 * const result = await auth.signOut();
 * ```
 */
export function createAuth(options: CreateAuthOptions): Auth {
  return new AuthClient(options);
}
