import type { AuthError } from '../errors.js';
import type { HostedUI } from '../services/hosted-ui.js';
import type {
  AuthServices,
  ChallengeKind,
  Clock,
  Connectivity,
  Credentials,
  CredentialsProvider,
  PasskeyAuthenticator,
  SessionSync,
  SignInChallenge,
} from '../services/types.js';
import type { SecretRegistry } from '../session/redact.js';
import type { Sealed } from '../session/sealed.js';
import type { Session, SessionInfo } from '../session/session.js';
import type { LoadResult, SessionStore } from '../session/store.js';
import type { OutboxDrained } from './outbox.machine.js';

/** When sign-out calls RevokeToken. */
export type RevocationPolicy = 'auto' | 'always' | 'never';

/** The machine's resolved configuration (from `createAuth` options and defaults). */
export interface AuthConfig {
  /** When to call RevokeToken: `auto` only if the access token has `origin_jti` (revocation enabled on the app client). */
  revocation: RevocationPolicy;
  /** Bound on each remote step (GlobalSignOut, RevokeToken, sign-in, refresh). */
  remoteStepMs: number;
  /** Bound on the hosted UI `/logout` step, which may wait on a person. */
  hostedUIMs: number;
  /** Refresh this long before the access token expires (at most half its lifetime). */
  refreshLeewayMs: number;
  /** Wait before retrying a refresh that failed for a network reason. */
  refreshRetryMs: number;
  /** Bound on each storage step (read, save, journal, clear). */
  storageMs: number;
  /** How long a sign-in challenge waits for its answer (Cognito's challenge session lasts 3 minutes). */
  challengeMs: number;
  /** Keep a refresh token that could not be revoked for network reasons, and revoke it later. */
  deferRevocation: boolean;
}

/** What happened to one step of a sign-out. */
export type StepOutcome =
  /** Ran and succeeded. */
  | 'done'
  /** Could not run for a network reason; kept in the outbox and retried when online (`deferRevocation`). */
  | 'deferred'
  /** Ran and failed; the error is in the result. */
  | 'failed'
  /** Was planned but not attempted (offline, or an earlier step found the network down). */
  | 'skipped'
  /** Not part of this sign-out (not asked for, not needed, or disabled by the revocation policy). */
  | 'notRun';

/** The outcome of each sign-out step, in the order they run. */
export interface SignOutSteps {
  hostedUISignOut: StepOutcome;
  globalSignOut: StepOutcome;
  revokeToken: StepOutcome;
  clearCache: StepOutcome;
}

/** `local`: this device (RevokeToken). `global`: every device (GlobalSignOut). */
export type SignOutScope = 'local' | 'global';

/** Fields every {@link SignOutResult} has. */
export interface SignOutResultBase {
  scope: SignOutScope;
  /** Exactly what ran, per step. */
  steps: SignOutSteps;
}

/**
 * What a sign-out did. `complete`: every planned step ran. `partial`: signed out locally, a remote
 * step failed or was skipped (see the step errors). `failed`: the user is still signed in.
 */
export type SignOutResult =
  | (SignOutResultBase & { status: 'complete'; signedOutLocally: true })
  | (SignOutResultBase & {
      status: 'partial';
      signedOutLocally: true;
      /** The hosted UI `/logout` failed, timed out or could not run offline: the browser session may live on. */
      hostedUISignOutError?: AuthError;
      globalSignOutError?: AuthError;
      revokeTokenError?: AuthError;
      /** The refresh token waits in the outbox; RevokeToken is retried when the network returns (`deferRevocation`). */
      deferred?: boolean;
      /** `deferred: false` because the outbox could not be written (e.g. storage full): nothing will retry. */
      deferredError?: AuthError;
      /**
       * Storage also held authchart 0.1 keys beside the session record, with another refresh token:
       * `deferred: true`, it went to the outbox and is revoked by the drain that starts now;
       * `deferred: false`, the outbox could not be written, and it was removed unrevoked (`error`).
       */
      oldLayoutToken?: OldLayoutToken;
    })
  | (SignOutResultBase & {
      status: 'failed';
      signedOutLocally: false;
      error: AuthError;
      hostedUISignOutError?: AuthError;
      globalSignOutError?: AuthError;
      revokeTokenError?: AuthError;
    });

/**
 * Why a sign-out is running: asked for (`signOut`), the refresh token was rejected, a sign-in was
 * cancelled, another tab signed out (`otherTab`, no remote calls), or one interrupted by a crash is
 * being finished at start (`interrupted`), or `deleteUser()` deleted the account (`userDeleted`: no
 * RevokeToken, Cognito has invalidated the tokens; docs/sign-out.md, "Deleting the user").
 */
