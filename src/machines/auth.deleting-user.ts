import { withTokens } from './auth.remote-steps.js';
import type { AuthStateConfig } from './auth.setup.js';
import { failed, timedOut } from './auth.support.js';

/**
 * DeleteUser did not succeed: nothing changed, its callers hear why. A `signOut()` that joined
 * meanwhile still runs as a sign-out of its own (docs/sign-out.md, "Deleting the user").
 */
const deletionFailed = <const P>(error: P) =>
  [
    {
      guard: 'signOutAskedMeanwhile',
      target: 'checkingHostedUI',
      actions: [{ type: 'rejectUserDeletion', params: error }, 'continueAsSignOut'],
    },
    { target: '#auth.signedIn', actions: [{ type: 'rejectUserDeletion', params: error }, 'forgetSignOut'] },
  ] as const;

/**
 * `deleteUser()`: DeleteUser first; only once Cognito says the user is gone does the sign-out go
 * on: the hosted UI's `/logout` if any, the journal, and the clear (no RevokeToken: Cognito has
 * invalidated the tokens). A deleted user is never gone back to: a failed clear ends signed out,
 * and the journal finishes it at the next call or start.
 */
export const deletingUserState = {
  on: {
    // A second `deleteUser()` joins this one and hears the same answer.
    DELETE_USER: { actions: 'addSignOutRequest' },
  },
  invoke: {
    id: 'deleteUser',
    src: 'deleteUser',
    input: withTokens,
    onDone: { target: 'checkingHostedUI', actions: 'markUserDeleted' },
    onError: deletionFailed(failed('DeleteUser')),
  },
  // Unknown whether it landed: the caller hears `Timeout`; a deleted user's next refresh is refused.
  after: { remoteStepTimeout: deletionFailed(timedOut('DeleteUser', 'remoteStepMs')) },
} satisfies AuthStateConfig;
