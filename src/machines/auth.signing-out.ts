import { and, not } from 'xstate';
import { AuthError } from '../errors.js';
import type { ClearOutcome, JournalOutcome } from '../session/clear-plan.js';
import type { Session } from '../session/session.js';
import { deletingUserState } from './auth.deleting-user.js';
import { deferredEntry } from './auth.logic.js';
import { remoteSteps } from './auth.remote-steps.js';
import { type AuthStateConfig, WAIT_TO_SIGN_IN } from './auth.setup.js';
import {
  failed,
  progress,
  recordFailed,
  requireSession,
  stepDone,
  stopReport,
  storageTimedOut,
  timedOut,
} from './auth.support.js';
import type { AuthContext } from './auth.types.js';

const COVER_STORED = { type: 'markCoversStored', params: { covers: true } } as const;

/** A sign-in waiting for this sign-out is overtaken by a later sign-out: it rejects `Cancelled`. */
const CANCEL_QUEUED = [{ type: 'rejectQueuedSignIn', params: { code: 'Cancelled' } }, 'forgetQueuedSignIn'] as const;

/**
 * Before the remote steps, a global request turns this local sign-out global (docs/sign-out.md,
 * concurrent calls). Like any call that joins, it asks for what storage holds now.
 */
const UPGRADE_TO_GLOBAL = {
  SIGN_OUT: {
    guard: 'canUpgradeToGlobal',
    actions: [...CANCEL_QUEUED, 'addSignOutRequest', 'upgradeToGlobal', COVER_STORED],
  },
} as const;

/** What the clear keeps in the outbox (`deferRevocation`): this device's refresh token, and whether GlobalSignOut waits too. */
const keptForLater = (context: AuthContext) => {
  const entry = deferredEntry(context);
  return entry ? { tokens: requireSession(context).tokens, global: entry.global } : null;
};

/** The session, when this sign-out revoked its tokens (RevokeToken, or GlobalSignOut). */
const revokedHere = (context: AuthContext) => {
  const steps = context.signOut?.steps;
  const done = steps?.revokeToken === 'done' || steps?.globalSignOut === 'done';
  return done ? context.session : null;
};

/** The clear worked: the sign-out is answered and announced, and the session forgotten. */
const CLEARED = [
  { type: 'markStepDone', params: { step: 'clearCache' } },
  {
    type: 'markDeferred',
    params: ({ event }: { event: { output: ClearOutcome } }) => ({
      outboxError: event.output.outboxError,
      gone: event.output.gone === true,
      oldLayout: event.output.oldLayout,
    }),
  },
  'markLogoutStarted',
  'answerSignOut',
  'announceSignedOut',
  'publishSignedOut',
  'leaveForHostedUILogout',
  'forgetSession',
  'takeLateSignOuts',
] as const;

/** This round's clear worked, and the sign-out goes on to what storage holds: said for this round. */
const CLEARED_HERE = [CLEARED[0], CLEARED[1], 'announceSignedOut'] as const;

/**
 * The clear failed, so storage is unknown: only a failed clear keeps the user signed in. A session
 * already dead (a rejected refresh, a cancelled sign-in) is not gone back to (storage is read again
 * later: it may hold another context's session); and when another
 * context sent a message meanwhile, storage is read again rather than trusted (it may have signed
 * this session out: docs/sign-out.md row 24).
 */
const clearFailed = <const R>(recordFailure: R) => {
  const record = ['takeLateSignOuts', recordFailure, 'answerSignOut'] as const;
  return [
    {
      guard: 'sessionIsDead',
      target: '#auth.signedOut',
      // Said in a `signedOut` event too: a cancelled sign-in's caller heard only why it failed.
      actions: [
        ...record,
        'announceSignedOut',
        'forgetSession',
        { type: 'markStorageUnread', params: { unread: true } },
      ],
    },
    {
      guard: 'restoringForOtherTab',
      target: '#auth.signedIn.checkingStorage',
      actions: [...record, 'announceSignOutFailed', 'forgetSignOut', 'forgetRestoreReason'],
    },
    {
      // Part of it may have landed (or may still): storage is read again after a back-off.
      target: '#auth.signedIn.waitingToRecheck',
      actions: [...record, 'announceSignOutFailed', 'forgetSignOut'],
    },
  ] as const;
};

