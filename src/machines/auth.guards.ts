import { NETWORK_CODES } from '../errors.js';
import { safeIsOnline } from '../services/connectivity.js';
import type { ClearOutcome, JournalOutcome } from '../session/clear-plan.js';
import { unseal } from '../session/sealed.js';
import type { Session } from '../session/session.js';
import type { RefreshWrite } from '../session/store.js';
import { localExpiry, revocationPlanned, tokensFreshFor, unstoredAtStop } from './auth.logic.js';
import { canUpgradeToGlobal, deletedHere, type ErrorParams, progress, signsOutNothing } from './auth.support.js';
import type {
  AuthContext,
  AuthEvent,
  ChallengeInfo,
  RedirectOutcome,
  RestoreOutput,
  SignInOutcome,
} from './auth.types.js';
import { depsOf } from './slots.shared.js';

/** What every guard of the auth chart is given; `params` where a transition passes them. */
type Guard = (args: { context: AuthContext; event: AuthEvent }, params: never) => boolean;

/**
 * The auth chart's guards, each with its body: what it reads of the injected services (the clock,
 * connectivity, the hosted UI) it reads through `context.deps`, so the chart decides the same in
 * every host, in the inspector and in the model tests. `setup()` in `auth.setup.ts` takes them as
 * they are; nothing replaces them later.
 */
