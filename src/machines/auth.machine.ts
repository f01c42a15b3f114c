import { AuthError } from '../errors.js';
import { authSetup, WAIT_TO_SIGN_IN } from './auth.setup.js';
import { signedInState } from './auth.signed-in.js';
import { signingInState } from './auth.signing-in.js';
import { signingOutState } from './auth.signing-out.js';
import { failed, readStored, restored, stopReport, storageTimedOut, takeRestored } from './auth.support.js';
import type { RestoreOutput } from './auth.types.js';

const READ = 'Reading the stored session';

/**
 * Storage could not be read (it failed, or did not answer in time): a sign-out asked meanwhile
 * tries the clear (it cannot know storage is empty, and the clear reports); else signed out, and
 * storage is read again later.
 */
const readFailed = <const P>(error: P) =>
  [
    { guard: 'signOutRequested', target: '#auth.signingOut.clearingCache', actions: 'startSignOut' },
    {
      target: '#auth.signedOut',
      actions: [
        { type: 'emitInvalidSession', params: error },
        'forgetRestoreReason',
        { type: 'markStorageUnread', params: { unread: true } },
      ],
    },
  ] as const;

/**
 * The auth statechart. Every side effect is a named slot (see `auth.setup.ts`); authchart fills
 * them once (`auth.slots.ts`) with implementations that read each instance's services from its
 * input. Rule for calls: every SIGN_IN, ADOPT_SESSION and SIGN_OUT gets an answer in every state,
 * and the latest intent wins: a sign-out overtakes a sign-in, a sign-in waits for a sign-out.
 */
/** Why a stored record cannot be used, for the `invalidSession` event. */
const unusableRecord = ({ event }: { event: { output: RestoreOutput } }) => ({
  error:
    event.output.status === 'invalid'
      ? event.output.error
      : new AuthError('InvalidToken', 'The stored session is unusable'),
});

