import type { Actor } from 'xstate';
import type { AuthMachine } from './machines/auth.machine.js';
import type { AuthEventName, AuthEventPayload, ChallengeInfo, SignOutResult } from './machines/auth.types.js';
import type { AwsCredentials, Credentials, Tokens } from './services/types.js';
import type { SessionInfo, SignedInWith } from './session/session.js';

/** The deepest state the machine is in, as a dotted path. */
export type AuthStateValue =
  | 'restoring.readingStoredSession'
  | 'restoring.discardingInvalidSession'
  | 'signedOut'
  | 'signingIn.checkingConnectivity'
  | 'signingIn.authenticating'
  | 'signingIn.redirecting'
  | 'signingIn.exchangingCode'
  | 'signingIn.challenged.routing'
  | 'signingIn.challenged.newPasswordRequired'
  | 'signingIn.challenged.totpCodeRequired'
  | 'signingIn.challenged.smsCodeRequired'
  | 'signingIn.challenged.emailCodeRequired'
  | 'signingIn.challenged.mfaSelectionRequired'
  | 'signingIn.challenged.challengeSelectionRequired'
  | 'signingIn.challenged.passwordRequired'
  | 'signingIn.challenged.passkey'
  | 'signingIn.challenged.answering'
  | 'signingIn.savingSession'
  | 'signedIn.waitingToRefresh'
  | 'signedIn.checkingTokens'
  | 'signedIn.checkingStorage'
  | 'signedIn.refreshingTokens'
  | 'signedIn.waitingToRetryRefresh'
  | 'signedIn.waitingToRetryStore'
  | 'signedIn.checkingRefusedSession'
  | 'signedIn.waitingToRecheck'
  | 'signingOut.choosingRemoteStep'
  | 'signedIn.storingRefreshedTokens'
  | 'signingOut.deletingUser'
  | 'signingOut.checkingHostedUI'
  | 'signingOut.signingOutOfHostedUI'
  | 'signingOut.writingJournal'
  | 'signingOut.checkingConnectivity'
  | 'signingOut.refreshingForGlobalSignOut'
  | 'signingOut.signingOutGlobally'
  | 'signingOut.revokingRefreshToken'
  | 'signingOut.clearingCache';

/**
 * What a sign-in step ended with: signed in, or a challenge to answer with `confirmSignIn()`
 * (`newPassword`, `totpCode`, `smsCode` and `emailCode` take the code or password; `selectMfa`
 * takes one of `options`).
 */
export type SignInResult =
  | {
      status: 'signedIn' /** The `customState` given to `signInWithRedirect`, after a redirect. */;
      customState?: string;
    }
  | ({ status: 'challenge' } & ChallengeInfo)
  /** `signInWithRedirect()` in a browser: the page is leaving for the hosted UI. */
  | { status: 'redirecting' };

/** What the app may know about the session: {@link SessionInfo} without the scheduling details. No token strings. */
export type SessionView = Omit<SessionInfo, 'accessTokenIssuedAt' | 'obtainedAt'>;

/** An immutable view of the auth state, for UI bindings; a new object only when something changed. */
export interface AuthSnapshot {
  /** The deepest state, e.g. `signingOut.revokingRefreshToken`. */
  state: AuthStateValue;
  /** The top-level state. */
  status: 'restoring' | 'signedOut' | 'signingIn' | 'signedIn' | 'signingOut';
  session: SessionView | null;
}