export type SignOutReason =
  | 'signOut'
  | 'refreshRejected'
  | 'signInCancelled'
  | 'otherTab'
  | 'interrupted'
  | 'userDeleted';

/** The sign-out in progress, built step by step into a {@link SignOutResult}. */
export interface SignOutProgress {
  scope: SignOutScope;
  reason: SignOutReason;
  username: string | null;
  /** The stored session being signed out: the clear removes that record only. */
  sessionId: string | null;
  /** Storage held another context's session when this sign-out began: it is signed out too. */
  coversStored?: boolean;
  /**
   * The tokens are the app's (`adoptSession`) and could not be saved: not revoked, like at `stop()`;
   * the rejected call tells the app (docs/sign-out.md row 25).
   */
  appsTokens?: true;
  steps: SignOutSteps;
  hostedUISignOutError?: AuthError;
  globalSignOutError?: AuthError;
  revokeTokenError?: AuthError;
  /** Set when the sign-out failed (user still signed in). */
  error?: AuthError;
  /** The refresh token was put in the revocation outbox. */
  deferred?: boolean;
  /** Writing the outbox failed; the clear went on. */
  deferredError?: AuthError;
  /** The hosted UI `/logout` leaves the page: it runs after the local sign-out, last. */
  logoutLast?: boolean;
  /** The clear found the old layout's keys beside the record, with a token of another session (row 29). */
  oldLayoutToken?: OldLayoutToken;
  /** Refresh tokens earlier rounds of this sign-out revoked: never taken to revoke again (row 27). */
  revokedTokens?: Sealed<string[]>;
}

/** What a sign-out did with a refresh token the authchart 0.1 layout held beside the session record. */
export type OldLayoutToken = { deferred: true } | { deferred: false; error: AuthError };

/**
 * The side effects an instance runs with. They reach the machine through its input, sealed (so they
 * never serialise into snapshots or inspection events), which lets every instance share one machine.
 */
export interface AuthDeps {
  services: AuthServices;
  /** The hosted UI (`authchart/hosted-ui`), when the app signs in through it. */
  hostedUI: HostedUI | null;
  /** The WebAuthn ceremonies, when the app signs in with passkeys (`createAuth({ passkeys })`). */
  passkeys?: PasskeyAuthenticator | null;
  /** The identity pool's credentials (`createAuth({ credentials })`): cleared on the way out of `signedIn`. */
  credentials?: CredentialsProvider | null;
  store: SessionStore;
  connectivity: Connectivity;
  clock: Clock;
  /** How far a new token's `exp` may lie in the past (see `createAuth({ clockToleranceMs })`); default 300000. */
  clockToleranceMs?: number;
  /**
   * @internal A step's tokens that came after the chart left it (docs/sign-out.md row 40): RevokeToken
   * for them within `remoteStepMs` unless `revocation: 'never'`, and `report` (`tokensNotStored`) when
   * they are not revoked.
   */
  late?: { remoteStepMs: number; revoke: boolean; report: (error: AuthError) => void };
  sync: SessionSync | null;
  /** @internal The secrets this instance has held, scrubbed from every error its steps report (one is made if absent). */
  secrets?: SecretRegistry;
  /**
   * Aborted by `stop()`: a sign-out's clear under way is fenced off by it, and a sign-in's failed
   * save tells by it that stop() fenced it off (stop() stops the chart, which aborts the save's own
   * signal). authchart makes it at its first read.
   */
  stopped?: AbortSignal;
}

