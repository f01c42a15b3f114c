/**
 * Auto sign-in after sign-up (docs/account.md, "Auto sign-in"): what `signUp(auth, { autoSignIn })`
 * holds for `autoSignIn(auth)`, per instance, for how long, and what drops it. The sign-in itself
 * is `auth.signIn`'s: the chart's rules, events and stored record, nothing of its own.
 */
import { AuthError, isAuthError } from '../errors.js';
import type { Auth, SignInResult } from '../public-types.js';
import type { AuthFlow } from '../services/types.js';
import { type Sealed, seal, unseal } from '../session/sealed.js';
import { depsOf } from './call.js';

/**
 * `signUp`'s `autoSignIn` option (Amplify v6's name). `authFlow`: how the password signs in when
 * Cognito's session cannot (default: the transport's). `windowMs`: how long the password is held.
 */
export type AutoSignInOption = true | { authFlow?: AuthFlow; windowMs?: number };

/**
 * How long a password is held for `autoSignIn` by default: 10 minutes from `signUp`. Long enough
 * for a slow mail and a mistyped code (Amplify's 3 minutes is known to be too short for that);
 * far short of the code's 24 hours, which would keep a password in memory for a day. After it,
 * the user signs in by hand.
 */
export const AUTO_SIGN_IN_WINDOW_MS = 600_000;
const MAX_WINDOW_MS = 86_400_000;
/** A Cognito session is about a kilobyte: anything far longer is no session (a foreign value). */
const MAX_SESSION = 8192;

/** Failures after which the same auto sign-in may be tried again: no answer, or not yet confirmed (a link). */
const RETRYABLE = new Set(['Offline', 'Network', 'Timeout', 'Throttled', 'UserNotConfirmed', 'InvalidState']);

/** What one instance holds for its auto sign-in. Secrets are sealed and in the instance's registry. */
interface Pending {
  readonly username: string;
  readonly password: Sealed<string>;
  readonly authFlow?: AuthFlow;
  /** SignUp's session until ConfirmSignUp answers, then ConfirmSignUp's (for USER_AUTH). */
  session?: Sealed<string>;
  confirmed: boolean;
  running?: Promise<SignInResult>;
  /** Holds one more secret until the drop. */
  hold(value: string): void;
  drop(): void;
}

const pending = new WeakMap<Auth, Pending>();

const NOTHING =
  'No auto sign-in waits: signUp with autoSignIn first (a sign-out, a sign-in, stop() or its window drops it)';

function windowOf(option: AutoSignInOption): number {
  const ms = option === true ? undefined : option.windowMs;
  if (ms === undefined) return AUTO_SIGN_IN_WINDOW_MS;
  if (typeof ms !== 'number' || !(ms > 0) || ms > MAX_WINDOW_MS) {
    throw new AuthError(
      'InvalidInput',
      `autoSignIn.windowMs must be a number of ms above 0 and at most ${MAX_WINDOW_MS}`,
    );
  }
  return ms;
}

function authFlowOf(option: AutoSignInOption): AuthFlow | undefined {
  const flow = option === true ? undefined : option.authFlow;
  if (flow === undefined || flow === 'USER_SRP_AUTH' || flow === 'USER_PASSWORD_AUTH') return flow;
  throw new AuthError('InvalidInput', 'autoSignIn.authFlow must be "USER_SRP_AUTH" or "USER_PASSWORD_AUTH"');
}

/**
 * Starts holding what `autoSignIn` needs for `username` (replacing what was held): the password,
 * among the instance's secrets, until the sign-in, the window's end, a sign-out, anyone's
 * sign-in or `stop()`. Checks the option before anything is held or sent.
 */
