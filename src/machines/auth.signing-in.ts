import { AuthError } from '../errors.js';
import { revocationPlanned, stoppedRevocation } from './auth.logic.js';
import type { AuthStateConfig } from './auth.setup.js';
import { failed, rejectingSignIns, requireSession, storageTimedOut, timedOut } from './auth.support.js';
import type { AuthContext } from './auth.types.js';

/** A step's output as its transition's `outcome` parameter (one function for every step's type). */
const outcome = <O>({ event }: { event: { output: O } }) => ({ outcome: event.output });

const CHALLENGE_EXPIRED = new AuthError('Expired', 'The sign-in challenge expired');

/** What `stop()` during the save tells the app (the slot revokes the refresh token if no storage holds it). */
const savingStopped = ({ context }: { context: AuthContext }) => {
  const what = context.signInRequest?.adopted
    ? 'adopted tokens are the app’s: not revoked'
    : revocationPlanned(context)
      ? 'RevokeToken follows unless it landed'
      : stoppedRevocation(false);
  return { error: new AuthError('Cancelled', `stop() while the sign-in was being saved: write stopped; ${what}`) };
};

const CANCEL_SIGN_IN = [
  // Its save may have replaced another session (its token went to the outbox): revoke that now.
  'countDrainAsked',
  'askOutboxToDrain',
  'cancelSignIn',
  'forgetSignInRequest',
  'forgetChallenge',
  'addSignOutRequest',
  'startCancelledSignInSignOut',
] as const;

/** A sign-in step failed or timed out: the caller hears why, and nothing is kept. */
const signInFailed = <const P>(error: P) =>
  ({
    target: '#auth.signedOut',
    actions: [{ type: 'recordSignInError', params: error }, 'answerSignIn', 'forgetSignIn'],
  }) as const;

/**
 * A sign-in step's input: the part of the request it works on. A request without it is a chart
 * defect (the routing above sends only a request that has it), so the step fails as `InvalidState`.
 */
const fromRequest =
  <K extends 'credentials' | 'redirectUrl', R>(
    key: K,
    shape: (value: NonNullable<AuthContext['signInRequest']>[K] & {}) => R,
  ) =>
  ({ context }: { context: AuthContext }) => {
    const value = context.signInRequest?.[key];
    if (!value) throw new AuthError('InvalidState', `The sign-in request has no ${key}`);
    return { deps: context.deps, ...shape(value) };
  };

/** The save failed: the caller hears why, and the tokens that could not be kept are revoked and cleared. */
const SAVE_FAILED = ['answerSignIn', 'startCancelledSignInSignOut', 'forgetSignInRequest'] as const;

const SAVED = [
  'answerSignIn',
  'forgetSignInRequest',
  'forgetRestoreReason',
  { type: 'emitSignedIn', params: { restored: false } },
  'publishSignedIn',
] as const;

/**
 * A step ended with a session (save it), a passkey challenge (run the ceremony: the caller waits
 * on), or one more challenge (tell the caller, then wait).
 */
const onOutcome = [
  {
    guard: { type: 'gotSession', params: outcome },
    target: '#auth.signingIn.savingSession',
    actions: { type: 'assignOutcome', params: outcome },
  },
  {
    guard: { type: 'gotPasskeyChallenge', params: outcome },
    target: '#auth.signingIn.challenged',
    reenter: true,
    actions: { type: 'assignOutcome', params: outcome },
  },
  {
    target: '#auth.signingIn.challenged',
    reenter: true,
    actions: [
      { type: 'assignOutcome', params: outcome },
      'recordChallengeAsked',
      'answerSignIn',
      'forgetSignInRequest',
    ],
  },
] as const;

/**
 * Signing in: nothing is sent offline; the password step may end at a challenge, a state of its
 * own per kind, that waits for `confirmSignIn()` until Cognito's challenge session expires. Tokens
 * are saved before the user counts as signed in.
 */
