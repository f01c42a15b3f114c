import { assign, emit, sendTo, stopChild } from 'xstate';
import { AuthError } from '../errors.js';
import { type Sealed, seal, unseal } from '../session/sealed.js';
import { type Session, sessionInfo } from '../session/session.js';
import { authActors } from './auth.actors.js';
import { authGuards } from './auth.guards.js';
import {
  computeRefreshDelay,
  markDeferredSteps,
  signOutAnswers,
  signOutResult,
  skipRemaining,
  withEarlierRound,
} from './auth.logic.js';
import {
  confirmError,
  covering,
  deferredAnswer,
  type ErrorParams,
  globalSkipped,
  hostedUISkippedOffline,
  newSignOut,
  outboxStarted,
  progress,
  queuedFrom,
  redirectRequestOf,
  requestedScope,
  requestOf,
  requireSession,
  resumed,
  signInError,
  takeQueued,
  unsupportedGlobalSignOut,
  withStep,
} from './auth.support.js';
import type {
  AuthContext,
  AuthEmitted,
  AuthEvent,
  AuthInput,
  RedirectOutcome,
  RestoreOutput,
  SignInOutcome,
  SignOutResult,
  SignOutSteps,
} from './auth.types.js';
import { setup } from './setup.js';
import { depsOf, safely } from './slots.shared.js';

/** The slots of the auth chart: actors, guards, delays and actions, each named for what it does.
 * Errors reach actions as transition parameters, so no action reads an untyped event. */