export function holdAutoSignIn(auth: Auth, username: string, password: string, option: AutoSignInOption): Pending {
  if (option !== true && (typeof option !== 'object' || option === null)) {
    throw new AuthError('InvalidInput', 'autoSignIn must be true or an object');
  }
  const ms = windowOf(option);
  const authFlow = authFlowOf(option);
  const { secrets, stopped } = depsOf(auth, 'signUp');
  dropAutoSignIn(auth);
  const releases = [secrets?.hold(password)];
  let dropped = false;
  const release = () => {
    for (const r of releases.splice(0)) r?.();
  };
  const drop = () => {
    if (dropped) return;
    dropped = true;
    clearTimeout(timer);
    offIn();
    offOut();
    stopped?.removeEventListener('abort', drop);
    if (pending.get(auth) === held) pending.delete(auth);
    // A sign-in still running keeps its secrets scrubbed until it settles.
    if (held.running) held.running.then(release, release);
    else release();
  };
  const held: Pending = {
    username,
    password: seal(password),
    ...(authFlow ? { authFlow } : {}),
    confirmed: false,
    hold: (value) => {
      if (!dropped) releases.push(secrets?.hold(value));
    },
    drop,
  };
  const timer = setTimeout(drop, ms);
  // Like the chart's timers, it never keeps a Node process alive.
  (timer as { unref?: () => void }).unref?.();
  // Anyone's sign-in (this one's too, and another context's) ends the need; so does a sign-out,
  // but not a stored session found unusable at start (no one signed out).
  const offIn = auth.on('signedIn', drop);
  const offOut = auth.on('signedOut', ({ reason }) => {
    if (reason !== 'invalidSession') drop();
  });
  stopped?.addEventListener('abort', drop, { once: true });
  pending.set(auth, held);
  if (stopped?.aborted) drop();
  return held;
}

/** Drops what `auth` holds for an auto sign-in, if anything. */
export function dropAutoSignIn(auth: Auth): void {
  pending.get(auth)?.drop();
}

/** What is held for `username` on `auth`, if still held. */
export function heldFor(auth: Auth, username: string): Pending | undefined {
  const held = pending.get(auth);
  return held?.username === username ? held : undefined;
}

/** Whether `held` is still what `auth` holds (nothing dropped it meanwhile). */
export const stillHeld = (auth: Auth, held: Pending): boolean => pending.get(auth) === held;

/** Keeps a session Cognito answered (SignUp's, ConfirmSignUp's), read through guards; anything else clears it. */
export function keepSession(held: Pending, value: unknown): void {
  if (typeof value === 'string' && value !== '' && value.length <= MAX_SESSION) {
    held.hold(value);
    held.session = seal(value);
  } else {
    delete held.session;
  }
}

/**
 * Cognito refused the session sign-in: no USER_AUTH for this pool or app client
 * (`InvalidParameterException`), or the session was refused or ran out (`NotAuthorized`).
 */
const refusedSession = (error: unknown): boolean =>
  isAuthError(error) &&
  (error.code === 'NotAuthorized' || (error.code === 'Service' && error.serviceName === 'InvalidParameterException'));

async function signInWith(auth: Auth, held: Pending): Promise<SignInResult> {
  const { username, session } = held;
  try {
    let result: SignInResult | undefined;
    if (session && held.confirmed) {
      try {
        result = await auth.signIn({ username, session: unseal(session), authFlow: 'USER_AUTH' });
      } catch (error) {
        // Without USER_AUTH, or past the session's few minutes, the held password still signs in.
        if (!refusedSession(error)) throw error;
      }
    }
    result ??= await auth.signIn({
      username,
      password: unseal(held.password),
      ...(held.authFlow ? { authFlow: held.authFlow } : {}),
    });
    // Signed in, or at a challenge (confirmSignIn goes on from there): the password has served.
    held.drop();
    return result;
  } catch (error) {
    if (!isAuthError(error) || !RETRYABLE.has(error.code)) held.drop();
    throw error;
  }
}

/**
 * Signs in the user `signUp(auth, { autoSignIn })` registered, once confirmed, through
 * `auth.signIn` (the chart's ordering rules, events and stored record): with Cognito's session from
 * ConfirmSignUp where the pool gave one (USER_AUTH), else with the password held since `signUp`.
 * Answers what `auth.signIn` answers. With nothing held (never asked, already used, dropped by a
 * sign-out, a sign-in, `stop()` or the window's end) it rejects `InvalidState` and sends nothing.
 * Concurrent calls share one sign-in.
 *
 * @example
 * const { nextStep } = await confirmSignUp(auth, { username, confirmationCode });
 * if (nextStep.signUpStep === 'COMPLETE_AUTO_SIGN_IN') await autoSignIn(auth);
 */
export function autoSignIn(auth: Auth): Promise<SignInResult> {
  const held = pending.get(auth);
  if (!held) return Promise.reject(new AuthError('InvalidState', NOTHING));
  if (held.running) return held.running;
  const running = signInWith(auth, held);
  held.running = running;
  const settled = () => {
    if (held.running === running) delete held.running;
  };
  running.then(settled, settled);
  return running;
}
