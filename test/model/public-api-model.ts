/**
 * A reference model of authchart's public promise API, written from the rules in docs/sign-out.md
 * (its rows; its call-order table, "Call order: the chart decides"; rows 19–20, the refresh before
 * an expired global sign-out) and docs/guide.md ("Tokens for your API calls": fetchTokens), not
 * from the chart. It predicts, per call, when its promise settles and with what, and the state,
 * remote calls and storage after every step. The runner (public-api-runner.ts) drives the real
 * `createAuth` with gated fakes and compares.
 */
import { T0 } from '../helpers/gated.js';
import {
  AUTO_RETRYABLE,
  type Call,
  type Config,
  cancelledSignOut,
  deleteRejected,
  type Env,
  ERR,
  isFetch,
  LIFETIME_S,
  type Pos,
  rejected,
  STORAGE_STEPS,
  tokensRejected,
} from './public-api-answers.js';
import { SignOutModel } from './public-api-sign-out.js';

export type { Answer, Call, Command, Config, Env } from './public-api-answers.js';
export { STATE_OF } from './public-api-answers.js';

export class PublicModel extends SignOutModel {
  /**
   * `fetchCredentials()` (docs/identity-pool.md): it asks `fetchTokens()` first, then the identity
   * pool (which answers within the flush). Tokens: the user's credentials; `NotSignedIn`: a guest's
   * (the pool allows guests); any other rejection is the answer. Every way out of `signedIn`, and
   * stop(), forgets the credentials (docs/sign-out.md rows 36–37): a call made before one of them
   * and not answered by the end of the tick (or step) that saw it rejects `Cancelled`.
   * `credCalls`: each call not yet answered, with the count of ways out when it was made.
   */
  private credCalls = new Map<number, number>();
  private waysOut = 0;

  constructor(config: Config) {
    super(config);
    // Leaving signedIn, wherever the model does it, is a way out.
    let pos = this.pos;
    Object.defineProperty(this, 'pos', {
      get: () => pos,
      set: (next: Pos) => {
        if (pos.startsWith('signedIn') && !next.startsWith('signedIn')) this.waysOut++;
        pos = next;
      },
    });
  }

  /** The identity pool answered: each call whose tokens answer came is answered. */
  private answerCredentials(): void {
    for (const [id, at] of this.credCalls) {
      const a = this.answers.get(id);
      if (a?.kind !== 'tokens') continue;
      this.credCalls.delete(id);
      const fetched = a.ok || a.code === 'NotSignedIn';
      this.answers.set(
        id,
        !fetched
          ? { kind: 'credentials', ok: false, code: a.code }
          : at !== this.waysOut
            ? { kind: 'credentials', ok: false, code: 'Cancelled' }
            : { kind: 'credentials', ok: true, holder: a.ok ? 'user' : 'guest' },
      );
    }
  }

  /** One call; returns its id (undefined for stop). */
  call(c: Call): number | undefined {
    const label = c === 'autoSignIn' && this.autoHold ? 'autoSignIn armed' : c;
    if (!this.stopped) this.seen.callsInState.add(`${this.top}×${label}`);
    if (c === 'stop') {
      this.stop();
      return;
    }
    const id = this.nextId++;
    if (c === 'autoSignIn') this.autoSignIn(id);
    else if (c === 'arm') this.arm(id);
    else if (c === 'credentials') {
      if (this.stopped) this.answers.set(id, { kind: 'credentials', ok: false, code: 'Cancelled' });
      else {
        this.credCalls.set(id, this.waysOut);
        this.fetch(id, 'fetch');
      }
    } else if (this.stopped) {
      this.answers.set(
        id,
        isFetch(c)
          ? tokensRejected('Cancelled')
          : c === 'signIn' || c === 'adopt'
            ? rejected('Cancelled')
            : c === 'deleteUser'
              ? deleteRejected('Cancelled')
              : cancelledSignOut(c === 'signOutGlobal'),
      );
    } else if (isFetch(c)) this.fetch(id, c);
    else if (c === 'deleteUser') this.deleteUser(id);
    else if (c === 'signIn' || c === 'adopt') this.signIn(id, c);
    else this.signOut(id, c === 'signOutGlobal');
    return id;
  }