export const authSetup = setup({
  types: {
    context: {} as AuthContext,
    events: {} as AuthEvent,
    emitted: {} as AuthEmitted,
    input: {} as AuthInput,
  },
  actors: authActors,
  guards: authGuards,
  delays: {
    remoteStepTimeout: ({ context }) => context.config.remoteStepMs,
    hostedUITimeout: ({ context }) => context.config.hostedUIMs,
    storageTimeout: ({ context }) => context.config.storageMs,
    challengeExpiry: ({ context }) => context.config.challengeMs,
    /** Until shortly before the access token expires, by the instance's clock. */
    refreshDelay: ({ context }) =>
      context.session ? computeRefreshDelay(context.session, context.config, depsOf(context.deps).clock.now()) : 0,
    refreshRetryDelay: ({ context }) =>
      context.config.refreshRetryMs * 2 ** Math.min(Math.max(context.refreshFailures - 1, 0), 6),
  },
  actions: {
    // ——— sign-out requests and progress ———
    addSignOutRequest: assign({
      signOutRequests: ({ context, event }) => [...context.signOutRequests, ...requestOf(event)],
    }),
    startSignOut: assign({ signOut: ({ context }) => newSignOut(context, requestedScope(context), 'signOut') }),
    upgradeToGlobal: assign({ signOut: ({ context }) => ({ ...progress(context), scope: 'global' as const }) }),
    startRefreshRejectedSignOut: assign({ signOut: ({ context }) => newSignOut(context, 'local', 'refreshRejected') }),
    startCancelledSignInSignOut: assign({
      signOut: ({ context }) => ({
        ...newSignOut(context, 'local', 'signInCancelled'),
        ...(context.signInRequest?.adopted ? { appsTokens: true as const } : {}),
      }),
    }),
    markUserDeleted: assign({ deletedSessionId: ({ context }) => context.session?.sessionId }),
    startUserDeletion: assign({ signOut: ({ context }) => newSignOut(context, 'local', 'userDeleted') }),
    /**
     * `deleteUser()` refused (no signed-in user, offline), or its DeleteUser failed (nothing changed):
     * its callers hear why.
     */
    rejectUserDeletion: emit(({ context, event }, params: ErrorParams) => ({
      type: 'userDeletionFailed' as const,
      ids:
        event.type === 'DELETE_USER' ? [event.id] : context.signOutRequests.filter((r) => r.deletes).map((r) => r.id),
      error: params.error,
    })),
    /** A `signOut()` joined a deletion whose DeleteUser failed: it runs as asked (a global one globally). */
    continueAsSignOut: assign(({ context }) => {
      const signOutRequests = context.signOutRequests.filter((r) => !r.deletes);
      const scope = signOutRequests.some((r) => r.global) ? 'global' : 'local';
      return { signOutRequests, signOut: { ...progress(context), reason: 'signOut' as const, scope } };
    }),
    startOtherTabSignOut: assign({ signOut: ({ context }) => newSignOut(context, 'local', 'otherTab') }),
    /** A journal was found at start: finish that sign-out, with the session if its tokens are still there. */
    resumeInterruptedSignOut: assign(({ context }, p: { output: RestoreOutput }) => resumed(context, p.output)),
    markRestoreFromOtherTab: assign({ restoringForOtherTab: true }),
    forgetRestoreReason: assign({ restoringForOtherTab: false }),
    markStorageUnread: assign({ storageUnread: (_, p: { unread: boolean }) => p.unread }),
    markCoversStored: assign({ signOut: ({ context }, p: { covers: boolean }) => covering(context, p.covers) }),
    markDeferred: assign({
      signOut: ({ context }, params: Parameters<typeof markDeferredSteps>[1]) => markDeferredSteps(context, params),
    }),
    // Other tabs and processes hear it through the injected sync service (a hint: they read storage).
    publishSignedIn: ({ context }) => depsOf(context.deps).sync?.publish({ type: 'signedIn' }),
    publishSignedOut: ({ context }) => depsOf(context.deps).sync?.publish({ type: 'signedOut' }),
    publishRestored: ({ context }) => {
      if (!context.restoringForOtherTab) depsOf(context.deps).sync?.publish({ type: 'signedIn' });
    },
    markStepDone: assign({
      signOut: ({ context }, params: { step: keyof SignOutSteps }) => withStep(progress(context), params.step, 'done'),
    }),
    recordStepError: assign({
      signOut: ({ context }, params: ErrorParams & { step: 'hostedUISignOut' | 'globalSignOut' | 'revokeToken' }) => ({
        ...withStep(progress(context), params.step, 'failed'),
        [`${params.step}Error`]: params.error,
      }),
    }),
    /** GlobalSignOut could not run (e.g. the refresh before it was refused): skipped, with why. */
    skipGlobalSignOut: assign({
      signOut: ({ context }, params: ErrorParams) => globalSkipped(progress(context), params.error),
    }),
    skipUnsupportedGlobalSignOut: assign({ signOut: ({ context }) => unsupportedGlobalSignOut(progress(context)) }),
    /** The browser's `/logout` leaves the page: it runs after the local sign-out. */
    markLogoutLast: assign({ signOut: ({ context }) => ({ ...progress(context), logoutLast: true }) }),
    markLogoutStarted: assign({
      signOut: ({ context }) =>
        context.signOut?.logoutLast ? withStep(context.signOut, 'hostedUISignOut', 'done') : context.signOut,
    }),
    /** Navigates to the hosted UI `/logout`; only when `markLogoutLast` ran. */
    leaveForHostedUILogout: ({ context }) => {
      const hostedUI = depsOf(context.deps).hostedUI;
      if (!context.signOut?.logoutLast || !hostedUI) return;
      // The page leaves: nothing waits for this, and a failure can only be logged by the adapter.
      hostedUI.signOut(new AbortController().signal).catch(() => undefined);
    },
    /** The hosted UI `/logout` cannot run offline: the local sign-out goes on, and says so. */
    skipHostedUISignOut: assign({ signOut: ({ context }) => hostedUISkippedOffline(progress(context)) }),
    /** Offline, or a step found the network down: each remote step still planned is skipped, with why. */
    skipRemainingRemoteSteps: assign({
      signOut: ({ context }, params: { reason: 'Offline' | 'Network' }) => skipRemaining(context, params.reason),
    }),
    /** The sign-out failed: the user stays signed in (a cancelled hosted UI, or clearing failed). */
    recordSignOutFailure: assign({
      signOut: ({ context }, params: ErrorParams & { step: 'clearCache' | 'hostedUISignOut' }) => ({
        ...withStep(progress(context), params.step, 'failed'),
        error: params.error,
      }),
    }),
    answerSignOut: emit(({ context }) => ({
      type: 'signOutSettled' as const,
      answers: signOutAnswers(withEarlierRound(progress(context), context.earlierSignOut), context.signOutRequests),
    })),
    announceSignedOut: emit(({ context }) => ({
      type: 'signedOut' as const,
      reason: progress(context).reason,
      result: signOutResult(progress(context)),
    })),
    announceSignOutFailed: emit(({ context }) => ({
      type: 'signOutFailed' as const,
      result: signOutResult(progress(context)) as SignOutResult & { status: 'failed' },
    })),
    forgetSession: assign({
      session: null,
      signOut: null,
      earlierSignOut: null,
      signOutRequests: [],
      refreshFailures: 0,
      unstoredTokens: false,
      unstoredRefreshToken: false,
    }),
    forgetSignOut: assign({ signOut: null, signOutRequests: [], earlierSignOut: null }),
    /** The sign-out starts over from a fresh read of storage; its callers keep waiting (and hear this round too). */
    restartSignOut: assign({
      signOut: null,
      session: null,
      // Every round so far, not only the last: a third round must not forget the first's failure.
      earlierSignOut: ({ context }) =>
        context.signOut ? withEarlierRound(context.signOut, context.earlierSignOut) : context.earlierSignOut,
    }),
    takeNewerTokens: assign({
      session: ({ context }, p: { newer?: Session | undefined }) => p.newer ?? context.session,
    }),
    /**
     * The clear found another token of this session (row 27): the next round revokes it, the token
     * this round revoked is noted (never taken again). `global`: it waits for another context's
     * deferred GlobalSignOut, which the next round runs, its remote steps not run yet.
     */
    takeTokensToRevoke: assign(({ context }, p: { newer?: Session | undefined; global?: boolean }) => {
      const round = progress(context);
      const done = context.session ? [unseal(context.session.tokens).refreshToken] : [];
      const revokedTokens = seal([...(round.revokedTokens ? unseal(round.revokedTokens) : []), ...done]);
      const steps = p.global
        ? { ...round.steps, globalSignOut: 'notRun' as const, revokeToken: 'notRun' as const }
        : round.steps;
      return {
        session: p.newer ?? context.session,
        signOut: { ...round, steps, revokedTokens, ...(p.global ? { scope: 'global' as const } : {}) },
      };
    }),
    /** A `signOut()` while clearing: the clear has read storage already, so it gets a sign-out of its own. */
    addLateSignOutRequest: assign({
      lateSignOutRequests: ({ context, event }) => [...context.lateSignOutRequests, ...requestOf(event)],
    }),
    takeLateSignOuts: assign(({ context }) => ({
      signOutRequests: [...context.signOutRequests, ...context.lateSignOutRequests],
      lateSignOutRequests: [],
    })),
    // ——— sign-in requests and challenges ———
    /** The step's outcome: a session to save, or a challenge to wait at. */
    assignOutcome: assign(({ context }, params: { outcome: SignInOutcome }) => {
      const o = params.outcome;
      if (!('session' in o)) return { challenge: o.challenge };
      const request = context.signInRequest;
      return {
        session: o.session,
        challenge: null,
        signInRequest: request && o.customState !== undefined ? { ...request, customState: o.customState } : request,
      };
    }),
    /** Tell the caller which challenge to answer (their promise resolves with it). */
    recordChallengeAsked: assign({
      signInRequest: ({ context }) =>
        context.signInRequest && context.challenge
          ? { ...context.signInRequest, challenge: context.challenge.info }
          : context.signInRequest,
    }),
    assignChallengeAnswer: assign({
      signInRequest: ({ event }) => (event.type === 'CONFIRM_SIGN_IN' ? { id: event.id, answer: event.answer } : null),
    }),
    /** The passkey's assertion is the answer the challenge is sent (sealed: a secret). */
    assignPasskeyAnswer: assign({
      signInRequest: ({ context }, params: { answer: Sealed<string> }) =>
        context.signInRequest && { ...context.signInRequest, answer: params.answer },
    }),
    forgetChallenge: assign({ challenge: null }),
    markChallengeExpired: assign({ challengeExpired: true, challenge: null }),
    emitSignInFailed: emit((_, params: ErrorParams) => ({ type: 'signInFailed' as const, error: params.error })),
    rejectConfirm: emit(({ event }, params: { code: 'InvalidState' | 'Expired' }) => ({
      type: 'signInSettled' as const,
      id: event.type === 'CONFIRM_SIGN_IN' ? event.id : -1,
      error: confirmError(params.code),
    })),
    assignSession: assign({ session: (_, params: { session: Session }) => params.session }),
    assignRestoredSession: assign({
      session: (_, params: { output: RestoreOutput }) =>
        params.output.status === 'found' ? params.output.session : null,
    }),
    assignSignInRequest: assign({
      signInRequest: ({ event }) =>
        event.type === 'SIGN_IN' ? { id: event.id, credentials: event.credentials } : null,
      challengeExpired: false,
    }),
    assignAdoptedSession: assign({
      session: ({ event }) => (event.type === 'ADOPT_SESSION' ? event.session : null),
      signInRequest: ({ event }) => (event.type === 'ADOPT_SESSION' ? { id: event.id, adopted: true } : null),
    }),
    queueSignIn: assign({ queuedSignIn: ({ event }) => queuedFrom(event) }),
    takeQueuedSignIn: assign(({ context }) => takeQueued(context)),
    assignRedirectRequest: assign({ signInRequest: ({ event }) => redirectRequestOf(event) }),
    /** The opener brought the redirect back (native, Node): exchange it now. Otherwise the page leaves. */
    assignRedirectOutcome: assign({
      signInRequest: ({ context }, params: { outcome: RedirectOutcome }) =>
        context.signInRequest &&
        ('redirectUrl' in params.outcome
          ? { ...context.signInRequest, redirectUrl: params.outcome.redirectUrl }
          : { ...context.signInRequest, redirecting: true }),
    }),
    rejectQueuedSignIn: emit(({ context }, params: { code: 'AlreadySignedIn' | 'Cancelled' }) => ({
      type: 'signInSettled' as const,
      id: context.queuedSignIn?.id ?? -1,
      error: signInError(params.code),
    })),
    forgetQueuedSignIn: assign({ queuedSignIn: null }),
    recordSignInError: assign({
      signInRequest: ({ context }, params: ErrorParams) =>
        context.signInRequest && { ...context.signInRequest, error: params.error },
    }),
    answerSignIn: emit(({ context }) => {
      const { id = -1, error, challenge, redirecting, customState } = context.signInRequest ?? {};
      return { type: 'signInSettled' as const, id, error, challenge, redirecting, customState };
    }),
    forgetSignIn: assign({ session: null, signInRequest: null, challenge: null }),
    forgetSignInRequest: assign({ signInRequest: null }),
    rejectSignIn: emit(({ event }, params: { code: 'AlreadySignedIn' | 'InvalidState' }) => ({
      type: 'signInSettled' as const,
      id: 'id' in event ? event.id : -1,
      error: signInError(params.code),
    })),
    cancelSignIn: emit(({ context }) => ({
      type: 'signInSettled' as const,
      id: context.signInRequest?.id ?? -1,
      error: signInError('Cancelled'),
    })),
    emitSignedIn: emit(({ context }, params: { restored: boolean }) => ({
      type: 'signedIn' as const,
      session: sessionInfo(requireSession(context)),
      restored: params.restored,
    })),
    emitInvalidSession: emit((_, params: ErrorParams) => ({
      type: 'signedOut' as const,
      reason: 'invalidSession' as const,
      error: params.error,
    })),

    // ——— refresh and fetchTokens ———
    addTokenRequest: assign({
      tokenRequests: ({ context, event }) =>
        event.type === 'FETCH_TOKENS'
          ? [
              ...context.tokenRequests,
              { id: event.id, minValidityMs: event.minValidityMs, forceRefresh: event.forceRefresh },
            ]
          : context.tokenRequests,
    }),
    answerTokenRequests: emit(({ context }, params: { error?: AuthError } | undefined) => ({
      type: 'tokensFetched' as const,
      ids: context.tokenRequests.map((r) => r.id),
      error: params?.error,
    })),
    forgetTokenRequests: assign({ tokenRequests: [] }),
    /** The identity pool's credentials and identity ids forgotten, a fetch under way dropped (docs/sign-out.md rows 36–37). */
    clearCredentials: ({ context }) => safely(() => depsOf(context.deps).credentials?.clear()),
    rejectFetchTokens: emit(({ event }, params: { code: 'NotSignedIn' }) => ({
      type: 'tokensFetched' as const,
      ids: event.type === 'FETCH_TOKENS' ? [event.id] : [],
      error: new AuthError(params.code, 'Not signed in (or a sign-in or sign-out is running)'),
    })),
    emitTokensRefreshed: emit(({ context }) => ({
      type: 'tokensRefreshed' as const,
      session: sessionInfo(requireSession(context)),
    })),
    emitTokenRefreshFailed: emit((_, params: ErrorParams & { willRetry: boolean }) => ({
      type: 'tokenRefreshFailed' as const,
      error: params.error,
      willRetry: params.willRetry,
    })),
    emitDeferredDropped: emit((_, params: { count: number }) => ({
      type: 'deferredRevocationsDropped' as const,
      count: params.count,
    })),
    emitTokensNotStored: emit((_, params: ErrorParams) => ({ type: 'tokensNotStored' as const, error: params.error })),
    markTokensUnstored: assign({
      unstoredTokens: true,
      unstoredRefreshToken: ({ context }, p: { rotated: boolean }) => context.unstoredRefreshToken || p.rotated,
    }),
    recordRefusal: assign({ refusedWith: (_, params: ErrorParams) => params.error }),
    forgetRefusal: assign({ refusedWith: null }),
    markTokensStored: assign({ unstoredTokens: false, unstoredRefreshToken: false }),
    countRefreshFailure: assign({ refreshFailures: ({ context }) => context.refreshFailures + 1 }),
    resetRefreshFailures: assign({ refreshFailures: 0 }),

    // ——— the deferred-revocation outbox: a child actor, running only while it owes answers or watches ———
    /** Asks it to drain (a `retryDeferredRevocations()` call, or -1: the chart's own), after `countDrainAsked`. */
    askOutboxToDrain: sendTo('outbox', ({ event }) => ({
      type: 'DRAIN' as const,
      id: event.type === 'RETRY_DEFERRED' ? event.id : -1,
    })),
    /** At start: it drains what an earlier run left. (`spawn` in `assign`: no `enqueueActions`, 0.15 kB less.) */
    startOutbox: assign({ outboxAsks: ({ context, spawn }) => outboxStarted(context, spawn) }),
    /** One more request owed an answer; a stopped outbox is started again first (its start drain takes it). */
    countDrainAsked: assign({
      outboxAsks: ({ context, spawn }) => (context.outboxAsks ?? outboxStarted(context, spawn)) + 1,
    }),
    answerDeferredRevocations: emit(({ event }) => deferredAnswer(event)),
    countDrainsAnswered: assign({
      outboxAsks: ({ context: { outboxAsks: n }, event }) =>
        n === null ? null : n - (event.type === 'OUTBOX_DRAINED' ? event.ids.length : 0),
    }),
    /**
     * Quiet (nothing to watch or look at again) and owing no answer: stopped, so an idle instance
     * carries one actor, not two (P5). Not on a quiet report alone: a request made meanwhile
     * (re-entrant, from an inspector) may wait in its mailbox.
     */
    stopQuietOutbox: stopChild('outbox'),
    markOutboxStopped: assign({ outboxAsks: null }),
  },
});

/** The config of one state of the auth chart, typed by its slots (for states kept in their own file). */
export type AuthStateConfig = NonNullable<Parameters<typeof authSetup.createMachine>[0]['states']>[string];

/** A sign-in asked while restoring or signing out waits for it to end; one at a time. */
export const WAIT_TO_SIGN_IN = [
  { guard: 'signInBusy', actions: { type: 'rejectSignIn', params: { code: 'InvalidState' } } },
  { actions: 'queueSignIn' },
] as const;
