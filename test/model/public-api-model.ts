/**
 * A reference model of authchart's public promise API, written from the rules in docs/sign-out.md
 * and issue 11, not from the chart. It predicts, per call, when its promise settles and with what,
 * and the state, remote calls and storage after every step. The runner (public-api-runner.ts)
 * drives the real `createAuth` with gated fakes and compares.
 */
import {
  type Answer,
  answerFor,
  type Call,
  type Config,
  cancelledSignOut,
  type Env,
  ERR,
  GATE,
  notRun,
  type Pos,
  type Progress,
  rejected,
  STORAGE_STEPS,
} from './public-api-answers.js';

export type { Answer, Call, Command, Config, Env } from './public-api-answers.js';
export { STATE_OF } from './public-api-answers.js';

export class PublicModel {
  pos: Pos = 'restoring';
  storage: 'open' | 'held' | 'hung';
  /** Storage has been open all along: its content is predictable. */
  storageKnown = true;
  online = true;
  stopped = false;
  ready = false;
  /** A session is in storage. */
  stored: boolean;
  session: null | 'password' | 'hostedUI' = null;
  running: { id: number; kind: 'signIn' | 'adopt' } | null = null;
  queued: { id: number; kind: 'signIn' | 'adopt' } | null = null;
  requests: { id: number; global: boolean }[] = [];
  progress: Progress | null = null;
  readonly answers = new Map<number, Answer>();
  /** Remote calls made, in order. */
  readonly made: string[] = [];
  readonly seen = { callsInState: new Set<string>(), stopIn: new Set<string>(), stopAt: new Set<string>() };
  #nextId = 1;

  constructor(config: Config) {
    this.storage = config.held ? 'held' : 'open';
    this.stored = config.stored;
  }

  get top(): string {
    return this.pos.split('.')[0] as string;
  }
  /** The remote call the chart waits on, if any. */
  get gate(): string | undefined {
    return this.stopped ? undefined : GATE[this.pos];
  }
  /** A storage step that cannot finish until time passes (hung) or `release` (held). */
  get storageBlocked(): boolean {
    return !this.stopped && this.storage !== 'open' && STORAGE_STEPS.includes(this.pos);
  }

  applicable(env: Env): boolean {
    if (env === 'offline' || env === 'online') return true;
    if (this.stopped) return false;
    if (env === 'release') return this.storage === 'held';
    if (env === 'hangStorage') return this.storage === 'open';
    if (env === 'wait') return this.gate !== undefined || this.storageBlocked;
    return this.gate !== undefined;
  }

  /** One call; returns its id (undefined for stop). */
  call(c: Call): number | undefined {
    if (!this.stopped) this.seen.callsInState.add(`${this.top}×${c}`);
    if (c === 'stop') {
      this.stop();
      return;
    }
    const id = this.#nextId++;
    if (this.stopped) {
      this.answers.set(
        id,
        c === 'signIn' || c === 'adopt' ? rejected('Cancelled') : cancelledSignOut(c === 'signOutGlobal'),
      );
      return id;
    }
    if (c === 'signIn' || c === 'adopt') this.signIn(id, c);
    else this.signOut(id, c === 'signOutGlobal');
    return id;
  }

