import { assign, emit, fromPromise, setup } from 'xstate';
import { AuthError, isAuthError, NETWORK_CODES, toAuthError } from '../errors.js';
import type { Credentials, Tokens } from '../services/types.js';
import type { Sealed } from '../session/sealed.js';
import { type Session, sessionInfo } from '../session/session.js';
import { computeRefreshDelay, revocationPlanned, revocationToDefer, signOutResult, stepsNotRun } from './auth.logic.js';
import type {
  AuthContext,
  AuthDeps,
  AuthEmitted,
  AuthEvent,
  AuthInput,
  RestoreOutput,
  SignOutProgress,
  SignOutReason,
  SignOutResult,
  SignOutScope,
  SignOutSteps,
} from './auth.types.js';

/** Every slot below is filled through `.provide()` (by authchart's shared implementations, or by tests). */
function notProvided(name: string) {
  return () => Promise.reject(new AuthError('InvalidConfig', `The "${name}" actor was not provided`));
}

/** The error carried by an `xstate.error.actor.*` event (or by a timeout we raise ourselves). */
function errorOf(event: unknown, what: string): AuthError {
  return toAuthError((event as { error?: unknown }).error, what);
}

/** Every invoked actor gets the instance's (sealed) services along with its own input. */
export type WithDeps<T = Record<never, never>> = T & { deps: Sealed<AuthDeps> | null };

function requireSession(context: AuthContext): Session {
  if (!context.session) throw new AuthError('InvalidState', 'No session in this state');
  return context.session;
}

function progress(context: AuthContext): SignOutProgress {
  if (!context.signOut) throw new AuthError('InvalidState', 'No sign-out in progress');
  return context.signOut;
}

function newSignOut(context: AuthContext, scope: SignOutScope, reason: SignOutReason): SignOutProgress {
  return {
    scope,
    reason,
    username: context.session?.username ?? null,
    steps: stepsNotRun(),
  };
}

/**
 * The auth statechart. Every side effect is a named slot (actors, guards, delays, actions).
 * authchart fills them once with `.provide()`, with implementations that read each instance's
 * services from its input (`deps`); tests and custom integrations can provide their own.
 */
