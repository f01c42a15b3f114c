import { type AuthError, NETWORK_CODES } from '../errors.js';
import type { Session } from '../session/session.js';
import type { AuthConfig, AuthContext, SignOutProgress, SignOutResult, SignOutSteps } from './auth.types.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** After a successful refresh, the next one waits at least this long, whatever the tokens say. */
export const MIN_REFRESH_INTERVAL_MS = 1000;

/**
 * Milliseconds until the tokens should be refreshed: `refreshLeewayMs` before the access token
 * expires, but never more than half its lifetime early (short-lived tokens), never negative,
 * and never past what a timer can hold. Tokens with a known `obtainedAt` expire, on the local
 * clock, one lifetime (`exp - iat`) after it: device clock skew cannot cause a refresh loop.
 */
export function computeRefreshDelay(session: Session, config: AuthConfig, now: number): number {
  const lifetime = Math.max(0, session.accessTokenExpiresAt - session.accessTokenIssuedAt);
  const leeway = Math.min(config.refreshLeewayMs, lifetime / 2);
  const expiresAt = session.obtainedAt === undefined ? session.accessTokenExpiresAt : session.obtainedAt + lifetime;
  const floor = session.obtainedAt === undefined ? 0 : MIN_REFRESH_INTERVAL_MS - (now - session.obtainedAt);
  const delay = Math.max(expiresAt - leeway - now, floor);
  return Math.min(Math.max(0, Math.floor(delay)), MAX_TIMER_MS);
}

/** A refresh token that could not be revoked for a network reason goes to the outbox (`deferRevocation`). */
export function revocationToDefer(context: AuthContext): boolean {
  const p = context.signOut;
  return (
    context.config.deferRevocation &&
    context.session !== null &&
    p !== null &&
    p.revokeTokenError !== undefined &&
    NETWORK_CODES.has(p.revokeTokenError.code)
  );
}

/** The revocation policy applied to the current session. */
export function revocationPlanned(context: AuthContext): boolean {
  if (!context.session) return false;
  if (context.config.revocation === 'auto') return context.session.revocable;
  return context.config.revocation === 'always';
}

/** The steps of a sign-out before any has run. */
export function stepsNotRun(): SignOutSteps {
  return { hostedUISignOut: 'notRun', globalSignOut: 'notRun', revokeToken: 'notRun', clearCache: 'notRun' };
}

/** Turns the progress of a sign-out into the result its caller gets. */
export function signOutResult(p: SignOutProgress): SignOutResult {
  const base = { scope: p.scope, steps: { ...p.steps } };
  const stepErrors: { globalSignOutError?: AuthError; revokeTokenError?: AuthError } = {};
  if (p.globalSignOutError) stepErrors.globalSignOutError = p.globalSignOutError;
  if (p.revokeTokenError) stepErrors.revokeTokenError = p.revokeTokenError;
  if (p.error) return { status: 'failed', signedOutLocally: false, error: p.error, ...base, ...stepErrors };
  const clean = Object.values(p.steps).every((s) => s === 'done' || s === 'notRun');
  if (clean) return { status: 'complete', signedOutLocally: true, ...base };
  return {
    status: 'partial',
    signedOutLocally: true,
    ...base,
    ...stepErrors,
    ...(p.deferred ? { deferred: true } : {}),
  };
}