export const authMachine = authSetup.createMachine({
  id: 'auth',
  context: ({ input }) => ({
    deps: input.deps ?? null,
    config: input.config,
    session: null,
    signOut: null,
    signOutRequests: [],
    tokenRequests: [],
    signInRequest: null,
    challenge: null,
    challengeExpired: false,
    queuedSignIn: null,
    refreshFailures: 0,
    restoringForOtherTab: false,
    earlierSignOut: null,
    unstoredTokens: false,
    unstoredRefreshToken: false,
    refusedWith: null,
    lateSignOutRequests: [],
    storageUnread: false,
    outboxAsks: null,
  }),
  // The outbox starts with the chart and drains what an earlier run left; once quiet it is stopped
  // (`stopQuietOutbox`), and started again when asked.
  entry: 'startOutbox',
  on: {
    // Outside a challenge there is nothing to confirm (or it expired).
    CONFIRM_SIGN_IN: [
      { guard: 'challengeExpired', actions: { type: 'rejectConfirm', params: { code: 'Expired' } } },
      { actions: { type: 'rejectConfirm', params: { code: 'InvalidState' } } },
    ],
    // A redirect sign-in starts only when signed out (see signedOut).
    REDIRECT_SIGN_IN: { actions: { type: 'rejectSignIn', params: { code: 'InvalidState' } } },
    // Signed out, signing in or signing out: there are no tokens to hand out.
    FETCH_TOKENS: { actions: { type: 'rejectFetchTokens', params: { code: 'NotSignedIn' } } },
    DELETE_USER: {
      actions: {
        type: 'rejectUserDeletion',
        params: { error: new AuthError('NotSignedIn', 'deleteUser: not signed in') },
      },
    },
    RETRY_DEFERRED: { actions: ['countDrainAsked', 'askOutboxToDrain'] },
    OUTBOX_DRAINED: [
      // Nothing left for it to do: an idle instance carries no outbox actor (P5).
      {
        guard: 'outboxQuietAndAnswered',
        actions: ['answerDeferredRevocations', 'stopQuietOutbox', 'markOutboxStopped'],
      },
      { actions: ['answerDeferredRevocations', 'countDrainsAnswered'] },
    ],
    // A late answer's refresh token that could not be revoked: the app is told (docs/sign-out.md row 40).
    TOKENS_UNREVOKED: { actions: { type: 'emitTokensNotStored', params: ({ event }) => ({ error: event.error }) } },
    // stop() would leave a refresh token no storage holds (rotated, or a sign-in that could not be
    // stored and is being signed out): the app is told, and stop() revokes it, best effort.
    STOP: { guard: 'leavesUnstoredRefreshToken', actions: { type: 'emitTokensNotStored', params: stopReport(false) } },
  },
  initial: 'restoring',
  states: {
    /** Read the stored session. Calls made meanwhile wait here; a sign-out overtakes a waiting sign-in. */
    restoring: {
      initial: 'readingStoredSession',
      on: {
        // Answered once the restore ends.
        FETCH_TOKENS: { actions: 'addTokenRequest' },
        SIGN_IN: WAIT_TO_SIGN_IN,
        ADOPT_SESSION: WAIT_TO_SIGN_IN,
        // Apps handle the redirect at page load, before the restore ends.
        HANDLE_REDIRECT: WAIT_TO_SIGN_IN,
        SIGN_OUT: [
          {
            guard: 'signInBusy',
            actions: [
              { type: 'rejectQueuedSignIn', params: { code: 'Cancelled' } },
              'forgetQueuedSignIn',
              'addSignOutRequest',
            ],
          },
          { actions: 'addSignOutRequest' },
        ],
        // Another context signed out, or in, while we read: read again (storage is the truth).
        SYNC_SIGNED_OUT: { target: 'restoring', reenter: true },
        SYNC_SIGNED_IN: { target: 'restoring', reenter: true },
      },
      states: {
        readingStoredSession: {
          invoke: {
            ...readStored('readSession'),
            onDone: [
              // The process died mid-sign-out: finish it instead of restoring the session. (Not when
              // another tab woke us: a journal then is that tab's sign-out in progress.)
              {
                guard: { type: 'interruptedSignOut', params: restored },
                target: '#auth.signingOut.checkingConnectivity',
                actions: { type: 'resumeInterruptedSignOut', params: restored },
              },
              // A sign-out asked before the restore ended signs out what was restored.
              {
                guard: { type: 'restoredSessionToSignOut', params: restored },
                target: '#auth.signingOut',
                actions: [{ type: 'assignRestoredSession', params: restored }, 'forgetRestoreReason', 'startSignOut'],
              },
              // Found by this context's own read: the others may not know of it (its writer may have
              // crashed before it said so), so they are told. Not when following another context
              // (`restoringForOtherTab`); a signed-in context's refresh is not cut by it.
              takeRestored('#auth.signedIn', 'publishRestored', 'forgetRestoreReason'),
              // signOut() while signed out: remove whatever storage holds of this client.
              {
                guard: 'signOutRequested',
                target: '#auth.signingOut.clearingCache',
                actions: ['forgetRestoreReason', 'startSignOut'],
              },
              // What another tab is still writing is not ours to discard. (Storage answered: the
              // back-off of failed reads starts over.)
              {
                guard: 'restoringForOtherTab',
                target: '#auth.signedOut',
                actions: ['forgetRestoreReason', 'resetRefreshFailures'],
              },
              {
                guard: { type: 'restoredInvalidSession', params: restored },
                target: 'discardingInvalidSession',
                actions: {
                  type: 'emitInvalidSession',
                  params: unusableRecord,
                },
              },
              { target: '#auth.signedOut', actions: ['forgetRestoreReason', 'resetRefreshFailures'] },
            ],
            onError: readFailed(failed(READ)),
          },
          after: { storageTimeout: readFailed(storageTimedOut(READ)) },
        },
        discardingInvalidSession: {
          invoke: {
            id: 'discardSession',
            src: 'clearSession',
            input: ({ context }) => ({ deps: context.deps, sessionId: null, username: null }),
            onDone: [
              // Its refresh token may still be honoured: kept for revocation, and revoked now (row 29).
              {
                guard: { type: 'clearedAs', params: ({ event }) => ({ outcome: event.output, kind: 'oldLayoutKept' }) },
                target: '#auth.signedOut',
                actions: ['countDrainAsked', 'askOutboxToDrain'],
              },
              { target: '#auth.signedOut' },
            ],
            onError: '#auth.signedOut',
          },
          after: { storageTimeout: '#auth.signedOut' },
        },
      },
    },

    signedOut: {
      // Storage could not be read: it may hold a session (another context's); look again later.
      after: {
        refreshRetryDelay: {
          guard: 'storageUnread',
          target: 'restoring',
          actions: [{ type: 'markStorageUnread', params: { unread: false } }, 'countRefreshFailure'],
        },
      },
      // What waited for a restore or a sign-out runs now, in the order it was asked.
      always: [
        {
          guard: 'hasTokenRequests',
          actions: [
            {
              type: 'answerTokenRequests',
              params: () => ({ error: new AuthError('NotSignedIn', 'Not signed in: no tokens') }),
            },
            'forgetTokenRequests',
          ],
        },
        // signOut() calls not answered yet (made while clearing): read storage, and sign out what is there.
        { guard: 'signOutRequested', target: 'restoring' },
        // Another context signed in while this one was signing out: follow what storage holds.
        { guard: 'restoringForOtherTab', target: 'restoring' },
        { guard: 'hasQueuedSignIn', target: 'signingIn', actions: 'takeQueuedSignIn' },
        { guard: 'hasQueuedAdoption', target: 'signingIn.savingSession', actions: 'takeQueuedSignIn' },
        { guard: 'hasQueuedRedirect', target: 'signingIn', actions: 'takeQueuedSignIn' },
      ],
      on: {
        SIGN_IN: { target: 'signingIn', actions: 'assignSignInRequest' },
        REDIRECT_SIGN_IN: { target: 'signingIn', actions: 'assignRedirectRequest' },
        HANDLE_REDIRECT: { target: 'signingIn', actions: 'assignRedirectRequest' },
        ADOPT_SESSION: { target: 'signingIn.savingSession', actions: 'assignAdoptedSession' },
        // Storage may still hold a session (another context's, or one a failed read hid): look first.
        SIGN_OUT: { target: 'restoring', actions: 'addSignOutRequest' },
        // Another tab signed in: read the shared storage again (it may not be visible here yet). A
        // message starts the back-off of failed reads over: storage changed, and is worth a look now.
        SYNC_SIGNED_IN: { target: 'restoring', actions: ['markRestoreFromOtherTab', 'resetRefreshFailures'] },
        // Storage could not be read, and another context signed out: read it now, not after the back-off.
        SYNC_SIGNED_OUT: {
          guard: 'storageUnread',
          target: 'restoring',
          actions: [{ type: 'markStorageUnread', params: { unread: false } }, 'resetRefreshFailures'],
        },
      },
    },

    signingIn: signingInState,

    signedIn: signedInState,

    signingOut: signingOutState,
  },
});

/** The type of {@link authMachine}. */
export type AuthMachine = typeof authMachine;
