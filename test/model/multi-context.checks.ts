/**
 * The invariants of the multi-context model (the cross-context rules of docs/storage.md, "Storage is
 * the truth; messages are hints"), checked from outside: what the fake Cognito issued and accepts,
 * what the shared storage holds (any value containing a token string, whatever the layout), and what
 * each running context holds through the public API.
 */
import type { Auth, SignOutResult } from '../../src/index.js';
import { BEFORE_THE_RUN, type FakeCognito, type Incarnation, type SharedStorage } from './multi-context.world.js';

/** A running (or crashed) incarnation of a context, and the refresh tokens it held, in order. */
export interface Live {
  inc: Incarnation & { ctx: number };
  auth: Auth;
  held: string[];
}

/** One public call, for invariant 5 and the trace. */
export interface CallRec {
  desc: string;
  startedAt: number;
  settledAt: number | null;
  outcome: string;
}

/** What a sign-out call saw when it was made. */
export interface SignOutWindow {
  heldFrom: number;
  heldAtCall: string | null;
  sessionsAtCall: number;
  storedAtCall: Set<number>;
  /** Every session storage held between the call and the answer (the chart reads storage after the call). */
  storedDuring: Set<number>;
}

export const DEADLINE_MS = 5000;

/** Notes the refresh token a context holds now (after every state change). */
export function noteHeld(live: Live): void {
  const rt = live.auth.getTokens()?.refreshToken;
  if (rt !== undefined && rt !== live.held.at(-1)) live.held.push(rt);
}

export class Invariants {
  checks = 0;
  readonly violations = new Map<string, string>();
  /** sid → the call whose `complete` ended it (invariant 1). */
  readonly complete = new Map<number, string>();
  /** sid → the call that signed it out locally (invariant 3); `gone` once no refresh token of it is stored. */
  readonly ended = new Map<number, string>();
  readonly gone = new Set<number>();
  readonly deferred: { rt: string; call: string }[] = [];
  /** Refresh tokens nobody can be blamed for: lost in a crash, or reported not revoked. */
  readonly excused = new Map<string, string>();

  constructor(
    private readonly cognito: FakeCognito,
    private readonly storage: SharedStorage,
  ) {}

  /** `S3(bob)`: session 3, a sign-in as bob. */
  session(sid: number): string {
    return `S${sid}(${this.cognito.session(sid).user.split('@')[0]})`;
  }

  /** `rt S3#2`: the 2nd refresh token of session 3. */
  rt(token: string): string {
    const sid = this.cognito.sidOf.get(token);
    if (sid === undefined) return 'rt ?';
    return `rt ${this.session(sid)}#${this.cognito.session(sid).refreshTokens.indexOf(token) + 1}`;
  }

  /** What each stored key holds, as token labels: `…signOutJournal: -, …revocationOutbox: rt S2(bob)#1`. */
  dump(): string {
    const rows = [...this.storage.map].map(([key, value]) => {
      const found = this.cognito.sessions.flatMap((s) =>
        s.tokens
          .filter((t) => value.includes(t))
          .map((t) => (s.refreshTokens.includes(t) ? this.rt(t) : `jwt ${this.session(s.sid)}`)),
      );
      return `${key.replace(/^authchart\.[^.]+\./, '…')}: ${found.join(' ') || '-'}`;
    });
    return rows.join(', ') || 'empty';
  }

