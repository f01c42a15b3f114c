/** Sign-up and password reset: the account calls made before anyone is signed in (docs/account.md). */
import type { Auth } from '../public-types.js';
import { accountCall, type CodeDeliveryDetails, delivery, given } from './call.js';

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