  /**
   * `signUp` with `autoSignIn: true`, then `confirmSignUp` (docs/account.md, "Auto sign-in after
   * sign-up"): the password is held for `autoSignIn`, replacing what was held. Alone in its tick, the
   * chart at rest: no event can drop it before `confirmSignUp` answers. After stop(): `Cancelled`,
   * nothing sent, nothing held.
   */
  private arm(id: number): void {
    if (this.stopped) {
      this.answers.set(id, { kind: 'signUp', ok: false, code: 'Cancelled' });
      return;
    }
    this.made.push('signUp', 'confirmSignUp');
    this.autoHold = { running: null };
    this.answers.set(id, { kind: 'signUp', ok: true, steps: ['CONFIRM_SIGN_UP', 'COMPLETE_AUTO_SIGN_IN'] });
  }

  /**
   * `autoSignIn`: with nothing held (never armed, or dropped by a sign-in, a sign-out, stop()),
   * `InvalidState` and nothing sent, in every state. Held: `auth.signIn` with the held password, so
   * exactly what a `signIn` call gets here; a call while it runs joins it (one answer).
   */
  private autoSignIn(id: number): void {
    const hold = this.autoHold;
    if (!hold) this.answers.set(id, rejected('InvalidState'));
    else if (hold.running) hold.running.joiners.push(id);
    else {
      hold.running = { id, joiners: [], hold };
      this.autoRuns.push(hold.running);
      this.signIn(id, 'signIn');
    }
  }

  /**
   * Once an auto sign-in is answered (a microtask later, so never within its tick): its joiners get
   * the same answer, and its hold, if still held, is dropped unless the failure may be retried.
   */
  private settleAutoSignIns(): void {
    for (const run of [...this.autoRuns]) {
      const answer = this.answers.get(run.id);
      if (!answer) continue;
      for (const j of run.joiners) this.answers.set(j, answer);
      this.autoRuns = this.autoRuns.filter((r) => r !== run);
      if (run.hold.running === run) run.hold.running = null;
      const keep = answer.kind === 'signIn' && !answer.ok && AUTO_RETRYABLE.has(answer.code);
      if (this.autoHold === run.hold && !keep) this.autoHold = null;
    }
  }

  private stop(): undefined {
    if (this.stopped) return undefined;
    this.seen.stopIn.add(this.top);
    if (this.gate || this.storageBlocked) this.seen.stopAt.add(this.pos);
    // stop() revokes (best effort) the tokens of a sign-in no storage will hold: one the chart was
    // signing out (a cancelled sign-in), or whose save stop() fenced off (once that save answers).
    // Never an adopted session's: those tokens are the app's (row 25).
    const p = this.progress;
    if (
      p?.reason === 'signInCancelled' &&
      !p.appsTokens &&
      this.session !== null &&
      p.steps.revokeToken !== 'done' &&
      p.steps.globalSignOut !== 'done'
    ) {
      this.made.push('revokeToken');
      this.stopRevoke = 'open';
    } else if (this.pos === 'signingIn.save' && this.running?.kind === 'signIn') this.stopRevoke = 'afterSave';
    this.stopped = true;
    this.ready = true;
    for (const r of [this.running, this.queued]) if (r) this.answers.set(r.id, rejected('Cancelled'));
    for (const r of [...this.requests, ...this.late.splice(0)])
      this.answers.set(r.id, 'deletes' in r ? deleteRejected('Cancelled') : cancelledSignOut(r.global));
    this.answerFetchers(tokensRejected('Cancelled'), 'Cancelled by stop()');
    // A deleteUser that had its tokens, its DELETE_USER not yet sent: stop() answers it first.
    for (const id of this.toDelete.splice(0)) this.answers.set(id, deleteRejected('Cancelled'));
    this.running = this.queued = null;
    this.requests = [];
    // stop() drops what an auto sign-in holds; one running was answered Cancelled above, and so are its joiners.
    this.autoHold = null;
    this.settleAutoSignIns();
    // stop() clears the credentials too: a fetch under way is Cancelled.
    this.waysOut++;
    this.answerCredentials();
    return undefined;
  }