export const authGuards = {
  /** Read when a remote step is next. An unknown state counts as online: the step timeout still bounds every remote call. */
  isOffline: ({ context }) => !safeIsOnline(depsOf(context.deps).connectivity),
  /** Global, and GlobalSignOut neither ran nor was ruled out (e.g. no admin scope). */
  globalSignOutPlanned: ({ context }) =>
    context.signOut?.scope === 'global' && context.signOut.steps.globalSignOut === 'notRun',
  /** A hosted-UI access token without `aws.cognito.signin.user.admin` cannot call GlobalSignOut. */
  lacksAdminScope: ({ context }) => context.session !== null && !context.session.adminScope,
  /** The hosted UI's `/logout` navigates this page away: run it last. */
  hostedUILeavesPage: ({ context }) => depsOf(context.deps).hostedUI?.leavesPage === true,
  gotRedirectUrl: (_, params: { outcome: RedirectOutcome }) => 'redirectUrl' in params.outcome,
  hasQueuedRedirect: ({ context }) => context.queuedSignIn !== null && 'redirectUrl' in context.queuedSignIn,
  isHostedUISession: ({ context }) => context.session?.signedInWith === 'hostedUI',
  /** The revocation policy: `auto` revokes only tokens that carry `origin_jti`. */
  shouldRevoke: ({ context }) => revocationPlanned(context),
  /** A rejected refresh, a cancelled sign-in, a followed sign-out: no live session to go back to (row 24). */
  sessionIsDead: ({ context }) =>
    context.session === null || !['signOut', 'interrupted'].includes(progress(context).reason),
  hasNoSession: ({ context }) => context.session === null,
  /** The outbox's drain ended with nothing to watch or look at again, and it answered every request sent. */
  outboxQuietAndAnswered: ({ context, event }) =>
    event.type === 'OUTBOX_DRAINED' && event.quiet && context.outboxAsks === event.ids.length,
  /** A `signOut()` joined a `deleteUser()` whose DeleteUser then failed: that sign-out still runs. */
  signOutAskedMeanwhile: ({ context }) => context.signOutRequests.some((r) => !r.deletes),
  isUserDeletion: ({ context }) => context.signOut?.reason === 'userDeleted',
  hasSession: ({ context }) => context.session !== null,
  hasUnstoredTokens: ({ context }) => context.unstoredTokens,
  leavesUnstoredRefreshToken: ({ context }) => unstoredAtStop(context, false) !== null, // stop() would orphan one
  foundNewerTokens: (_, params: { newer?: Session | undefined }) => params.newer !== undefined,
  storageUnread: ({ context }) => context.storageUnread,
  droppedDeferred: (_, params: { dropped: number | undefined }) => (params.dropped ?? 0) > 0,
  /** The one outcome of a clear (`clear-plan.ts`) is this kind. */
  clearedAs: (_, p: { outcome: ClearOutcome; kind: ClearOutcome['kind'] }) => p.outcome.kind === p.kind,
  /**
   * The journal's read found this session refreshed elsewhere (`journalOutcome`): newer tokens,
   * unless this context's own refreshed ones are not stored yet (storage's are the older then).
   */
  journalFoundNewerTokens: ({ context }, p: { outcome: JournalOutcome<Session> }) =>
    p.outcome.kind === 'newerTokens' && !context.unstoredTokens,
  /** The journal's read found another context's sign-in. */
  journalFoundOthersSession: (_, p: { outcome: JournalOutcome<Session> }) => p.outcome.kind === 'othersSession',
  /** `signOut()` had nothing to sign out here (it clears what storage held), and then storage has one. */
  signsOutNothing: ({ context }) => signsOutNothing(context),
  /** The clear left another session, and `signOut()` covers it: this round signed out one held here (`held`) or none. */
  othersSessionToSignOut: ({ context }, p: { outcome: ClearOutcome; held: boolean }) =>
    p.outcome.kind === 'othersSession' && signsOutNothing(context) && (context.session !== null) === p.held,
  remoteStepsSkipped: ({ context }) => context.signOut?.steps.revokeToken === 'skipped',
  refreshWritten: (_, params: { output: RefreshWrite }) => params.output === 'written',
  supersededAnother: (_, params: { output: { superseded: boolean } }) => params.output.superseded,
  restoringForOtherTab: ({ context }) => context.restoringForOtherTab,
  signOutRequested: ({ context }) => context.signOutRequests.length > 0,
  hasTokenRequests: ({ context }) => context.tokenRequests.length > 0,
  /** Every `fetchTokens()` caller is served by the tokens held now (by the instance's clock). */
  tokensFreshForRequests: ({ context }) => tokensFreshFor(context, depsOf(context.deps).clock.now()),
  /**
   * The access token is (about to be) expired: GlobalSignOut would refuse it. A few seconds of
   * margin: a token that expires on the way is refused as surely as an expired one.
   */
  accessTokenExpired: ({ context }) =>
    context.session !== null && localExpiry(context.session) - depsOf(context.deps).clock.now() < 5000,
  wantsRedirect: ({ context }) => context.signInRequest?.redirect !== undefined,
  hasRedirectUrl: ({ context }) => context.signInRequest?.redirectUrl !== undefined,
  hasQueuedSignIn: ({ context }) => context.queuedSignIn !== null && 'credentials' in context.queuedSignIn,
  hasQueuedAdoption: ({ context }) => context.queuedSignIn !== null && 'session' in context.queuedSignIn,
  signInBusy: ({ context }) => context.queuedSignIn !== null,
  /** A global request joins a local sign-out that has not yet reached its remote steps. */
  canUpgradeToGlobal: ({ context, event }) => canUpgradeToGlobal(context, event),
  /** A journal, or the record of the user deleted here that a failed clear left (row 32): finish that sign-out. */
  interruptedSignOut: ({ context }, params: { output: RestoreOutput }) =>
    !context.restoringForOtherTab && (params.output.journal !== null || deletedHere(context, params.output)),
  restoredSession: (_, params: { output: RestoreOutput }) => params.output.status === 'found',
  restoredSessionToSignOut: ({ context }, params: { output: RestoreOutput }) =>
    params.output.status === 'found' && context.signOutRequests.length > 0,
  /** Storage holds the session held here (same id): as is, with older tokens than here (not yet written), or newer. */
  storageHoldsOurSession: ({ context }, params: { output: RestoreOutput }) =>
    params.output.status === 'found' && params.output.session.sessionId === context.session?.sessionId,
  storageHoldsOurOlderTokens: ({ context }, params: { output: RestoreOutput }) =>
    context.unstoredTokens &&
    params.output.status === 'found' &&
    params.output.session.sessionId === context.session?.sessionId,
  storageHoldsOurNewerTokens: ({ context }, params: { output: RestoreOutput }) =>
    params.output.status === 'found' &&
    context.session !== null &&
    params.output.session.sessionId === context.session.sessionId &&
    unseal(params.output.session.tokens).refreshToken !== unseal(context.session.tokens).refreshToken,
  restoredInvalidSession: (_, params: { output: RestoreOutput }) => params.output.status === 'invalid',
  isNetworkError: (_, params: ErrorParams) => NETWORK_CODES.has(params.error.code),
  isNotAuthorized: (_, params: ErrorParams) => params.error.code === 'NotAuthorized',
  /** The user cancelled the hosted UI's `/logout`: still signed in, unless the user was deleted (row 30). */
  cancelKeepsSignedIn: ({ context }, params: ErrorParams) =>
    params.error.code === 'Cancelled' && context.signOut?.reason !== 'userDeleted',
  gotSession: (_, params: { outcome: SignInOutcome }) => 'session' in params.outcome, // not one more challenge
  /** USER_AUTH's WEB_AUTHN: the chart runs the passkey ceremony instead of asking the app. */
  gotPasskeyChallenge: (_, params: { outcome: SignInOutcome }) =>
    'challenge' in params.outcome && params.outcome.challenge.info.challenge === 'passkey',
  /** The answer being sent is a passkey's assertion: its failure ends the sign-in (nobody would answer a retry). */
  answeringPasskey: ({ context }) => context.challenge?.info.challenge === 'passkey',
  /**
   * A wrong code, a weak new password, a choice not offered, or no answer: the same challenge may
   * be answered again. Not a passkey's: its ceremony would run again with nobody waiting.
   */
  challengeMayRetry: ({ context }, params: ErrorParams) =>
    context.challenge?.info.challenge !== 'passkey' &&
    ['CodeMismatch', 'InvalidPassword', 'InvalidInput', 'Network', 'Timeout', 'Offline', 'Throttled'].includes(
      params.error.code,
    ),
  challengeIs: ({ context }, params: { kind: ChallengeInfo['challenge'] }) =>
    context.challenge?.info.challenge === params.kind,
  challengeExpired: ({ context }) => context.challengeExpired,
} satisfies Record<string, Guard>;
