import { assign, fromCallback, fromPromise, sendParent, setup } from 'xstate';
import { AuthError, NETWORK_CODES } from '../errors.js';
import type { Sealed } from '../session/sealed.js';
import type { AuthConfig, AuthDeps } from './auth.types.js';

/** What every outbox actor gets: the instance's services (sealed). */
export type Deps = { deps: Sealed<AuthDeps> | null };

/** What a drain claimed: the tokens (sealed) and how many there are. */
export interface DeferredTokens {
  tokens: Sealed<string[]>;
  count: number;
  /** Per token: GlobalSignOut waits too (refresh, GlobalSignOut, then RevokeToken). Not secret. */
  globals: boolean[];
  /** Per token: the outbox slots holding it (not secret). */
  slots: number[][];
  /** Entries a live drain of another context holds: not tried by this one. */
  busy: number;
}

/** The outbox's state: the tokens of the drain in progress (sealed) and who waits for its answer. */
export interface OutboxContext extends Deps {
  config: AuthConfig;
  tokens: Sealed<string[]> | null;
  count: number;
  globals: boolean[];
  slots: number[][];
  busy: number;
  /** How many of `tokens` have been tried. */
  tried: number;
  /** Tokens revoked, or refused for good: they leave the outbox. */
  settled: number[];
  waiting: number[];
  error: AuthError | null;
}

export type OutboxEvent = { type: 'DRAIN'; id: number } | { type: 'ONLINE' };

const rejectNotProvided = (name: string) => () =>
  Promise.reject(new AuthError('InvalidConfig', `The "${name}" actor was not provided`));

/** The outbox could not be read or written: the drain ends, and its callers hear why. */
const STORAGE_FAILED = {
  target: 'idle',
  actions: [
    {
      type: 'recordError',
      params: ({ event }: { event: { error?: unknown } }) => ({ error: storageError(event.error) }),
    },
    'report',
    'reset',
  ],
} as const;

const STORAGE_TIMED_OUT = {
  target: 'idle',
  actions: [
    {
      type: 'recordError',
      params: ({ context }: { context: { config: AuthConfig } }) => ({ error: storageTimeoutError(context.config) }),
    },
    'report',
    'reset',
  ],
} as const;

/**
 * The deferred-revocation outbox (`deferRevocation`): refresh tokens a sign-out could not revoke
 * for a network reason. A child of the auth chart. It drains at start (with or without the
 * option: what an earlier run kept is revoked), when connectivity returns (only with
 * `deferRevocation`), or when asked (`retryDeferredRevocations()`). A drain claims its entries
 * under one storage lock, so each token is tried by one context; it tries them one at a time
 * outside the lock, each call bounded by the chart's own timer; and it settles under one lock.
 */
