/**
 * Every failure authchart reports is an {@link AuthError} with a literal `code`; docs/errors.md
 * says what each means, whether to retry, and what to show.
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
  | 'NotSignedIn'
  | 'UsernameExists'
  | 'LimitExceeded'
  /** A passkey sign-in, but no passkey support here (`createAuth({ passkeys })`, or WebAuthn in this browser). */
  | 'PasskeyUnsupported'
  /** The user cancelled the passkey prompt, or the authenticator refused (WebAuthn's `NotAllowedError`). */
  | 'PasskeyCancelled';

// Every code, once: the compiler checks this list against the type (a missing or extra key fails).
const CODES: Record<AuthErrorCode, 1> = {
  Offline: 1,
  Network: 1,
  Timeout: 1,
  NotAuthorized: 1,
  RevocationUnsupported: 1,
  Throttled: 1,
  Service: 1,
  StorageFailure: 1,
  StorageCorrupt: 1,
  AlreadySignedIn: 1,
  InvalidState: 1,
  Cancelled: 1,
  InvalidToken: 1,
  InvalidInput: 1,
  InvalidConfig: 1,
  ChallengeRequired: 1,
  GlobalSignOutNotRun: 1,
  Expired: 1,
  CodeMismatch: 1,
  InvalidPassword: 1,
  StateMismatch: 1,
  HostedUIError: 1,
  UserNotFound: 1,
  UserNotConfirmed: 1,
  PasswordResetRequired: 1,
  ExpiredCode: 1,
  GlobalSignOutUnsupported: 1,
  NotSignedIn: 1,
  UsernameExists: 1,
  LimitExceeded: 1,
  PasskeyUnsupported: 1,
  PasskeyCancelled: 1,
};

/** @internal Whether `value` is one of the {@link AuthErrorCode}s (a foreign AuthError may carry anything). */
export function isAuthErrorCode(value: unknown): value is AuthErrorCode {
  return typeof value === 'string' && Object.hasOwn(CODES, value);
}

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
/** The options an error carries when given, in `toJSON()`'s order. */
const OPTIONAL = ['serviceName', 'challengeName', 'tokenExpiresAt'] as const;

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
    for (const key of OPTIONAL) if (options[key] !== undefined) (this as Record<string, unknown>)[key] = options[key];
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
    const json: Record<string, unknown> = { name: this.name, code: this.code, message: this.message };
    for (const key of OPTIONAL) if (this[key] !== undefined) json[key] = this[key];
    return json as ReturnType<AuthError<C>['toJSON']>;
  }
}

/** Type guard; with `code`, also narrows to that code. */
export function isAuthError<C extends AuthErrorCode>(value: unknown, code?: C): value is AuthError<C> {
  return value instanceof AuthError && (code === undefined || value.code === code);
}

/**
 * A step's error as an AuthError. Every step reports through its instance's scrubber (an
 * AuthError, passed through); anything else did not, so nothing of it is kept: it holds whatever
 * the step was given, and without the instance's secrets it cannot be scrubbed here.
 */
export function toAuthError(value: unknown, what: string): AuthError {
  try {
    if (value instanceof AuthError) return value;
  } catch {
    // A Proxy whose getPrototypeOf trap throws: not ours.
  }
  return new AuthError('Service', `${what} failed`);
}

// A JWT or JWE (Cognito refresh tokens are JWEs): base64url header starting with `{"` then 2 or 4 more parts.
export const JWT_LIKE = /eyJ[\w-]*(?:\.[\w-]*){2,4}/g;

/** Removes anything shaped like a JWT/JWE from a message. */
export function scrubSecrets(text: string): string {
  return text.replace(JWT_LIKE, '[redacted token]');
}
