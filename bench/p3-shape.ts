/**
 * P3 yardsticks and the shape check. `shapeCounter` counts, with xstate's inspection API, what a
 * chart does in one sign-in + sign-out cycle: states entered, invoked actors, timers (`after`),
 * eventless (`always`) transitions and microsteps. `bareMachine` is a bare xstate machine built from
 * the path authchart's chart takes in that cycle (recorded by `pathRecorder`, so it follows the
 * chart without upkeep; the bench still fails if the counts differ), whose actors do the same work
 * as `handWritten`: the same service calls, storage writes, JWT decode and result object.
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
      // stop() (STOP, then xstate.stop) ends the recording: not part of the cycle's path.
      if (e.type === '@xstate.microstep' && isRoot(e) && e.event.type !== 'STOP' && e.event.type !== 'xstate.stop') {
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

/**
 * One step of authchart's path, as `pathRecorder` saw it: the event that took it, the leaf it
 * reached, the actors it started (by `src`), the timers it set and the events it emitted.
 */
export interface PathStep {
  event: string;
  eventless: boolean;
  leaf: string;
  invoked: string[];
  timers: number;
  emitted: string[];
}

/**
 * An `inspect` observer that records the root actor's path: inspection reports a microstep's
 * actions before the microstep itself, so they are gathered and given to the step that follows.
 */
export function pathRecorder() {
  const path: PathStep[] = [];
  let pending = { invoked: [] as string[], timers: 0, emitted: [] as string[] };
  let start = '';
  const isRoot = (e: InspectionEvent) => (e.actorRef as AnyActorRef).sessionId === e.rootId;
  return {
    path,
    get start() {
      return start;
    },
    reset(value: unknown) {
      path.length = 0;
      pending = { invoked: [], timers: 0, emitted: [] };
      start = nodesOf(value).at(-1) ?? '';
    },
    inspect(e: InspectionEvent) {
      if (e.type === '@xstate.actor' && !isRoot(e)) pending.invoked.push(String((e.actorRef as { src?: unknown }).src));
      if (e.type === '@xstate.action' && isRoot(e)) {
        const params = e.action.params as { delay?: unknown; event?: { type?: unknown } } | undefined;
        if (e.action.type === 'xstate.raise' && params?.delay !== undefined) pending.timers++;
        if (e.action.type === 'xstate.emit') pending.emitted.push(String(params?.event?.type));
      }
      // stop() (STOP, then xstate.stop) ends the recording: not part of the cycle's path.
      if (e.type === '@xstate.microstep' && isRoot(e) && e.event.type !== 'STOP' && e.event.type !== 'xstate.stop') {
        const transitions = (e as unknown as { _transitions: { eventType: string }[] })._transitions;
        const leaf = nodesOf((e.snapshot as { value?: unknown }).value).at(-1) ?? '';
        path.push({ event: e.event.type, eventless: transitions.some((t) => t.eventType === ''), leaf, ...pending });
        pending = { invoked: [], timers: 0, emitted: [] };
      }
    },
  };
}

interface BareContext {
  session: BareSession | null;
  credentials: Credentials | null;
}
type BareEvent = { type: 'SIGN_IN'; credentials: Credentials } | { type: 'SIGN_OUT' };
type StateConfig = {
  initial?: string;
  states?: Record<string, StateConfig>;
  on?: Record<string, unknown>;
  always?: unknown;
  invoke?: unknown[];
  after?: Record<string, unknown>;
};

/**
 * (a) A bare xstate machine built from authchart's recorded path (`pathRecorder`), not kept by
 * hand: the same state nodes, nesting, eventless steps, timers and invoked actors, each actor doing
 * the work `steps` gives its `src`. A new actor on the path needs its work here; nothing else does.
 */