export const signingInState = {
  initial: 'checkingConnectivity',
  on: {
    ...rejectingSignIns('InvalidState'),
    // Another context signed in meanwhile: if this sign-in fails, storage is read and that session
    // followed (a saved sign-in replaces it: the latest sign-in wins).
    SYNC_SIGNED_IN: { actions: 'markRestoreFromOtherTab' },
    // The later intent wins: cancel the sign-in; clear whatever part of it may have reached storage.
    SIGN_OUT: [
      // Its tokens came (it was saving them): they are revoked, not left valid. The caller's sign-out
      // covers what storage holds too: the session this sign-in's save would have replaced (row 26).
      {
        guard: 'hasSession',
        target: '#auth.signingOut.checkingConnectivity',
        actions: [...CANCEL_SIGN_IN, { type: 'markCoversStored', params: { covers: true } }],
      },
      { target: '#auth.signingOut.clearingCache', actions: CANCEL_SIGN_IN },
    ],
  },
  states: {
    /** Offline: nothing is sent. */
    checkingConnectivity: {
      always: [
        {
          guard: 'isOffline',
          target: '#auth.signedOut',
          actions: [
            {
              type: 'recordSignInError',
              params: { error: new AuthError('Offline', 'Sign-in needs the network: the device is offline') },
            },
            'answerSignIn',
            'forgetSignIn',
          ],
        },
        { guard: 'wantsRedirect', target: 'redirecting' },
        { guard: 'hasRedirectUrl', target: 'exchangingCode' },
        { target: 'authenticating' },
      ],
    },
    /** Hosted UI: build the authorize URL (PKCE), keep the transaction, open it. The page may leave here. */
    redirecting: {
      invoke: {
        id: 'startRedirect',
        src: 'startRedirect',
        input: ({ context }) => ({ deps: context.deps, ...context.signInRequest?.redirect }),
        onDone: [
          // An opener that caught the callback (native, Node): exchange it now.
          {
            guard: { type: 'gotRedirectUrl', params: outcome },
            target: 'exchangingCode',
            actions: { type: 'assignRedirectOutcome', params: outcome },
          },
          {
            target: '#auth.signedOut',
            actions: [{ type: 'assignRedirectOutcome', params: outcome }, 'answerSignIn', 'forgetSignIn'],
          },
        ],
        onError: signInFailed(failed('The hosted-UI sign-in')),
      },
      after: {
        hostedUITimeout: signInFailed(timedOut('The hosted-UI sign-in', 'hostedUIMs')),
      },
    },
    /** Back from the hosted UI: check `state`, exchange the code once (the transaction is removed either way). */
    exchangingCode: {
      invoke: {
        id: 'exchangeCode',
        src: 'exchangeCode',
        input: fromRequest('redirectUrl', (url) => ({ url })),
        onDone: { target: 'savingSession', actions: { type: 'assignOutcome', params: outcome } },
        onError: signInFailed(failed('The hosted-UI redirect')),
      },
      after: { remoteStepTimeout: signInFailed(timedOut('The code exchange', 'remoteStepMs')) },
    },
    authenticating: {
      invoke: {
        id: 'signIn',
        src: 'signIn',
        input: fromRequest('credentials', (credentials) => ({ credentials })),
        onDone: onOutcome,
        onError: signInFailed(failed('Sign-in')),
      },
      after: { remoteStepTimeout: signInFailed(timedOut('Sign-in', 'remoteStepMs')) },
    },
    /** Cognito asked for one more answer. Its session lasts `challengeMs` from here. */
    challenged: {
      initial: 'routing',
      on: {
        CONFIRM_SIGN_IN: { target: '.answering', actions: 'assignChallengeAnswer' },
        // A new sign-in replaces a challenge nobody is answering.
        SIGN_IN: { target: '#auth.signingIn', reenter: true, actions: ['forgetChallenge', 'assignSignInRequest'] },
      },
      after: {
        // A caller still waiting (the passkey prompt, an answer on its way) hears why too; when none
        // waits (the app is asked), `answerSignIn` answers nobody.
        challengeExpiry: {
          target: '#auth.signedOut',
          actions: [
            { type: 'emitSignInFailed', params: { error: CHALLENGE_EXPIRED } },
            'markChallengeExpired',
            { type: 'recordSignInError', params: { error: CHALLENGE_EXPIRED } },
            'answerSignIn',
            'forgetSignIn',
          ],
        },
      },
      states: {
        routing: {
          always: [
            { guard: { type: 'challengeIs', params: { kind: 'newPassword' } }, target: 'newPasswordRequired' },
            { guard: { type: 'challengeIs', params: { kind: 'totpCode' } }, target: 'totpCodeRequired' },
            { guard: { type: 'challengeIs', params: { kind: 'smsCode' } }, target: 'smsCodeRequired' },
            { guard: { type: 'challengeIs', params: { kind: 'emailCode' } }, target: 'emailCodeRequired' },
            {
              guard: { type: 'challengeIs', params: { kind: 'selectChallenge' } },
              target: 'challengeSelectionRequired',
            },
            { guard: { type: 'challengeIs', params: { kind: 'password' } }, target: 'passwordRequired' },
            { guard: { type: 'challengeIs', params: { kind: 'passkey' } }, target: 'passkey' },
            { target: 'mfaSelectionRequired' },
          ],
        },
        /** NEW_PASSWORD_REQUIRED: the user was created with a temporary password. */
        newPasswordRequired: {},
        /** SOFTWARE_TOKEN_MFA: a code from the user's authenticator app. */
        totpCodeRequired: {},
        /** SMS_MFA: a code sent by text message. */
        smsCodeRequired: {},
        /** EMAIL_OTP: a code sent by e-mail. */
        emailCodeRequired: {},
        /** SELECT_MFA_TYPE: the user picks one of the offered MFA kinds. */
        mfaSelectionRequired: {},
        /** USER_AUTH's SELECT_CHALLENGE: the user picks a first factor (a code, a passkey, the password). */
        challengeSelectionRequired: {},
        /** USER_AUTH, a password factor chosen: the password, sent (PASSWORD) or proven by SRP (PASSWORD_SRP). */
        passwordRequired: {},
        /**
         * USER_AUTH's WEB_AUTHN: the authenticator is asked (`createAuth({ passkeys })`), and its
         * assertion answered. The caller waits on; a sign-out cancels the prompt (its signal aborts
         * it), and the challenge's expiry (`challengeMs`, Cognito's session) bounds it.
         */
        passkey: {
          on: {
            CONFIRM_SIGN_IN: { actions: { type: 'rejectConfirm', params: { code: 'InvalidState' } } },
            // A caller waits for this sign-in: a new one is refused, not swapped in.
            SIGN_IN: { actions: { type: 'rejectSignIn', params: { code: 'InvalidState' } } },
          },
          invoke: {
            id: 'passkeyAssertion',
            src: 'passkeyAssertion',
            input: ({ context }) => {
              const challenge = context.challenge?.sealed;
              if (!challenge) throw new AuthError('InvalidState', 'No passkey challenge');
              return { deps: context.deps, challenge };
            },
            onDone: {
              target: 'answering',
              actions: { type: 'assignPasskeyAnswer', params: ({ event }) => ({ answer: event.output }) },
            },
            onError: signInFailed(failed('The passkey')),
          },
        },
        answering: {
          on: { CONFIRM_SIGN_IN: { actions: { type: 'rejectConfirm', params: { code: 'InvalidState' } } } },
          invoke: {
            id: 'respondToChallenge',
            src: 'respondToChallenge',
            input: ({ context }) => {
              const challenge = context.challenge?.sealed;
              const answer = context.signInRequest?.answer;
              if (!challenge || !answer) throw new AuthError('InvalidState', 'No challenge answer to send');
              return { deps: context.deps, challenge, answer };
            },
            onDone: onOutcome,
            onError: [
              // A wrong code or a weak password: the caller is told, the challenge waits again.
              {
                guard: { type: 'challengeMayRetry', params: failed('Answering the challenge') },
                target: 'routing',
                actions: [
                  { type: 'recordSignInError', params: failed('Answering the challenge') },
                  'answerSignIn',
                  'forgetSignInRequest',
                ],
              },
              signInFailed(failed('Answering the challenge')),
            ],
          },
          after: {
            remoteStepTimeout: [
              { guard: 'answeringPasskey', ...signInFailed(timedOut('Answering the challenge', 'remoteStepMs')) },
              {
                target: 'routing',
                actions: [
                  { type: 'recordSignInError', params: timedOut('Answering the challenge', 'remoteStepMs') },
                  'answerSignIn',
                  'forgetSignInRequest',
                ],
              },
            ],
          },
        },
      },
    },
    savingSession: {
      // stop() fences the write off (it must not land after the caller heard Cancelled): said here.
      on: { STOP: { actions: { type: 'emitTokensNotStored', params: savingStopped } } },
      invoke: {
        id: 'saveSession',
        src: 'saveSession',
        input: ({ context }) => ({
          deps: context.deps,
          session: requireSession(context),
          // stop() fences the write off: then a new sign-in's refresh token is revoked (adopted ones are the app's).
          revokeIfStopped:
            context.signInRequest?.adopted !== true && revocationPlanned(context)
              ? { withinMs: context.config.remoteStepMs }
              : null,
        }),
        onDone: [
          // The replaced session's token made a full outbox drop older ones: said, never silently.
          {
            guard: { type: 'droppedDeferred', params: ({ event }) => ({ dropped: event.output.dropped }) },
            target: '#auth.signedIn',
            actions: [
              ...SAVED,
              { type: 'emitDeferredDropped', params: ({ event }) => ({ count: event.output.dropped ?? 0 }) },
              'countDrainAsked',
              'askOutboxToDrain',
            ],
          },
          // The latest sign-in won: the session it replaced is revoked now, not left valid.
          {
            guard: { type: 'supersededAnother', params: ({ event }) => ({ output: event.output }) },
            target: '#auth.signedIn',
            actions: [...SAVED, 'countDrainAsked', 'askOutboxToDrain'],
          },
          { target: '#auth.signedIn', actions: SAVED },
        ],
        onError: {
          target: '#auth.signingOut.checkingConnectivity',
          actions: [{ type: 'recordSignInError', params: failed('Saving the session') }, ...SAVE_FAILED],
        },
      },
      after: {
        storageTimeout: {
          target: '#auth.signingOut.checkingConnectivity',
          actions: [{ type: 'recordSignInError', params: storageTimedOut('Saving the session') }, ...SAVE_FAILED],
        },
      },
    },
  },
} satisfies AuthStateConfig;
