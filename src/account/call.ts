/**
 * What every `authchart/account` call shares: the instance's transport, the bound, `stop()`, the
 * secrets held while a call runs, and the guarded reading of Cognito's answers.
 */
import { AuthError, type AuthErrorCode } from '../errors.js';
import type { AuthDeps } from '../machines/auth.types.js';
import type { Auth } from '../public-types.js';
import type { AccountOperation } from '../services/types.js';
import { unseal } from '../session/sealed.js';

/** Where Cognito sent a code (Amplify's `codeDeliveryDetails`); the destination is masked by Cognito. */
export interface CodeDeliveryDetails {
  deliveryMedium?: 'EMAIL' | 'SMS' | 'PHONE';
  /** Masked, e.g. `a***@e***.com`. */
  destination?: string;
  /** The attribute the code verifies, e.g. `email`. */
  attributeName?: string;
}

/** Cognito's `CodeDeliveryDetails`, read through guards (a foreign answer). */
export function delivery(answer: Record<string, unknown>): CodeDeliveryDetails {
  const raw = answer['CodeDeliveryDetails'];
  const d = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const out: CodeDeliveryDetails = {};
  const medium = d['DeliveryMedium'];
  if (medium === 'EMAIL' || medium === 'SMS' || medium === 'PHONE') out.deliveryMedium = medium;
  if (typeof d['Destination'] === 'string') out.destination = d['Destination'].slice(0, 256);
  if (typeof d['AttributeName'] === 'string') out.attributeName = d['AttributeName'].slice(0, 128);
  return out;
}

/** A required string argument, or `InvalidInput` naming it (never its value). */
export function given(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new AuthError('InvalidInput', `${name} must be a non-empty string`);
  }
  return value;
}

/** The instance's deps, or `InvalidConfig` for an `Auth` this copy of authchart did not make. */
export function depsOf(auth: Auth, what: string): AuthDeps {
  const { deps } = auth.actor.getSnapshot().context;
  try {
    return unseal(deps as NonNullable<typeof deps>);
  } catch (cause) {
    // Not an instance of this copy of authchart (another copy's, a mock): nothing to call with.
    throw new AuthError('InvalidConfig', `${what} needs an Auth made by this authchart's createAuth`, { cause });
  }
}

/**
 * One storage step of an account call (a storage the app handed in, or the device record): bounded
 * by the instance's `storageMs` (`code`, `StorageFailure` as the chart's own storage bound says),
 * ended by `stop()` (`Cancelled`); a step that throws at once rejects.
 */
