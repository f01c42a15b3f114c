import { assign, fromCallback, fromPromise, sendParent } from 'xstate';
import { AuthError, type AuthErrorCode } from '../errors.js';
import { type Sealed, seal, unseal } from '../session/sealed.js';
import { notProvided, storageTimedOut } from './auth.support.js';
import type { AuthConfig, AuthDeps } from './auth.types.js';
import { setup } from './setup.js';

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
  /** With `busy`: when to look at their claims again (their longest lease). */
  recheckMs?: number;
}

/**
 * What one deferred revocation came to. `revoked` and `refused` (Cognito said the token is no good:
 * it never will be revoked) leave the outbox; `retry` (no answer, a 5xx, anything else) stays for
 * the next drain; `backOff` (throttled) stays, and so does every entry this drain has not tried yet.
 */
export type RevocationOutcome = 'revoked' | 'refused' | 'retry' | 'backOff';

/** A deferred revocation's answer: its outcome, and the refresh token a rotation put in its place. */
export interface DeferredAttempt {
  outcome: RevocationOutcome;
  rotated: Sealed<string> | null;
}

// Codes by which Cognito says a token (or this client) can never be revoked or signed out with: a
// retry would get the same answer. `RevocationUnsupported` (revocation disabled for the app client)
// is here too: the token stays valid until it expires whatever the outbox does, and keeping it
// would only fill the outbox and cost a call per drain.
const REFUSED_FOR_GOOD: ReadonlySet<AuthErrorCode> = new Set([
  'NotAuthorized',
  'InvalidToken',
  'RevocationUnsupported',
  'GlobalSignOutUnsupported',
  'UserNotFound',
]);
// OAuth answers (RFC 7009, hosted UI's /oauth2/revoke) that say the token is not one it revokes, and
// an endpoint that says it does not support the call at all (emulators such as cognito-local answer
// GlobalSignOut so, with a 5xx): no retry gets another answer.
const REFUSED_OAUTH: ReadonlySet<string> = new Set([
  'unsupported_token_type',
  'invalid_token',
  'invalid_grant',
  'Unsupported',
  'UnsupportedOperationException',
]);

/**
 * A failed call's outcome for the outbox: only a refusal of the token itself drops it. Throttling
 * backs off; a 5xx (`Service`) or no answer is retried at the next drain, as is anything unknown.
 */
export function revocationOutcome(error: unknown): Exclude<RevocationOutcome, 'revoked'> {
  if (!(error instanceof AuthError)) return 'retry';
  if (error.code === 'Throttled') return 'backOff';
  if (REFUSED_FOR_GOOD.has(error.code)) return 'refused';
  if (error.code === 'Service' && error.serviceName !== undefined && REFUSED_OAUTH.has(error.serviceName)) {
    return 'refused';
  }
  return 'retry';
}

/** The outbox's state: the tokens of the drain in progress (sealed) and who waits for its answer. */
export interface OutboxContext extends Deps {
  config: AuthConfig;
  tokens: Sealed<string[]> | null;
  count: number;
  globals: boolean[];
  slots: number[][];
  busy: number;
  /** After a drain that found entries busy: when to look at them again (ms), else null. */
  recheckMs: number | null;
  /** How many of `tokens` have been tried. */
  tried: number;
  /** Tokens revoked, or refused for good: they leave the outbox. */
  settled: number[];
  waiting: number[];
  error: AuthError | null;
}

export type OutboxEvent = { type: 'DRAIN'; id: number } | { type: 'ONLINE' };

