import { AuthError } from './errors.js';
import { stepsNotRun } from './machines/auth.logic.js';
import type { AuthConfig, AuthDeps, AuthEmitted, SignOutResult } from './machines/auth.types.js';
import type { SignInResult } from './public-types.js';
import type { AwsCredentials, Credentials, CredentialsRequest, Tokens } from './services/types.js';
import type { SecretRegistry } from './session/redact.js';

export { revokeOnStop, safely, unrefClock } from './machines/slots.shared.js';

/** Small helpers of the public wrapper (`auth.ts`). */

/** `{ a: { b: 'c' } }` → `a.b.c`: a state value as the one string apps compare. */
export function leafPath(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['', ''];
  const rest = leafPath(child);
  return rest ? `${key}.${rest}` : key;
}

/** The default clock: one for every instance, not an object and a closure each. */
export const SYSTEM_CLOCK = Object.freeze({ now: () => Date.now() });

/** A call waiting for the chart's answer: how to settle its promise. */
export type Pending =
  | { kind: 'signIn'; resolve: (r: SignInResult) => void; reject: (e: AuthError) => void }
  | { kind: 'signOut'; global: boolean; resolve: (r: SignOutResult) => void }
  | { kind: 'tokens'; resolve: (t: Tokens) => void; reject: (e: AuthError) => void }
  | { kind: 'retry'; resolve: (r: { settled: number; remaining: number }) => void; reject: (e: AuthError) => void };

/**
 * Turns each method of `proto` (the class's public methods, which are `Auth`'s: an app may take any
 * off the instance, `const { signOut } = auth`) into an accessor that binds it to the instance at its first
 * read and keeps the bound function as an own property (writable, enumerable, as an assignment
 * makes it): `const { signOut } = auth` works, and reads give the same function every time. An
 * instance pays for the methods read off it (a bound function each), not for all fourteen.
 */
export function bindOnFirstRead(proto: object): void {
  const own = (self: object, name: string, value: unknown) =>
    Object.defineProperty(self, name, { value, writable: true, enumerable: true, configurable: true });
  for (const name of Object.getOwnPropertyNames(proto)) {
    // The constructor and the `state` getter stay as they are.
    const method: unknown = Object.getOwnPropertyDescriptor(proto, name)?.value;
    if (name === 'constructor' || typeof method !== 'function') continue;
    Object.defineProperty(proto, name, {
      configurable: true,
      get(this: object) {
        const bound = method.bind(this);
        own(this, name, bound);
        return bound;
      },
      set(this: object, value: unknown) {
        own(this, name, value);
      },
    });
  }
}

/**
 * The signal stop() aborts, made at its first read (aborted already if stop() came first). A
 * sign-out's clear reads it, and a save that failed; a signed-in idle instance never has, and keeps
 * no AbortController (an EventTarget with two maps, about 0.7 KB in Node).
 */
export class StopSignal {
  #controller: AbortController | null = null;
  #stopped = false;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#stopped) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  abort(): void {
    this.#stopped = true;
    this.#controller?.abort();
  }
}

const STOP = Symbol('stop');
/** What an instance's deps inherit: `stopped`, read from its StopSignal (one getter for every instance). */
const STOPPED_FROM_SIGNAL = {
  get stopped(): AbortSignal {
    return (this as unknown as { [STOP]: StopSignal })[STOP].signal;
  },
};

/** `deps` whose `stopped` is `stop`'s signal, made only when a step reads it (see {@link StopSignal}). */
export function depsWithStop(deps: Omit<AuthDeps, 'stopped'>, stop: StopSignal): AuthDeps {
  return Object.assign(Object.create(STOPPED_FROM_SIGNAL) as AuthDeps, deps, { [STOP]: stop });
}

const FLOWS = [undefined, 'USER_SRP_AUTH', 'USER_PASSWORD_AUTH', 'USER_AUTH'];
/** What `preferredChallenge` may name: a password factor comes with the password (`authFlow: 'USER_AUTH'`). */
const FIRST_FACTORS = [undefined, 'EMAIL_OTP', 'SMS_OTP', 'WEB_AUTHN'];

/**
 * `signIn()`'s input, checked before anything is sent, and copied (only the fields a transport
 * reads): a password (any flow), a ConfirmSignUp's session (`USER_AUTH`), or neither (`USER_AUTH`:
 * a code or a passkey, `preferredChallenge` first). One shape message for every wrong mix.
 */
