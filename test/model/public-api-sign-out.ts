/**
 * The public-API model's sign-out paths (public-api-model.ts holds the rest): `signOut()` and
 * `deleteUser()`, and each step of a sign-out once it runs: the hosted UI `/logout`, the journal,
 * the refresh before GlobalSignOut, GlobalSignOut, RevokeToken, DeleteUser, the clear. Written
 * from docs/sign-out.md (rows 1–15, 19–20, 30–33; "Deleting the user"), not from the chart.
 */
import { deleteRejected, type Progress, tokensRejected } from './public-api-answers.js';
import { ModelState } from './public-api-state.js';

export abstract class SignOutModel extends ModelState {
  protected signOut(id: number, global: boolean): void {
    const top = this.top;
    const overtakesQueued = top === 'restoring' || top === 'signingOut';
    if (this.queued && overtakesQueued) {
      this.answers.set(this.queued.id, { kind: 'signIn', ok: false, code: 'Cancelled' });
      this.queued = null;
    }
    this.requests.push({ id, global });
    if (top === 'signedOut') {
      // Storage may hold a session (a read that failed at start, another context): read it first.
      this.pos = 'restoring';
      return;
    }
    if (top === 'signingIn') {
      if (this.running) this.answers.set(this.running.id, { kind: 'signIn', ok: false, code: 'Cancelled' });
      this.running = null;
      this.progress = this.newProgress('local', 'signInCancelled');
      // Its tokens came (it was saving them): revoked first, like any session's.
      if (this.pos === 'signingIn.save') this.checkConnectivity();
      else this.pos = 'signingOut.clear';
    } else if (top === 'signedIn') {
      // Leaving signedIn ends any refresh: its callers are told the sign-out won.
      this.answerFetchers(tokensRejected('Cancelled'), 'Cancelled by a sign-out');
      this.startSignOut();
    } else if (top === 'signingOut') {
      const p = this.progress as Progress;
      // Clearing what storage held, with nothing signed in here: a later call gets its own read.
      const forNothing = this.session === null && (p.reason === 'signOut' || p.reason === 'signInCancelled');
      if (this.pos === 'signingOut.clear' && forNothing) {
        this.late.push(this.requests.pop() as { id: number; global: boolean });
        return;
      }
      const canUpgrade = this.pos === 'signingOut.hosted' || this.pos === 'signingOut.journal';
      // Not once the remote steps were ruled out (offline): the global caller is told GlobalSignOut did not run.
      // Never a deletion's (DeleteUser ran or runs: there is no session left to sign out globally).
      const undecided = p.steps.revokeToken === 'notRun';
      if (global && canUpgrade && undecided && p.scope === 'local' && p.reason === 'signOut' && this.session) {
        p.scope = 'global';
      }
    }
  }

  /**
   * `deleteUser()`: `fetchTokens()` first (it may refresh; it may reject, and so does the deletion);
   * while a DeleteUser runs, it joins that one at once (row 33).
   */
  protected deleteUser(id: number): void {
    if (this.pos === 'signingOut.deleting') this.requests.push({ id, global: false, deletes: true });
    else this.fetch(id, 'fetch', true);
  }

  /**
   * DELETE_USER, sent once a `deleteUser` caller has its tokens (a microtask after: the calls of the
   * same tick come first). Signed in and online: DeleteUser, alone; during one: joins it; anywhere
   * else: `NotSignedIn`, no request (row 31).
   */
  protected sendDeletes(): void {
    for (const id of this.toDelete.splice(0)) {
      if (this.pos === 'signingOut.deleting') this.requests.push({ id, global: false, deletes: true });
      else if (this.top !== 'signedIn') this.answers.set(id, deleteRejected('NotSignedIn'));
      else if (!this.online) this.answers.set(id, deleteRejected('Offline'));
      else {
        // A sign-out path: callers waiting on a refresh are told the sign-out won (docs/guide.md).
        this.answerFetchers(tokensRejected('Cancelled'), 'Cancelled by a sign-out');
        this.requests.push({ id, global: false, deletes: true });
        this.progress = this.newProgress('local', 'userDeleted');
        this.pos = 'signingOut.deleting';
        this.made.push('deleteUser');
      }
    }
  }

  protected startSignOut(scope = this.requests.some((r) => r.global) ? 'global' : 'local'): void {
    this.progress = this.newProgress(scope as 'local' | 'global', 'signOut');
    this.checkHostedUI();
  }

  /** The hosted UI's `/logout` first for a hosted session (skipped offline, and said so). */
  private checkHostedUI(): void {
    const p = this.progress as Progress;
    if (this.session === 'hostedUI' && this.online) {
      this.pos = 'signingOut.hosted';
      this.made.push('hostedUISignOut');
      return;
    }
    if (this.session === 'hostedUI') {
      p.steps.hostedUISignOut = 'skipped';
      p.codes.hostedUI = 'Offline';
    }
    this.checkConnectivity();
  }