export const outboxMachine = setup({
  types: {
    context: {} as OutboxContext,
    events: {} as OutboxEvent,
    input: {} as Deps & { config: AuthConfig },
  },
  actors: {
    /** Claims the entries no live drain holds, under one storage lock. */
    claimOutbox: fromPromise<DeferredTokens, Deps & { config: AuthConfig }>(rejectNotProvided('claimOutbox')),
    revokeDeferred: fromPromise<void, Deps & { tokens: Sealed<string[]>; index: number; global: boolean }>(
      rejectNotProvided('revokeDeferred'),
    ),
    /** Removes the settled entries and lets go of the others' claims, under one storage lock. */
    settleOutbox: fromPromise<
      void,
      Deps & { config: AuthConfig; tokens: Sealed<string[]>; globals: boolean[]; slots: number[][]; settled: number[] }
    >(rejectNotProvided('settleOutbox')),
    /** Sends ONLINE whenever connectivity comes back. */
    watchConnectivity: fromCallback<OutboxEvent, Deps>(() => () => {}),
  },
  guards: {
    drainsOnItsOwn: ({ context }) => context.config.deferRevocation,
    isOnline: () => true,
    allTried: ({ context }) => context.tried >= context.count,
    nothingClaimed: ({ context }) => context.count === 0,
    isNetworkError: (_, params: { error: unknown }) =>
      params.error instanceof AuthError ? NETWORK_CODES.has(params.error.code) : false,
  },
  delays: {
    /** One call per entry, or three for a global one (refresh, GlobalSignOut, RevokeToken). */
    remoteStepTimeout: ({ context }) => context.config.remoteStepMs * (context.globals[context.tried] ? 3 : 1),
    storageTimeout: ({ context }) => context.config.storageMs,
  },
  actions: {
    addWaiter: assign({
      waiting: ({ context, event }) => (event.type === 'DRAIN' ? [...context.waiting, event.id] : context.waiting),
    }),
    takeTokens: assign((_, params: DeferredTokens) => ({ ...params, tried: 0, settled: [] })),
    markSettled: assign({
      settled: ({ context }) => [...context.settled, context.tried],
      tried: ({ context }) => context.tried + 1,
    }),
    markTried: assign({ tried: ({ context }) => context.tried + 1 }),
    recordError: assign({ error: (_, params: { error: AuthError }) => params.error }),
    report: sendParent(({ context }) => ({
      type: 'OUTBOX_DRAINED' as const,
      ids: context.waiting,
      settled: context.settled.length,
      remaining: context.count - context.settled.length + context.busy,
      ...(context.error ? { error: context.error } : {}),
    })),
    reset: assign({
      tokens: null,
      count: 0,
      globals: [],
      slots: [],
      busy: 0,
      tried: 0,
      settled: [],
      waiting: [],
      error: null,
    }),
  },
}).createMachine({
  id: 'outbox',
  context: ({ input }) => ({
    deps: input.deps,
    config: input.config,
    tokens: null,
    count: 0,
    globals: [],
    slots: [],
    busy: 0,
    tried: 0,
    settled: [],
    waiting: [],
    error: null,
  }),
  initial: 'starting',
  // A request during a drain is answered by that drain.
  on: { DRAIN: { actions: 'addWaiter' } },
  states: {
    // Whatever an earlier run (or a run with `deferRevocation`) left is drained at start.
    starting: { always: { target: 'checkingConnectivity' } },
    idle: {
      invoke: { id: 'watchConnectivity', src: 'watchConnectivity', input: ({ context }) => ({ deps: context.deps }) },
      on: {
        DRAIN: { target: 'claiming', actions: 'addWaiter' },
        ONLINE: { guard: 'drainsOnItsOwn', target: 'claiming' },
      },
    },
    checkingConnectivity: {
      always: [{ guard: 'isOnline', target: 'claiming' }, { target: 'idle' }],
    },
    /** One lock: the entries this drain will try are claimed (or another context's claim is live). */
    claiming: {
      invoke: {
        id: 'claimOutbox',
        src: 'claimOutbox',
        input: ({ context }) => ({ deps: context.deps, config: context.config }),
        onDone: { target: 'next', actions: { type: 'takeTokens', params: ({ event }) => event.output } },
        onError: STORAGE_FAILED,
      },
      after: { storageTimeout: STORAGE_TIMED_OUT },
    },
    next: {
      always: [
        // Nothing claimed: nothing to write back.
        { guard: 'nothingClaimed', target: 'idle', actions: ['report', 'reset'] },
        { guard: 'allTried', target: 'settling' },
        { target: 'revoking' },
      ],
    },
    revoking: {
      invoke: {
        id: 'revokeDeferred',
        src: 'revokeDeferred',
        input: ({ context }) => ({
          deps: context.deps,
          tokens: sealedTokens(context),
          index: context.tried,
          global: context.globals[context.tried] === true,
        }),
        onDone: { target: 'next', actions: 'markSettled' },
        onError: [
          // No answer came back: keep it for the next drain.
          {
            guard: { type: 'isNetworkError', params: ({ event }) => ({ error: event.error }) },
            target: 'next',
            actions: 'markTried',
          },
          // Cognito answered (revoked already, unknown token, …): it leaves the outbox.
          { target: 'next', actions: 'markSettled' },
        ],
      },
      after: { remoteStepTimeout: { target: 'next', actions: 'markTried' } },
    },
    settling: {
      invoke: {
        id: 'settleOutbox',
        src: 'settleOutbox',
        input: ({ context }) => ({
          deps: context.deps,
          config: context.config,
          tokens: sealedTokens(context),
          globals: context.globals,
          slots: context.slots,
          settled: context.settled,
        }),
        onDone: {
          target: 'idle',
          actions: ['report', 'reset'],
        },
        onError: STORAGE_FAILED,
      },
      after: { storageTimeout: STORAGE_TIMED_OUT },
    },
  },
});

function sealedTokens(context: OutboxContext): Sealed<string[]> {
  if (!context.tokens) throw new AuthError('InvalidState', 'No outbox drain in progress');
  return context.tokens;
}

function storageError(error: unknown): AuthError {
  return error instanceof AuthError
    ? error
    : new AuthError('StorageFailure', 'The revocation outbox could not be read or written', { cause: error });
}

function storageTimeoutError(config: AuthConfig): AuthError {
  return new AuthError('StorageFailure', `The revocation outbox: storage did not answer within ${config.storageMs} ms`);
}