export async function storageStep<T>(
  auth: Auth,
  step: () => T | PromiseLike<T>,
  what: string,
  code: 'StorageFailure' | 'Timeout' = 'StorageFailure',
): Promise<T> {
  const { stopped } = depsOf(auth, what);
  const ms = auth.actor.getSnapshot().context.config.storageMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onStop = () => {};
  try {
    return await Promise.race([
      Promise.resolve().then(step),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AuthError(code, `${what}: storage did not answer within ${ms} ms`)), ms);
        onStop = () => reject(new AuthError('Cancelled', `${what}: the instance was stopped`));
        if (stopped?.aborted) onStop();
        else stopped?.addEventListener('abort', onStop, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    stopped?.removeEventListener('abort', onStop);
  }
}

/**
 * Keeps `value` among the instance's secrets from now on (a TOTP shared secret handed to the app):
 * no later error or inspection event of this instance carries it.
 */
export function keepSecret(auth: Auth, value: string): void {
  depsOf(auth, 'keepSecret').secrets?.keep(value);
}

/**
 * A transport's answer as plain JSON data (Cognito answers JSON; anything else is `{}`). Read whole
 * here, while a throw is still scrubbed: a getter, Proxy trap or `toJSON` of a custom transport's
 * answer that throws (quoting a password it was sent) would otherwise throw later, from the call's
 * own reading of the answer, past `safeError`, and reach the app as it is.
 */
function plain(answer: unknown): Record<string, unknown> {
  const text = JSON.stringify(answer ?? {});
  const data: unknown = text === undefined ? {} : JSON.parse(text);
  return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

/**
 * An account call's own refusals, which the transports' table (made for sign-in, where they mean
 * "try again later" or a Service fault) reads otherwise: too many code or reset attempts, a bad
 * attribute or code format, a wrong code at VerifySoftwareToken ("Code mismatch"), and the
 * passkey calls' WebAuthn refusals. Only Cognito's
 * answers (a message naming the HTTP status), and never an HTTP 429, which stays `Throttled`.
 */
export function accountError(error: unknown): unknown {
  if (error instanceof AuthError && /\(HTTP (?!429)/.test(error.message)) {
    const name = error.serviceName;
    (error as { code: AuthErrorCode }).code =
      name === 'LimitExceededException' || name === 'TooManyFailedAttemptsException'
        ? 'LimitExceeded'
        : name === 'InvalidParameterException'
          ? 'InvalidInput'
          : name === 'EnableSoftwareTokenMFAException'
            ? 'CodeMismatch'
            : name === 'WebAuthnChallengeNotFoundException'
              ? 'Expired' // the registration's challenge ran out: start again
              : name?.startsWith('WebAuthn')
                ? 'PasskeyUnsupported' // not enabled, no relying party, origin or client not allowed
                : error.code;
  }
  return error;
}

/**
 * Runs one account call over `auth`'s transport: bounded by `remoteStepMs`, cut off by `stop()`,
 * with `secrets` held by the instance's registry until the error (if any) is scrubbed. The answer
 * is plain data: reading it cannot throw.
 */
export async function accountCall(
  auth: Auth,
  operation: AccountOperation,
  what: string,
  body: Record<string, unknown>,
  opts: { username?: string; secrets?: string[]; withoutClientId?: boolean } = {},
): Promise<Record<string, unknown>> {
  const { context } = auth.actor.getSnapshot();
  const deps = depsOf(auth, what);
  const { services, secrets } = deps;
  if (typeof services.cognitoCall !== 'function') {
    throw new AuthError(
      'InvalidConfig',
      `${what} needs a Cognito transport (authchart/cognito or authchart/cognito-sdk)`,
    );
  }
  const releases = (opts.secrets ?? []).map((value) => secrets?.hold(value));
  const controller = new AbortController();
  // Whichever ends first: the call, its bound, or stop() (then the request is aborted too).
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(() => {}); // raced below, or never (aborted before the call): not unhandled
  const ms = context.config.remoteStepMs;
  const timer = setTimeout(
    () => controller.abort(new AuthError('Timeout', `${what} did not answer within ${ms} ms`)),
    ms,
  );
  // Like the chart's timers, this one never keeps a Node process alive.
  (timer as { unref?: () => void }).unref?.();
  const stopped = deps.stopped;
  const onStop = () => controller.abort(new AuthError('Cancelled', `${what}: the instance was stopped`));
  if (stopped?.aborted) onStop();
  else stopped?.addEventListener('abort', onStop, { once: true });
  const send = async () => {
    // The calls made without the user's tokens name the app client; the token calls take none.
    const full: Record<string, unknown> = opts.withoutClientId ? { ...body } : { ClientId: services.clientId, ...body };
    if (opts.username !== undefined) {
      // Inside the race: the hash may load the SRP chunk, and is bounded and stoppable like the call.
      const hash = await services.secretHash?.(opts.username);
      if (hash !== undefined) full['SecretHash'] = hash;
    }
    controller.signal.throwIfAborted();
    return services.cognitoCall?.(operation, full, controller.signal) ?? {};
  };
  try {
    controller.signal.throwIfAborted();
    return plain(await Promise.race([send(), aborted]));
  } catch (error) {
    throw accountError(secrets ? secrets.safeError(error, what) : error);
  } finally {
    clearTimeout(timer);
    stopped?.removeEventListener('abort', onStop);
    for (const release of releases) release?.();
  }
}

/**
 * An account call for the signed-in user: its access token comes from `fetchTokens()` (an expiring
 * one is refreshed once for every caller), so while no user is signed in the answer is
 * `NotSignedIn`, and no request is sent.
 */
export async function userCall(
  auth: Auth,
  operation: AccountOperation,
  body: Record<string, unknown>,
  secrets: string[] = [],
): Promise<Record<string, unknown>> {
  const { accessToken } = await auth.fetchTokens();
  return accountCall(
    auth,
    operation,
    operation,
    { AccessToken: accessToken, ...body },
    {
      secrets: [accessToken, ...secrets],
      withoutClientId: true,
    },
  );
}
