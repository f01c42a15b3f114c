import { AuthError, NETWORK_CODES } from '../errors.js';
import { unseal } from '../session/sealed.js';
import type { Session } from '../session/session.js';
import type {
  AuthConfig,
  AuthContext,
  SignOutProgress,
  SignOutRequest,
  SignOutResult,
  SignOutSteps,
} from './auth.types.js';

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
  const expiresAt = localExpiry(session);
  const floor = session.obtainedAt === undefined ? 0 : MIN_REFRESH_INTERVAL_MS - (now - session.obtainedAt);
  const delay = Math.max(expiresAt - leeway - now, floor);
  return Math.min(Math.max(0, Math.floor(delay)), MAX_TIMER_MS);
}

/** When the access token expires on the local clock (from its lifetime, when the arrival time is known). */
export function localExpiry(session: Session): number {
  const lifetime = Math.max(0, session.accessTokenExpiresAt - session.accessTokenIssuedAt);
  return session.obtainedAt === undefined ? session.accessTokenExpiresAt : session.obtainedAt + lifetime;
}

/** Every waiting `fetchTokens()` caller is served by the tokens held now. */
export function tokensFreshFor(context: AuthContext, now: number): boolean {
  const session = context.session;
  if (!session) return false;
  const left = localExpiry(session) - now;
  return context.tokenRequests.every((r) => !r.forceRefresh && left >= r.minValidityMs);
}

/** A refresh failed without an answer: the error says when the tokens the app still holds expire. */
export function withTokenExpiry(error: AuthError, session: Session | null): AuthError {
  if (!session) return error;
  return new AuthError(error.code, error.message, { cause: error, tokenExpiresAt: localExpiry(session) });
}

/** Storage could not confirm a sync message: `StorageFailure`, saying when the tokens held here expire. */
export function unconfirmedAnswer(error: AuthError, session: Session | null): AuthError {
  const storageError =
    error.code === 'StorageFailure' ? error : new AuthError('StorageFailure', error.message, { cause: error });
  return withTokenExpiry(storageError, session);
}

/** The refresh answered with a new refresh token (rotation): until it is written, no storage holds it. */
export function rotatesRefreshToken(before: Session | null, after: Session): boolean {
  return before !== null && unseal(before.tokens).refreshToken !== unseal(after.tokens).refreshToken;
}

/**
 * `stop()` with a rotated refresh token no storage holds: what the app is told (`tokensNotStored`,
 * code `Cancelled`), and whether authchart revokes it on the way out. Never while a write of it is
 * under way (it may land: revoking would kill the stored session), and only by the revocation policy.
 */
export function unstoredAtStop(context: AuthContext, writing: boolean): { error: AuthError; revoke: boolean } | null {
  if (!context.session) return null;
  const p = context.signOut;
  // The sign-out of a sign-in whose tokens could not be stored: only this context ever held them (row 25).
  if (p?.reason === 'signInCancelled' && p.steps.revokeToken !== 'done' && p.steps.globalSignOut !== 'done') {
    const revoke = revocationPlanned(context);
    const why = `stop() while signing out an unstored sign-in: ${stoppedRevocation(revoke)}`;
    return { error: new AuthError('Cancelled', why), revoke };
  }
  if (!context.unstoredRefreshToken) return null;
  const lead = 'stop(): a rotated refresh token that no storage holds;';
  if (writing)
    return { error: new AuthError('Cancelled', `${lead} its write may still land: not revoked`), revoke: false };
  const revoke = revocationPlanned(context);
  return { error: new AuthError('Cancelled', `${lead} ${stoppedRevocation(revoke)}`), revoke };
}

/** What `stop()` did about a refresh token no storage holds (docs/errors.md explains). */
export const stoppedRevocation = (revoke: boolean): string =>
  revoke ? 'RevokeToken sent, not awaited: not known to be revoked' : 'not revoked (revocation policy)';

/** With `deferRevocation`, a remote step that failed for a network reason is kept in the outbox for later. */
const deferrable = (context: AuthContext, error: AuthError | undefined): boolean =>
  context.config.deferRevocation && context.session !== null && error !== undefined && NETWORK_CODES.has(error.code);

/** A refresh token that could not be revoked for a network reason goes to the outbox (`deferRevocation`). */
export const revocationToDefer = (context: AuthContext): boolean =>
  deferrable(context, context.signOut?.revokeTokenError);

/** A global sign-out that failed on the network is kept whole in the outbox: GlobalSignOut, then RevokeToken. */
export const globalSignOutToDefer = (context: AuthContext): boolean =>
  context.signOut?.scope === 'global' && deferrable(context, context.signOut.globalSignOutError);

/** What the clear keeps in the outbox, if anything. */
export function deferredEntry(context: AuthContext): { global: boolean } | null {
  if (globalSignOutToDefer(context)) return { global: true };
  return revocationToDefer(context) ? { global: false } : null;
}

/** The revocation policy applied to the current session. */
export function revocationPlanned(context: AuthContext): boolean {
  // A deleted user's tokens are invalid already (Cognito's DeleteUser): nothing to revoke.
  // Nor an adopted session's that could not be saved: those tokens are the app's (row 25).
  if (!context.session || context.signOut?.reason === 'userDeleted' || context.signOut?.appsTokens) return false;
  if (context.config.revocation === 'auto') return context.session.revocable;
  return context.config.revocation === 'always';
}

/** The steps of a sign-out before any has run. */
export function stepsNotRun(): SignOutSteps {
  return { hostedUISignOut: 'notRun', globalSignOut: 'notRun', revokeToken: 'notRun', clearCache: 'notRun' };
}

/**
 * A sign-out that went on to what storage held answers for both rounds: a step that failed or was
 * skipped in the first round is reported so, with its error, even if the second round did it.
 */
