import { not } from 'xstate';
import { AuthError } from '../errors.js';
import { rotatesRefreshToken, unconfirmedAnswer, withTokenExpiry } from './auth.logic.js';
import type { AuthStateConfig } from './auth.setup.js';
import {
  failed,
  readStored,
  rejectingSignIns,
  requireSession,
  restored,
  stopReport,
  storageTimedOut,
  takeRestored,
  timedOut,
} from './auth.support.js';
import type { AuthContext } from './auth.types.js';

/** A refresh that got no answer: `fetchTokens()` callers learn when the tokens they hold expire. */
const staleRefresh =
  (what: string) =>
  ({ context, event }: { context: AuthContext; event: { error?: unknown } }) => ({
    error: withTokenExpiry(failed(what)({ event }).error, context.session),
  });
const staleTimeout =
  (what: string) =>
  ({ context }: { context: AuthContext }) => ({
    error: withTokenExpiry(timedOut(what, 'remoteStepMs')({ context }).error, context.session),
  });

const CANCEL_FETCHES = [
  {
    type: 'answerTokenRequests',
    // Built only when someone waits: this runs at every exit from `signedIn`.
    params: ({ context }: { context: AuthContext }) =>
      context.tokenRequests.length === 0
        ? {}
        : { error: new AuthError('Cancelled', 'A sign-out ended the session before fresh tokens came') },
  },
  'forgetTokenRequests',
] as const;

const answerFetched = ['answerTokenRequests', 'forgetTokenRequests'] as const;

/** Storage holds this session with a rotated refresh token (another context refreshed it): take it. */
const TAKE_ROTATED = {
  guard: { type: 'storageHoldsOurNewerTokens', params: restored },
  target: 'waitingToRefresh',
  actions: [{ type: 'assignRestoredSession', params: restored }, 'forgetRefusal'],
} as const;

/** The refusal stands: the callers and listeners hear it, and the session ends. */
const refusal = ({ context }: { context: AuthContext }) => ({
  error: context.refusedWith ?? new AuthError('NotAuthorized', 'Token refresh: the refresh token was refused'),
});
const REFUSED = [
  { type: 'emitTokenRefreshFailed', params: (a: { context: AuthContext }) => ({ ...refusal(a), willRetry: false }) },
  { type: 'answerTokenRequests', params: refusal },
  'forgetTokenRequests',
  'forgetRefusal',
  'startRefreshRejectedSignOut',
] as const;

/**
 * Storage could not confirm a sync message, so the chart waits to read it again. `fetchTokens()`
 * callers are not kept for that wait (it lasts as long as storage fails): the tokens held here serve
 * them if fresh enough, as in `checkingTokens`; else they hear `StorageFailure` and when the held
 * tokens expire. No refresh runs on a session storage may no longer hold.
 */
const UNCONFIRMED_SERVED = [
  { guard: not('hasTokenRequests'), target: 'waitingToRecheck' },
  { guard: 'tokensFreshForRequests', target: 'waitingToRecheck', actions: [...answerFetched] },
] as const;
const WHAT_UNCONFIRMED = 'Checking storage after a sync message';

/**
 * Signed in: refresh shortly before the access token expires; a network failure retries with
 * backoff, only an authoritative rejection ends the session. `fetchTokens()` callers share one
 * refresh and are answered when it ends; a sign-out answers them `Cancelled`.
 */