/** What a drain reports to the chart: the requests it answers, and whether the outbox is now quiet. */
export interface OutboxDrained {
  type: 'OUTBOX_DRAINED';
  ids: number[];
  settled: number;
  remaining: number;
  error?: AuthError | undefined;
  /** Nothing to watch or look at again: it idles until asked (the chart may stop it). */
  quiet: boolean;
}

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
      params: storageTimedOut('The revocation outbox'),
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
    claimOutbox: fromPromise<DeferredTokens, Deps & { config: AuthConfig }>(notProvided('claimOutbox')),
    /** One entry: its outcome (never throws for a remote failure), and its rotated token if any. */
    revokeDeferred: fromPromise<
      DeferredAttempt,
      Deps & { config: AuthConfig; tokens: Sealed<string[]>; index: number; global: boolean; slots: number[] }
    >(notProvided('revokeDeferred')),
    /** Removes the settled entries and lets go of the others' claims, under one storage lock. */
    settleOutbox: fromPromise<
      void,
      Deps & { config: AuthConfig; tokens: Sealed<string[]>; globals: boolean[]; slots: number[][]; settled: number[] }
    >(notProvided('settleOutbox')),
    /** Sends ONLINE whenever connectivity comes back. */
    watchConnectivity: fromCallback<OutboxEvent, Deps>(() => () => {}),
  },
  guards: {
    drainsOnItsOwn: ({ context }) => context.config.deferRevocation,
    isOnline: () => true,
    allTried: ({ context }) => context.tried >= context.count,
    nothingClaimed: ({ context }) => context.count === 0,
    outcomeIs: (_, params: { outcome: RevocationOutcome; is: readonly RevocationOutcome[] }) =>
      params.is.includes(params.outcome),
    mustRecheck: ({ context }) => context.recheckMs !== null,
  },
  delays: {
    /** One call per entry, or three for a global one (refresh, GlobalSignOut, RevokeToken). */
    remoteStepTimeout: ({ context }) => context.config.remoteStepMs * (context.globals[context.tried] ? 3 : 1),
    storageTimeout: ({ context }) => context.config.storageMs,
    // A lease read from storage (another context's, maybe corrupt) may be any size: a timer of 2^31 ms
    // or more fires at once, which would re-claim in a tight loop.
    recheck: ({ context }) => Math.min(context.recheckMs ?? 0, 2 ** 31 - 1),
  },
  actions: {
    addWaiter: assign({
      waiting: ({ context, event }) => (event.type === 'DRAIN' ? [...context.waiting, event.id] : context.waiting),
    }),
    takeTokens: assign((_, params: DeferredTokens) => {
      const { recheckMs: _recheck, ...claimed } = params;
      return { ...claimed, tried: 0, settled: [], recheckMs: params.busy > 0 ? (params.recheckMs ?? null) : null };
    }),
    /** The entry's token is now the one its refresh issued: the settle matches and releases that one. */
    takeRotated: assign({
      tokens: ({ context }, params: { rotated: Sealed<string> | null }) => {
        if (!params.rotated || !context.tokens) return context.tokens;
        const tokens = [...unseal(context.tokens)];
        tokens[context.tried] = unseal(params.rotated);
        return seal(tokens);
      },
    }),
    /** Cognito asked to slow down: nothing more is tried in this drain (the rest stays). */
    markRestTried: assign({ tried: ({ context }) => context.count }),
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
      error: context.error ?? undefined,
      // Idle from now on until asked (nothing watched, nothing to look at again): the chart may stop
      // this actor, so that an instance without deferred revocations carries no outbox actor.
      quiet: !context.config.deferRevocation && context.recheckMs === null,
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
    recheckMs: null,
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
      on: {
        DRAIN: { target: 'claiming', actions: 'addWaiter' },
        ONLINE: { guard: 'drainsOnItsOwn', target: 'claiming' },
      },
      type: 'parallel',
      states: {
        // Connectivity is watched only where its return starts a drain (`deferRevocation`): without
        // the option ONLINE changes nothing, and an idle watcher would be a child actor per instance.
        connectivity: {
          initial: 'choosing',
          states: {
            choosing: { always: [{ guard: 'drainsOnItsOwn', target: 'watching' }, { target: 'unwatched' }] },
            watching: {
              invoke: {
                id: 'watchConnectivity',
                src: 'watchConnectivity',
                input: ({ context }) => ({ deps: context.deps }),
              },
            },
            unwatched: {},
          },
        },
        // Another context's claim held entries back: they are looked at again once its lease is
        // over on this context's clock, so a dead drain's entries do not wait for the next start.
        // Nothing in idle changes `recheckMs`: without one, no timer is set (it fired for nothing).
        recheck: {
          initial: 'choosing',
          states: {
            choosing: { always: [{ guard: 'mustRecheck', target: 'waiting' }, { target: 'none' }] },
            // `recheckMs` stays until a claim succeeds (`takeTokens`): a claim that fails (a storage
            // fault) leaves the outbox waiting to look again, not quiet.
            waiting: { after: { recheck: '#outbox.claiming' } },
            none: {},
          },
        },
      },
    },
    checkingConnectivity: {
      // Offline at start: the drain waits (for a retry, the next start, or connectivity with
      // `deferRevocation`); the report lets the chart stop an outbox with nothing to watch.
      always: [
        { guard: 'isOnline', target: 'claiming' },
        { target: 'idle', actions: 'report' },
      ],
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
          config: context.config,
          tokens: sealedTokens(context),
          index: context.tried,
          global: context.globals[context.tried] === true,
          slots: context.slots[context.tried] ?? [],
        }),
        onDone: [
          {
            guard: { type: 'outcomeIs', params: ({ event }) => ({ outcome: event.output.outcome, is: LEAVES }) },
            target: 'next',
            actions: [{ type: 'takeRotated', params: ({ event }) => event.output }, 'markSettled'],
          },
          {
            guard: { type: 'outcomeIs', params: ({ event }) => ({ outcome: event.output.outcome, is: BACK_OFF }) },
            target: 'next',
            actions: [{ type: 'takeRotated', params: ({ event }) => event.output }, 'markRestTried'],
          },
          // No answer, a 5xx: kept (with its newest token) for the next drain.
          { target: 'next', actions: [{ type: 'takeRotated', params: ({ event }) => event.output }, 'markTried'] },
        ],
        // Not a remote answer (a bug, a missing token): kept.
        onError: { target: 'next', actions: 'markTried' },
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

const LEAVES: readonly RevocationOutcome[] = ['revoked', 'refused'];
const BACK_OFF: readonly RevocationOutcome[] = ['backOff'];

function sealedTokens(context: OutboxContext): Sealed<string[]> {
  if (!context.tokens) throw new AuthError('InvalidState', 'No outbox drain in progress');
  return context.tokens;
}

function storageError(error: unknown): AuthError {
  return error instanceof AuthError
    ? error
    : new AuthError('StorageFailure', 'The revocation outbox could not be read or written', { cause: error });
}