  #violate(invariant: number, key: string, message: string): void {
    if (!this.violations.has(`${invariant}:${key}`))
      this.violations.set(`${invariant}:${key}`, `[${invariant}] ${message}`);
  }

  /** Sessions with any token in storage; `sessions`: with an access or id token (a stored session, not an outbox entry). */
  stored(values = this.storage.values()): { any: Set<number>; sessions: Set<number> } {
    const any = new Set<number>();
    const sessions = new Set<number>();
    for (const s of this.cognito.sessions) {
      for (const t of s.tokens) {
        if (!this.storage.holds(t, values)) continue;
        any.add(s.sid);
        if (!s.refreshTokens.includes(t)) sessions.add(s.sid);
      }
    }
    return { any, sessions };
  }

  /** After every storage write, and at the end: invariant 1 ("nor later") and invariant 3. */
  readonly #open = new Set<SignOutWindow>();

  /** Sessions a `complete` covered only because storage held them at the call (see onSignOut). */
  readonly completeForStored = new Set<number>();

  /** Every refresh token storage ever held (for `onReported`'s `orphansNow`). */
  readonly #everStored = new Set<string>();

  onStorage(final = false): void {
    // A late write is judged at its undo (docs/storage.md): not while one is pending, but at the end.
    if (!final && this.storage.latePending.size > 0) return;
    const values = this.storage.values();
    for (const rt of this.cognito.issuedTo.keys()) if (this.storage.holds(rt, values)) this.#everStored.add(rt);
    if (this.#open.size > 0) {
      const now = this.stored().sessions;
      for (const w of this.#open) for (const sid of now) w.storedDuring.add(sid);
    }
    const outsideOutbox = this.storage.valuesOutsideOutbox();
    for (const [sid, call] of this.complete) {
      this.checks++;
      const forStored = this.completeForStored.has(sid);
      if (
        this.cognito.session(sid).tokens.some((t) => this.#atRestAfterComplete(t, forStored, values, outsideOutbox))
      ) {
        this.#violate(1, `${sid}`, `${call} answered complete, yet a token of ${this.session(sid)} is at rest later`);
      }
    }
    for (const [sid, call] of this.ended) {
      this.checks++;
      const s = this.cognito.session(sid);
      if (!this.gone.has(sid)) {
        if (!s.refreshTokens.some((t) => this.storage.holds(t, values))) this.gone.add(sid);
      } else if (s.tokens.some((t) => this.#backAtRest(t, outsideOutbox))) {
        this.#violate(
          3,
          `${sid}`,
          `${this.session(sid)} came back into storage after ${call} signed it out and it was gone`,
        );
      }
    }
  }

  beginSignOut(live: Live): SignOutWindow {
    const stored = this.stored().sessions;
    const w = {
      heldFrom: live.held.length,
      heldAtCall: live.auth.getTokens()?.refreshToken ?? null,
      sessionsAtCall: this.cognito.sessions.length,
      storedAtCall: stored,
      storedDuring: new Set(stored),
    };
    this.#open.add(w);
    return w;
  }

  /**
   * The sessions a sign-out ended: the ones this context held from the call to the answer, the ones
   * issued to it meanwhile (a sign-in the sign-out overtook) and, when it held none at the call,
   * whatever storage held then (`signOut()` in any state removes what storage holds).
   */
  #endedBy(live: Live, w: SignOutWindow): { sids: Set<number>; stored: Set<number>; lastRt: string | null } {
    const heldRts = [...(w.heldAtCall ? [w.heldAtCall] : []), ...live.held.slice(w.heldFrom)];
    const sids = new Set<number>();
    for (const rt of heldRts) sids.add(this.cognito.sidOf.get(rt) ?? -1);
    for (const s of this.cognito.sessions.slice(w.sessionsAtCall)) {
      if (this.cognito.issuedTo.get(s.refreshTokens[0] ?? '') === live.inc.id) sids.add(s.sid);
    }
    const stored = new Set<number>();
    if (w.heldAtCall === null) for (const sid of w.storedAtCall) if (!sids.has(sid)) stored.add(sid);
    for (const sid of stored) sids.add(sid);
    sids.delete(-1);
    return { sids, stored, lastRt: heldRts.at(-1) ?? null };
  }

  /**
   * A token `complete` must not leave at rest. In the outbox only, it does not count when it is
   * revoked already (a settle that failed leaves the entry for the next drain) or when the session
   * was covered only because storage held it at the call and a newer sign-in replaced it (row 26).
   */
  #atRestAfterComplete(t: string, forStored: boolean, values: string[], outsideOutbox: string[]): boolean {
    if (this.storage.holds(t, outsideOutbox)) return true;
    return this.storage.holds(t, values) && !forStored && !this.cognito.invalid.has(t);
  }

  /**
   * A session back: one of its tokens in the record (or old-layout keys) again. The outbox does not
   * count: its writes carry no fence, so an entry may land late, and a refresh token there is one
   * more to revoke (the next drain does, or drops it if it is dead), never a session back
   * (docs/storage.md). The orphan check [6] still follows every token it holds.
   */
  #backAtRest(t: string, outsideOutbox: string[]): boolean {
    return this.storage.holds(t, outsideOutbox);
  }

  /** Runs in the answer's own callback: "at the moment it resolved". */
  onSignOut(live: Live, w: SignOutWindow, result: SignOutResult, call: string): void {
    this.#open.delete(w);
    const { sids, stored, lastRt } = this.#endedBy(live, w);
    const values = this.storage.values();
    // A session only storage held at the call, that a newer sign-in then replaced: its token waits
    // in the outbox for the drain that sign-in asked for (row 26), which `complete` does not speak for.
    const outsideOutbox = this.storage.valuesOutsideOutbox();
    if (result.signedOutLocally) for (const sid of sids) if (!this.ended.has(sid)) this.ended.set(sid, call);
    if (result.status === 'complete') {
      for (const sid of sids) {
        this.checks++;
        const left = this.cognito
          .session(sid)
          .tokens.filter((t) => this.#atRestAfterComplete(t, stored.has(sid), values, outsideOutbox));
        if (left.length > 0) {
          this.#violate(
            1,
            `${sid}`,
            `${call} answered complete while ${left.length} token(s) of ${this.session(sid)} were at rest`,
          );
        }
        this.complete.set(sid, call);
        if (stored.has(sid)) this.completeForStored.add(sid);
      }
    }
    if (result.status === 'partial' && result.deferred === true) {
      const rts = lastRt
        ? [lastRt]
        : [...sids].map((sid) => this.cognito.session(sid).refreshTokens.at(-1) ?? '').filter(Boolean);
      for (const rt of rts) this.deferred.push({ rt, call });
    }
    // The caller was told RevokeToken did not run: that token is known, not forgotten. (Holding
    // nothing, it signed out what storage held when it read it, some time before it answered.) A
    // `failed` answer says so too: a clear that timed out may land after it.
    const notDeferred = !('deferred' in result && result.deferred === true);
    if (result.status !== 'complete' && notDeferred && result.steps.revokeToken !== 'done') {
      const told = new Set([...sids, ...(w.heldAtCall === null ? w.storedDuring : [])]);
      for (const sid of told) {
        for (const rt of this.cognito.session(sid).refreshTokens)
          this.excused.set(rt, `${call} reported it not revoked`);
      }
    }
    // An old-layout token the sign-out could not put in the outbox: the answer says so (row 29).
    const old = (result as { oldLayoutToken?: { deferred: boolean } }).oldLayoutToken;
    if (old && old.deferred === false) {
      for (const [rt, inc] of this.cognito.issuedTo)
        if (inc === BEFORE_THE_RUN) this.excused.set(rt, `${call} reported the old layout's token not revoked`);
    }
    this.onStorage();
  }

  /**
   * The app was told a refresh token of this incarnation is not stored or not revoked (docs/storage.md:
   * "reported as not known to be revoked"): `tokensNotStored`, an `InvalidToken` whose message says
   * "could not be revoked". Every refresh token it held or was issued that is neither revoked, at
   * rest, nor held by another running context is then known to the app, not forgotten. `orphansNow`:
   * see below.
   */
  onReported(live: Live, others: Live[], why: string, orphansNow = false): void {
    const heldElsewhere = new Set(others.filter((o) => o !== live).map((o) => o.auth.getTokens()?.refreshToken));
    const mine = [...live.held];
    for (const [rt, inc] of this.cognito.issuedTo) if (inc === live.inc.id) mine.push(rt);
    // A `signedOut` event's partial answer is about what storage held (a journal finished after a
    // crash, a cancelled sign-in): the token it just cleared is no longer at rest. Every token once
    // at rest and not now is taken as reported (an over-approximation: an older one too).
    if (orphansNow) {
      // Another context may still hold it, and follow the clear later without a word of its own.
      for (const rt of this.#everStored) {
        if (!this.cognito.invalid.has(rt) && !this.storage.holds(rt) && !this.excused.has(rt))
          this.excused.set(rt, `c${live.inc.ctx} reported it: ${why}`);
      }
    }
    // `tokensNotStored` names this instance's own tokens: reported even if a write of them is in
    // storage at that moment (a late one, landing as stop() runs, that its undo then removes).
    const aboutMine = why.startsWith('tokensNotStored');
    for (const rt of mine) {
      if (this.cognito.invalid.has(rt) || heldElsewhere.has(rt)) continue;
      if (this.storage.holds(rt) && !aboutMine) continue;
      if (!this.excused.has(rt)) this.excused.set(rt, `c${live.inc.ctx} reported it: ${why}`);
    }
  }

  /**
   * `deferredRevocationsDropped` says how many, not which: every refresh token then valid, at rest
   * nowhere and held by no running context is taken as one of them (an over-approximation; with the
   * default cap of 100 and at most 20 steps a run never fills the outbox).
   */
  onDropped(running: Live[], count: number): void {
    const held = new Set(running.map((l) => l.auth.getTokens()?.refreshToken));
    for (const rt of this.cognito.issuedTo.keys()) {
      if (this.cognito.invalid.has(rt) || this.storage.holds(rt) || held.has(rt)) continue;
      if (!this.excused.has(rt)) this.excused.set(rt, `deferredRevocationsDropped (${count})`);
    }
  }

  /** A crash loses what only this incarnation's memory held: no product can revoke that. */
  onCrash(live: Live, others: Live[]): void {
    const heldElsewhere = new Set(others.map((o) => o.auth.getTokens()?.refreshToken));
    const mine = [...live.held];
    for (const [rt, inc] of this.cognito.issuedTo) if (inc === live.inc.id) mine.push(rt);
    for (const rt of mine) {
      if (this.cognito.invalid.has(rt) || this.storage.holds(rt) || heldElsewhere.has(rt)) continue;
      this.excused.set(rt, `lost in the crash of c${live.inc.ctx}`);
    }
  }

  /** Invariants 2, 4, 5 and 6, once every promise settled and the contexts went quiet. */
  final(running: Live[], calls: CallRec[]): void {
    this.onStorage(true);
    const values = this.storage.values();
    for (const d of this.deferred) {
      this.checks++;
      // A token lost in a crash (issued, never stored) is the documented limit, not the deferral's.
      if (!this.cognito.invalid.has(d.rt) && !this.storage.holds(d.rt, values) && !this.excused.has(d.rt)) {
        this.#violate(
          2,
          d.rt,
          `${d.call} answered deferred: true, but ${this.rt(d.rt)} is neither revoked nor at rest`,
        );
      }
    }
    const { sessions } = this.stored(values);
    const stored = [...sessions];
    this.checks++;
    if (stored.length > 1)
      this.#violate(
        4,
        'many',
        `storage holds ${stored.length} sessions: ${stored.map((s) => this.session(s)).join(', ')}`,
      );
    for (const live of running) {
      this.checks++;
      const state = live.auth.state;
      const rt = live.auth.getTokens()?.refreshToken;
      const sid = rt === undefined ? undefined : this.cognito.sidOf.get(rt);
      const where = `c${live.inc.ctx} is ${state}${sid === undefined ? '' : ` with ${this.session(sid)}`}`;
      if (stored.length === 0 && state !== 'signedOut')
        this.#violate(4, `c${live.inc.ctx}`, `${where}, but storage holds no session`);
      if (stored.length === 1 && (!state.startsWith('signedIn') || sid !== stored[0])) {
        this.#violate(4, `c${live.inc.ctx}`, `${where}, but storage holds ${this.session(stored[0] as number)}`);
      }
    }
    for (const c of calls) {
      this.checks++;
      if (c.settledAt === null) this.#violate(5, c.desc, `${c.desc} never settled`);
      else if (c.settledAt - c.startedAt > DEADLINE_MS) {
        this.#violate(5, c.desc, `${c.desc} took ${c.settledAt - c.startedAt} ms (deadline ${DEADLINE_MS} ms)`);
      }
    }
    const held = new Set(running.map((l) => l.auth.getTokens()?.refreshToken));
    for (const s of this.cognito.sessions) {
      for (const rt of s.refreshTokens) {
        this.checks++;
        if (this.cognito.invalid.has(rt) || this.storage.holds(rt, values) || held.has(rt) || this.excused.has(rt))
          continue;
        const to = this.cognito.issuedTo.get(rt);
        this.#violate(
          6,
          rt,
          `${this.rt(rt)} (issued to incarnation ${to}) is valid at Cognito, at rest nowhere and held by no running context`,
        );
      }
    }
  }
}