  private signIn(id: number, kind: 'signIn' | 'adopt'): void {
    if (this.top === 'restoring' || this.top === 'signingOut') {
      if (this.queued) this.answers.set(id, rejected('InvalidState'));
      else this.queued = { id, kind };
    } else if (this.top === 'signingIn') this.answers.set(id, rejected('InvalidState'));
    else if (this.top === 'signedIn') this.answers.set(id, rejected('AlreadySignedIn'));
    else this.startSignIn(id, kind);
  }

  protected startSignIn(id: number, kind: 'signIn' | 'adopt'): void {
    if (kind === 'adopt') {
      this.running = { id, kind };
      this.session = 'hostedUI';
      this.tokens = { label: 'hosted', expiresAt: (T0 + LIFETIME_S) * 1000 }; // expiry from `exp`
      this.pos = 'signingIn.save';
    } else if (!this.online) {
      this.answers.set(id, rejected('Offline')); // nothing sent
    } else {
      this.running = { id, kind };
      this.pos = 'signingIn.auth';
      this.made.push('signIn');
    }
  }

  /** The environment acts: a remote answer, time passing, storage released or hung, connectivity. */
  env(e: Env): void {
    if (this.stopped) {
      if (e === 'release' && this.stopRevoke === 'afterSave') {
        this.made.push('revokeToken');
        this.stopRevoke = 'open';
      } else if (this.stopRevoke === 'open' && e !== 'release' && e !== 'offline' && e !== 'online')
        this.stopRevoke = 'none';
      if (e === 'release') this.storage = 'open';
      return;
    }
    if (e === 'offline' || e === 'online') this.online = e === 'online';
    else if (e === 'release') this.storage = 'open';
    else if (e === 'hangStorage' || e === 'failStorage') {
      this.storage = e === 'hangStorage' ? 'hung' : 'failing';
      this.storageKnown = false;
    } else if (e === 'wait') {
      this.clock += this.waitMs();
      // No refresh timer fires in a run: time passes only while a step is pending, never in waitingToRefresh.
      if (this.storageBlocked) this.storageStep(false);
      else this.remoteAnswer(ERR.wait);
    } else if (this.gate) this.remoteAnswer(e === 'ok' ? undefined : ERR[e as keyof typeof ERR]);
  }

  /** Runs every storage step that open storage lets finish (what a flush of the real instance does). */
  settle(): void {
    this.settleAutoSignIns();
    if (!this.stopped) this.sendDeletes();
    while (
      !this.stopped &&
      (this.storage === 'open' || this.storage === 'failing') &&
      STORAGE_STEPS.includes(this.pos)
    ) {
      this.storageStep(this.storage === 'open');
      this.sendDeletes();
    }
    this.settleAutoSignIns();
    this.answerCredentials();
  }

