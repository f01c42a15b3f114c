import type { AuthError } from '../errors.js';
import type { Sealed } from '../session/sealed.js';
import type { Session, SessionInfo } from '../session/session.js';
import type { Credentials } from '../services/types.js';

export type RevocationPolicy = 'auto' | 'always' | 'never';

export interface AuthConfig {
  /** When to call RevokeToken: `auto` only if the access token has `origin_jti` (revocation enabled on the app client). */
  revocation: RevocationPolicy;
  /** Bound on each remote step (GlobalSignOut, RevokeToken, sign-in, refresh). */
  remoteStepMs: number;
  /** Bound on the hosted UI `/logout` step, which may wait on a person. */
  hostedUISignOutMs: number;
  /** Refresh this long before the access token expires (at most half its lifetime). */
  refreshLeewayMs: number;
  /** Wait before retrying a refresh that failed for a network reason. */
  refreshRetryMs: number;
}

/** What happened to one step of a sign-out. */
export type StepOutcome =
  /** Ran and succeeded. */
  | 'done'
  /** Ran and failed; the error is in the result. */
  | 'failed'
  /** Was planned but not attempted (offline, or an earlier step found the network down). */
  | 'skipped'
  /** Not part of this sign-out (not asked for, not needed, or disabled by the revocation policy). */
  | 'notRun';

export interface SignOutSteps {
  hostedUISignOut: StepOutcome;
  globalSignOut: StepOutcome;
  revokeToken: StepOutcome;
  clearCache: StepOutcome;
}

export type SignOutScope = 'local' | 'global';

interface ResultBase {
  scope: SignOutScope;
  /** Exactly what ran, per step. */
  steps: SignOutSteps;
}

export type SignOutResult =
  | (ResultBase & { status: 'complete'; signedOutLocally: true })
  | (ResultBase & {
      status: 'partial';
      signedOutLocally: true;
      globalSignOutError?: AuthError;
      revokeTokenError?: AuthError;
    })
  | (ResultBase & {
      status: 'failed';
      signedOutLocally: false;
      error: AuthError;
      globalSignOutError?: AuthError;
      revokeTokenError?: AuthError;
    });

/** Why a sign-out is running. */
export type SignOutReason = 'signOut' | 'refreshRejected' | 'signInCancelled';

/** The sign-out in progress, built step by step into a {@link SignOutResult}. */
export interface SignOutProgress {
  scope: SignOutScope;
  reason: SignOutReason;
  username: string | null;
  steps: SignOutSteps;
  globalSignOutError?: AuthError;
  revokeTokenError?: AuthError;
  /** Set when the sign-out failed (user still signed in). */
  error?: AuthError;
}

export interface AuthContext {
  config: AuthConfig;
  session: Session | null;
  signOut: SignOutProgress | null;
  /** The id of the sign-in / adopt request being served, to answer the right caller. */
  signInRequest: { id: number; error?: AuthError } | null;
  /** Consecutive refresh failures for a network reason (for backoff). */
  refreshFailures: number;
}

export type AuthEvent =
  | { type: 'SIGN_IN'; id: number; credentials: Sealed<Credentials> }
  | { type: 'ADOPT_SESSION'; id: number; session: Session }
  | { type: 'SIGN_OUT'; global: boolean };

/** Events authchart emits (`auth.on`). No payload carries a token. */
export type AuthEmitted =
  | { type: 'signedIn'; session: SessionInfo; restored: boolean }
  | { type: 'signedOut'; reason: SignOutReason | 'invalidSession'; result?: SignOutResult; error?: AuthError }
  | { type: 'signOutFailed'; result: SignOutResult & { status: 'failed' } }
  | { type: 'tokenRefresh'; session: SessionInfo }
  | { type: 'tokenRefreshFailure'; error: AuthError; willRetry: boolean }
  | { type: 'signInSettled'; id: number; error?: AuthError }
  | { type: 'signOutSettled'; result: SignOutResult };

export type AuthEventName = Exclude<AuthEmitted['type'], 'signInSettled' | 'signOutSettled'>;
export type AuthEventPayload<N extends AuthEventName> = Omit<Extract<AuthEmitted, { type: N }>, 'type'>;

export interface AuthInput {
  config: AuthConfig;
}

/** What `restoring` reads from storage. */
export type RestoreOutput =
  | { status: 'none' }
  | { status: 'found'; session: Session }
  | { status: 'invalid'; username: string | null; error: AuthError };
