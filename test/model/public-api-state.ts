/** The public-API model's state and the helpers its transitions share (public-api-model.ts holds the transitions). */
import { T0 } from '../helpers/gated.js';
import {
  type Answer,
  answerFor,
  BOUNDS,
  type Config,
  deleteRejected,
  deletionAnswer,
  type Env,
  GATE,
  LIFETIME_S,
  notRun,
  type Pos,
  type Progress,
  rejected,
  STORAGE_STEPS,
  STORED_LEFT_S,
  tokensRejected,
} from './public-api-answers.js';

export type FetchCall = 'fetch' | 'fetchForce' | 'fetchLong';
/** What `arm` left for `autoSignIn`: the password, and the one auto sign-in running, if any. */
export interface AutoHold {
  running: AutoRun | null;
}
/** An auto sign-in's `auth.signIn` (its answer is the call `id`'s), the `autoSignIn` calls that joined it, and its hold. */
export interface AutoRun {
  id: number;
  joiners: number[];
  hold: AutoHold;
}
const MIN_VALIDITY: Record<FetchCall, number> = { fetch: 60_000, fetchForce: 60_000, fetchLong: 2 * 3600_000 };
/** GlobalSignOut refuses an access token this close to expiry. */
const EXPIRED_WITHIN_MS = 5000;

export abstract class ModelState {
  pos: Pos = 'restoring';
  storage: 'open' | 'held' | 'hung' | 'failing';
  /** Storage has been open all along: its content is predictable. */
  storageKnown = true;
  online = true;
  stopped = false;
  ready = false;
  /** A session is in storage. */
  stored: boolean;
  session: null | 'password' | 'hostedUI' = null;
  /** The tokens held, by label, and when the access token expires on the local clock (ms). */
  tokens: { label: string; expiresAt: number } | null = null;
  /** The chart's clock (ms): time passes only on `wait`. */
  clock = T0 * 1000;
  /** fetchTokens() callers waiting for the restore or a refresh (`deletes`: the one `deleteUser` makes first). */
  fetchers: { id: number; call: FetchCall; deletes?: true }[] = [];
  /** `deleteUser` callers handed their tokens: DELETE_USER reaches the chart a microtask later (at `settle`). */
  toDelete: number[] = [];
  refreshes = 0;
  /** A refresh's tokens that storage has not taken: the chart writes them again (docs/storage.md). */
  unstored = false;
  readonly storedExpiresAt: number;
  /** The stored record is the user `deleteUser()` deleted (its clear failed): a read finishes that clear. */
  deletedRecord = false;
  /** The session record storage holds (when `stored`): what a read of it restores. */
  record: { session: 'password' | 'hostedUI'; tokens: { label: string; expiresAt: number } };
  running: { id: number; kind: 'signIn' | 'adopt' } | null = null;
  queued: { id: number; kind: 'signIn' | 'adopt' } | null = null;
  requests: { id: number; global: boolean; deletes?: true }[] = [];
  /** `signOut()` calls made while a sign-out with nothing to sign out was clearing. */
  late: { id: number; global: boolean }[] = [];
  progress: Progress | null = null;
  /** What `arm` holds for `autoSignIn` (null: nothing, or dropped). */
  autoHold: AutoHold | null = null;
  /** Auto sign-ins not yet answered (a dropped hold's too: their callers still share one answer). */
  autoRuns: AutoRun[] = [];
  /** After stop(): its best-effort RevokeToken is open (`open`), or comes once the fenced-off save answers (`afterSave`). */
  stopRevoke: 'none' | 'afterSave' | 'open' = 'none';
  readonly answers = new Map<number, Answer>();
  /** Remote calls made, in order. */
  readonly made: string[] = [];
  readonly seen = {
    callsInState: new Set<string>(),
    stopIn: new Set<string>(),
    stopAt: new Set<string>(),
    /** How fetchTokens calls were answered: `tokens` or the error code. */
    fetchAnswers: new Set<string>(),
  };
  protected nextId = 1;

  constructor(config: Config) {
    this.storage = config.held ? 'held' : 'open';
    this.stored = config.stored;
    this.storedExpiresAt = (T0 + STORED_LEFT_S[config.tokens ?? 'fresh']) * 1000;
    this.record = { session: 'password', tokens: { label: 'stored', expiresAt: this.storedExpiresAt } };
  }

  get top(): string {
    return this.pos.split('.')[0] as string;
  }
  /** The remote call the chart waits on, if any. */
  get gate(): string | undefined {
    if (this.stopped) return this.stopRevoke === 'open' ? 'revokeToken' : undefined;
    return GATE[this.pos];
  }
  /** A storage step that cannot finish until time passes (hung) or `release` (held). */
  get storageBlocked(): boolean {
    return !this.stopped && (this.storage === 'held' || this.storage === 'hung') && STORAGE_STEPS.includes(this.pos);
  }

  applicable(env: Env): boolean {
    if (env === 'offline' || env === 'online') return true;
    if (this.stopped) return false;
    if (env === 'release') return this.storage === 'held' || this.storage === 'failing';
    if (env === 'hangStorage' || env === 'failStorage') return this.storage === 'open';
    if (env === 'wait') return this.gate !== undefined || this.storageBlocked;
    return this.gate !== undefined;
  }