export const signedInState = {
  initial: 'waitingToRefresh',
  // Every way out (a sign-out before `signedOut` is announced, a refused refresh, another context's
  // sign-out followed, deleteUser) forgets the AWS credentials: docs/sign-out.md rows 36–37.
  exit: 'clearCredentials',
  // A sign-in that waited for a sign-out that failed: the user is still signed in.
  always: {
    guard: 'signInBusy',
    actions: [{ type: 'rejectQueuedSignIn', params: { code: 'AlreadySignedIn' } }, 'forgetQueuedSignIn'],
  },
  on: {
    // A sign-out wins over a refresh that callers wait for: they are told, then it starts.
    SIGN_OUT: { target: 'signingOut', actions: [...CANCEL_FETCHES, 'addSignOutRequest', 'startSignOut'] },
    // `deleteUser()`, online (its access token fetched fresh just before): DeleteUser, then the
    // clear (auth.deleting-user.ts). Like a sign-out, it answers the token callers first.
    DELETE_USER: [
      {
        guard: 'isOffline',
        actions: { type: 'rejectUserDeletion', params: { error: new AuthError('Offline', 'deleteUser: offline') } },
      },
      { target: 'signingOut.deletingUser', actions: [...CANCEL_FETCHES, 'addSignOutRequest', 'startUserDeletion'] },
    ],
    ...rejectingSignIns('AlreadySignedIn'),
    // A refresh is running: join it.
    FETCH_TOKENS: { actions: 'addTokenRequest' },
    // Another context says it signed out, or in: storage is the truth, so look at it before following.
    // A new reason to read: its back-off starts over (not the one of refreshes that failed offline).
    SYNC_SIGNED_OUT: { target: '.checkingStorage', actions: 'resetRefreshFailures' },
    SYNC_SIGNED_IN: { target: '.checkingStorage', actions: 'resetRefreshFailures' },
  },
  states: {
    waitingToRefresh: {
      always: [
        // Callers that waited for the restore.
        { guard: 'hasTokenRequests', target: 'checkingTokens' },
        // A refresh's tokens that storage has not taken yet: try again (see waitingToRetryStore).
        { guard: 'hasUnstoredTokens', target: 'storingRefreshedTokens' },
      ],
      on: {
        FETCH_TOKENS: { target: 'checkingTokens', actions: 'addTokenRequest' },
        // A timer may fire late after sleep: entering again reschedules it by the clock (at once if due).
        WAKE: { target: 'waitingToRefresh', reenter: true },
      },
      after: { refreshDelay: 'refreshingTokens' },
    },
    /** `fetchTokens()`: the tokens held now do, or one refresh serves every caller. */
    checkingTokens: {
      always: [
        { guard: 'tokensFreshForRequests', target: 'waitingToRefresh', actions: [...answerFetched] },
        {
          guard: 'isOffline',
          target: 'waitingToRefresh',
          actions: [
            {
              type: 'answerTokenRequests',
              params: ({ context }) => ({
                error: withTokenExpiry(
                  new AuthError('Offline', 'A refresh is needed, but the device is offline'),
                  context.session,
                ),
              }),
            },
            'forgetTokenRequests',
          ],
        },
        { target: 'refreshingTokens' },
      ],
    },
    /** An invoked actor: leaving signedIn (a sign-out) cancels it, so it can never write tokens back. */
    refreshingTokens: {
      // Another context's sign-in (or a restore it announces) waits for the refresh: aborting it could
      // lose a token Cognito rotated. Its write goes only over our own record, and a refusal reads
      // storage, so a new session is followed right after. A sign-out elsewhere still cuts it short.
      on: { SYNC_SIGNED_IN: {} },
      invoke: {
        id: 'refreshTokens',
        src: 'refreshTokens',
        input: ({ context }) => ({ deps: context.deps, session: requireSession(context) }),
        onDone: {
          target: 'storingRefreshedTokens',
          actions: [
            // Before the session is replaced: the rotation is read from the tokens held until now.
            {
              type: 'markTokensUnstored',
              params: ({ context, event }) => ({ rotated: rotatesRefreshToken(context.session, event.output) }),
            },
            { type: 'assignSession', params: ({ event }) => ({ session: event.output }) },
            'resetRefreshFailures',
          ],
        },
        onError: [
          // Only an authoritative rejection ends the session; a network failure never does.
          // Refused: another context may have refreshed (a rotated token) or signed out. Look first.
          {
            guard: { type: 'isNotAuthorized', params: failed('Token refresh') },
            target: 'checkingRefusedSession',
            actions: { type: 'recordRefusal', params: failed('Token refresh') },
          },
          {
            target: 'waitingToRetryRefresh',
            actions: [
              'countRefreshFailure',
              {
                type: 'emitTokenRefreshFailed',
                params: ({ event }) => ({ ...failed('Token refresh')({ event }), willRetry: true }),
              },
              { type: 'answerTokenRequests', params: staleRefresh('Token refresh') },
              'forgetTokenRequests',
            ],
          },
        ],
      },
      after: {
        remoteStepTimeout: {
          target: 'waitingToRetryRefresh',
          actions: [
            'countRefreshFailure',
            {
              type: 'emitTokenRefreshFailed',
              params: ({ context }) => ({ ...timedOut('Token refresh', 'remoteStepMs')({ context }), willRetry: true }),
            },
            { type: 'answerTokenRequests', params: staleTimeout('Token refresh') },
            'forgetTokenRequests',
          ],
        },
      },
    },
    /**
     * The refresh token was refused. Storage holding this session with other tokens means another
     * context refreshed it (rotation): take those. Anything else ends the session, with no remote call.
     */
    checkingRefusedSession: {
      invoke: {
        ...readStored('recheckRefusedSession'),
        onDone: [TAKE_ROTATED, { target: '#auth.signingOut.clearingCache', actions: REFUSED }],
        onError: { target: '#auth.signingOut.clearingCache', actions: REFUSED },
      },
      after: { storageTimeout: { target: '#auth.signingOut.clearingCache', actions: REFUSED } },
    },
    /**
     * A sign-out message is a hint: storage still holding this session means the message was stale
     * (or forged), another session there is adopted, and only an empty storage is followed, with no
     * network call and no clear (what another context wrote since is never removed here).
     */
    checkingStorage: {
      invoke: {
        ...readStored('recheckStoredSession'),
        onDone: [
          // Ours, perhaps refreshed by another context: take what storage holds, unless ours is newer and unwritten.
          { guard: { type: 'storageHoldsOurOlderTokens', params: restored }, target: 'waitingToRefresh' },
          {
            guard: { type: 'storageHoldsOurSession', params: restored },
            target: 'waitingToRefresh',
            actions: { type: 'assignRestoredSession', params: restored },
          },
          // Signed out or replaced elsewhere while a refresh here rotated the token: that new one was
          // never stored (so nobody else can revoke it), and is revoked now; storage is followed after.
          {
            guard: 'hasUnstoredTokens',
            target: '#auth.signingOut.revokingRefreshToken',
            actions: [...CANCEL_FETCHES, 'startOtherTabSignOut'],
          },
          takeRestored('waitingToRefresh', 'resetRefreshFailures', 'markTokensStored'),
          {
            target: '#auth.signedOut',
            // Told on too: what cleared storage may not have (a clear that landed after its bound).
            actions: [
              ...CANCEL_FETCHES,
              'startOtherTabSignOut',
              'announceSignedOut',
              'publishSignedOut',
              'forgetSession',
            ],
          },
        ],
        // Unreadable: keep the session for now, and look again.
        onError: [
          ...UNCONFIRMED_SERVED,
          {
            target: 'waitingToRecheck',
            actions: [
              {
                type: 'answerTokenRequests',
                params: ({ context, event }) => ({
                  error: unconfirmedAnswer(failed(WHAT_UNCONFIRMED)({ event }).error, context.session),
                }),
              },
              'forgetTokenRequests',
            ],
          },
        ],
      },
      after: {
        storageTimeout: [
          ...UNCONFIRMED_SERVED,
          {
            target: 'waitingToRecheck',
            actions: [
              {
                type: 'answerTokenRequests',
                params: ({ context }) => ({
                  error: unconfirmedAnswer(storageTimedOut(WHAT_UNCONFIRMED)({ context }).error, context.session),
                }),
              },
              'forgetTokenRequests',
            ],
          },
        ],
      },
    },
    /** A message storage could not confirm: read again after a back-off, or as soon as tokens are asked for. */
    waitingToRecheck: {
      // Callers already waiting (a sign-out whose clear did not answer) are served by the read now.
      always: { guard: 'hasTokenRequests', target: 'checkingStorage' },
      on: { FETCH_TOKENS: { target: 'checkingStorage', actions: 'addTokenRequest' } },
      after: { refreshRetryDelay: 'checkingStorage' },
    },
    waitingToRetryRefresh: {
      on: { FETCH_TOKENS: { target: 'checkingTokens', actions: 'addTokenRequest' } },
      after: { refreshRetryDelay: 'refreshingTokens' },
    },
    /** Written only over this session's own record: storage that moved on is followed, never overwritten. */
    storingRefreshedTokens: {
      // The write may still land after stop(): reported, never revoked (that would kill the stored session).
      on: {
        // The write itself checks storage (only over our own record, else storage is followed).
        SYNC_SIGNED_IN: {},
        STOP: {
          guard: 'leavesUnstoredRefreshToken',
          actions: { type: 'emitTokensNotStored', params: stopReport(true) },
        },
      },
      invoke: {
        id: 'storeRefreshedTokens',
        src: 'storeRefreshedTokens',
        input: ({ context }) => ({ deps: context.deps, session: requireSession(context) }),
        onDone: [
          {
            guard: { type: 'refreshWritten', params: ({ event }) => ({ output: event.output }) },
            target: 'waitingToRefresh',
            actions: ['markTokensStored', 'emitTokensRefreshed', ...answerFetched],
          },
          // Signed out or replaced elsewhere meanwhile: follow storage (the callers wait for that).
          { target: 'checkingStorage' },
        ],
        // The new tokens serve from memory; the write is tried again.
        onError: {
          target: 'waitingToRetryStore',
          actions: [{ type: 'emitTokensNotStored', params: failed('Storing the refreshed tokens') }, ...answerFetched],
        },
      },
      after: {
        storageTimeout: {
          target: 'waitingToRetryStore',
          actions: [
            { type: 'emitTokensNotStored', params: storageTimedOut('Storing the refreshed tokens') },
            ...answerFetched,
          ],
        },
      },
    },
    /** Backs off like a failed refresh; a `fetchTokens()` call is served meanwhile (and tries the write). */
    waitingToRetryStore: {
      on: { FETCH_TOKENS: { target: 'checkingTokens', actions: 'addTokenRequest' } },
      after: { refreshRetryDelay: 'storingRefreshedTokens' },
    },
  },
} satisfies AuthStateConfig;
