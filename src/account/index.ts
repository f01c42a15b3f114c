/**
 * `authchart/account`: the account calls that need no session, one function each, taking the
 * `Auth` instance first (Firebase's modular API; Amplify v6's names, so a migration renames
 * imports). They run over the instance's own transport (`authchart/cognito` or
 * `authchart/cognito-sdk`): same endpoint, SECRET_HASH, retry and errors, each bounded by
 * `timeouts.remoteStepMs` and cut off by `stop()`. Passwords and codes are secrets of the instance
 * while a call runs: no error or inspection event carries them. An app that imports nothing from
 * here ships the same core (docs/account.md).
 */
import { AuthError } from '../errors.js';
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

/** What `signUp` and `confirmSignUp` answer. */
export interface SignUpOutput {
  isSignUpComplete: boolean;
  /** The new user's `sub` (Cognito's `UserSub`). */
  userId?: string;
  nextStep: { signUpStep: 'CONFIRM_SIGN_UP'; codeDeliveryDetails: CodeDeliveryDetails } | { signUpStep: 'DONE' };
}

/** What `resetPassword` answers: the code is on its way. */
export interface ResetPasswordOutput {
  isPasswordReset: false;
  nextStep: { resetPasswordStep: 'CONFIRM_RESET_PASSWORD_WITH_CODE'; codeDeliveryDetails: CodeDeliveryDetails };
}

/** Cognito's `CodeDeliveryDetails`, read through guards (a foreign answer). */
function delivery(answer: Record<string, unknown>): CodeDeliveryDetails {
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
function given(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new AuthError('InvalidInput', `${name} must be a non-empty string`);
  }
  return value;
}

/**
 * Runs one account call over `auth`'s transport: bounded by `remoteStepMs`, cut off by `stop()`,
 * with `secrets` held by the instance's registry until the error (if any) is scrubbed.
 */
async function accountCall(
  auth: Auth,
  operation: AccountOperation,
  what: string,
  body: Record<string, unknown>,
  opts: { username?: string; secrets?: string[] } = {},
): Promise<Record<string, unknown>> {
  const { context } = auth.actor.getSnapshot();
  if (!context.deps) throw new AuthError('InvalidConfig', 'This Auth instance has no services');
  const deps: AuthDeps = unseal(context.deps);
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
  const stopped = deps.stopped;
  const onStop = () => controller.abort(new AuthError('Cancelled', `${what}: the instance was stopped`));
  if (stopped?.aborted) onStop();
  else stopped?.addEventListener('abort', onStop, { once: true });
  try {
    if (controller.signal.aborted) throw controller.signal.reason;
    const full: Record<string, unknown> = { ClientId: services.clientId, ...body };
    if (opts.username !== undefined) {
      const hash = await services.secretHash?.(opts.username);
      if (hash !== undefined) full['SecretHash'] = hash;
    }
    return await Promise.race([services.cognitoCall(operation, full, controller.signal), aborted]);
  } catch (error) {
    throw secrets ? secrets.safeError(error, what) : error;
  } finally {
    clearTimeout(timer);
    stopped?.removeEventListener('abort', onStop);
    for (const release of releases) release?.();
  }
}

/**
 * Registers a user; Cognito then sends a confirmation code (unless the pool confirms on its own).
 *
 * @example
 * const { nextStep } = await signUp(auth, { username: 'ana@example.com', password, attributes: { email: 'ana@example.com' } });
 * if (nextStep.signUpStep === 'CONFIRM_SIGN_UP') askForCode(nextStep.codeDeliveryDetails.destination);
 */
export async function signUp(
  auth: Auth,
  input: {
    username: string;
    password: string;
    attributes?: Record<string, string>;
    clientMetadata?: Record<string, string>;
  },
): Promise<SignUpOutput> {
  const username = given(input?.username, 'username');
  const password = given(input.password, 'password');
  const attributes = Object.entries(input.attributes ?? {}).map(([Name, Value]) => ({
    Name,
    Value: given(Value, Name),
  }));
  const answer = await accountCall(
    auth,
    'SignUp',
    'SignUp',
    {
      Username: username,
      Password: password,
      UserAttributes: attributes,
      ...(input.clientMetadata ? { ClientMetadata: input.clientMetadata } : {}),
    },
    { username, secrets: [password] },
  );
  const userId = typeof answer['UserSub'] === 'string' ? answer['UserSub'] : undefined;
  const confirmed = answer['UserConfirmed'] === true;
  return {
    isSignUpComplete: confirmed,
    ...(userId === undefined ? {} : { userId }),
    nextStep: confirmed
      ? { signUpStep: 'DONE' }
      : { signUpStep: 'CONFIRM_SIGN_UP', codeDeliveryDetails: delivery(answer) },
  };
}

/** Confirms a sign-up with the code Cognito sent. `CodeMismatch`, `ExpiredCode` and `LimitExceeded` say why not. */
export async function confirmSignUp(
  auth: Auth,
  input: { username: string; confirmationCode: string },
): Promise<SignUpOutput> {
  const username = given(input?.username, 'username');
  const code = given(input.confirmationCode, 'confirmationCode');
  await accountCall(
    auth,
    'ConfirmSignUp',
    'ConfirmSignUp',
    { Username: username, ConfirmationCode: code },
    {
      username,
      secrets: [code],
    },
  );
  return { isSignUpComplete: true, nextStep: { signUpStep: 'DONE' } };
}

/** Sends the sign-up confirmation code again. */
export async function resendSignUpCode(auth: Auth, input: { username: string }): Promise<CodeDeliveryDetails> {
  const username = given(input?.username, 'username');
  const answer = await accountCall(
    auth,
    'ResendConfirmationCode',
    'ResendConfirmationCode',
    { Username: username },
    {
      username,
    },
  );
  return delivery(answer);
}

/**
 * Starts a password reset: Cognito sends a code. A session this instance holds is left alone (it
 * stays signed in until it signs out).
 */
export async function resetPassword(auth: Auth, input: { username: string }): Promise<ResetPasswordOutput> {
  const username = given(input?.username, 'username');
  const answer = await accountCall(auth, 'ForgotPassword', 'ForgotPassword', { Username: username }, { username });
  return {
    isPasswordReset: false,
    nextStep: { resetPasswordStep: 'CONFIRM_RESET_PASSWORD_WITH_CODE', codeDeliveryDetails: delivery(answer) },
  };
}

/** Sets the new password with the reset code. `InvalidPassword` keeps the pool's policy message. */
export async function confirmResetPassword(
  auth: Auth,
  input: { username: string; confirmationCode: string; newPassword: string },
): Promise<void> {
  const username = given(input?.username, 'username');
  const code = given(input.confirmationCode, 'confirmationCode');
  const password = given(input.newPassword, 'newPassword');
  await accountCall(
    auth,
    'ConfirmForgotPassword',
    'ConfirmForgotPassword',
    { Username: username, ConfirmationCode: code, Password: password },
    { username, secrets: [code, password] },
  );
}