const CLEAR = 'Clearing the stored tokens';

const newerOf = (outcome: ClearOutcome | JournalOutcome<Session>) =>
  outcome.kind === 'newerTokens' ? { newer: outcome.newer, global: 'global' in outcome } : {};
const droppedBy = (outcome: ClearOutcome) => (outcome.kind === 'outboxFull' ? outcome.dropped : 0);

/** After the journal: GlobalSignOut (refreshing an expired access token first), or RevokeToken. */
const AFTER_JOURNAL = [
  // Offline: the remote steps were skipped before the journal.
  { guard: 'remoteStepsSkipped', target: 'clearingCache' },
  { guard: and(['globalSignOutPlanned', 'accessTokenExpired']), target: 'refreshingForGlobalSignOut' },
  { guard: 'globalSignOutPlanned', target: 'signingOutGlobally' },
  { guard: 'shouldRevoke', target: 'revokingRefreshToken' },
  { target: 'clearingCache' },
] as const;

/**
 * Signing out: the hosted UI `/logout`, then (online) the journal and GlobalSignOut or RevokeToken,
 * then clearing, which is always reached. Only a user's cancel or a failed clear keeps the user signed in.
 */
export const signingOutState = {
  initial: 'checkingHostedUI',
  // A SIGN_OUT here joins the running sign-out; a sign-in waits for it to end.
  on: {
    SIGN_IN: WAIT_TO_SIGN_IN,
    ADOPT_SESSION: WAIT_TO_SIGN_IN,
    HANDLE_REDIRECT: WAIT_TO_SIGN_IN,
    // Joins; a sign-in that was waiting for this sign-out is overtaken by it. A caller asks for what
    // storage holds now: a newer session stored elsewhere meanwhile is signed out too.
    SIGN_OUT: { actions: [...CANCEL_QUEUED, 'addSignOutRequest', COVER_STORED] },
    // Another context signed in or out meanwhile: once this ends, read storage again (see signedOut).
    SYNC_SIGNED_IN: { actions: 'markRestoreFromOtherTab' },
    SYNC_SIGNED_OUT: { actions: 'markRestoreFromOtherTab' },
  },
  states: {
    deletingUser: deletingUserState,
    checkingHostedUI: {
      always: [
        // In the browser, `/logout` navigates away: the local sign-out finishes first, `/logout` runs last.
        {
          guard: and(['isHostedUISession', 'hostedUILeavesPage', not('isOffline')]),
          target: 'checkingConnectivity',
          actions: 'markLogoutLast',
        },
        {
          guard: and(['isHostedUISession', 'isOffline']),
          target: 'checkingConnectivity',
          actions: 'skipHostedUISignOut',
        },
        { guard: 'isHostedUISession', target: 'signingOutOfHostedUI' },
        { target: 'checkingConnectivity' },
      ],
    },
    /** The browser session must end first, or the hosted UI cookie signs the user straight back in. */
    signingOutOfHostedUI: {
      on: UPGRADE_TO_GLOBAL,
      invoke: {
        id: 'hostedUISignOut',
        src: 'hostedUISignOut',
        input: ({ context }) => ({ deps: context.deps }),
        onDone: stepDone('hostedUISignOut', 'checkingConnectivity'),
        onError: [
          // Only the user's own cancel keeps them signed in (never a deleted user: rows 30–33).
          {
            guard: { type: 'cancelKeepsSignedIn', params: failed('The hosted UI sign-out') },
            target: '#auth.signedIn',
            actions: [
              {
                type: 'recordSignOutFailure',
                params: ({ event }) => ({
                  step: 'hostedUISignOut' as const,
                  error: new AuthError('Cancelled', 'The hosted UI sign-out was cancelled; still signed in', {
                    cause: event.error,
                  }),
                }),
              },
              'answerSignOut',
              'announceSignOutFailed',
              'forgetSignOut',
            ],
          },
          // Failed: the local sign-out goes on, and the result says the browser session may live on.
          {
            target: 'checkingConnectivity',
            actions: recordFailed('hostedUISignOut', 'The hosted UI sign-out'),
          },
        ],
      },
      after: {
        hostedUITimeout: {
          target: 'checkingConnectivity',
          actions: {
            type: 'recordStepError',
            params: ({ context }) => ({
              step: 'hostedUISignOut' as const,
              ...timedOut('The hosted UI sign-out', 'hostedUIMs')({ context }),
            }),
          },
        },
      },
    },
    checkingConnectivity: {
      always: [
        // Finishing an interrupted sign-out whose tokens are already gone: nothing remote to do.
        { guard: 'hasNoSession', target: 'clearingCache' },
        // A deleted user: nothing to revoke, but the journal keeps the clear crash-safe.
        { guard: 'isUserDeletion', target: 'writingJournal' },
        // Offline, the journal is still written: a crash during the clear is finished at restart.
        {
          guard: 'isOffline',
          target: 'writingJournal',
          actions: { type: 'skipRemainingRemoteSteps', params: { reason: 'Offline' } },
        },
        // A web session without the admin scope cannot call GlobalSignOut: say so up front, revoke instead.
        {
          guard: and(['globalSignOutPlanned', 'lacksAdminScope']),
          target: 'checkingConnectivity',
          reenter: true,
          actions: 'skipUnsupportedGlobalSignOut',
        },
        { guard: 'globalSignOutPlanned', target: 'writingJournal' },
        { guard: 'shouldRevoke', target: 'writingJournal' },
        { target: 'clearingCache' },
      ],
    },
    /** Crash safety: before the first remote step. A restart that finds it finishes the sign-out. */
    writingJournal: {
      on: UPGRADE_TO_GLOBAL,
      invoke: {
        id: 'writeJournal',
        src: 'writeJournal',
        input: ({ context }) => ({
          deps: context.deps,
          scope: progress(context).scope,
          username: progress(context).username,
          sessionId: progress(context).sessionId,
          session: context.session,
          deleted: progress(context).reason === 'userDeleted',
        }),
        // One transition per kind of what storage holds beside this session (`journalOutcome`, clear-plan.ts).
        onDone: [
          // This session refreshed elsewhere (a rotated token): that one is revoked. Not when this
          // context's own refreshed tokens are unstored: storage's are the older ones then, and the
          // clear revokes them after ours (row 27).
          {
            guard: { type: 'journalFoundNewerTokens', params: ({ event }) => ({ outcome: event.output }) },
            target: 'choosingRemoteStep',
            actions: { type: 'takeNewerTokens', params: ({ event }) => newerOf(event.output) },
          },
          // Another context's sign-in: a caller's signOut() covers it too; the chart's own sign-out
          // of a sign-in it could not keep leaves that session alone (docs/sign-out.md rows 25–26).
          {
            guard: { type: 'journalFoundOthersSession', params: ({ event }) => ({ outcome: event.output }) },
            target: 'choosingRemoteStep',
            actions: {
              type: 'markCoversStored',
              // A `deleteUser()` caller deleted only its own user: it covers nothing else.
              params: ({ context }) => ({ covers: context.signOutRequests.some((r) => !r.deletes) }),
            },
          },
          { target: 'choosingRemoteStep' },
        ],
        // Without a journal the sign-out still runs; it is only not crash-safe.
        onError: AFTER_JOURNAL,
      },
      after: {
        storageTimeout: AFTER_JOURNAL,
      },
    },
    choosingRemoteStep: { always: AFTER_JOURNAL },
    ...remoteSteps,
    /** Always reached, online or not. Only a failure here keeps the user signed in. */
    clearingCache: {
      on: {
        // stop() while the clear runs: what of it landed is for the other contexts to read (a hint;
        // a journal it kept is finished by the next start). docs/sign-out.md, "stop()".
        STOP: [
          {
            guard: 'leavesUnstoredRefreshToken',
            actions: [{ type: 'emitTokensNotStored', params: stopReport(false) }, 'publishSignedOut'],
          },
          { actions: 'publishSignedOut' },
        ],
        SIGN_OUT: [
          // Clearing what storage held when nothing was signed in here: a later call gets its own read.
          { guard: 'signsOutNothing', actions: [...CANCEL_QUEUED, 'addLateSignOutRequest'] },
          { actions: [...CANCEL_QUEUED, 'addSignOutRequest', COVER_STORED] },
        ],
      },
      invoke: {
        id: 'clearSession',
        src: 'clearSession',
        input: ({ context }) => ({
          deps: context.deps,
          sessionId: context.signOut?.sessionId ?? context.session?.sessionId ?? null,
          username: context.signOut?.username ?? context.session?.username ?? null,
          keepForRevocation: keptForLater(context),
          neverStored: context.signOut?.reason === 'signInCancelled',
          revoked: revokedHere(context),
          globally: context.signOut?.steps.globalSignOut === 'done',
          earlier: context.signOut?.revokedTokens ?? null,
          refused: context.signOut?.reason === 'refreshRejected' ? (context.session?.tokens ?? null) : null,
        }),
        // One transition per kind of the clear's outcome (clear-plan.ts); `othersSession` by whom signOut() covers.
        onDone: [
          // Storage holds this session refreshed elsewhere (a rotated token): revoke that one too, or
          // run the GlobalSignOut another context deferred with it (row 27).
          {
            guard: { type: 'clearedAs', params: ({ event }) => ({ outcome: event.output, kind: 'newerTokens' }) },
            target: 'choosingRemoteStep',
            actions: { type: 'takeTokensToRevoke', params: ({ event }) => newerOf(event.output) },
          },
          // The outbox was full: the oldest kept tokens made room (never silently).
          {
            guard: { type: 'clearedAs', params: ({ event }) => ({ outcome: event.output, kind: 'outboxFull' }) },
            target: '#auth.signedOut',
            actions: [
              { type: 'emitDeferredDropped', params: ({ event }) => ({ count: droppedBy(event.output) }) },
              ...CLEARED,
            ],
          },
          // signOut() covers what storage holds, and it holds another session: sign that out too. What
          // this round did to the session held here (a cancelled sign-in's) is said first, on its own.
          {
            guard: {
              type: 'othersSessionToSignOut',
              params: ({ event }) => ({ outcome: event.output, held: true }),
            },
            target: '#auth.restoring',
            actions: [...CLEARED_HERE, 'restartSignOut', 'takeLateSignOuts'],
          },
          {
            guard: {
              type: 'othersSessionToSignOut',
              params: ({ event }) => ({ outcome: event.output, held: false }),
            },
            target: '#auth.restoring',
            // A signOut() made during this clear waits for a read of its own: the restart is that read.
            actions: ['restartSignOut', 'takeLateSignOuts'],
          },
          // Storage holds another context's newer sign-in (left alone): read it, and follow.
          {
            guard: { type: 'clearedAs', params: ({ event }) => ({ outcome: event.output, kind: 'othersSession' }) },
            target: '#auth.restoring',
            actions: [...CLEARED, 'markRestoreFromOtherTab'],
          },
          // The old layout's token beside the record went to the outbox: revoked now (row 29).
          {
            guard: { type: 'clearedAs', params: ({ event }) => ({ outcome: event.output, kind: 'oldLayoutKept' }) },
            target: '#auth.signedOut',
            actions: [...CLEARED, 'countDrainAsked', 'askOutboxToDrain'],
          },
          { target: '#auth.signedOut', actions: CLEARED },
        ],
        onError: clearFailed({
          type: 'recordSignOutFailure',
          params: ({ event }: { event: { error?: unknown } }) => ({
            step: 'clearCache',
            ...failed(CLEAR)({ event }),
          }),
        }),
      },
      after: {
        storageTimeout: clearFailed({
          type: 'recordSignOutFailure',
          params: ({ context }: { context: AuthContext }) => ({
            step: 'clearCache',
            ...storageTimedOut(CLEAR)({ context }),
          }),
        }),
      },
    },
  },
} satisfies AuthStateConfig;
