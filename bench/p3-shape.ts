/**
 * P3 yardsticks and the shape check. `shapeCounter` counts, with xstate's inspection API, what a
 * chart does in one sign-in + sign-out cycle: states entered, invoked actors, timers (`after`),
 * eventless (`always`) transitions and microsteps. `bareMachine` is a bare xstate machine built to
 * the same shape as the path authchart's chart takes (the bench fails if the counts differ), whose
 * actors do the same work as `handWritten`: the same service calls, storage writes, JWT decode
 * and result object.
 */
import { decodeJwt } from 'jose';
import { type AnyActorRef, assign, createActor, emit, fromPromise, type InspectionEvent, setup } from 'xstate';
import type { AuthServices, Credentials, SignOutResult, TokenStorage, Tokens } from '../src/index.js';

export interface Shape {
  statesEntered: number;
  invokedActors: number;
  timers: number;
  eventless: number;
  microsteps: number;
}

/** Every state node of a state value, as dotted paths (`signingIn`, `signingIn.authenticating`). */
function nodesOf(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [
    `${prefix}${k}`,
    ...nodesOf(v, `${prefix}${k}.`),
  ]);
}

/**
 * An `inspect` observer and the counts it keeps for the root actor. Call `reset(value)` with the
 * current state value before the cycle to count.
 * @example const c = shapeCounter(); createActor(machine, { inspect: c.inspect });
 */
export function shapeCounter() {
  const counts: Shape = { statesEntered: 0, invokedActors: 0, timers: 0, eventless: 0, microsteps: 0 };
  let previous = new Set<string>();
  const isRoot = (e: InspectionEvent) => (e.actorRef as AnyActorRef).sessionId === e.rootId;
  return {
    counts,
    reset(value: unknown) {
      Object.assign(counts, { statesEntered: 0, invokedActors: 0, timers: 0, eventless: 0, microsteps: 0 });
      previous = new Set(nodesOf(value));
    },
    inspect(e: InspectionEvent) {
      if (e.type === '@xstate.actor' && !isRoot(e)) counts.invokedActors++;
      if (e.type === '@xstate.action' && isRoot(e)) {
        const params = e.action.params as { delay?: unknown } | undefined;
        if (e.action.type === 'xstate.raise' && params?.delay !== undefined) counts.timers++;
      }
      // stop() tells the chart (STOP) before the actor ends: not part of the cycle's path.
      if (e.type === '@xstate.microstep' && isRoot(e) && e.event.type !== 'STOP') {
        counts.microsteps++;
        const transitions = (e as unknown as { _transitions: { eventType: string }[] })._transitions;
        counts.eventless += transitions.filter((t) => t.eventType === '').length;
        const now = new Set(nodesOf((e.snapshot as { value?: unknown }).value));
        for (const n of now) if (!previous.has(n)) counts.statesEntered++;
        previous = now;
      }
    },
  };
}

/** What the yardsticks share with authchart: the same services and storage, a step bound. */
export interface Work {
  services: AuthServices;
  storage: TokenStorage;
  remoteStepMs: number;
}
interface BareSession {
  username: string;
  email?: string;
  accessTokenExpiresAt: number;
  accessTokenIssuedAt: number;
  revocable: boolean;
  tokens: Tokens;
}

const FIELDS = ['accessToken', 'idToken', 'refreshToken'] as const;
const PREFIX = 'bare.benchclient.';

/** The work of a cycle, in the steps authchart splits it into. Used by both yardsticks. */
function steps(work: Work) {
  const { services, storage } = work;
  return {
    async signIn(credentials: Credentials, signal: AbortSignal): Promise<BareSession> {
      const step = await services.signIn(credentials, signal);
      if ('challenge' in step) throw new Error('the bench user has no challenge');
      const access = decodeJwt(step.accessToken);
      const id = decodeJwt(step.idToken);
      const email = typeof id['email'] === 'string' ? id['email'] : undefined;
      return {
        username: String(access['username']),
        ...(email === undefined ? {} : { email }),
        accessTokenExpiresAt: Number(access.exp) * 1000,
        accessTokenIssuedAt: Number(access.iat) * 1000,
        revocable: typeof access['origin_jti'] === 'string',
        tokens: { accessToken: step.accessToken, idToken: step.idToken, refreshToken: step.refreshToken },
      };
    },
    async save(s: BareSession) {
      for (const f of FIELDS) await storage.setItem(`${PREFIX}${s.username}.${f}`, s.tokens[f]);
      await storage.setItem(`${PREFIX}${s.username}.signedInWith`, 'password');
      await storage.setItem(`${PREFIX}lastAuthUser`, s.username);
    },
    async journal(username: string) {
      await storage.setItem(
        `${PREFIX}signOutJournal`,
        JSON.stringify({ scope: 'local', username, startedAt: Date.now() }),
      );
    },
    revoke: (s: BareSession, signal: AbortSignal) => services.revokeToken(s.tokens.refreshToken, signal),
    async clear(username: string) {
      const keys = [...FIELDS, 'signedInWith'].map((f) => `${PREFIX}${username}.${f}`);
      for (const k of [...keys, `${PREFIX}lastAuthUser`, `${PREFIX}signOutJournal`]) await storage.removeItem(k);
    },
    result: (): SignOutResult => ({
      status: 'complete',
      signedOutLocally: true,
      scope: 'local',
      steps: { hostedUISignOut: 'notRun', globalSignOut: 'notRun', revokeToken: 'done', clearCache: 'done' },
    }),
  };
}