export function withEarlierRound(p: SignOutProgress, earlier: SignOutProgress | null): SignOutProgress {
  if (!earlier) return p;
  const merged: SignOutProgress = { ...p, steps: { ...p.steps } };
  for (const step of ['hostedUISignOut', 'globalSignOut', 'revokeToken'] as const) {
    const before = earlier.steps[step];
    if (before !== 'failed' && before !== 'skipped') continue;
    merged.steps[step] = before;
    const error = earlier[`${step}Error`];
    if (error) merged[`${step}Error`] = error;
  }
  // What the first round left in the outbox (or could not) is said too.
  const { deferred, deferredError, oldLayoutToken } = earlier;
  return {
    ...merged,
    ...(deferred && { deferred }),
    ...(deferredError && { deferredError }),
    ...(oldLayoutToken && { oldLayoutToken }),
  };
}

/** Turns the progress of a sign-out into the result its caller gets. */
export function signOutResult(p: SignOutProgress): SignOutResult {
  const base = { scope: p.scope, steps: { ...p.steps } };
  const stepErrors: { hostedUISignOutError?: AuthError; globalSignOutError?: AuthError; revokeTokenError?: AuthError } =
    {};
  if (p.hostedUISignOutError) stepErrors.hostedUISignOutError = p.hostedUISignOutError;
  if (p.globalSignOutError) stepErrors.globalSignOutError = p.globalSignOutError;
  if (p.revokeTokenError) stepErrors.revokeTokenError = p.revokeTokenError;
  if (p.error) return { status: 'failed', signedOutLocally: false, error: p.error, ...base, ...stepErrors };
  const clean = Object.values(p.steps).every((s) => s === 'done' || s === 'notRun');
  // `deferred` steps have not run yet: partial, with `deferred: true`.
  if (clean && !p.oldLayoutToken) return { status: 'complete', signedOutLocally: true, ...base };
  return {
    status: 'partial',
    signedOutLocally: true,
    ...base,
    ...stepErrors,
    ...(p.deferred ? { deferred: true } : {}),
    ...(p.deferredError ? { deferred: false, deferredError: p.deferredError } : {}),
    ...(p.oldLayoutToken ? { oldLayoutToken: p.oldLayoutToken } : {}),
  };
}

/**
 * Each waiting caller's answer. A caller who asked for a global sign-out that ran as a local one
 * (it joined too late to upgrade it, or this context was following another's sign-out) is told
 * that GlobalSignOut did not run, and why: never silently the local answer.
 */
export function signOutAnswers(
  p: SignOutProgress,
  requests: readonly SignOutRequest[],
): { id: number; result: SignOutResult }[] {
  const result = signOutResult(p);
  return requests.map(({ id, global }) => {
    if (!global || p.scope === 'global' || p.username === null) return { id, result };
    const why =
      p.reason === 'otherTab' ? 'another context signed out first' : 'the running local sign-out was too far along';
    const globalSignOutError = new AuthError('GlobalSignOutNotRun', `GlobalSignOut did not run: ${why}`);
    const steps: SignOutSteps = { ...result.steps, globalSignOut: 'skipped' };
    if (result.status === 'failed') return { id, result: { ...result, scope: 'global', steps, globalSignOutError } };
    const { status: _status, ...rest } = result;
    return { id, result: { ...rest, status: 'partial', scope: 'global', steps, globalSignOutError } };
  });
}

/**
 * Offline at the start, or a step found the network down: every remote step still planned is
 * marked skipped, with the reason, and the flow goes straight to clearing.
 */
export function skipRemaining(context: AuthContext, reason: 'Offline' | 'Network'): SignOutProgress {
  const p = context.signOut;
  if (!p) throw new AuthError('InvalidState', 'No sign-out in progress');
  const earlier = p.globalSignOutError ?? p.revokeTokenError;
  const code = reason === 'Offline' ? 'Offline' : (earlier?.code ?? 'Network');
  const why = reason === 'Offline' ? 'skipped: the device is offline' : `skipped: an earlier step failed with ${code}`;
  const next: SignOutProgress = { ...p, steps: { ...p.steps } };
  if (p.scope === 'global' && p.steps.globalSignOut === 'notRun') {
    next.steps.globalSignOut = 'skipped';
    next.globalSignOutError = new AuthError(code, `GlobalSignOut ${why}`);
  }
  if (revocationPlanned(context) && p.steps.revokeToken === 'notRun' && p.steps.globalSignOut !== 'done') {
    next.steps.revokeToken = 'skipped';
    next.revokeTokenError = new AuthError(code, `RevokeToken ${why}`);
  }
  return next;
}

/** The clear kept the token in the outbox: the steps it will run later say `deferred`. */
export function markDeferredSteps(
  context: AuthContext,
  clear: { outboxError?: AuthError | undefined; gone: boolean; oldLayout?: SignOutProgress['oldLayoutToken'] },
): SignOutProgress {
  const { outboxError, gone, oldLayout } = clear;
  const signOut = context.signOut;
  if (!signOut) throw new AuthError('InvalidState', 'No sign-out in progress');
  // The old layout's token beside the record (row 29): the answer says where it went.
  const p = oldLayout ? { ...signOut, oldLayoutToken: oldLayout } : signOut;
  const entry = deferredEntry(context);
  // Nothing kept: not planned, or another context had signed this session out (it saw to the token).
  if (!entry || gone) return { ...p, deferred: false };
  // The outbox could not be written: signed out all the same, and the result says nothing waits.
  if (outboxError) return { ...p, deferred: false, deferredError: outboxError };
  const steps: SignOutSteps = { ...p.steps, revokeToken: 'deferred' };
  if (entry.global) steps.globalSignOut = 'deferred';
  return { ...p, steps, deferred: true };
}
