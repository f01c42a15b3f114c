/**
 * One error table for both Cognito transports (`authchart/cognito` on fetch, `authchart/cognito-sdk`):
 * a Cognito exception name (and the operation it came from) becomes an {@link AuthError} code.
 */
import { AuthError, type AuthErrorCode } from '../../errors.js';
import type { AccountOperation } from '../../services/types.js';
import { clip, safeName } from '../http.js';

/** The Cognito operations authchart calls. */
export type CognitoOperation =
  | 'InitiateAuth'
  | 'RespondToAuthChallenge'
  | 'GlobalSignOut'
  | 'RevokeToken'
  | AccountOperation;

// Cognito exceptions whose name minus `Exception` is the AuthError code.
const SAME_NAME = new Set([
  'NotAuthorized',
  'UserNotFound',
  'UserNotConfirmed',
  'PasswordResetRequired',
  'CodeMismatch',
  'ExpiredCode',
  'InvalidPassword',
  'UsernameExists',
]);
const THROTTLES = new Set(['TooManyRequestsException', 'LimitExceededException', 'TooManyFailedAttemptsException']);

/** Names that mean "try again later": retried once by the fetch transport. */
export function isThrottle(name: string, status: number): boolean {
  return status === 429 || THROTTLES.has(name);
}

/** The code for an exception Cognito answered with. */
export function codeFor(name: string, operation: CognitoOperation, message: string): AuthErrorCode {
  // An emulator (cognito-local) says InvalidPasswordException for a wrong password at sign-in.
  if (name === 'InvalidPasswordException' && operation === 'InitiateAuth') return 'NotAuthorized';
  // The ~3-minute challenge session ran out: "Invalid session for the user, session is expired."
  if (name === 'NotAuthorizedException' && operation === 'RespondToAuthChallenge' && /session/i.test(message)) {
    return 'Expired';
  }
  if (name === 'UnsupportedOperationException' && operation === 'RevokeToken') return 'RevocationUnsupported';
  if (THROTTLES.has(name)) return 'Throttled';
  const short = name.replace(/Exception$/, '');
  return SAME_NAME.has(short) ? (short as AuthErrorCode) : 'Service';
}

/**
 * Cognito refused: `name` is the exception (`NotAuthorizedException`), `status` the HTTP status.
 * Both come from the endpoint, so they are bounded, and `secrets` (what was sent) blanked out.
 */
export function refusal(
  rawName: string,
  message: string,
  status: number,
  operation: CognitoOperation,
  secrets: readonly string[],
  cause?: unknown,
): AuthError {
  const name = safeName(rawName, 'UnknownError');
  const code = status === 429 ? 'Throttled' : codeFor(name, operation, message);
  const detail = message ? `: ${clip(message, 200, secrets)}` : '';
  return new AuthError(code, `${operation} was refused by Cognito: ${name} (HTTP ${status})${detail}`, {
    cause,
    serviceName: name,
  });
}

/** The values of a request that must not come back in a message: all but the public names. */
export function sentValues(body: unknown): string[] {
  if (typeof body === 'string') return [body];
  if (!body || typeof body !== 'object') return [];
  return Object.entries(body).flatMap(([key, value]) =>
    /^(ClientId|AuthFlow|ChallengeName)$/.test(key) ? [] : sentValues(value),
  );
}

const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/** The system error code in an error, its `cause` chain or an AggregateError's `errors`. */
function systemCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)) return e.code;
  const fromCause = systemCode(e.cause, depth + 1);
  if (fromCause) return fromCause;
  return Array.isArray(e.errors) ? systemCode(e.errors[0], depth + 1) : undefined;
}

/** No answer came back: aborted (our step bound) is `Timeout`; anything else is `Network`, naming the cause. */
export function noAnswer(error: unknown, operation: CognitoOperation, signal?: AbortSignal): AuthError {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  if (signal?.aborted || name === 'AbortError' || name === 'TimeoutError') {
    return new AuthError('Timeout', `${operation} was aborted before Cognito answered`, { cause: error });
  }
  const code = systemCode(error);
  const why = code
    ? `${CAUSES[code] ?? 'network error'} (${code})`
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : 'network error';
  return new AuthError('Network', `${operation} got no answer from Cognito: ${why}`, { cause: error });
}