  protected checkConnectivity(): void {
    // Offline, the journal is still written (a crash during the clear is finished at restart). A
    // deleted user's sign-out has no remote step left to skip: nothing to revoke.
    if (!this.online && this.progress?.reason !== 'userDeleted') this.skipRemaining('Offline');
    this.pos = 'signingOut.journal'; // revocation is always planned: the tokens carry origin_jti
  }

  /** DeleteUser answered (`code`: its error): the deletion goes on, or nothing changed (rows 30–31). */
  private deletionAnswered(code: string | undefined): void {
    if (code === undefined) {
      this.deletedRecord = this.stored;
      this.checkHostedUI();
      return;
    }
    for (const r of this.requests) if (r.deletes) this.answers.set(r.id, deleteRejected(code));
    this.requests = this.requests.filter((r) => !r.deletes);
    this.progress = null;
    // A signOut() that joined meanwhile still runs, as it was asked (rows 1–9).
    if (this.requests.length > 0) this.startSignOut();
    else this.enterSignedIn();
  }

  /** The journal is written (or could not be): the remote step it guards, or the clear. */
  protected journalDone(): void {
    const p = this.progress as Progress;
    // A deleted user: no RevokeToken (Cognito invalidated the tokens).
    if (p.reason === 'userDeleted' || p.appsTokens || p.steps.revokeToken === 'skipped') this.pos = 'signingOut.clear';
    else if (p.scope === 'global' && this.accessTokenExpired()) this.startRefresh('signingOut.refreshGlobal');
    else if (p.scope === 'global') this.startGlobalSignOut();
    else this.startRevoke();
  }

  private startRevoke(): void {
    this.pos = 'signingOut.revoke';
    this.made.push('revokeToken');
  }

  /** A sign-out's remote step answered (`code`: its error; `Timeout` when its bound passed). */
  protected signOutStepAnswered(code: string | undefined): void {
    const p = this.progress as Progress;
    switch (this.pos) {
      case 'signingOut.deleting':
        this.deletionAnswered(code);
        return;
      case 'signingOut.hosted':
        // Only the user's own cancel keeps them signed in; never a deleted user (row 30).
        if (code === 'Cancelled' && p.reason !== 'userDeleted') {
          p.steps.hostedUISignOut = 'failed';
          p.codes.error = 'Cancelled';
          this.answerSignOut(p);
          this.enterSignedIn();
          return;
        }
        p.steps.hostedUISignOut = code ? 'failed' : 'done';
        if (code) p.codes.hostedUI = code;
        this.checkConnectivity();
        return;
      case 'signingOut.refreshGlobal':
        if (code === undefined) {
          this.refreshed();
          this.startGlobalSignOut();
          return;
        }
        if (code === 'Network' || code === 'Timeout') {
          p.steps.globalSignOut = 'failed';
          p.codes.global = code;
          this.skipRemaining(code);
          this.pos = 'signingOut.clear';
          return;
        }
        // Refused: GlobalSignOut cannot run; RevokeToken still can.
        p.steps.globalSignOut = 'skipped';
        p.codes.global = 'NotAuthorized';
        this.startRevoke();
        return;
      case 'signingOut.global':
        p.steps.globalSignOut = code ? 'failed' : 'done';
        if (code) p.codes.global = code;
        if (code === 'Network' || code === 'Timeout') this.skipRemaining(code);
        else if (code) {
          this.startRevoke();
          return;
        }
        this.pos = 'signingOut.clear';
        return;
      case 'signingOut.revoke':
        p.steps.revokeToken = code ? 'failed' : 'done';
        if (code) p.codes.revoke = code;
        this.pos = 'signingOut.clear';
        return;
    }
  }

  /** The clear answered (`ok`) or failed: only a failed clear of a live session keeps the user signed in. */
  protected clearDone(ok: boolean): void {
    const q = this.progress as Progress;
    if (ok) {
      q.steps.clearCache = 'done';
      this.stored = false;
    } else {
      q.steps.clearCache = 'failed';
      q.codes.error = 'StorageFailure';
    }
    // Calls made while clearing for nothing: answered with a failed clear, else they read again.
    if (!ok) this.requests.push(...this.late.splice(0));
    this.answerSignOut(q);
    // A deleted user is never gone back to (row 32), nor a dead session (row 24).
    if (ok || q.reason !== 'signOut' || this.session === null) {
      // Said in a `signedOut` event (its reason the sign-out's, never `invalidSession`): an auto sign-in's hold is dropped.
      this.autoHold = null;
      this.session = null;
      this.tokens = null;
      if (this.late.length > 0) {
        this.requests = this.late.splice(0);
        this.pos = 'restoring';
        return;
      }
      this.enterSignedOut();
      return;
    }
    // The clear failed: still signed in. Part of it may have landed (or may still): storage is
    // read again (at once for callers waiting, else after a back-off no run reaches).
    if (this.queued) this.answers.set(this.queued.id, { kind: 'signIn', ok: false, code: 'AlreadySignedIn' });
    this.queued = null;
    this.pos = this.fetchers.length > 0 ? 'signedIn.checkStorage' : 'signedIn.unconfirmed';
  }
}