  private stop(): undefined {
    if (this.stopped) return undefined;
    this.seen.stopIn.add(this.top);
    if (this.gate || this.storageBlocked) this.seen.stopAt.add(this.pos);
    this.stopped = true;
    this.ready = true;
    for (const r of [this.running, this.queued]) if (r) this.answers.set(r.id, rejected('Cancelled'));
    for (const r of this.requests) this.answers.set(r.id, cancelledSignOut(r.global));
    this.running = this.queued = null;
    this.requests = [];
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

  private startSignIn(id: number, kind: 'signIn' | 'adopt'): void {
    if (kind === 'adopt') {
      this.running = { id, kind };
      this.session = 'hostedUI';
      this.pos = 'signingIn.save';
    } else if (!this.online) {
      this.answers.set(id, rejected('Offline')); // nothing sent
    } else {
      this.running = { id, kind };
      this.pos = 'signingIn.auth';
      this.made.push('signIn');
    }
  }

  private signOut(id: number, global: boolean): void {
    const top = this.top;
    const overtakesQueued = top === 'restoring' || top === 'signingOut';
    if (this.queued && overtakesQueued) {
      this.answers.set(this.queued.id, rejected('Cancelled'));
      this.queued = null;
    }
    if (top === 'signedOut') {
      const steps = notRun();
      this.answers.set(id, {
        kind: 'signOut',
        status: 'complete',
        scope: global ? 'global' : 'local',
        steps,
        codes: {},
      });
      return;
    }
    this.requests.push({ id, global });
    if (top === 'signingIn') {
      if (this.running) this.answers.set(this.running.id, rejected('Cancelled'));
      this.running = null;
      this.progress = this.newProgress('local', 'signInCancelled');
      this.pos = 'signingOut.clear';
    } else if (top === 'signedIn') {
      this.startSignOut();
    } else if (top === 'signingOut') {
      const p = this.progress as Progress;
      const canUpgrade = this.pos === 'signingOut.hosted' || this.pos === 'signingOut.journal';
      if (global && canUpgrade && p.scope === 'local' && p.reason === 'signOut' && this.session) p.scope = 'global';
    }
  }

  private newProgress(scope: 'local' | 'global', reason: Progress['reason']): Progress {
    return { scope, reason, hasUser: this.session !== null, steps: notRun(), codes: {} };
  }

  private startSignOut(): void {
    this.progress = this.newProgress(this.requests.some((r) => r.global) ? 'global' : 'local', 'signOut');
    if (this.session === 'hostedUI' && this.online) {
      this.pos = 'signingOut.hosted';
      this.made.push('hostedUISignOut');
      return;
    }
    if (this.session === 'hostedUI') {
      this.progress.steps.hostedUISignOut = 'skipped';
      this.progress.codes.hostedUI = 'Offline';
    }
    this.checkConnectivity();
  }

  private checkConnectivity(): void {
    if (!this.online) {
      this.skipRemaining('Offline');
      this.pos = 'signingOut.clear';
    } else this.pos = 'signingOut.journal'; // revocation is always planned: the tokens carry origin_jti
  }

  private skipRemaining(code: string): void {
    const p = this.progress as Progress;
    if (p.scope === 'global' && p.steps.globalSignOut === 'notRun') {
      p.steps.globalSignOut = 'skipped';
      p.codes.global = code;
    }
    if (p.steps.revokeToken === 'notRun' && p.steps.globalSignOut !== 'done') {
      p.steps.revokeToken = 'skipped';
      p.codes.revoke = code;
    }
  }

  /** The environment acts: a remote answer, time passing, storage released or hung, connectivity. */
  env(e: Env): void {
    if (e === 'offline' || e === 'online') this.online = e === 'online';
    else if (e === 'release') this.storage = 'open';
    else if (e === 'hangStorage') {
      this.storage = 'hung';
      this.storageKnown = false;
    } else if (e === 'wait' && this.storageBlocked) this.storageStep(false);
    else if (this.gate) this.remoteAnswer(e === 'ok' ? undefined : ERR[e as keyof typeof ERR]);
  }

  /** Runs every storage step that open storage lets finish (what a flush of the real instance does). */
  settle(): void {
    while (!this.stopped && this.storage === 'open' && STORAGE_STEPS.includes(this.pos)) this.storageStep(true);
  }

  private storageStep(ok: boolean): void {
    const p = this.progress;
    switch (this.pos) {
      case 'restoring':
        this.ready = true;
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
        this.session = 'password';
        if (this.requests.length > 0) {
          this.startSignOut();
          return;
        }
        this.enterSignedIn();
        return;
      case 'signingIn.save':
        if (!ok) {
          this.pos = 'signingIn.undo';
          return;
        }
        this.stored = true;
        this.answers.set((this.running as { id: number }).id, { kind: 'signIn', ok: true });
        this.running = null;
        this.enterSignedIn();
        return;
      case 'signingIn.undo':
        this.answers.set((this.running as { id: number }).id, rejected('StorageFailure'));
        this.running = null;
        this.session = null;
        this.enterSignedOut();
        return;
      case 'signingOut.journal':
        this.pos = p?.scope === 'global' ? 'signingOut.global' : 'signingOut.revoke';
        this.made.push(p?.scope === 'global' ? 'globalSignOut' : 'revokeToken');
        return;
      case 'signingOut.clear': {
        const q = p as Progress;
        if (ok) {
          q.steps.clearCache = 'done';
          this.stored = false;
        } else {
          q.steps.clearCache = 'failed';
          q.codes.error = 'StorageFailure';
        }
        this.answerSignOut(q);
        if (ok || q.reason === 'signInCancelled' || this.session === null) {
          this.session = null;
          this.enterSignedOut();
          return;
        }
        this.enterSignedIn();
        return; // the clear failed: still signed in
      }
    }
  }

  private remoteAnswer(code: string | undefined): void {
    const p = this.progress as Progress;
    switch (this.pos) {
      case 'signingIn.auth':
        if (code === undefined) {
          this.session = 'password';
          this.pos = 'signingIn.save';
          return;
        }
        this.answers.set((this.running as { id: number }).id, rejected(code));
        this.running = null;
        this.enterSignedOut();
        return;
      case 'signingOut.hosted':
        if (code === 'Cancelled') {
          // Only the user's own cancel keeps them signed in.
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
      case 'signingOut.global':
        p.steps.globalSignOut = code ? 'failed' : 'done';
        if (code) p.codes.global = code;
        if (code === 'Network' || code === 'Timeout') this.skipRemaining(code);
        else if (code) {
          this.pos = 'signingOut.revoke';
          this.made.push('revokeToken');
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

  private answerSignOut(p: Progress): void {
    for (const r of this.requests) this.answers.set(r.id, answerFor(p, r.global));
    this.requests = [];
    this.progress = null;
  }

  private enterSignedIn(): void {
    this.pos = 'signedIn';
    if (this.queued) this.answers.set(this.queued.id, rejected('AlreadySignedIn'));
    this.queued = null;
  }

  private enterSignedOut(): void {
    this.pos = 'signedOut';
    this.progress = null;
    // Sign-outs asked before the restore ended: nothing to sign out.
    const scope = this.requests.some((r) => r.global) ? 'global' : 'local';
    const nothing = { ...this.newProgress(scope, 'signOut'), hasUser: false };
    for (const r of this.requests) this.answers.set(r.id, answerFor(nothing, r.global));
    this.requests = [];
    const q = this.queued;
    this.queued = null;
    if (q) this.startSignIn(q.id, q.kind);
  }
}