export function bareMachine(work: Work, start: string, path: readonly PathStep[]) {
  const s = steps(work);
  const need = (x: BareSession | null) => {
    if (!x) throw new Error('no session');
    return x;
  };
  const WORK: Record<string, (c: BareContext, signal: AbortSignal) => Promise<BareSession | undefined>> = {
    signIn: (c, signal) => s.signIn(c.credentials as Credentials, signal),
    saveSession: (c) => s.save(need(c.session)).then(() => undefined),
    writeJournal: (c) => s.journal(need(c.session).username).then(() => undefined),
    revokeToken: (c, signal) => s.revoke(need(c.session), signal).then(() => undefined),
    clearSession: (c) => s.clear(need(c.session).username).then(() => undefined),
  };
  const root: StateConfig = { states: {} };
  const node = (leaf: string): StateConfig => {
    let at = root;
    for (const part of leaf.split('.')) {
      at.states ??= {};
      at.initial ??= part;
      at = at.states[part] ??= {};
    }
    return at;
  };
  const emits = (types: string[]) =>
    types.map((type) =>
      type === 'signOutSettled'
        ? emit(() => ({ type: 'signOutSettled' as const, result: s.result() }))
        : emit({ type: type as 'signInSettled' }),
    );
  node(start);
  let from = start;
  for (const step of path) {
    const target = `#bare.${step.leaf}`;
    const source = node(from);
    const actions = emits(step.emitted);
    if (step.eventless) source.always = { target, actions };
    else if (step.event.startsWith('xstate.done.actor.')) {
      const src = step.event.slice('xstate.done.actor.'.length);
      const done = WORK[src];
      if (!done) throw new Error(`P3: authchart's path invokes '${src}': give it its work in bench/p3-shape.ts (WORK)`);
      source.invoke = [
        {
          src: fromPromise<BareSession | undefined, BareContext>(({ input, signal }) => done(input, signal)),
          id: src,
          input: ({ context }: { context: BareContext }) => context,
          // Only the sign-in's answer is kept (authchart's session); the other steps update nothing.
          onDone: {
            target,
            actions:
              src === 'signIn'
                ? [assign({ session: ({ event }) => (event as unknown as { output: BareSession }).output }), ...actions]
                : actions,
          },
        },
      ];
    } else if (step.event === 'SIGN_IN') {
      const remember = assign({
        credentials: ({ event }) => (event as unknown as { credentials: Credentials }).credentials,
      });
      source.on = { ...source.on, SIGN_IN: { target, actions: [remember, ...actions] } };
    } else if (step.event === 'SIGN_OUT') source.on = { ...source.on, SIGN_OUT: { target, actions } };
    else {
      // Nothing would ever send it: the bare cycle would hang rather than fail.
      throw new Error(`P3: authchart's path takes '${step.event}': teach bench/p3-shape.ts what sends it`);
    }
    const reached = node(step.leaf);
    // A timer authchart sets on entering the step: one here, long enough never to fire in a cycle.
    for (let i = 0; i < step.timers; i++) reached.after = { ...reached.after, [String(3_000_000 + i)]: { target } };
    from = step.leaf;
  }
  const ended = path.at(-1)?.leaf;
  if (ended !== start) throw new Error(`P3: authchart's cycle ended in '${ended}', not where it began ('${start}')`);
  return setup({
    types: {
      context: {} as BareContext,
      events: {} as BareEvent,
      emitted: {} as { type: 'signInSettled' } | { type: 'signOutSettled'; result: SignOutResult },
    },
  }).createMachine({
    id: 'bare',
    context: { session: null, credentials: null },
    ...(root as object),
  } as never);
}

/** Starts the bare machine with a minimal promise API: one listener per call, like a thin wrapper. */
export function bareActor(
  work: Work,
  recorded: { start: string; path: readonly PathStep[] },
  inspect?: (e: InspectionEvent) => void,
) {
  const actor = createActor(bareMachine(work, recorded.start, recorded.path), inspect ? { inspect } : {}).start();
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