export const authMachine = setup({
  types: {
    context: {} as AuthContext,
    events: {} as AuthEvent,
    emitted: {} as AuthEmitted,
    input: {} as AuthInput,
  },
  actors: {
    readSession: fromPromise<RestoreOutput, WithDeps>(notProvided('readSession')),
    signIn: fromPromise<Session, WithDeps<{ credentials: Sealed<Credentials> }>>(notProvided('signIn')),
    saveSession: fromPromise<void, WithDeps<{ session: Session }>>(notProvided('saveSession')),
    refreshTokens: fromPromise<Session, WithDeps<{ session: Session }>>(notProvided('refreshTokens')),
    hostedUISignOut: fromPromise<void, WithDeps>(notProvided('hostedUISignOut')),
    globalSignOut: fromPromise<void, WithDeps<{ tokens: Sealed<Tokens> }>>(notProvided('globalSignOut')),
    revokeToken: fromPromise<void, WithDeps<{ tokens: Sealed<Tokens> }>>(notProvided('revokeToken')),
    clearSession: fromPromise<void, WithDeps<{ username: string | null; keepForRevocation?: Sealed<Tokens> | null }>>(
      notProvided('clearSession'),
    ),
    writeJournal: fromPromise<void, WithDeps<{ scope: SignOutScope; username: string | null }>>(
      notProvided('writeJournal'),
    ),
  },
  guards: {
    /** Read from the connectivity service when a sign-out starts. */
    isOffline: () => false,
    isGlobalSignOut: ({ context }) => context.signOut?.scope === 'global',
    isHostedUISession: ({ context }) => context.session?.signedInWith === 'hostedUI',
    /** The revocation policy: `auto` revokes only tokens that carry `origin_jti`. */
    shouldRevoke: ({ context }) => revocationPlanned(context),
    /** After a refresh rejection or a cancelled sign-in there is no live session to go back to. */
    sessionIsDead: ({ context }) => context.session === null || context.signOut?.reason !== 'signOut',
    hasNoSession: ({ context }) => context.session === null,
    restoringForOtherTab: ({ context }) => context.restoringForOtherTab,
    signedOutByOtherTab: ({ context }) => context.signOut?.reason === 'otherTab',
    interruptedSignOut: ({ context, event }) =>
      !context.restoringForOtherTab && (event as unknown as { output: RestoreOutput }).output.journal !== null,
    isNetworkError: ({ event }) => NETWORK_CODES.has(errorOf(event, 'step').code),
    isNotAuthorized: ({ event }) => isAuthError(errorOf(event, 'step'), 'NotAuthorized'),
    restoredSession: ({ event }) => (event as unknown as { output: RestoreOutput }).output.status === 'found',
    restoredInvalidSession: ({ event }) => (event as unknown as { output: RestoreOutput }).output.status === 'invalid',
  },
  delays: {
    remoteStepTimeout: ({ context }) => context.config.remoteStepMs,
    hostedUISignOutTimeout: ({ context }) => context.config.hostedUISignOutMs,
    /** Until shortly before the access token expires; `createAuth` provides its clock here. */
    refreshDelay: ({ context }) => computeRefreshDelay(requireSession(context), context.config, Date.now()),
    refreshRetryDelay: ({ context }) =>
      context.config.refreshRetryMs * 2 ** Math.min(Math.max(context.refreshFailures - 1, 0), 6),
  },
  actions: {
    startSignOut: assign({
      signOut: ({ context, event }) =>
        newSignOut(context, event.type === 'SIGN_OUT' && event.global ? 'global' : 'local', 'signOut'),
    }),
    startRefreshRejectedSignOut: assign({ signOut: ({ context }) => newSignOut(context, 'local', 'refreshRejected') }),
    startCancelledSignInSignOut: assign({ signOut: ({ context }) => newSignOut(context, 'local', 'signInCancelled') }),
    startOtherTabSignOut: assign({ signOut: ({ context }) => newSignOut(context, 'local', 'otherTab') }),
    /** A journal was found at start: finish that sign-out, with the session if its tokens are still there. */
    resumeInterruptedSignOut: assign(({ event, context }) => {
      const out = (event as unknown as { output: RestoreOutput }).output;
      const session = out.status === 'found' ? out.session : null;
      const withSession = { ...context, session };
      return { session, signOut: newSignOut(withSession, out.journal?.scope ?? 'local', 'interrupted') };
    }),
    markRestoreFromOtherTab: assign({ restoringForOtherTab: true }),
    forgetRestoreReason: assign({ restoringForOtherTab: false }),
    markDeferred: assign({
      signOut: ({ context }) => ({ ...progress(context), deferred: revocationToDefer(context) }),
    }),
    /** Tell other tabs (injected sync service); no-ops unless `createAuth` has a sync service. */
    publishSignedIn: () => {},
    publishSignedOut: () => {},
    markStepDone: assign({
      signOut: ({ context }, params: { step: keyof SignOutSteps }) => {
        const p = progress(context);
        return { ...p, steps: { ...p.steps, [params.step]: 'done' } };
      },
    }),
    recordStepError: assign({
      signOut: ({ context, event }, params: { step: 'globalSignOut' | 'revokeToken'; timedOut?: boolean }) => {
        const p = progress(context);
        const what = params.step === 'globalSignOut' ? 'GlobalSignOut' : 'RevokeToken';
        const error = params.timedOut
          ? new AuthError('Timeout', `${what} did not answer within ${context.config.remoteStepMs} ms`)
          : errorOf(event, what);
        const key = params.step === 'globalSignOut' ? 'globalSignOutError' : 'revokeTokenError';
        return { ...p, steps: { ...p.steps, [params.step]: 'failed' }, [key]: error };
      },
    }),
    /**
     * Offline at the start, or a step found the network down: every remote step still planned is
     * marked skipped, with the reason, and the flow goes straight to clearing.
     */
    skipRemainingRemoteSteps: assign({
      signOut: ({ context }, params: { reason: 'Offline' | 'Network' }) => {
        const p = progress(context);
        const earlier = p.globalSignOutError ?? p.revokeTokenError;
        const code = params.reason === 'Offline' ? 'Offline' : (earlier?.code ?? 'Network');
        const why =
          params.reason === 'Offline'
            ? 'skipped: the device is offline'
            : `skipped: an earlier step failed with ${code}`;
        const next: SignOutProgress = { ...p, steps: { ...p.steps } };
        if (p.scope === 'global' && p.steps.globalSignOut === 'notRun') {
          next.steps.globalSignOut = 'skipped';
          next.globalSignOutError = new AuthError(code, `GlobalSignOut ${why}`);
        }
        if (revocationPlanned(context) && p.steps.revokeToken === 'notRun' && p.steps.globalSignOut !== 'done') {
          next.steps.revokeToken = 'skipped';
          next.revokeTokenError = new AuthError(code, `RevokeToken ${why}`);
        }
        return next;
      },
    }),
    /** The sign-out failed: the user stays signed in (hosted UI or clearing failed). */
    recordSignOutFailure: assign({
      signOut: ({ context, event }, params: { step: 'clearCache' | 'hostedUISignOut'; timedOut?: boolean }) => {
        const p = progress(context);
        const error =
          params.step === 'clearCache'
            ? errorOf(event, 'Clearing the stored tokens')
            : new AuthError(
                'HostedUISignOut',
                params.timedOut
                  ? `The hosted UI sign-out did not finish within ${context.config.hostedUISignOutMs} ms`
                  : 'The hosted UI sign-out failed or was cancelled',
                params.timedOut ? {} : { cause: (event as { error?: unknown }).error },
              );
        return { ...p, steps: { ...p.steps, [params.step]: 'failed' }, error };
      },
    }),
    answerSignOut: emit(({ context }) => ({
      type: 'signOutSettled' as const,
      result: signOutResult(progress(context)),
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
    forgetSession: assign({ session: null, signOut: null, refreshFailures: 0 }),
    forgetSignOut: assign({ signOut: null }),

    assignSession: assign({ session: ({ event }) => (event as unknown as { output: Session }).output }),
    assignRestoredSession: assign({
      session: ({ event }) => {
        const out = (event as unknown as { output: RestoreOutput }).output;
        return out.status === 'found' ? out.session : null;
      },
    }),
    assignAdoptedSession: assign({
      session: ({ event }) => (event.type === 'ADOPT_SESSION' ? event.session : null),
      signInRequest: ({ event }) => (event.type === 'ADOPT_SESSION' ? { id: event.id } : null),
    }),
    assignSignInRequest: assign({
      signInRequest: ({ event }) => (event.type === 'SIGN_IN' ? { id: event.id } : null),
    }),
    recordSignInError: assign({
      signInRequest: ({ context, event }) =>
        context.signInRequest && { ...context.signInRequest, error: errorOf(event, 'Sign-in') },
    }),
    recordSignInTimeout: assign({
      signInRequest: ({ context }) =>
        context.signInRequest && {
          ...context.signInRequest,
          error: new AuthError('Timeout', `Sign-in did not answer within ${context.config.remoteStepMs} ms`),
        },
    }),
    answerSignIn: emit(({ context }) => ({
      type: 'signInSettled' as const,
      id: context.signInRequest?.id ?? -1,
      ...(context.signInRequest?.error ? { error: context.signInRequest.error } : {}),
    })),
    forgetSignIn: assign({ session: null, signInRequest: null }),
    forgetSignInRequest: assign({ signInRequest: null }),
    rejectSignIn: emit(({ event }, params: { code: 'AlreadySignedIn' | 'InvalidState' }) => ({
      type: 'signInSettled' as const,
      id: event.type === 'SIGN_IN' || event.type === 'ADOPT_SESSION' ? event.id : -1,
      error:
        params.code === 'AlreadySignedIn'
          ? new AuthError('AlreadySignedIn', 'A user is already signed in; sign out first')
          : new AuthError('InvalidState', 'Another sign-in, a sign-out or a restore is in progress'),
    })),
    cancelSignIn: emit(({ context }) => ({
      type: 'signInSettled' as const,
      id: context.signInRequest?.id ?? -1,
      error: new AuthError('Cancelled', 'Sign-in was cancelled by a sign-out'),
    })),
    emitSignedIn: emit(({ context }, params: { restored: boolean }) => ({
      type: 'signedIn' as const,
      session: sessionInfo(requireSession(context)),
      restored: params.restored,
    })),
    emitInvalidSession: emit(({ event }) => {
      const out = (event as unknown as { output?: RestoreOutput }).output;
      return {
        type: 'signedOut' as const,
        reason: 'invalidSession' as const,
        error: out?.status === 'invalid' ? out.error : errorOf(event, 'Reading the stored session'),
      };
    }),
    emitTokenRefresh: emit(({ context }) => ({
      type: 'tokenRefresh' as const,
      session: sessionInfo(requireSession(context)),
    })),
    emitTokenRefreshFailure: emit(({ context, event }, params: { willRetry: boolean; timedOut?: boolean }) => ({
      type: 'tokenRefreshFailure' as const,
      error: params.timedOut
        ? new AuthError('Timeout', `Token refresh did not answer within ${context.config.remoteStepMs} ms`)
        : errorOf(event, 'Token refresh'),
      willRetry: params.willRetry,
    })),
    countRefreshFailure: assign({ refreshFailures: ({ context }) => context.refreshFailures + 1 }),
    resetRefreshFailures: assign({ refreshFailures: 0 }),
  },
}).createMachine({
  id: 'auth',
  context: ({ input }) => ({
    deps: input.deps ?? null,
    config: input.config,
    session: null,
    signOut: null,
    signInRequest: null,
    refreshFailures: 0,
    restoringForOtherTab: false,
  }),
  initial: 'restoring',
  states: {
    /** Read the stored session once at start. A broken one is discarded, never thrown. */
    restoring: {
      initial: 'readingStoredSession',
      // `createAuth` waits for restoring to end before sending these; a direct sender gets an answer, never silence.
      on: {
        SIGN_IN: { actions: { type: 'rejectSignIn', params: { code: 'InvalidState' } } },
        ADOPT_SESSION: { actions: { type: 'rejectSignIn', params: { code: 'InvalidState' } } },
      },
      states: {
        readingStoredSession: {
          invoke: {
            id: 'readSession',
            src: 'readSession',
            input: ({ context }) => ({ deps: context.deps }),
            onDone: [
              // The process died mid-sign-out: finish it instead of restoring the session. (Not when
              // another tab woke us: a journal then is that tab's sign-out in progress.)
              {
                guard: 'interruptedSignOut',
                target: '#auth.signingOut.checkingConnectivity',
                actions: 'resumeInterruptedSignOut',
              },
              {
                guard: 'restoredSession',
                target: '#auth.signedIn',
                actions: [
                  'assignRestoredSession',
                  'forgetRestoreReason',
                  { type: 'emitSignedIn', params: { restored: true } },
                ],
              },
              // What another tab is still writing is not ours to discard.
              { guard: 'restoringForOtherTab', target: '#auth.signedOut', actions: 'forgetRestoreReason' },
              { guard: 'restoredInvalidSession', target: 'discardingInvalidSession', actions: 'emitInvalidSession' },
              { target: '#auth.signedOut', actions: 'forgetRestoreReason' },
            ],
            onError: { target: '#auth.signedOut', actions: ['emitInvalidSession', 'forgetRestoreReason'] },
          },
        },
        discardingInvalidSession: {
          invoke: {
            id: 'discardSession',
            src: 'clearSession',
            input: ({ context }) => ({ deps: context.deps, username: null }),
            onDone: '#auth.signedOut',
            onError: '#auth.signedOut',
          },
        },
      },
    },

    signedOut: {
      on: {
        SIGN_IN: { target: 'signingIn', actions: 'assignSignInRequest' },
        ADOPT_SESSION: { target: 'signingIn.savingSession', actions: 'assignAdoptedSession' },
        // Nothing to do, and nothing remote to call: complete at once.
        SIGN_OUT: { actions: ['startSignOut', 'answerSignOut', 'forgetSignOut'] },
        // Another tab signed in: read the shared storage again (it may not be visible here yet).
        SYNC_SIGNED_IN: { target: 'restoring', actions: 'markRestoreFromOtherTab' },
      },
    },

    signingIn: {
      initial: 'authenticating',
      on: {
        SIGN_IN: { actions: { type: 'rejectSignIn', params: { code: 'InvalidState' } } },
        ADOPT_SESSION: { actions: { type: 'rejectSignIn', params: { code: 'InvalidState' } } },
        // Cancel the sign-in; clear whatever part of it may have reached storage.
        SIGN_OUT: {
          target: '#auth.signingOut.clearingCache',
          actions: ['cancelSignIn', 'forgetSignInRequest', 'startCancelledSignInSignOut'],
        },
      },
      states: {
        authenticating: {
          invoke: {
            id: 'signIn',
            src: 'signIn',
            input: ({ context, event }) => {
              if (event.type !== 'SIGN_IN') throw new AuthError('InvalidState', 'signIn needs credentials');
              return { deps: context.deps, credentials: event.credentials };
            },
            onDone: { target: 'savingSession', actions: 'assignSession' },
            onError: { target: '#auth.signedOut', actions: ['recordSignInError', 'answerSignIn', 'forgetSignIn'] },
          },
          after: {
            remoteStepTimeout: {
              target: '#auth.signedOut',
              actions: ['recordSignInTimeout', 'answerSignIn', 'forgetSignIn'],
            },
          },
        },
        /** Tokens are saved before the user counts as signed in. */
        savingSession: {
          invoke: {
            id: 'saveSession',
            src: 'saveSession',
            input: ({ context }) => ({ deps: context.deps, session: requireSession(context) }),
            onDone: {
              target: '#auth.signedIn',
              actions: [
                'answerSignIn',
                'forgetSignInRequest',
                { type: 'emitSignedIn', params: { restored: false } },
                'publishSignedIn',
              ],
            },
            onError: { target: 'undoingPartialSave', actions: 'recordSignInError' },
          },
        },
        /** A failed save may have written some keys: remove them before reporting. */
        undoingPartialSave: {
          invoke: {
            id: 'undoPartialSave',
            src: 'clearSession',
            input: ({ context }) => ({ deps: context.deps, username: context.session?.username ?? null }),
            onDone: { target: '#auth.signedOut', actions: ['answerSignIn', 'forgetSignIn'] },
            onError: { target: '#auth.signedOut', actions: ['answerSignIn', 'forgetSignIn'] },
          },
        },
      },
    },

    signedIn: {
      initial: 'waitingToRefresh',
      on: {
        SIGN_OUT: { target: 'signingOut', actions: 'startSignOut' },
        SIGN_IN: { actions: { type: 'rejectSignIn', params: { code: 'AlreadySignedIn' } } },
        ADOPT_SESSION: { actions: { type: 'rejectSignIn', params: { code: 'AlreadySignedIn' } } },
        // Another tab signed out and cleared the shared storage: follow, with no network call.
        SYNC_SIGNED_OUT: { target: '#auth.signingOut.clearingCache', actions: 'startOtherTabSignOut' },
      },
      states: {
        waitingToRefresh: {
          after: { refreshDelay: 'refreshingTokens' },
        },
        /** An invoked actor: leaving signedIn (a sign-out) cancels it, so it can never write tokens back. */
        refreshingTokens: {
          invoke: {
            id: 'refreshTokens',
            src: 'refreshTokens',
            input: ({ context }) => ({ deps: context.deps, session: requireSession(context) }),
            onDone: { target: 'storingRefreshedTokens', actions: ['assignSession', 'resetRefreshFailures'] },
            onError: [
              // Only an authoritative rejection ends the session; a network failure never does.
              {
                guard: 'isNotAuthorized',
                target: '#auth.signingOut.clearingCache',
                actions: [
                  { type: 'emitTokenRefreshFailure', params: { willRetry: false } },
                  'startRefreshRejectedSignOut',
                ],
              },
              {
                target: 'waitingToRetryRefresh',
                actions: ['countRefreshFailure', { type: 'emitTokenRefreshFailure', params: { willRetry: true } }],
              },
            ],
          },
          after: {
            remoteStepTimeout: {
              target: 'waitingToRetryRefresh',
              actions: [
                'countRefreshFailure',
                { type: 'emitTokenRefreshFailure', params: { willRetry: true, timedOut: true } },
              ],
            },
          },
        },
        waitingToRetryRefresh: {
          after: { refreshRetryDelay: 'refreshingTokens' },
        },
        storingRefreshedTokens: {
          invoke: {
            id: 'storeRefreshedTokens',
            src: 'saveSession',
            input: ({ context }) => ({ deps: context.deps, session: requireSession(context) }),
            onDone: { target: 'waitingToRefresh', actions: 'emitTokenRefresh' },
            // The new tokens are in memory; storage will catch up on the next refresh.
            onError: {
              target: 'waitingToRefresh',
              actions: { type: 'emitTokenRefreshFailure', params: { willRetry: true } },
            },
          },
        },
      },
    },

    signingOut: {
      initial: 'checkingHostedUI',
      // A SIGN_OUT here joins the running sign-out (its result answers it); a sign-in must wait for it.
      on: {
        SIGN_IN: { actions: { type: 'rejectSignIn', params: { code: 'InvalidState' } } },
        ADOPT_SESSION: { actions: { type: 'rejectSignIn', params: { code: 'InvalidState' } } },
      },
      states: {
        checkingHostedUI: {
          always: [{ guard: 'isHostedUISession', target: 'signingOutOfHostedUI' }, { target: 'checkingConnectivity' }],
        },
        /** The browser session must end first, or the hosted UI cookie signs the user straight back in. */
        signingOutOfHostedUI: {
          invoke: {
            id: 'hostedUISignOut',
            src: 'hostedUISignOut',
            input: ({ context }) => ({ deps: context.deps }),
            onDone: {
              target: 'checkingConnectivity',
              actions: { type: 'markStepDone', params: { step: 'hostedUISignOut' } },
            },
            onError: {
              target: '#auth.signedIn',
              actions: [
                { type: 'recordSignOutFailure', params: { step: 'hostedUISignOut' } },
                'answerSignOut',
                'announceSignOutFailed',
                'forgetSignOut',
              ],
            },
          },
          after: {
            hostedUISignOutTimeout: {
              target: '#auth.signedIn',
              actions: [
                { type: 'recordSignOutFailure', params: { step: 'hostedUISignOut', timedOut: true } },
                'answerSignOut',
                'announceSignOutFailed',
                'forgetSignOut',
              ],
            },
          },
        },
        checkingConnectivity: {
          always: [
            // Finishing an interrupted sign-out whose tokens are already gone: nothing remote to do.
            { guard: 'hasNoSession', target: 'clearingCache' },
            {
              guard: 'isOffline',
              target: 'clearingCache',
              actions: { type: 'skipRemainingRemoteSteps', params: { reason: 'Offline' } },
            },
            { guard: 'isGlobalSignOut', target: 'writingJournal' },
            { guard: 'shouldRevoke', target: 'writingJournal' },
            { target: 'clearingCache' },
          ],
        },
        /** Crash safety: before the first remote step. A restart that finds it finishes the sign-out. */
        writingJournal: {
          invoke: {
            id: 'writeJournal',
            src: 'writeJournal',
            input: ({ context }) => ({
              deps: context.deps,
              scope: progress(context).scope,
              username: progress(context).username,
            }),
            onDone: [{ guard: 'isGlobalSignOut', target: 'signingOutGlobally' }, { target: 'revokingRefreshToken' }],
            // Without a journal the sign-out still runs; it is only not crash-safe.
            onError: [{ guard: 'isGlobalSignOut', target: 'signingOutGlobally' }, { target: 'revokingRefreshToken' }],
          },
        },
        /** GlobalSignOut kills every refresh token of the user, so success makes RevokeToken redundant. */
        signingOutGlobally: {
          invoke: {
            id: 'globalSignOut',
            src: 'globalSignOut',
            input: ({ context }) => ({ deps: context.deps, tokens: requireSession(context).tokens }),
            onDone: {
              target: 'clearingCache',
              actions: { type: 'markStepDone', params: { step: 'globalSignOut' } },
            },
            onError: [
              {
                guard: 'isNetworkError',
                target: 'clearingCache',
                actions: [
                  { type: 'recordStepError', params: { step: 'globalSignOut' } },
                  { type: 'skipRemainingRemoteSteps', params: { reason: 'Network' } },
                ],
              },
              // A service answer (e.g. NotAuthorized, 5xx): this device's refresh token may still live.
              {
                guard: 'shouldRevoke',
                target: 'revokingRefreshToken',
                actions: { type: 'recordStepError', params: { step: 'globalSignOut' } },
              },
              { target: 'clearingCache', actions: { type: 'recordStepError', params: { step: 'globalSignOut' } } },
            ],
          },
          after: {
            remoteStepTimeout: {
              target: 'clearingCache',
              actions: [
                { type: 'recordStepError', params: { step: 'globalSignOut', timedOut: true } },
                { type: 'skipRemainingRemoteSteps', params: { reason: 'Network' } },
              ],
            },
          },
        },
        revokingRefreshToken: {
          invoke: {
            id: 'revokeToken',
            src: 'revokeToken',
            input: ({ context }) => ({ deps: context.deps, tokens: requireSession(context).tokens }),
            onDone: {
              target: 'clearingCache',
              actions: { type: 'markStepDone', params: { step: 'revokeToken' } },
            },
            onError: { target: 'clearingCache', actions: { type: 'recordStepError', params: { step: 'revokeToken' } } },
          },
          after: {
            remoteStepTimeout: {
              target: 'clearingCache',
              actions: { type: 'recordStepError', params: { step: 'revokeToken', timedOut: true } },
            },
          },
        },
        /** Always reached, online or not. Only a failure here keeps the user signed in. */
        clearingCache: {
          invoke: {
            id: 'clearSession',
            src: 'clearSession',
            input: ({ context }) => ({
              deps: context.deps,
              username: context.signOut?.username ?? context.session?.username ?? null,
              keepForRevocation: revocationToDefer(context) ? requireSession(context).tokens : null,
            }),
            onDone: [
              // Following another tab: it already told everyone.
              {
                guard: 'signedOutByOtherTab',
                target: '#auth.signedOut',
                actions: [
                  { type: 'markStepDone', params: { step: 'clearCache' } },
                  'answerSignOut',
                  'announceSignedOut',
                  'forgetSession',
                ],
              },
              {
                target: '#auth.signedOut',
                actions: [
                  { type: 'markStepDone', params: { step: 'clearCache' } },
                  'markDeferred',
                  'answerSignOut',
                  'announceSignedOut',
                  'publishSignedOut',
                  'forgetSession',
                ],
              },
            ],
            onError: [
              // A rejected refresh or a cancelled sign-in leaves no live session to go back to.
              {
                guard: 'sessionIsDead',
                target: '#auth.signedOut',
                actions: [
                  { type: 'recordSignOutFailure', params: { step: 'clearCache' } },
                  'answerSignOut',
                  'forgetSession',
                ],
              },
              {
                target: '#auth.signedIn',
                actions: [
                  { type: 'recordSignOutFailure', params: { step: 'clearCache' } },
                  'answerSignOut',
                  'announceSignOutFailed',
                  'forgetSignOut',
                ],
              },
            ],
          },
        },
      },
    },
  },
});

/** The type of {@link authMachine}. */
export type AuthMachine = typeof authMachine;
