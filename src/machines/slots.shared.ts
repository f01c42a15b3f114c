import type { AuthErrorCode } from '../errors.js';
import { AuthError } from '../errors.js';
import type { AuthServices, ChallengeKind, SignInChallenge, SignInStep, Tokens } from '../services/types.js';
import { SecretRegistry } from '../session/redact.js';
import { type Sealed, seal, unseal } from '../session/sealed.js';
import { answerObject, type Session, sessionFromTokens, tokenStringsOf } from '../session/session.js';
import { type TokenExpectations, tokenCheckFailure } from '../session/token-checks.js';
import type { AuthDeps, ChallengeInfo, SignInOutcome } from './auth.types.js';

export function depsOf(deps: Sealed<AuthDeps> | null): AuthDeps {
  if (!deps) throw new AuthError('InvalidConfig', 'The chart needs input.deps');
  return unseal(deps);
}

// Deps built by hand (tests, custom hosts) may lack a registry: each gets its own, once.
const registries = new WeakMap<AuthDeps, SecretRegistry>();
export function secretsOf(deps: AuthDeps): SecretRegistry {
  if (deps.secrets) return deps.secrets;
  const made = registries.get(deps) ?? new SecretRegistry();
  registries.set(deps, made);
  return made;
}

/** Remembers a session's tokens as secrets of this instance, and passes the session on. */
export function remembered(deps: AuthDeps, session: Session): Session {
  secretsOf(deps).remember(tokenStringsOf(unseal(session.tokens)));
  return session;
}

/** A throwing listener or provider must not break the machine; its error is re-thrown outside it. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** Holds values as secrets of the running step (see {@link scrubbed}). */
export type Hold = (...values: unknown[]) => void;

/**
 * Wraps a step so that whatever it throws reaches the chart (and the inspector) scrubbed of every
 * secret this instance holds, with a safe copy of its cause chain (see session/redact.ts). `what`
 * is the chart's name for the step, so messages read as before.
 *
 * The step may `hold` values (a password, a code) while it runs. They are released here, after
 * the one scrub of what the step threw, never before it: a value released first could come back
 * unscrubbed. When the step is stopped (its signal aborts) they are released at once: a stopped
 * step's result reaches no one, and a call that never answers must not keep a password for good.
 */
export function scrubbed<A extends { input: { deps: Sealed<AuthDeps> | null }; signal?: AbortSignal }, O>(
  what: string,
  run: (args: A, hold: Hold) => PromiseLike<O>,
  fallback?: AuthErrorCode,
): (args: A) => Promise<O> {
  return async (args) => {
    const secrets = args.input.deps ? secretsOf(unseal(args.input.deps)) : new SecretRegistry();
    const releases: (() => void)[] = [];
    const release = () => {
      for (const r of releases.splice(0)) r();
    };
    args.signal?.addEventListener('abort', release, { once: true });
    try {
      return await run(args, (...values) => {
        for (const value of values) releases.push(secrets.hold(value));
      });
    } catch (thrown) {
      throw secrets.safeError(thrown, what, fallback);
    } finally {
      release();
    }
  };
}

/** Default of `createAuth({ clockToleranceMs })`. */
const CLOCK_TOLERANCE_MS = 300_000;

/**
 * Runs the token checklist (session/token-checks.ts) on tokens about to be kept. A failure is
 * `InvalidToken` and nothing is kept; a refresh token that came with the refused tokens is revoked
 * first (best effort, within the step's bound), since no session will hold it, and the message says
 * whether that worked: docs/security.md, "Token checks".
 */
export async function checkTokens(
  deps: AuthDeps,
  tokens: Tokens,
  expect: Partial<TokenExpectations> & { revoke: boolean },
  what: string,
  signal: AbortSignal,
): Promise<void> {
  const failure = tokenCheckFailure(tokens, {
    clientId: deps.services.clientId,
    now: deps.clock.now(),
    clockToleranceMs: deps.clockToleranceMs ?? CLOCK_TOLERANCE_MS,
    ...(deps.services.issuer === undefined ? {} : { issuer: deps.services.issuer }),
    ...expect,
  });
  if (failure === null) return;
  throw await refused(deps, expect.revoke ? tokens.refreshToken : undefined, `${what}: ${failure}`, signal);
}

/**
 * The `InvalidToken` for an answer that is refused. Its refresh token, when it came with one that no
 * session will hold, is revoked first (best effort, within the step's bound) and the message says
 * whether that worked, so the token is either dead or reported as not revoked.
 */
export async function refused(
  deps: AuthDeps,
  refreshToken: unknown,
  message: string,
  signal: AbortSignal,
): Promise<AuthError> {
  if (typeof refreshToken !== 'string' || refreshToken === '') return new AuthError('InvalidToken', message);
  const revoked = await deps.services.revokeToken(refreshToken, signal).then(
    () => true,
    () => false,
  );
  const fate = revoked ? 'its refresh token was revoked' : 'its refresh token could not be revoked';
  return new AuthError('InvalidToken', `${message}; ${fate}`);
}