/** The machine's context. Tokens inside it are {@link Sealed}: they serialise as `"[redacted]"`. */
export interface AuthContext {
  /** The instance's services (sealed: serialises as `"[redacted]"`). */
  deps: Sealed<AuthDeps> | null;
  config: AuthConfig;
  session: Session | null;
  signOut: SignOutProgress | null;
  /** A sign-out that went on to what storage held: its first round, which its callers' answer also reports. */
  earlierSignOut: SignOutProgress | null;
  /** `fetchTokens()` callers waiting for fresh tokens (a restore, or the one refresh they share). */
  tokenRequests: TokenRequest[];
  /** Callers waiting for the sign-out that runs (or, while restoring, will run). */
  signOutRequests: SignOutRequest[];
  /** The sign-in / adopt / confirm request being served, to answer the right caller. */
  signInRequest: {
    id: number;
    credentials?: Sealed<Credentials>;
    answer?: Sealed<string>;
    error?: AuthError;
    challenge?: ChallengeInfo;
    redirectUrl?: Sealed<string>;
    redirect?: { provider?: string; customState?: string };
    redirecting?: boolean;
    customState?: string;
    /** `adoptSession()`: the app handed these tokens in (and may still hold them). */
    adopted?: true;
  } | null;
  /** The challenge a sign-in waits at (Cognito's session string sealed inside). */
  challenge: PendingChallenge | null;
  /** The last challenge expired unanswered: `confirmSignIn()` then rejects `Expired`. */
  challengeExpired: boolean;
  /** A sign-in asked while restoring or signing out: it runs once that ends. */
  queuedSignIn: QueuedSignIn | null;
  /** Consecutive refresh failures for a network reason (for backoff). */
  refreshFailures: number;
  /**
   * `restoring` was entered because another tab signed in (not at start). A flag, not a state:
   * `restoring`'s read and its seven answers would be drawn twice, for the three that differ.
   */
  restoringForOtherTab: boolean;
  /**
   * A refresh's tokens are in memory but not yet in storage: the write is retried. A flag, not a
   * state: it outlives `signedIn`'s refresh cycle and runs into `signingOut` (the journal and the
   * clear read it), so a state would be a parallel region across both.
   */
  unstoredTokens: boolean;
  /** A refresh rotated the refresh token since the last write: no storage holds the one held here. */
  unstoredRefreshToken: boolean;
  /**
   * The last read of storage failed: signed out, a later read looks again. A flag, not a child of
   * `signedOut`: apps read `signedOut` as the state value, and a child would change what they see.
   */
  storageUnread: boolean;
  /**
   * The session `deleteUser()` deleted, whose record a failed clear (and journal) may have left: a
   * later read that finds it finishes the clear, never restores it (docs/sign-out.md row 32).
   */
  deletedSessionId?: string;
  /**
   * `signOut()` calls made while clearing: they start a sign-out of their own once this one ends.
   * Data, not a mode: a queue of callers to answer (`signedOut` reads it and goes to `restoring`).
   */
  lateSignOutRequests: { id: number; global: boolean }[];
  /** Why the last refresh was refused, while storage is checked for a newer refresh of this session. */
  refusedWith: AuthError | null;
  /**
   * Drain requests the outbox actor owes an answer; `null`: none runs (stopped once quiet and owing
   * nothing). Data, not a mode: a count that says when stopping it loses no request.
   */
  outboxAsks: number | null;
}

/** What the app is told about a challenge: what to ask the user for. No secret. */
export interface ChallengeInfo {
  challenge: ChallengeKind;
  /** Where the code went (masked), for `smsCode` and `emailCode`. */
  destination?: string;
  /** For `selectMfa`: the choices (`SMS_MFA`, `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`). */
  options?: string[];
}

/** A challenge in the chart's context: the service's answer, sealed, and what may be shown. */
export interface PendingChallenge {
  sealed: Sealed<SignInChallenge>;
  info: ChallengeInfo;
}

/** What a sign-in step (password or challenge answer) ends with. */
export type SignInOutcome = { session: Session; customState?: string } | { challenge: PendingChallenge };

/** What a code exchange ends with: a hosted-UI session, and the app's `customState`. */
export interface ExchangeOutcome {
  session: Session;
  customState?: string;
}

/** What starting a redirect sign-in ended with: the page leaves, or the opener brought the redirect back. */
export type RedirectOutcome = { redirectUrl: Sealed<string> } | { leaving: true };

/** A caller of `fetchTokens()`: the access token must stay valid this long (or be refreshed anyway). */
export interface TokenRequest {
  id: number;
  minValidityMs: number;
  forceRefresh: boolean;
}

/** A caller of `signOut()`, answered by id. */
export interface SignOutRequest {
  id: number;
  global: boolean;
  /** A `deleteUser()` caller: answered with the sign-out's result, or with the error if DeleteUser failed. */
  deletes?: true;
}

/** A sign-in that waits for a restore or a sign-out to end. */
export type QueuedSignIn =
  | { id: number; credentials: Sealed<Credentials> }
  | { id: number; session: Session }
  | { id: number; redirectUrl: Sealed<string> };

