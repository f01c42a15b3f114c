/**
 * The replay world: the real machine with authchart's real service adapters (SessionStore on a
 * real in-memory storage), fake remote services and a store whose operations wait for the path to
 * say how they end, a manual connectivity and a simulated clock.
 */
import {
  type AnyMachineSnapshot,
  type AnyStateNode,
  type AnyTransitionDefinition,
  createActor,
  fromPromise,
  type InspectionEvent,
  SimulatedClock,
} from 'xstate';
import { AuthError } from '../../src/errors.js';
import { tokensFreshFor } from '../../src/machines/auth.logic.js';
import type { AuthMachine } from '../../src/machines/auth.machine.js';
import { authMachineWithServices } from '../../src/machines/auth.slots.js';
import type { AuthConfig, AuthContext, AuthDeps } from '../../src/machines/auth.types.js';
import type { DeferredTokens, Deps as OutboxDeps } from '../../src/machines/outbox.machine.js';
import { outboxWithServices } from '../../src/machines/outbox.slots.js';
import { manualConnectivity } from '../../src/services/connectivity.js';
import type { HostedUI } from '../../src/services/hosted-ui.js';
import type { AuthServices, SignInChallenge, Tokens } from '../../src/services/types.js';
import { type Sealed, seal } from '../../src/session/sealed.js';
import { sessionFromTokens } from '../../src/session/session.js';
import { SessionStore } from '../../src/session/store.js';
import { faultyStorage, ownKeys } from '../helpers/fakes.js';
import { tokenStrings } from '../helpers/tokens.js';
import {
  type ActorSrc,
  type Arrange,
  expiredPlainTokens,
  expiredTokens,
  MODEL_SESSION_ID,
  type ModelEvent,
  NOW_S,
  OTHER_SESSION_ID,
  plainTokens,
  redirectTokens,
  refreshedTokens,
  revocableTokens,
  type Seed,
  webOnlyTokens,
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
  hostedUISignOutMs: 2000,
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

  const connectivity = manualConnectivity(true);
  const clock = new SimulatedClock();
  clock.set(NOW_S * 1000);
  // The outbox child is tested on its own (test/outbox): here its drains find nothing, so every
  // remote call in flight belongs to the chart's own steps.
  const machine: AuthMachine = authMachineWithServices.provide({
    guards: CLOCK_FREE_GUARDS,
    actors: { outbox: QUIET_OUTBOX },
  });
  const deps: Sealed<AuthDeps> = seal({
    services,
    hostedUI,
    store: new GatedStore(storage, CLIENT_ID),
    connectivity,
    clock: { now: () => clock.now() },
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

/** The features of a snapshot the model predicts: state value and what the context means. */
export function serializeModelState(snapshot: AnyMachineSnapshot): string {
  const c = snapshot.context as AuthContext;
  const top = typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value)[0];
  // Features that no transition of the current state reads are left out, to keep the graph finite and small.
  return JSON.stringify({
    value: snapshot.value,
    session: c.session && {
      u: c.session.username,
      r: c.session.revocable,
      w: c.session.signedInWith,
      a: c.session.adminScope,
      x: c.session.accessTokenExpiresAt < NOW_S * 1000,
    },
    signOut: c.signOut && {
      scope: c.signOut.scope,
      reason: c.signOut.reason,
      steps: c.signOut.steps,
      g: c.signOut.globalSignOutError?.code,
      k: c.signOut.revokeTokenError?.code,
      h: c.signOut.hostedUISignOutError?.code,
      e: c.signOut.error?.code,
    },
    signingIn: c.signInRequest !== null,
    fetching: [...new Set(c.tokenRequests.map((r) => (r.forceRefresh ? 'force' : 'fresh')))].sort().join(','),
    challenge: c.challenge?.info.challenge ?? null,
    expired: top === 'signedOut' ? c.challengeExpired : undefined,
    queued:
      c.queuedSignIn &&
      ('credentials' in c.queuedSignIn
        ? 'signIn'
        : 'redirectUrl' in c.queuedSignIn
          ? 'redirect'
          : `adopt:${c.queuedSignIn.session.adminScope ? 'a' : 'web'}:${c.queuedSignIn.session.accessTokenExpiresAt < NOW_S * 1000 ? 'x' : ''}`),
    asked:
      top === 'signingOut'
        ? undefined
        : [...new Set(c.signOutRequests.map((r) => (r.global ? 'g' : 'l')))].sort().join(''),
    refreshFailing: top === 'signedIn' ? c.refreshFailures > 0 : undefined,
    forOtherTab: c.restoringForOtherTab,
    unstored: top === 'signedIn' ? c.unstoredTokens : undefined,
    unread: top === 'signedOut' ? c.storageUnread : undefined,
    late: top === 'signingOut' ? c.lateSignOutRequests.length > 0 : undefined,
  });
}

/** A stable name for a transition of the chart: source, event, and its place among that event's transitions. */
export function transitionKey(t: AnyTransitionDefinition): string {
  const source = t.source as AnyStateNode;
  const list = source.transitions.get(t.eventType) ?? [];
  let index = list.indexOf(t);
  let event = t.eventType;
  if (index < 0) {
    index = (source.always ?? []).indexOf(t);
    event = 'always';
  }
  return `${source.id} —${event}#${index}→ ${(t.target ?? []).map((n) => (n as AnyStateNode).id).join(',') || '(self)'}`;
}

export function allTransitionKeys(root: AnyStateNode): string[] {
  const keys: string[] = [];
  const walk = (node: AnyStateNode) => {
    for (const defs of node.transitions.values()) for (const d of defs) keys.push(transitionKey(d));
    for (const d of node.always ?? []) keys.push(transitionKey(d));
    for (const child of Object.values(node.states) as AnyStateNode[]) walk(child);
  };
  walk(root);
  return keys;
}

export function leafStateIds(root: AnyStateNode): string[] {
  const ids: string[] = [];
  const walk = (node: AnyStateNode) => {
    const children = Object.values(node.states) as AnyStateNode[];
    if (children.length === 0) ids.push(node.id);
    for (const c of children) walk(c);
  };
  walk(root);
  return ids;
}

const SECRETS = tokenStrings([
  revocableTokens,
  plainTokens,
  refreshedTokens,
  webOnlyTokens,
  expiredTokens,
  expiredPlainTokens,
]);
/**
 * The two guards that read the wall clock are judged at the model's fixed "now", in the model and
 * in the replay alike, so that moving the simulated clock past a refresh cannot make them disagree.
 * Their clock-reading implementations are tested on their own (test/fetch-tokens.test.ts).
 */
export const CLOCK_FREE_GUARDS = {
  tokensFreshForRequests: ({ context }: { context: AuthContext }) => tokensFreshFor(context, NOW_S * 1000),
  accessTokenExpired: ({ context }: { context: AuthContext }) =>
    context.session !== null && context.session.accessTokenExpiresAt < NOW_S * 1000 + 5000,
};

/** How far to move the clock for a delay: exactly its bound (a state may hold two), or far for refreshes. */
function delayMs(eventType: string): number {
  const delay = eventType.split('.')[2] ?? '';
  const bounds: Record<string, number> = {
    remoteStepTimeout: MODEL_CONFIG.remoteStepMs,
    storageTimeout: MODEL_CONFIG.storageMs,
    hostedUISignOutTimeout: MODEL_CONFIG.hostedUISignOutMs,
    challengeExpiry: MODEL_CONFIG.challengeMs,
  };
  return bounds[delay] ?? 10 * 24 * 3600 * 1000;
}

/** Which storage actor each storage-bound state runs. */
const STORAGE_STEP_SRC: Record<string, ActorSrc> = {
  readingStoredSession: 'readSession',
  checkingStorage: 'readSession',
  discardingInvalidSession: 'clearSession',
  savingSession: 'saveSession',
  undoingPartialSave: 'clearSession',
  storingRefreshedTokens: 'storeRefreshedTokens',
  writingJournal: 'writeJournal',
  clearingCache: 'clearSession',
};
const STORAGE_FAILURE_SRCS = new Set<ActorSrc>([
  'readSession',
  'clearSession',
  'saveSession',
  'storeRefreshedTokens',
  'writeJournal',
]);

/** What must hold in each state, checked after every step of every path. */
export function checkInvariants(
  world: World,
  snapshot: AnyMachineSnapshot,
  event: FixtureEvent,
  signOutCalls: { revoke: number; global: number; wokenByOtherTab: boolean },
): string[] {
  const problems: string[] = [];
  const keys = ownKeys(world.storage, CLIENT_ID);
  const value = JSON.stringify(snapshot.value);
  const ctx = snapshot.context as AuthContext;
  const storageJustFailed =
    (event.fixture?.kind === 'error' && STORAGE_FAILURE_SRCS.has(event.fixture.src)) ||
    event.type.startsWith('xstate.after.storageTimeout.');
  // A restore woken by another tab leaves what it finds alone: that tab owns it.
  const lookedForOtherTab =
    (event.fixture?.src === 'readSession' && signOutCalls.wokenByOtherTab) ||
    // Following another context's sign-out: what it is still writing or removing is not ours to clear.
    (event.type as string) === 'xstate.done.actor.recheckStoredSession';
  // A redirect transaction waits for the page that comes back: it is no session.
  const sessionKeys = keys.filter((k) => !k.endsWith('.redirectTransaction'));
  if (snapshot.matches('signedOut') && sessionKeys.length > 0 && !storageJustFailed && !lookedForOtherTab) {
    problems.push(`signedOut with our keys left: ${sessionKeys.join(', ')}`);
  }
  if (snapshot.matches('signedIn')) {
    // One record holds the session; a refresh's write that failed keeps the same session id.
    const raw = world.storage.getItem(`authchart.${CLIENT_ID}.session`);
    const record = typeof raw === 'string' ? (JSON.parse(raw) as { id?: string; refreshToken?: string }) : null;
    if (!ctx.session) problems.push('signedIn without a session');
    // (Storage moved on under a refresh's write: the chart is reading it, to follow.)
    else if (snapshot.matches({ signedIn: 'checkingStorage' })) {
    } else if (!record?.refreshToken) problems.push('signedIn without a session record in storage');
    else if (record.id !== ctx.session.sessionId) problems.push('signedIn with another session in storage');
  }
  // Crash safety: while a remote sign-out step runs, the journal is in storage (unless writing it failed).
  const remoteStep =
    snapshot.matches({ signingOut: 'revokingRefreshToken' }) || snapshot.matches({ signingOut: 'signingOutGlobally' });
  const journalKey = `authchart.${CLIENT_ID}.signOutJournal`;
  // (A token rotated here and never stored, revoked while following another context's sign-out, has no journal.)
  const followed = ctx.signOut?.reason === 'otherTab';
  if (remoteStep && !followed && !world.journalWriteFailed && !world.storage.keys().includes(journalKey)) {
    problems.push('a remote sign-out step runs without a journal entry');
  }
  if (snapshot.matches({ signingOut: 'revokingRefreshToken' })) {
    if (world.inFlight.revokeToken !== 1)
      problems.push(`revoking with ${world.inFlight.revokeToken} RevokeToken calls in flight`);
    if (signOutCalls.revoke !== 1)
      problems.push(`revoking, ${signOutCalls.revoke} RevokeToken calls made in this sign-out`);
  }
  if (snapshot.matches({ signingOut: 'signingOutGlobally' }) && world.inFlight.globalSignOut !== 1) {
    problems.push(`signing out globally with ${world.inFlight.globalSignOut} GlobalSignOut calls in flight`);
  }
  if (!snapshot.matches('signingOut') && (world.inFlight.revokeToken > 0 || world.inFlight.globalSignOut > 0)) {
    problems.push(`${value}: a sign-out call is still in flight`);
  }
  // The sign-out plan (docs/sign-out.md): by the time it clears, every step the rules call for has run or
  // is accounted for (failed or skipped), and none that they rule out has run.
  if (snapshot.matches({ signingOut: 'clearingCache' }) && ctx.signOut?.reason === 'signOut' && ctx.session) {
    const { steps, scope } = ctx.signOut;
    if (scope === 'global' && steps.globalSignOut === 'notRun')
      problems.push('global sign-out cleared without GlobalSignOut');
    if (scope === 'local' && steps.globalSignOut !== 'notRun') problems.push('local sign-out ran GlobalSignOut');
    const revokeDue = ctx.session.revocable && steps.globalSignOut !== 'done';
    if (revokeDue && steps.revokeToken === 'notRun') problems.push('a revocable session cleared without RevokeToken');
    if (!ctx.session.revocable && steps.revokeToken !== 'notRun')
      problems.push('revoked although the policy rules it out');
    if (steps.globalSignOut === 'done' && steps.revokeToken !== 'notRun')
      problems.push('revoked after a successful GlobalSignOut');
  }
  const text = JSON.stringify(snapshot);
  for (const secret of SECRETS) if (text.includes(secret)) problems.push(`${value}: a token string in the snapshot`);
  return problems;
}

/** Replays one path against the real actor; returns the transitions taken and the leaf states visited. */
export async function replayPath(
  steps: readonly { event: FixtureEvent; state: AnyMachineSnapshot }[],
): Promise<{ transitions: Set<string>; states: Set<string>; problems: string[] }> {
  const world = createWorld();
  const transitions = new Set<string>();
  const states = new Set<string>();
  const problems: string[] = [];
  // Inspection starts while the actor (and its outbox child) is being created.
  let root: unknown = null;
  const inspect = (e: InspectionEvent) => {
    if (e.type === '@xstate.microstep' && root !== null && e.actorRef === root) {
      for (const t of e._transitions) transitions.add(transitionKey(t));
      for (const node of (e.snapshot as AnyMachineSnapshot)._nodes) if (node.type === 'atomic') states.add(node.id);
    }
  };
  const actor = createActor(world.machine, { input: world.input, clock: world.clock, inspect });
  root = actor;
  actor.start();
  for (const node of actor.getSnapshot()._nodes) if (node.type === 'atomic') states.add(node.id);
  let atSignOut = { revoke: 0, global: 0 };
  let index = 0;
  for (const { event, state } of steps) {
    index++;
    const where = `step ${index} (${event.type}${event.fixture ? `:${event.fixture.name}` : ''})`;
    const wokenByOtherTab = (actor.getSnapshot().context as AuthContext).restoringForOtherTab;
    if (event.fixture) {
      await world.gate.release(event.fixture.src, event.fixture.arrange);
    } else if (event.type.startsWith('xstate.after.')) {
      const timedOutStorage = STORAGE_STEP_SRC[event.type.split('.').pop() ?? ''];
      if (event.type.startsWith('xstate.after.storageTimeout.') && timedOutStorage) {
        if (timedOutStorage === 'writeJournal') world.journalWriteFailed = true;
        world.clock.increment(delayMs(event.type));
        await new Promise((r) => setImmediate(r));
        world.gate.releaseAll(timedOutStorage, { kind: 'storageFails' });
      } else {
        world.clock.increment(delayMs(event.type));
      }
    } else {
      // A SIGN_OUT during a sign-out must not start another: only a new one resets the count.
      if (event.type === 'SIGN_OUT' && !actor.getSnapshot().matches('signingOut')) {
        atSignOut = { revoke: world.calls.revokeToken, global: world.calls.globalSignOut };
      }
      if (event.offline) world.connectivity.set(false);
      if (event.leavesPage) world.hostedUI.leavesPage = true;
      const { offline: _offline, leavesPage: _leavesPage, ...plain } = event;
      actor.send(plain as Parameters<typeof actor.send>[0]);
      world.connectivity.set(true);
      world.hostedUI.leavesPage = false;
    }
    const expected = serializeModelState(state);
    for (let i = 0; i < 200 && serializeModelState(actor.getSnapshot()) !== expected; i++) {
      await new Promise((r) => setImmediate(r));
    }
    // Let effects of the new state start (invoked actors call their services asynchronously).
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    const actual = serializeModelState(actor.getSnapshot());
    if (actual !== expected) {
      problems.push(`${where}: expected ${expected}\n   got ${actual}`);
      break;
    }
    const signOutCalls = {
      revoke: world.calls.revokeToken - atSignOut.revoke,
      global: world.calls.globalSignOut - atSignOut.global,
      wokenByOtherTab,
    };
    for (const p of checkInvariants(world, actor.getSnapshot(), event, signOutCalls)) problems.push(`${where}: ${p}`);
  }
  actor.stop();
  return { transitions, states, problems };
}