export function credentialsOf(input: Credentials): Credentials {
  const { username, password, session, authFlow, preferredChallenge } = input ?? {};
  const key = password === undefined ? 'session' : 'password';
  const proof = password === undefined ? session : password;
  if (typeof username !== 'string' || username.trim() === '') {
    throw new AuthError('InvalidInput', 'username must be a non-empty string');
  }
  if (proof !== undefined && (typeof proof !== 'string' || proof === '')) {
    throw new AuthError('InvalidInput', `${key} must be a non-empty string`);
  }
  if (
    !FLOWS.includes(authFlow) ||
    !FIRST_FACTORS.includes(preferredChallenge) ||
    (password === undefined ? authFlow !== undefined && authFlow !== 'USER_AUTH' : session !== undefined) ||
    (proof !== undefined && preferredChallenge)
  ) {
    throw new AuthError(
      'InvalidInput',
      'signIn takes { username, password, authFlow? }, { username, preferredChallenge? } or { username, session, authFlow: "USER_AUTH" }',
    );
  }
  return {
    username,
    ...(proof === undefined ? {} : { [key]: proof }),
    ...(authFlow ? { authFlow } : {}),
    ...(preferredChallenge ? { preferredChallenge } : {}),
  } as Credentials;
}

/** The answers a settled sign-in gives its caller. */
const SIGNED_IN: SignInResult = Object.freeze({ status: 'signedIn' });
const REDIRECTING: SignInResult = Object.freeze({ status: 'redirecting' });

export function resultOf(event: Extract<AuthEmitted, { type: 'signInSettled' }>): SignInResult {
  if (event.challenge) return { status: 'challenge', ...event.challenge };
  if (event.redirecting) return REDIRECTING;
  return event.customState === undefined ? SIGNED_IN : { status: 'signedIn', customState: event.customState };
}

export const stopped = () => new AuthError('Cancelled', 'The auth instance was stopped');

export function cancelledSignOut(global: boolean): SignOutResult {
  return {
    status: 'failed',
    signedOutLocally: false,
    scope: global ? 'global' : 'local',
    steps: stepsNotRun(),
    error: stopped(),
  };
}

/** The `createAuth({ credentials })` providers of instances not yet stopped. */
const PROVIDERS_IN_USE = new WeakSet<object>();

/**
 * One provider per running instance (another's sign-out would clear what it holds for this one):
 * `InvalidConfig` for a provider in use; the returned function, run at `stop()`, frees it.
 */
export function claimProvider(provider: object | undefined): () => void {
  if (!provider) return () => {};
  if (PROVIDERS_IN_USE.has(provider)) {
    throw new AuthError('InvalidConfig', 'options.credentials is in use by another instance: give each its own');
  }
  PROVIDERS_IN_USE.add(provider);
  return () => PROVIDERS_IN_USE.delete(provider);
}

/**
 * `auth.fetchCredentials()`: forwarded to the provider, which holds them (`authchart/identity-pool`),
 * its rejection scrubbed of every secret the instance holds. No provider: `InvalidConfig`; after stop(): `Cancelled`.
 */
export function forwardCredentials(
  deps: AuthDeps,
  isStopped: boolean,
  request: Pick<CredentialsRequest, 'tokens' | 'forceRefresh' | 'remoteStepMs'>,
): Promise<AwsCredentials> {
  const { credentials } = deps;
  const secrets = deps.secrets as SecretRegistry;
  if (!credentials) {
    return Promise.reject(new AuthError('InvalidConfig', 'fetchCredentials needs createAuth({ credentials })'));
  }
  if (isStopped) return Promise.reject(stopped());
  // Called now (its fetchTokens() reaches the chart before any later call); a provider that throws
  // at once still rejects, scrubbed.
  let answer: AwsCredentials | Promise<AwsCredentials>;
  try {
    answer = credentials.fetchCredentials({
      ...request,
      stopped: deps.stopped as AbortSignal,
      hold: (v) => secrets.hold(v),
    });
  } catch (error) {
    answer = Promise.reject(error);
  }
  return Promise.resolve(answer).catch((error: unknown) => {
    throw secrets.safeError(error, 'fetchCredentials');
  });
}

/** How a step's late tokens are handled (docs/sign-out.md row 40): bounded, and by the revocation policy. */
export const lateTokens = (config: AuthConfig, report: (error: AuthError) => void) => ({
  remoteStepMs: config.remoteStepMs,
  revoke: config.revocation !== 'never',
  report,
});