  private storageStep(ok: boolean): void {
    switch (this.pos) {
      case 'restoring':
        this.ready = true;
        // A sign-out with no session to restore still clears what storage may hold, and says if it could.
        if ((!ok || !this.stored) && this.requests.length > 0) {
          if (!ok && this.storage !== 'failing') {
            this.storage = 'hung'; // the read never answers: the clear behind it waits on the same storage
            this.storageKnown = false;
          }
          this.session = null;
          this.tokens = null;
          this.progress = { ...this.newProgress(this.requests.some((r) => r.global) ? 'global' : 'local', 'signOut') };
          this.pos = 'signingOut.clear';
          return;
        }
        if (!ok) {
          this.storage = 'hung'; // the read never answers; everything queued behind it waits too
          this.storageKnown = false;
          this.enterSignedOut();
          return;
        }
        if (!this.stored) {
          this.enterSignedOut();
          return;
        }
        this.session = this.record.session;
        this.tokens = { ...this.record.tokens }; // restored: expiry from `exp`
        if (this.deletedRecord) {
          // The user deleted here, its record left by a failed clear: that clear is finished (row 32).
          this.progress = this.newProgress('local', 'userDeleted');
          this.checkConnectivity();
          return;
        }
        if (this.requests.length > 0) {
          // The restore ended into a sign-out: callers that waited for the restore wait for it too
          // (NotSignedIn, or the tokens if the clear fails and the user stays signed in).
          this.startSignOut();
          return;
        }
        this.enterSignedIn(true);
        return;
      case 'signingIn.save':
        if (!ok) {
          // The caller hears why; the tokens that could not be kept are revoked and cleared, unless
          // they are the app's (adoptSession): cleared only, not revoked (row 25). Offline, the
          // journal is written first all the same.
          const adopted = this.running?.kind === 'adopt';
          this.answers.set((this.running as { id: number }).id, rejected('StorageFailure'));
          this.running = null;
          this.progress = { ...this.newProgress('local', 'signInCancelled'), ...(adopted ? { appsTokens: true } : {}) };
          if (adopted) this.pos = this.online ? 'signingOut.clear' : 'signingOut.journal';
          else this.checkConnectivity();
          return;
        }
        this.stored = true;
        this.deletedRecord = false;
        this.record = {
          session: this.session ?? 'password',
          tokens: { ...(this.tokens as { label: string; expiresAt: number }) },
        };
        this.answers.set((this.running as { id: number }).id, { kind: 'signIn', ok: true });
        this.running = null;
        this.enterSignedIn(true);
        return;
      case 'signedIn.recheck':
        // A refused refresh token ends the session: clear, with no remote call.
        if (!ok && this.storage !== 'failing') this.storageKnown = false;
        this.answerFetchers(tokensRejected('NotAuthorized'), 'refresh refused');
        this.progress = this.newProgress('local', 'refreshRejected');
        this.pos = 'signingOut.clear';
        return;
      case 'signedIn.checkStorage': {
        // Storage still holds this session (the clear never landed): as signed in. Unreadable: the
        // tokens held serve callers they are fresh enough for; the others hear StorageFailure.
        if (ok) {
          this.enterSignedIn();
          return;
        }
        if (this.storage !== 'failing') this.storageKnown = false;
        const t = this.tokens as { label: string; expiresAt: number };
        if (this.fetchers.length > 0 && this.freshForFetchers())
          this.answerFetchers({ kind: 'tokens', ok: true, label: t.label });
        else this.answerFetchers(tokensRejected('StorageFailure', t.expiresAt));
        this.pos = 'signedIn.unconfirmed';
        return;
      }
      case 'signedIn.store':
        // Stored or not, the new tokens are in memory and serve the callers; a failed write is retried.
        this.answerFetchers({ kind: 'tokens', ok: true, label: this.tokenLabel() });
        this.unstored = !ok;
        if (ok) this.record.tokens = { ...(this.tokens as { label: string; expiresAt: number }) };
        this.pos = ok ? 'signedIn' : 'signedIn.retryStore';
        return;
      case 'signingOut.journal':
        this.journalDone();
        return;
      case 'signingOut.clear':
        this.clearDone(ok);
        return;
    }
  }

  private remoteAnswer(code: string | undefined): void {
    switch (this.pos) {
      case 'signingIn.auth':
        if (code === undefined) {
          this.session = 'password';
          this.tokens = { label: 'signIn', expiresAt: this.clock + LIFETIME_S * 1000 };
          this.pos = 'signingIn.save';
          return;
        }
        this.answers.set((this.running as { id: number }).id, rejected(code));
        this.running = null;
        this.enterSignedOut();
        return;
      case 'signedIn.refresh':
        if (code === undefined) {
          this.refreshed();
          this.unstored = true;
          this.pos = 'signedIn.store';
        } else if (code === 'NotAuthorized') {
          // Refused: storage is read first (another context may have refreshed); alone, it never has.
          this.pos = 'signedIn.recheck';
        } else {
          this.answerFetchers(tokensRejected(code, this.tokens?.expiresAt));
          this.pos = 'signedIn.retry';
        }
        return;
      default:
        this.signOutStepAnswered(code);
    }
  }
}
