/**
 * `deleteUser(auth)`: a sign-out path of the chart (docs/sign-out.md, "Deleting the user"): DeleteUser
 * with the session's access token, then the clear without RevokeToken; nothing changes if DeleteUser
 * fails; a clear that fails afterwards is finished by the journal, and the user is never back.
 */
import { describe, expect, it } from 'vitest';
import { deleteUser } from '../../src/account/index.js';
import { type AuthEventPayload, isAuthError, memorySyncBus } from '../../src/index.js';
import { accountInstances, accountTokens, failure } from '../helpers/account.js';
import { sleep } from '../helpers/async.js';
import { type Call, fault } from '../helpers/fake-cognito-fetch.js';
import { faultyStorage } from '../helpers/fakes.js';

const { signedIn, signedOut } = accountInstances();
const op = (c: Call) => c.target.split('.')[1];
const JOURNAL = 'authchart.client-1.signOutJournal';
const SESSION = 'authchart.client-1.session';

describe('deleteUser: the account ends, and so does the session', () => {
  it('sends DeleteUser with the access token, never RevokeToken, clears storage, says userDeleted', async () => {
    const storage = faultyStorage({ 'app.theme': 'dark' });
    const { auth, later } = await signedIn(() => ({ body: {} }), { storage });
    const events: AuthEventPayload<'signedOut'>[] = [];
    auth.on('signedOut', (e) => events.push(e));
    expect(storage.keys()).toContain(SESSION);

    const answer = await deleteUser(auth);

    expect(later().map((c) => [op(c), c.body])).toEqual([['DeleteUser', { AccessToken: accountTokens.accessToken }]]);
    expect(answer).toMatchObject({ deleted: true, cleared: true, result: { status: 'complete' } });
    expect(answer.result.steps.revokeToken).toBe('notRun');
    expect(auth.state).toBe('signedOut');
    expect(events.map((e) => e.reason)).toEqual(['userDeleted']);
    // What authchart stored is gone; the app's own key stays.
    expect(storage.keys()).toEqual(['app.theme']);
  });

  it('while signed out: NotSignedIn, and no request', async () => {
    const { auth, calls } = signedOut(() => ({ body: {} }));
    await auth.ready;
    const e = await failure(deleteUser(auth));
    expect(isAuthError(e) && e.code).toBe('NotSignedIn');
    expect(calls).toHaveLength(0);
  });

  it('DeleteUser refused: the caller gets the error, still signed in, storage untouched', async () => {
    const storage = faultyStorage();
    const { auth, later } = await signedIn(
      (c) => (op(c) === 'DeleteUser' ? fault('NotAuthorizedException', 400, 'Access Token has been revoked') : {}),
      { storage },
    );
    const before = storage.dump();
    const e = await failure(deleteUser(auth));
    expect(isAuthError(e) && e.code).toBe('NotAuthorized');
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    expect(storage.dump()).toEqual(before);
    expect(later().map(op)).toEqual(['DeleteUser']);
  });

  it('a network failure is not retried (DeleteUser may have landed) and changes nothing', async () => {
    const { auth, later } = await signedIn((c) => (op(c) === 'DeleteUser' ? new TypeError('fetch failed') : {}));
    const e = await failure(deleteUser(auth));
    expect(isAuthError(e) && e.code).toBe('Network');
    expect(later().map(op)).toEqual(['DeleteUser']);
    expect(auth.state).toBe('signedIn.waitingToRefresh');
  });

  it('deleted, but the clear fails: answered cleared: false, signed out here, and the next start finishes the clear', async () => {
    const storage = faultyStorage();
    const { auth } = await signedIn(
      (c) => {
        // The clear comes right after DeleteUser's answer: storage fails from then on.
        if (op(c) === 'DeleteUser') storage.faults.remove = true;
        return { body: {} };
      },
      { storage },
    );
    const answer = await deleteUser(auth);
    expect(answer).toMatchObject({ deleted: true, cleared: false });
    expect(answer.clearError?.code).toBe('StorageFailure');
    // Never reported alive: signed out here although storage still holds the record.
    expect(auth.state).toBe('signedOut');
    expect(storage.keys()).toContain(SESSION);
    expect(JSON.parse(String(storage.getItem(JOURNAL)))).toMatchObject({ deleted: true });
    auth.stop();

    storage.faults.remove = false;
    const { auth: next, calls } = signedOut(() => ({ body: {} }), { storage });
    const signedInEvents: unknown[] = [];
    next.on('signedIn', (e) => signedInEvents.push(e));
    await next.ready;
    await sleep(20);
    expect(next.state).toBe('signedOut');
    expect(signedInEvents).toEqual([]);
    expect(storage.keys()).toEqual([]);
    // The finished clear revokes nothing: Cognito invalidated the deleted user's tokens.
    expect(calls.map(op)).toEqual([]);
  });

  it('deleted, the clear failed: the same instance’s next signOut() finishes it, without RevokeToken (row 32)', async () => {
    const storage = faultyStorage();
    const { auth, later } = await signedIn(
      (c) => {
        if (op(c) === 'DeleteUser') storage.faults.remove = true;
        return { body: {} };
      },
      { storage },
    );
    expect((await deleteUser(auth)).cleared).toBe(false);
    storage.faults.remove = false;
    const reasons: string[] = [];
    auth.on('signedOut', (e) => reasons.push(e.reason));
    const result = await auth.signOut();
    expect(result.status).toBe('complete');
    expect(storage.keys()).toEqual([]);
    expect(reasons).toEqual(['userDeleted']);
    expect(later().map(op)).toEqual(['DeleteUser']);
  });

  it('a signOut() during DeleteUser joins it: both are answered by the one clear', async () => {
    let release = () => {};
    const { auth, later } = await signedIn((c) =>
      op(c) === 'DeleteUser' ? new Promise((r) => (release = () => r({ body: {} }))) : { body: {} },
    );
    const deleting = deleteUser(auth);
    await sleep(5);
    const signingOut = auth.signOut();
    release();
    const [deleted, signedOutResult] = await Promise.all([deleting, signingOut]);
    expect(deleted.cleared).toBe(true);
    expect(signedOutResult.status).toBe('complete');
    expect(later().map(op)).toEqual(['DeleteUser']);
    expect(auth.state).toBe('signedOut');
  });

  it('a signOut() that joined still runs when DeleteUser fails: it revokes and clears', async () => {
    let release = () => {};
    const { auth, later } = await signedIn((c) =>
      op(c) === 'DeleteUser'
        ? new Promise((r) => (release = () => r(fault('InternalErrorException', 500, 'down'))))
        : { body: {} },
    );
    const deleting = failure(deleteUser(auth));
    await sleep(5);
    const signingOut = auth.signOut();
    release();
    const e = await deleting;
    expect(isAuthError(e) && e.code).toBe('Service');
    expect((await signingOut).status).toBe('complete');
    expect(later().map(op)).toEqual(['DeleteUser', 'RevokeToken']);
    expect(auth.state).toBe('signedOut');
  });

  it('another context on the same storage follows: signed out, without a request of its own', async () => {
    const storage = faultyStorage();
    const bus = memorySyncBus();
    const { auth } = await signedIn(() => ({ body: {} }), { storage, sync: bus.connect });
    const { auth: other, calls: otherCalls } = signedOut(() => ({ body: {} }), { storage, sync: bus.connect });
    await other.ready;
    expect(other.state).toBe('signedIn.waitingToRefresh');
    const reasons: string[] = [];
    other.on('signedOut', (e) => reasons.push(e.reason));
    await deleteUser(auth);
    await sleep(20);
    expect(other.state).toBe('signedOut');
    expect(reasons).toEqual(['otherTab']);
    expect(otherCalls).toEqual([]);
  });

  it('two deleteUser() calls make one DeleteUser and hear the same answer', async () => {
    const { auth, later } = await signedIn(() => ({ body: {} }));
    const [a, b] = await Promise.all([deleteUser(auth), deleteUser(auth)]);
    expect(a.cleared && b.cleared).toBe(true);
    expect(later().map(op)).toEqual(['DeleteUser']);
  });

  it('a deleteUser() made while another one runs joins it (row 33): one DeleteUser, one answer', async () => {
    let release = () => {};
    const { auth, later } = await signedIn((c) =>
      op(c) === 'DeleteUser' ? new Promise((r) => (release = () => r({ body: {} }))) : { body: {} },
    );
    const first = deleteUser(auth);
    await sleep(5);
    expect(auth.state).toBe('signingOut.deletingUser');
    const second = deleteUser(auth);
    await sleep(5);
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(a.cleared && b.cleared).toBe(true);
    expect(later().map(op)).toEqual(['DeleteUser']);
  });

  it('stop() while DeleteUser runs: Cancelled, saying the user may be deleted', async () => {
    const { auth } = await signedIn((c) => (op(c) === 'DeleteUser' ? new Promise(() => {}) : { body: {} }));
    const deleting = failure(deleteUser(auth));
    await sleep(5);
    auth.stop();
    const e = await deleting;
    expect(isAuthError(e) && e.code).toBe('Cancelled');
    expect(String(e)).toMatch(/may be deleted/);
  });
});
