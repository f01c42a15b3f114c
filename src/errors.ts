/**
 * Every failure authchart reports is an {@link AuthError} with a literal `code`.
 * Messages are written by authchart and never contain a token; foreign messages
 * are passed through {@link scrubSecrets} before they become part of one.
 */
export type AuthErrorCode =
  | 'Offline'
  | 'Network'
  | 'Timeout'
  | 'NotAuthorized'
  | 'RevocationUnsupported'
  | 'Throttled'
  | 'Service'
  | 'StorageFailure'
  /** The token file is not a JSON object (empty, truncated, not JSON): reported once, then it counts as empty. */
  | 'StorageCorrupt'
  | 'AlreadySignedIn'
  | 'InvalidState'
  | 'Cancelled'
  | 'HostedUISignOut'
  | 'InvalidToken'
  | 'InvalidInput'
  | 'InvalidConfig'
  | 'ChallengeRequired'
  /** A global sign-out was asked, but the running sign-out could no longer call GlobalSignOut. */
  | 'GlobalSignOutNotRun'
  /** A sign-in challenge (Cognito's session) expired before it was answered. */
  | 'Expired'
  /** A challenge code was wrong. */
  | 'CodeMismatch'
  /** A new password does not meet the pool's policy. */
  | 'InvalidPassword'
  /** The hosted-UI redirect's `state` is not the one this app sent (tampered, or another tab's sign-in). */
  | 'StateMismatch'
  /** The hosted UI answered with an OAuth `error` parameter (its name is in `serviceName`). */
  | 'HostedUIError'
  | 'UserNotFound'
  | 'UserNotConfirmed'
  | 'PasswordResetRequired'
  | 'ExpiredCode'
  /** GlobalSignOut cannot run: the access token lacks the `aws.cognito.signin.user.admin` scope. */
  | 'GlobalSignOutUnsupported'
  /** `fetchTokens()` while no user is signed in. */
  | 'NotSignedIn';

/** Codes that mean "no authoritative answer came back": the request may never have reached Cognito. */
export const NETWORK_CODES: ReadonlySet<AuthErrorCode> = new Set(['Offline', 'Network', 'Timeout']);

/** Options of the {@link AuthError} constructor. */
export interface AuthErrorOptions {
  cause?: unknown;
  /** For `Service` errors: the name the service gave (e.g. `InternalErrorException`). */
  serviceName?: string;
  /** For `ChallengeRequired`: the Cognito challenge name (e.g. `SOFTWARE_TOKEN_MFA`). */
  challengeName?: string;
  /** For a `fetchTokens()` refresh that failed on the network: when the tokens the app still holds expire (ms). */
  tokenExpiresAt?: number;
}

/** The one error type authchart reports: a literal `code`, a token-free message, and `cause`. */
export class AuthError<C extends AuthErrorCode = AuthErrorCode> extends Error {
  override readonly name = 'AuthError';
  readonly code: C;
  readonly serviceName?: string;
  readonly challengeName?: string;
  /** See {@link AuthErrorOptions.tokenExpiresAt}. */
  readonly tokenExpiresAt?: number;

  constructor(code: C, message: string, options: AuthErrorOptions = {}) {
    super(scrubSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.serviceName !== undefined) this.serviceName = options.serviceName;
    if (options.challengeName !== undefined) this.challengeName = options.challengeName;
    if (options.tokenExpiresAt !== undefined) this.tokenExpiresAt = options.tokenExpiresAt;
  }

  /** Serialised form: code and message only (never the cause, which may hold foreign data). */
  toJSON(): {
    name: 'AuthError';
    code: C;
    message: string;
    serviceName?: string;
    challengeName?: string;
    tokenExpiresAt?: number;
  } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.serviceName === undefined ? {} : { serviceName: this.serviceName }),
      ...(this.challengeName === undefined ? {} : { challengeName: this.challengeName }),
      ...(this.tokenExpiresAt === undefined ? {} : { tokenExpiresAt: this.tokenExpiresAt }),
    };
  }
}

/** Type guard; with `code`, also narrows to that code. */
export function isAuthError<C extends AuthErrorCode>(value: unknown, code?: C): value is AuthError<C> {
  return value instanceof AuthError && (code === undefined || value.code === code);
}

/** Whatever a service threw, as an AuthError: AuthErrors pass through, anything else is `Service`. */
export function toAuthError(value: unknown, what: string): AuthError {
  if (value instanceof AuthError) return value;
  const name = value instanceof Error ? value.name : typeof value;
  const detail = value instanceof Error ? value.message : String(value);
  return new AuthError('Service', `${what} failed: ${name}: ${detail}`, { cause: value, serviceName: name });
}

// A JWT or JWE (Cognito refresh tokens are JWEs): base64url header starting with `{"` then 2 or 4 more parts.
const JWT_LIKE = /eyJ[\w-]*(?:\.[\w-]*){2,4}/g;

/** Removes anything shaped like a JWT/JWE from a message. */
export function scrubSecrets(text: string): string {
  return text.replace(JWT_LIKE, '[redacted token]');
}