/** Events the machine accepts (sent by the `Auth` methods). */
export type AuthEvent =
  | { type: 'SIGN_IN'; id: number; credentials: Sealed<Credentials> }
  | { type: 'ADOPT_SESSION'; id: number; session: Session }
  | { type: 'SIGN_OUT'; id: number; global: boolean }
  /** `deleteUser()` from `authchart/account`: DeleteUser, then the local clear (a sign-out path). */
  | { type: 'DELETE_USER'; id: number }
  /** A step answered after the chart left it, and the refresh token in it could not be revoked (row 40). */
  | { type: 'TOKENS_UNREVOKED'; error: AuthError }
  /** The page became visible or the network came back: check the tokens now (see `WakeSource`). */
  | { type: 'WAKE' }
  /** `signInWithRedirect()`: leave for the hosted UI. */
  | { type: 'REDIRECT_SIGN_IN'; id: number; provider?: string; customState?: string }
  /** `handleRedirect(url)`: the hosted UI sent the user back with a code (or an error). */
  | { type: 'HANDLE_REDIRECT'; id: number; url: Sealed<string> }
  /** `confirmSignIn(answer)`: the answer to the challenge the sign-in waits at. */
  | { type: 'CONFIRM_SIGN_IN'; id: number; answer: Sealed<string> }
  /** `fetchTokens()`: tokens valid for at least `minValidityMs`, refreshed through the chart if needed. */
  | { type: 'FETCH_TOKENS'; id: number; minValidityMs: number; forceRefresh: boolean }
  /** `retryDeferredRevocations()`: drain the outbox now. */
  | { type: 'RETRY_DEFERRED'; id: number }
  /** From the outbox child: a drain ended. */
  | OutboxDrained
  /** Another tab of the same client signed out: follow without network calls. */
  | { type: 'SYNC_SIGNED_OUT' }
  /** Another tab of the same client signed in: read the shared storage again. */
  | { type: 'SYNC_SIGNED_IN' }
  /** `stop()`: the instance ends; a refresh token only it holds is reported first. */
  | { type: 'STOP' };

/** Events authchart emits (`auth.on`), all named for what happened. No payload carries a token. */
export type AuthEmitted =
  | { type: 'signedIn'; session: SessionInfo; restored: boolean }
  | { type: 'signedOut'; reason: SignOutReason | 'invalidSession'; result?: SignOutResult; error?: AuthError }
  | { type: 'signOutFailed'; result: SignOutResult & { status: 'failed' } }
  | { type: 'tokensRefreshed'; session: SessionInfo }
  | { type: 'tokenRefreshFailed'; error: AuthError; willRetry: boolean }
  /** The outbox was full (`maxDeferredRevocations`): its oldest refresh tokens were dropped, never to be revoked. */
  | { type: 'deferredRevocationsDropped'; count: number }
  /**
   * A refresh's tokens could not be written: they serve from memory, and the write is retried. Again
   * at `stop()` (code `Cancelled`) when a rotated refresh token was never stored: it is not known revoked.
   */
  | { type: 'tokensNotStored'; error: AuthError }
  /** A sign-in ended without a session after the app was told of a challenge (it expired). */
  | { type: 'signInFailed'; error: AuthError }
  /** Answers `signIn()` / `adoptSession()` / `confirmSignIn()` callers, by request id. */
  | {
      type: 'signInSettled';
      id: number;
      error?: AuthError | undefined;
      challenge?: ChallengeInfo | undefined;
      redirecting?: boolean | undefined;
      customState?: string | undefined;
    }
  /** Answers `deleteUser()` callers whose DeleteUser failed (or could not run): nothing changed. */
  | { type: 'userDeletionFailed'; ids: number[]; error: AuthError }
  /** Answers every `signOut()` caller of one sign-out, each with its own result. */
  | { type: 'signOutSettled'; answers: { id: number; result: SignOutResult }[] }
  /** Answers `fetchTokens()` callers (the tokens are read from the snapshot, never emitted). */
  | { type: 'tokensFetched'; ids: number[]; error?: AuthError | undefined }
  /** Answers `retryDeferredRevocations()` callers. */
  | {
      type: 'deferredRevocationsSettled';
      ids: number[];
      settled: number;
      remaining: number;
      error?: AuthError | undefined;
    };

/** The emitted events that answer a call; `auth.on` does not offer them. */
export type AuthAnswerName =
  | 'signInSettled'
  | 'signOutSettled'
  | 'deferredRevocationsSettled'
  | 'tokensFetched'
  | 'userDeletionFailed';

/** Event names for `auth.on`. */
export type AuthEventName = Exclude<AuthEmitted['type'], AuthAnswerName>;
/** The payload `auth.on(name, listener)` passes to its listener. */
export type AuthEventPayload<N extends AuthEventName> = Omit<Extract<AuthEmitted, { type: N }>, 'type'>;

/** The machine's input. */
export interface AuthInput {
  config: AuthConfig;
  deps?: Sealed<AuthDeps>;
}

/** What `restoring` reads from storage. */
export type RestoreOutput = LoadResult;
