/** Sign-up and password reset: the account calls made before anyone is signed in (docs/account.md). */
import type { Auth } from '../public-types.js';
import { unseal } from '../session/sealed.js';
import {
  type AutoSignInOption,
  dropAutoSignIn,
  heldFor,
  holdAutoSignIn,
  keepSession,
  stillHeld,
} from './auto-sign-in.js';
import { accountCall, type CodeDeliveryDetails, delivery, given } from './call.js';

/**
 * What `signUp` and `confirmSignUp` answer. `COMPLETE_AUTO_SIGN_IN`: confirmed, and `autoSignIn(auth)`
 * signs the user in (asked with `signUp`'s `autoSignIn`).
 */
export interface SignUpOutput {
  isSignUpComplete: boolean;
  /** The new user's `sub` (Cognito's `UserSub`). */
  userId?: string;
  nextStep:
    | { signUpStep: 'CONFIRM_SIGN_UP'; codeDeliveryDetails: CodeDeliveryDetails }
    | { signUpStep: 'DONE' }
    | { signUpStep: 'COMPLETE_AUTO_SIGN_IN' };
}

/** What `resetPassword` answers: the code is on its way. */
export interface ResetPasswordOutput {
  isPasswordReset: false;
  nextStep: { resetPasswordStep: 'CONFIRM_RESET_PASSWORD_WITH_CODE'; codeDeliveryDetails: CodeDeliveryDetails };
}

/**
 * Registers a user; Cognito then sends a confirmation code (unless the pool confirms on its own).
 * With `autoSignIn`, the password is held (a secret of the instance, for `windowMs`, default 10
 * minutes) so that `autoSignIn(auth)` signs the user in once confirmed: docs/account.md, "Auto sign-in".
 * Every `signUp` drops what an earlier one held.
 *
 * @example
 * const { nextStep } = await signUp(auth, { username: 'ana@example.com', password, attributes: { email: 'ana@example.com' }, autoSignIn: true });
 * if (nextStep.signUpStep === 'CONFIRM_SIGN_UP') askForCode(nextStep.codeDeliveryDetails.destination);
 */
export async function signUp(
  auth: Auth,
  input: {
    username: string;
    password: string;
    attributes?: Record<string, string>;
    clientMetadata?: Record<string, string>;
    autoSignIn?: AutoSignInOption;
  },
): Promise<SignUpOutput> {
  const username = given(input?.username, 'username');
  const password = given(input.password, 'password');
  const attributes = Object.entries(input.attributes ?? {}).map(([Name, Value]) => ({
    Name,
    Value: given(Value, Name),
  }));
  // Held from the start: a sign-out while SignUp runs drops it too.
  const held = input.autoSignIn ? holdAutoSignIn(auth, username, password, input.autoSignIn) : undefined;
  if (!held) dropAutoSignIn(auth);
  let answer: Record<string, unknown>;
  try {
    answer = await accountCall(
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
  } catch (error) {
    held?.drop();
    throw error;
  }
  const userId = typeof answer['UserSub'] === 'string' ? answer['UserSub'] : undefined;
  const confirmed = answer['UserConfirmed'] === true;
  const auto = held && stillHeld(auth, held);
  if (held && auto) {
    // Cognito's session (a pool with USER_AUTH) goes to ConfirmSignUp, or signs in if confirmed already.
    keepSession(held, answer['Session']);
    held.confirmed = confirmed;
  }
  return {
    isSignUpComplete: confirmed,
    ...(userId === undefined ? {} : { userId }),
    nextStep: confirmed
      ? { signUpStep: auto ? 'COMPLETE_AUTO_SIGN_IN' : 'DONE' }
      : { signUpStep: 'CONFIRM_SIGN_UP', codeDeliveryDetails: delivery(answer) },
  };
}

/**
 * Confirms a sign-up with the code Cognito sent. `CodeMismatch`, `ExpiredCode` and `LimitExceeded` say
 * why not (an auto sign-in stays held: the code may be typed again). Answers `COMPLETE_AUTO_SIGN_IN`
 * when `signUp` asked for `autoSignIn` for this username and it is still held.
 */
export async function confirmSignUp(
  auth: Auth,
  input: { username: string; confirmationCode: string },
): Promise<SignUpOutput> {
  const username = given(input?.username, 'username');
  const code = given(input.confirmationCode, 'confirmationCode');
  const held = heldFor(auth, username);
  const answer = await accountCall(
    auth,
    'ConfirmSignUp',
    'ConfirmSignUp',
    { Username: username, ConfirmationCode: code, ...(held?.session ? { Session: unseal(held.session) } : {}) },
    {
      username,
      secrets: [code],
    },
  );
  // Another user confirmed: the sign-up waiting for its auto sign-in was left (as Amplify does).
  if (!held) dropAutoSignIn(auth);
  if (!held || !stillHeld(auth, held)) return { isSignUpComplete: true, nextStep: { signUpStep: 'DONE' } };
  keepSession(held, answer['Session']);
  held.confirmed = true;
  return { isSignUpComplete: true, nextStep: { signUpStep: 'COMPLETE_AUTO_SIGN_IN' } };
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