/** A malformed answer's own message, with its stray refresh token revoked (see {@link refused}). */
export async function malformed(deps: AuthDeps, error: unknown, refreshToken: unknown, signal: AbortSignal) {
  if (!(error instanceof AuthError) || error.code !== 'InvalidToken') return error;
  return refused(deps, refreshToken, error.message, signal);
}

/**
 * A service's sign-in step as the chart's outcome: a session, or a challenge with its secrets
 * sealed. Garbage (null, a missing field, a non-JWT) and tokens that fail a check are `InvalidToken`.
 */
export async function outcomeOf(
  deps: AuthDeps,
  step: SignInStep,
  what: string,
  signal: AbortSignal,
): Promise<SignInOutcome> {
  secretsOf(deps).remember(tokenStringsOf(step));
  dropLate(deps, step, undefined, signal);
  const answer = answerObject(step, what);
  if ('challenge' in answer) {
    if (!isChallenge(step)) throw new AuthError('InvalidToken', `${what} answered a malformed challenge`);
    const info: ChallengeInfo = { challenge: step.challenge };
    if (typeof step.destination === 'string') info.destination = step.destination;
    if (Array.isArray(step.options)) info.options = step.options.filter((o): o is string => typeof o === 'string');
    return { challenge: { sealed: seal(step), info } };
  }
  if ('challenge' in step) throw new AuthError('InvalidToken', `${what} answered a malformed challenge`);
  let session: Session;
  try {
    session = remembered(deps, sessionFromTokens(step, 'password', deps.clock.now()));
  } catch (error) {
    throw await malformed(deps, error, tokenField(step, 'refreshToken'), signal);
  }
  await checkTokens(deps, unseal(session.tokens), { revoke: true }, what, signal);
  return { session };
}

/** One field of a foreign answer, read without throwing. */
export function tokenField(answer: unknown, key: keyof Tokens): unknown {
  try {
    return (answer as Partial<Tokens>)[key];
  } catch {
    return undefined;
  }
}

// Every kind once: the compiler checks this list against ChallengeKind.
const KINDS: Record<ChallengeKind, 1> = {
  newPassword: 1,
  totpCode: 1,
  smsCode: 1,
  emailCode: 1,
  selectMfa: 1,
  selectChallenge: 1,
  password: 1,
  passkey: 1,
};

/** A challenge as the service contract describes it: its kind and the strings Cognito needs back. */
function isChallenge(step: SignInStep): step is SignInChallenge {
  const c = step as Partial<Record<keyof SignInChallenge, unknown>>;
  return (
    typeof c.challenge === 'string' &&
    Object.hasOwn(KINDS, c.challenge) &&
    typeof c.session === 'string' &&
    typeof c.challengeName === 'string' &&
    typeof c.username === 'string'
  );
}

// authchart's timers never keep a Node process alive on their own: the requests they bound do.
export const unrefClock = {
  setTimeout(fn: (...args: unknown[]) => void, ms: number) {
    const timer: { unref?: () => void } = setTimeout(fn, ms);
    timer.unref?.();
    return timer;
  },
  clearTimeout: (timer: unknown) => clearTimeout(timer as Parameters<typeof clearTimeout>[0]),
};

/**
 * `stop()`'s best-effort RevokeToken of a rotated refresh token no storage holds. Nothing waits for
 * it: bounded by `remoteStepMs`, and a failure is not reported again (the app was told at stop()
 * that the token is not known to be revoked). Its timer never keeps the process alive.
 */
export function revokeOnStop(services: AuthServices, session: Session, remoteStepMs: number): void {
  revokeUnheld(services, unseal(session.tokens).refreshToken, remoteStepMs).catch(() => undefined);
}

/**
 * A step whose answer came after the chart left it (a `signOut()` cancelled the sign-in, the step's
 * bound ran out, `stop()`): its result reaches no one, so a refresh token in it that no session
 * holds (`held`: the one the session had) is revoked, best effort within `remoteStepMs`, and the
 * step ends there (docs/sign-out.md row 40). Without this, a transport that answers after its
 * abort (one that ignores the signal, or finishes ConfirmDevice first) left a live token behind.
 */
export function dropLate(deps: AuthDeps, answer: unknown, held: string | undefined, signal: AbortSignal): void {
  if (!signal.aborted) return;
  const token = tokenField(answer, 'refreshToken');
  const late = deps.late;
  if (late && typeof token === 'string' && token !== '' && token !== held) {
    // Not revoked (`revocation: 'never'`, offline, refused): the app hears of it, as of stop()'s unstored tokens.
    const report = () => late.report(new AuthError('Cancelled', 'Tokens came after their step ended: not revoked'));
    if (late.revoke) revokeUnheld(deps.services, token, late.remoteStepMs).catch(report);
    else report();
  }
  // The chart is gone from this step: what is thrown here reaches no one.
  throw signal.reason;
}

/** RevokeToken that nothing waits for, bounded by `remoteStepMs`; its timer never keeps the process alive. */
function revokeUnheld(services: AuthServices, refreshToken: string, remoteStepMs: number): Promise<void> {
  const abort = new AbortController();
  const timer = unrefClock.setTimeout(() => abort.abort(), remoteStepMs);
  return Promise.resolve()
    .then(() => services.revokeToken(refreshToken, abort.signal))
    .finally(() => unrefClock.clearTimeout(timer));
}