/** A running auth instance: one statechart actor and a small promise API over it. */
export interface Auth {
  /** Resolves when the stored session has been read (restored or not), or the instance stopped. */
  readonly ready: Promise<void>;
  /**
   * The current {@link AuthSnapshot}; the same object until the state or session changes, so it
   * works with `useSyncExternalStore` and other external-store contracts together with {@link Auth.subscribe}.
   */
  getSnapshot(): AuthSnapshot;
  /** The current state. */
  readonly state: AuthStateValue;
  /**
   * Signs in with a password, or without one (Cognito's `USER_AUTH`: `{ username,
   * preferredChallenge? }`, then a code, a passkey or the password). Callable at any time: during
   * a restore or a sign-out it runs once that ends. Rejects `AlreadySignedIn` while a user is
   * signed in, `Cancelled` if a later `signOut()` overtakes it, `InvalidState` while another
   * sign-in runs or waits. Resolves `{ status: 'challenge', … }` when Cognito asks for one more
   * answer: see `confirmSignIn`. A passkey challenge asks the app nothing: the prompt runs
   * (`createAuth({ passkeys })`) and the call resolves when it and the sign-in end.
   */
  signIn(input: Credentials): Promise<SignInResult>;
  /**
   * Answers the challenge a sign-in waits at: the new password, the code, the password, or (for
   * `selectMfa` and `selectChallenge`) one of the offered options. Resolves `signedIn` or the next
   * challenge (choosing `WEB_AUTHN` runs the passkey prompt before it resolves). A wrong code or a weak
   * password rejects (`CodeMismatch`, `InvalidPassword`) and the same challenge may be answered
   * again; outside a challenge it rejects `InvalidState`, after it expired `Expired`.
   */
  confirmSignIn(answer: string): Promise<SignInResult>;
  /**
   * Signs in through the hosted UI (needs `createAuth({ hostedUI })`): builds the authorize URL
   * with PKCE S256, `state` and `nonce`, keeps the transaction in storage, and opens the URL. In a
   * browser the page leaves (`redirecting`); an opener that returns the callback URL signs in at once.
   */
  signInWithRedirect(options?: { provider?: string; customState?: string }): Promise<SignInResult>;
  /**
   * Finishes a hosted-UI sign-in on the page it returned to: checks `state`, exchanges the code
   * once and saves the tokens as a `hostedUI` session. Callable before `ready`. An `error`
   * parameter, a reused code or a tampered `state` each reject with a typed error and store nothing.
   */
  handleRedirect(url: string): Promise<SignInResult>;
  /** Stores tokens obtained elsewhere (hosted UI redirect, another SDK) as the signed-in session; same rules as `signIn`. */
  adoptSession(tokens: Tokens, options?: { signedInWith?: SignedInWith }): Promise<void>;
  /**
   * Always settles; never throws. Callable at any time: before `ready` it signs out whatever is
   * restored; during a sign-out it joins it (a global request upgrades a local one while
   * GlobalSignOut can still run, and otherwise says it did not run).
   */
  signOut(options?: { global?: boolean }): Promise<SignOutResult>;
  /** Who is signed in (also while signing out), without token strings; `null` when signed out. */
  getSession(): SessionView | null;
  /** The current tokens as held now, with no refresh (they may be expired). `null` when signed out. */
  getTokens(): Tokens | null;
  /**
   * Tokens whose access token stays valid at least `minValidityMs` (default 60 000), refreshed
   * through the chart when needed (or always, with `forceRefresh`). Concurrent callers share one
   * refresh. Rejects `NotSignedIn` when no user is signed in, `Cancelled` if a sign-out ends the
   * session first, `NotAuthorized` if the refresh token was refused (the session ends), and
   * `Network`/`Offline`/`Timeout` with `error.tokenExpiresAt` (the tokens held may still do).
   */
  fetchTokens(options?: { minValidityMs?: number; forceRefresh?: boolean }): Promise<Tokens>;
  /**
   * AWS credentials from the identity pool given as `createAuth({ credentials })`: the signed-in
   * user's (for the ID token `fetchTokens()` answers), else a guest's if the pool allows guests, else
   * `NotSignedIn`. Held until shortly before `expiration` (or fetched again with `forceRefresh`); one
   * fetch serves every caller. Any way out of `signedIn` forgets them, and a fetch under way then
   * rejects `Cancelled`. Rejects `InvalidConfig` without `credentials`, `Cancelled` after `stop()`.
   * Hand it to the AWS SDK v3: `credentials: () => auth.fetchCredentials()`.
   */
  fetchCredentials(options?: { forceRefresh?: boolean }): Promise<AwsCredentials>;
  /** Called with every new state; returns an unsubscribe function. */
  subscribe(listener: (state: AuthStateValue) => void): () => void;
  /**
   * Listens to `signedIn`, `signedOut`, `signOutFailed`, `tokensRefreshed`, `tokenRefreshFailed`,
   * `signInFailed`, `deferredRevocationsDropped`, `tokensNotStored`; returns an unsubscribe function.
   */
  on<N extends AuthEventName>(event: N, listener: (payload: AuthEventPayload<N>) => void): () => void;
  /** The XState actor, for `@xstate/react`, `@xstate/vue`, Stately Inspector. */
  readonly actor: Actor<AuthMachine>;
  /**
   * Retries RevokeToken for refresh tokens kept by `deferRevocation` (also done by itself at start
   * and when connectivity returns). Resolves with how many were revoked or refused for good, and how many remain.
   */
  retryDeferredRevocations(): Promise<{ settled: number; remaining: number }>;
  /** Stops timers and in-flight requests. Every pending call settles: `signIn` rejects and `signOut` resolves `failed`, with `Cancelled`. */
  stop(): void;
}
