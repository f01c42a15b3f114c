/**
 * `authchart/account`: the account calls, one function each, taking the
 * `Auth` instance first (Firebase's modular API; Amplify v6's names, so a migration renames
 * imports). They run over the instance's own transport (`authchart/cognito` or
 * `authchart/cognito-sdk`): same endpoint, SECRET_HASH, retry and errors, each bounded by
 * `timeouts.remoteStepMs` and cut off by `stop()`. Passwords and codes are secrets of the instance
 * while a call runs: no error or inspection event carries them. An app that imports nothing from
 * here ships the same core (docs/account.md).
 */
export { type AdoptAmplifyResult, type AmplifyStorage, adoptAmplifySession } from './amplify.js';
export { AUTO_SIGN_IN_WINDOW_MS, type AutoSignInOption, autoSignIn } from './auto-sign-in.js';
export type { CodeDeliveryDetails } from './call.js';
export { type DeleteUserResult, deleteUser } from './delete.js';
export { type DeviceDescription, fetchDevices, forgetDevice, rememberDevice } from './devices.js';
export {
  fetchMFAPreference,
  type MFAPreference,
  type MFAType,
  setUpTOTP,
  type TOTPSetupDetails,
  updateMFAPreference,
  verifyTOTPSetup,
} from './mfa.js';
export { deletePasskey, listPasskeys, type PasskeyDescription, registerPasskey } from './passkeys.js';
export {
  confirmResetPassword,
  confirmSignUp,
  type ResetPasswordOutput,
  resendSignUpCode,
  resetPassword,
  type SignUpOutput,
  signUp,
} from './signup.js';
export {
  confirmUserAttribute,
  deleteUserAttributes,
  fetchUserAttributes,
  sendUserAttributeVerificationCode,
  type UpdateUserAttributesOutput,
  updatePassword,
  updateUserAttributes,
} from './user.js';