  protected newProgress(scope: 'local' | 'global', reason: Progress['reason']): Progress {
    return { scope, reason, hasUser: this.session !== null, steps: notRun(), codes: {} };
  }

  protected skipRemaining(code: string): void {
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

  /** How long `wait` lets pass: the bound of the pending step. */
  waitMs(): number {
    if (this.storageBlocked) return BOUNDS.storageMs;
    return this.gate === 'hostedUISignOut' ? BOUNDS.hostedUIMs : BOUNDS.remoteStepMs;
  }

  protected fetch(id: number, c: FetchCall, deletes = false): void {
    const f = deletes ? { id, call: c, deletes: true as const } : { id, call: c };
    if (this.top === 'restoring')
      this.fetchers.push(f); // answered when the restore ends
    else if (this.top !== 'signedIn') {
      this.answerFetcher(f, tokensRejected('NotSignedIn'));
      this.seen.fetchAnswers.add('NotSignedIn');
    } else {
      this.fetchers.push(f);
      // A refresh (or the storing of its tokens) is running: join it.
      if (this.pos === 'signedIn' || this.pos === 'signedIn.retry' || this.pos === 'signedIn.retryStore') {
        this.checkTokens();
      } else if (this.pos === 'signedIn.unconfirmed') this.pos = 'signedIn.checkStorage';
    }
  }

  /** Every waiting caller is served by the tokens held now. */
  protected freshForFetchers(): boolean {
    const left = (this.tokens as { expiresAt: number }).expiresAt - this.clock;
    return this.fetchers.every((f) => f.call !== 'fetchForce' && left >= MIN_VALIDITY[f.call]);
  }

  /** The tokens held serve every caller, or (online) one refresh serves them all. */
  protected checkTokens(): void {
    const t = this.tokens as { label: string; expiresAt: number };
    if (this.freshForFetchers()) {
      this.answerFetchers({ kind: 'tokens', ok: true, label: t.label });
      this.waitToRefresh();
    } else if (!this.online) {
      this.answerFetchers(tokensRejected('Offline', t.expiresAt));
      this.waitToRefresh();
    } else this.startRefresh('signedIn.refresh');
  }

  /** `waitingToRefresh`, which first writes tokens storage has not taken yet. */
  protected waitToRefresh(): void {
    this.pos = this.unstored ? 'signedIn.store' : 'signedIn';
  }

  protected startRefresh(pos: 'signedIn.refresh' | 'signingOut.refreshGlobal'): void {
    this.refreshes++;
    this.made.push('refresh');
    this.pos = pos;
  }

  /** The refresh answered: its tokens (minted on the fake clock, one lifetime) are held now. */
  protected refreshed(): void {
    this.tokens = { label: `refresh${this.refreshes}`, expiresAt: this.clock + LIFETIME_S * 1000 };
  }

  protected startGlobalSignOut(): void {
    this.pos = 'signingOut.global';
    this.made.push('globalSignOut');
  }

  protected accessTokenExpired(): boolean {
    return this.tokens !== null && this.tokens.expiresAt - this.clock < EXPIRED_WITHIN_MS;
  }

  tokenLabel(): string {
    return this.tokens?.label ?? 'none';
  }

  /** A `deleteUser` caller's fetchTokens: with tokens, DELETE_USER follows; else it rejects with that error. */
  private answerFetcher(f: { id: number; deletes?: true }, a: Answer): void {
    if (!f.deletes) this.answers.set(f.id, a);
    else if (a.kind === 'tokens' && a.ok) this.toDelete.push(f.id);
    else this.answers.set(f.id, deleteRejected(a.kind === 'tokens' ? a.code : 'not a fetch answer'));
  }

  protected answerFetchers(a: Answer, why?: string): void {
    for (const f of this.fetchers) this.answerFetcher(f, a);
    if (this.fetchers.length > 0) this.seen.fetchAnswers.add(why ?? (a.kind === 'tokens' && !a.ok ? a.code : 'tokens'));
    this.fetchers = [];
  }

  protected answerSignOut(p: Progress): void {
    for (const r of this.requests) this.answers.set(r.id, r.deletes ? deletionAnswer(p) : answerFor(p, r.global));
    this.requests = [];
    this.progress = null;
  }

  protected abstract startSignIn(id: number, kind: 'signIn' | 'adopt'): void;

  /**
   * `announced`: a sign-in or a restore (a `signedIn` event, which drops an auto sign-in's hold), not
   * a sign-out that failed or a DeleteUser that did.
   */
  protected enterSignedIn(announced = false): void {
    if (announced) this.autoHold = null;
    this.pos = 'signedIn';
    if (this.queued) this.answers.set(this.queued.id, rejected('AlreadySignedIn'));
    this.queued = null;
    if (this.fetchers.length > 0)
      this.checkTokens(); // callers that waited for the restore
    else this.waitToRefresh();
  }

  protected enterSignedOut(): void {
    this.pos = 'signedOut';
    this.unstored = false;
    this.progress = null;
    this.answerFetchers(tokensRejected('NotSignedIn'));
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
