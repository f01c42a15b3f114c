/**
 * `deleteUser`: the account's end, as a sign-out path of the chart: DeleteUser, then the local
 * clear, the `signedOut` event with reason `userDeleted`, other contexts following through storage
 * (docs/sign-out.md, "Deleting the user").
 */
import { AuthError } from '../errors.js';
import type { SignOutResult } from '../machines/auth.types.js';
import type { Auth } from '../public-types.js';
import { accountError, depsOf } from './call.js';

/** What `deleteUser` answers once Cognito has deleted the user. */
export interface DeleteUserResult {
  /** Cognito deleted the user: always `true` (if DeleteUser failed, the promise rejects). */
  deleted: true;
  /**
   * What this instance stored for the user is gone. `false`: the clear failed (`clearError`); the
   * user is signed out here all the same, and the journal finishes the clear at the next call or start.
   */
  cleared: boolean;
  clearError?: AuthError;
  /** The sign-out's own result (the hosted UI `/logout`'s outcome among it). */
  result: SignOutResult;
}

// The chart answers by request id; these never meet the instance's own (positive) ids.
let nextId = -1;

/**
 * Deletes the signed-in user (Cognito's DeleteUser with a fresh access token), then clears what
 * authchart stored for them. No RevokeToken: Cognito has invalidated the user's tokens.
 * Rejects, with nothing changed, if DeleteUser fails: `NotSignedIn` (no request), `Offline` (no
 * request), `NotAuthorized`; `Network` or `Timeout`: unknown whether it landed (a deleted user's
 * next refresh is refused).
 *
 * @example
 * const { cleared } = await deleteUser(auth);
 * if (!cleared) console.warn('Account deleted; local data is cleared at the next start');
 */
export async function deleteUser(auth: Auth): Promise<DeleteUserResult> {
  const deps = depsOf(auth, 'deleteUser');
  if (typeof deps.services.cognitoCall !== 'function') {
    throw new AuthError(
      'InvalidConfig',
      'deleteUser needs a Cognito transport (authchart/cognito or authchart/cognito-sdk)',
    );
  }
  // An expiring access token is refreshed first (once for every caller); signed out: NotSignedIn. A
  // deletion already running is joined instead (its DeleteUser has its token).
  if (!auth.actor.getSnapshot().matches({ signingOut: 'deletingUser' })) await auth.fetchTokens();
  const id = nextId--;
  const { actor } = auth;
  return new Promise<DeleteUserResult>((resolve, reject) => {
    const answered = actor.on('signOutSettled', (event) => {
      const answer = event.answers.find((a) => a.id === id);
      if (!answer) return;
      done();
      const { result } = answer;
      resolve(
        result.status === 'failed'
          ? { deleted: true, cleared: false, clearError: result.error, result }
          : { deleted: true, cleared: true, result },
      );
    });
    const failed = actor.on('userDeletionFailed', (event) => {
      if (!event.ids.includes(id)) return;
      done();
      reject(accountError(event.error));
    });
    const onStop = () => {
      done();
      reject(new AuthError('Cancelled', 'deleteUser: the instance was stopped (the user may be deleted)'));
    };
    function done() {
      answered.unsubscribe();
      failed.unsubscribe();
      deps.stopped?.removeEventListener('abort', onStop);
    }
    if (deps.stopped?.aborted) return onStop();
    deps.stopped?.addEventListener('abort', onStop, { once: true });
    actor.send({ type: 'DELETE_USER', id });
  });
}