/** (b) The hand-written equivalent: async functions, each remote step bounded by its own timer. */
export function handWritten(work: Work) {
  const s = steps(work);
  const bounded = async <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), work.remoteStepMs);
    try {
      return await run(controller.signal);
    } finally {
      clearTimeout(timer);
    }
  };
  let session: BareSession | null = null;
  return {
    async signIn(credentials: Credentials) {
      const next = await bounded((signal) => s.signIn(credentials, signal));
      await s.save(next);
      session = next;
    },
    async signOut(): Promise<SignOutResult> {
      const current = session;
      if (!current) throw new Error('not signed in');
      await s.journal(current.username);
      await bounded((signal) => s.revoke(current, signal));
      await s.clear(current.username);
      session = null;
      return s.result();
    },
  };
}

/** (a) A bare xstate machine with the shape of authchart's path: same states, actors, timers, eventless steps. */
export function bareMachine(work: Work) {
  const s = steps(work);
  const need = (x: BareSession | null) => {
    if (!x) throw new Error('no session');
    return x;
  };
  return setup({
    types: {
      context: {} as { session: BareSession | null },
      events: {} as { type: 'SIGN_IN'; credentials: Credentials } | { type: 'SIGN_OUT' },
      emitted: {} as { type: 'signInSettled' } | { type: 'signOutSettled'; result: SignOutResult },
    },
    actors: {
      signIn: fromPromise<BareSession, Credentials>(({ input, signal }) => s.signIn(input, signal)),
      save: fromPromise<void, BareSession>(({ input }) => s.save(input)),
      journal: fromPromise<void, BareSession>(({ input }) => s.journal(input.username)),
      revoke: fromPromise<void, BareSession>(({ input, signal }) => s.revoke(input, signal)),
      clear: fromPromise<void, BareSession>(({ input }) => s.clear(input.username)),
    },
    delays: { step: work.remoteStepMs, storage: 10_000, refresh: 3_000_000 },
  }).createMachine({
    id: 'bare',
    context: { session: null },
    initial: 'signedOut',
    states: {
      // authchart's signedOut looks at storage again after a back-off (a signed-out context converges).
      signedOut: { on: { SIGN_IN: 'signingIn' }, after: { refresh: '#bare.signedOut' } },
      signingIn: {
        initial: 'checkingConnectivity',
        states: {
          checkingConnectivity: { always: 'authenticating' },
          authenticating: {
            invoke: {
              src: 'signIn',
              input: ({ event }) => (event as { credentials: Credentials }).credentials,
              onDone: { target: 'savingSession', actions: assign({ session: ({ event }) => event.output }) },
            },
            after: { step: '#bare.signedOut' },
          },
          savingSession: {
            invoke: {
              src: 'save',
              input: ({ context }) => need(context.session),
              onDone: { target: '#bare.signedIn', actions: emit({ type: 'signInSettled' as const }) },
            },
            after: { storage: '#bare.signedOut' },
          },
        },
      },
      signedIn: {
        initial: 'waitingToRefresh',
        on: { SIGN_OUT: 'signingOut' },
        states: { waitingToRefresh: { after: { refresh: 'waitingToRefresh' } } },
      },
      signingOut: {
        initial: 'checkingHostedUI',
        states: {
          checkingHostedUI: { always: 'checkingConnectivity' },
          checkingConnectivity: { always: 'writingJournal' },
          writingJournal: {
            invoke: { src: 'journal', input: ({ context }) => need(context.session), onDone: 'choosingRemoteStep' },
            after: { storage: 'revoking' },
          },
          choosingRemoteStep: { always: 'revoking' },
          revoking: {
            invoke: { src: 'revoke', input: ({ context }) => need(context.session), onDone: 'clearing' },
            after: { step: 'clearing' },
          },
          clearing: {
            invoke: {
              src: 'clear',
              input: ({ context }) => need(context.session),
              onDone: {
                target: '#bare.signedOut',
                actions: [
                  emit(() => ({ type: 'signOutSettled' as const, result: s.result() })),
                  assign({ session: null }),
                ],
              },
            },
            after: { storage: '#bare.signedIn' },
          },
        },
      },
    },
  });
}

/** Starts the bare machine with a minimal promise API: one listener per call, like a thin wrapper. */
export function bareActor(work: Work, inspect?: (e: InspectionEvent) => void) {
  const actor = createActor(bareMachine(work), inspect ? { inspect } : {}).start();
  const answer = <T>(type: 'signInSettled' | 'signOutSettled', send: () => void) =>
    new Promise<T>((resolve) => {
      const sub = actor.on(type, (e) => {
        sub.unsubscribe();
        resolve(e as T);
      });
      send();
    });
  return {
    actor,
    signIn: (credentials: Credentials) =>
      answer<void>('signInSettled', () => actor.send({ type: 'SIGN_IN', credentials })),
    signOut: async () =>
      (await answer<{ result: SignOutResult }>('signOutSettled', () => actor.send({ type: 'SIGN_OUT' }))).result,
  };
}
