import { AuthError } from '../errors.js';
import type { TokenStorage } from '../services/types.js';
import { type Claim, type Entry, parseEntry, parseIndex, parseLegacy, type Read } from './outbox.entries.js';
import { randomHex } from './session.js';
import { readKey, removeKey, writeKey } from './storage-io.js';

/** A refresh token kept by `deferRevocation`: revoke it, after GlobalSignOut when `global`. */
export interface DeferredRevocation {
  refreshToken: string;
  global: boolean;
  /** The session it belongs to: a later sign-out of that session revokes it before answering `complete`. */
  sessionId?: string | undefined;
}

/** Entries claimed by one drain; a token kept twice (a clear retried) is one claim over its slots. */
export interface ClaimedRevocation extends DeferredRevocation {
  slots: number[];
}

export interface OutboxClaim {
  claimed: ClaimedRevocation[];
  /** Entries a live drain of another context holds: not tried here. */
  busy: number;
  /** With `busy`: the longest of their leases, after which a claim seen unchanged is stale. */
  recheckMs?: number;
}

/**
 * A claim's lease: `spareMs` plus `stepMs` per remote call (1 per entry, 3 for a global one).
 * `now` is this context's own clock: it is only ever compared with itself.
 */
export interface ClaimOptions {
  now: number;
  stepMs: number;
  spareMs: number;
}

/** What a drain did with its claim: `settled` leave the outbox, the claims on `kept` are let go. */
export interface SettleOutcome {
  settled: readonly ClaimedRevocation[];
  kept: readonly ClaimedRevocation[];
}

export interface RevocationOutboxOptions {
  /** The most entries kept; adding past it drops the oldest. Default 100. */
  cap?: number | undefined;
  /** Stamps `addedAt` (default `Date.now`). */
  now?: () => number;
  /** Names this context's claims (default: random). */
  id?: string;
  /**
   * Told of every token read from storage: a failing write may quote it (a storage's error that
   * repeats what it was given), so it is scrubbed from every error as soon as it is known.
   */
  secret?: (refreshToken: string) => void;
}

export const DEFAULT_OUTBOX_CAP = 100;

/** A claim of another context as this one first saw it, on this context's clock. */
interface Sighting {
  by: string;
  n: string;
  at: number;
}

/**
 * The deferred-revocation outbox: refresh tokens a sign-out could not revoke. Its methods named
 * `…Held` expect the caller to hold the storage lock (`SessionStore` does), so the index's
 * read-modify-write and a drain's claim see no other write in between, and take the section's
 * fence, given to every write they make: one made after the lock was let go must not land.
 *
 * Layout under the store prefix: `outbox`, the index (a JSON array of slot numbers, oldest first,
 * no token), and `outbox.<slot>` per entry (`{ refreshToken, global?, addedAt, claim? }`). The index
 * lists every slot that may hold a token: it is written before an entry and after a removal, so a
 * crash leaves at worst an empty slot (cleaned by the next claim), never an unindexed token. The
 * legacy key `revocationOutbox` (one JSON array) is migrated once.
 *
 * @example
 * ```ts
 * const outbox = new RevocationOutbox(storage, 'authchart.client.', { cap: 100 });
 * await withStorageLock(storage, 'authchart.client', 10_000, () =>
 *   outbox.addHeld({ refreshToken, global: false }),
 * );
 * ```
 */
export class RevocationOutbox {
  readonly indexKey: string;
  readonly legacyKey: string;
  readonly cap: number;
  /** This context's name in the claims it writes. */
  readonly id: string;
  readonly #now: () => number;
  readonly #secret: (refreshToken: string) => void;
  /** The legacy key is read once per context (nothing writes it any more). */
  #legacyChecked = false;
  /** Per slot: the other context's claim seen there, and when (this clock). Made at the first sighting. */
  #seen: Map<number, Sighting> | null = null;
  /** This context's latest claim: only it is let go at a settle. */
  #claimN: string | null = null;

  constructor(
    readonly storage: TokenStorage,
    readonly prefix: string,
    options: RevocationOutboxOptions = {},
  ) {
    const cap = options.cap ?? DEFAULT_OUTBOX_CAP;
    if (!Number.isSafeInteger(cap) || cap < 1) {
      throw new AuthError('InvalidConfig', 'maxDeferredRevocations must be a positive integer');
    }
    this.cap = cap;
    this.indexKey = `${prefix}outbox`;
    this.legacyKey = `${prefix}revocationOutbox`;
    this.id = options.id ?? randomHex(9);
    this.#now = options.now ?? Date.now;
    this.#secret = options.secret ?? (() => undefined);
  }

  slotKey(slot: number): string {
    return `${this.indexKey}.${slot}`;
  }

  /** Adds one entry; past the cap the oldest go. Reports how many were dropped. */
  async addHeld(entry: DeferredRevocation, fence?: AbortSignal): Promise<{ dropped: number }> {
    const { slots, dropped: migrated } = await this.#load(fence);
    const stored: Entry = { refreshToken: entry.refreshToken, addedAt: this.#now() };
    if (entry.global) stored.global = true;
    if (entry.sessionId) stored.sid = entry.sessionId;
    const { dropped } = await this.#append(slots, [stored], 'after', fence);
    return { dropped: migrated + dropped };
  }

  /** Every entry, oldest first (claims ignored). */
  async readHeld(fence?: AbortSignal): Promise<DeferredRevocation[]> {
    const { slots } = await this.#load(fence);
    const reads = await this.#readSlots(slots, fence);
    return reads.flatMap(({ entry }) =>
      entry ? [{ refreshToken: entry.refreshToken, global: entry.global === true }] : [],
    );
  }

  /**
   * Claims every entry no live drain holds: each gets `claim: { by: id, n, lease }`, `lease` being
   * how long this drain's timers let it last. Another context's claim is live until this context
   * has seen it unchanged (same `n`) for its lease, measured on this context's clock: a claim found
   * for the first time is never stale, whatever either clock says. Cleans slots left empty by a crash.
   */
  async claimHeld(options: ClaimOptions, fence?: AbortSignal): Promise<OutboxClaim> {
    const { slots } = await this.#load(fence);
    if (slots.length === 0) return { claimed: [], busy: 0 };
    const reads = await this.#readSlots(slots, fence);
    const live = reads.filter((r): r is { slot: number; entry: Entry } => r.entry !== null);
    if (live.length < slots.length)
      await this.#writeIndex(
        live.map((r) => r.slot),
        fence,
      );
    let busy = 0;
    let recheckMs = 0;
    const byToken = new Map<string, ClaimedRevocation>();
    const mine: { slot: number; entry: Entry }[] = [];
    for (const r of live) {
      const c = r.entry.claim;
      if (c && c.by !== this.id && !this.#stale(r.slot, c, options.now)) {
        busy++;
        recheckMs = Math.max(recheckMs, c.lease);
        continue;
      }
      this.#seen?.delete(r.slot);
      mine.push(r);
      const seen = byToken.get(r.entry.refreshToken);
      if (seen) {
        seen.slots.push(r.slot);
        seen.global ||= r.entry.global === true;
      } else
        byToken.set(r.entry.refreshToken, {
          refreshToken: r.entry.refreshToken,
          global: r.entry.global === true,
          slots: [r.slot],
        });
    }
    const claimed = [...byToken.values()];
    const calls = claimed.reduce((n, c) => n + (c.global ? 3 : 1), 0);
    const claim: Claim = { by: this.id, n: randomHex(9), lease: options.spareMs + options.stepMs * calls };
    this.#claimN = claim.n;
    for (const r of mine) await this.#set(this.slotKey(r.slot), JSON.stringify({ ...r.entry, claim }), fence);
    return busy > 0 ? { claimed, busy, recheckMs } : { claimed, busy };
  }

  /** Whether another context's claim has been seen unchanged for its lease (else it is noted, now). */
  #stale(slot: number, claim: Claim, now: number): boolean {
    const seen = this.#seen?.get(slot);
    if (seen && seen.by === claim.by && seen.n === claim.n) return now - seen.at >= claim.lease;
    this.#seen ??= new Map();
    this.#seen.set(slot, { by: claim.by, n: claim.n, at: now });
    return false;
  }

  /**
   * A drain's refresh rotated a claimed entry's token: the new one replaces it in every slot that
   * still holds the old one under this context's claim, before anything else can fail. Answers how
   * many slots now hold it.
   */
  async replaceHeld(
    claimed: { slots: readonly number[]; refreshToken: string },
    newest: string,
    fence?: AbortSignal,
  ): Promise<number> {
    let replaced = 0;
    for (const slot of claimed.slots) {
      const entry = await this.#readSlot(slot, fence);
      if (entry?.refreshToken !== claimed.refreshToken || !this.#mine(entry)) continue;
      await this.#set(this.slotKey(slot), JSON.stringify({ ...entry, refreshToken: newest }), fence);
      replaced++;
    }
    return replaced;
  }

  /** The entry carries this context's latest claim. */
  #mine(entry: Entry): boolean {
    return entry.claim?.by === this.id && entry.claim.n === this.#claimN;
  }

  /**
   * Ends a drain: removes the entries in `settled` (revoked, or refused for good) and releases this
   * context's claims on `kept`. A slot that no longer holds the claimed token is left alone.
   */
  async settleHeld(outcome: SettleOutcome, fence?: AbortSignal): Promise<void> {
    const removed = new Set<number>();
    for (const c of outcome.settled) {
      for (const slot of c.slots) {
        const entry = await this.#readSlot(slot, fence);
        if (entry?.refreshToken !== c.refreshToken) continue;
        await this.#remove(this.slotKey(slot), fence);
        removed.add(slot);
      }
    }
    for (const c of outcome.kept) {
      for (const slot of c.slots) {
        const entry = await this.#readSlot(slot, fence);
        if (entry?.refreshToken !== c.refreshToken || !this.#mine(entry)) continue;
        const { claim: _released, ...rest } = entry;
        await this.#set(this.slotKey(slot), JSON.stringify(rest), fence);
      }
    }
    if (removed.size === 0) return;
    const { slots } = await this.#load(fence);
    await this.#writeIndex(
      slots.filter((s) => !removed.has(s)),
      fence,
    );
  }

  /**
   * A sign-out revoked these tokens (no claim needed): every entry holding one goes, and with
   * `globally` (GlobalSignOut done) every entry of `sessionId` (all dead). Answers another token of
   * `sessionId` still waiting, for that sign-out to revoke too (row 27).
   */
  async settleRevokedHeld(
    revoked: readonly string[],
    sessionId: string | null,
    globally = false,
    fence?: AbortSignal,
  ): Promise<{ refreshToken: string; global: boolean } | null> {
    const { slots } = await this.#load(fence);
    const reads = await this.#readSlots(slots, fence);
    const done = (e: Entry | null) => !e || revoked.includes(e.refreshToken) || (globally && e.sid === sessionId);
    const gone = reads.filter((r) => done(r.entry)).map((r) => r.slot);
    if (gone.length > 0) {
      for (const slot of gone) await this.#remove(this.slotKey(slot), fence);
      await this.#writeIndex(
        slots.filter((s) => !gone.includes(s)),
        fence,
      );
    }
    const waiting = reads.find((r) => !done(r.entry) && r.entry?.sid === sessionId)?.entry;
    return waiting ? { refreshToken: waiting.refreshToken, global: waiting.global === true } : null;
  }

  /** At load: migrates the legacy key and rebuilds a corrupt index. Best effort: never fails a restore. */
  async dropCorruptHeld(fence?: AbortSignal): Promise<void> {
    try {
      await this.#load(fence);
    } catch {
      // A failing storage is reported by the reads that matter.
    }
  }

  /** The index (rebuilt if corrupt), with the legacy key migrated into it the first time. */
  async #load(fence?: AbortSignal): Promise<{ slots: number[]; dropped: number }> {
    const raw = await this.#get(this.indexKey);
    let slots = raw === null ? [] : parseIndex(raw);
    if (slots === null) {
      slots = await this.#rebuild(fence);
      await this.#writeIndex(slots, fence);
    }
    if (this.#legacyChecked) return { slots, dropped: 0 };
    const legacy = await this.#get(this.legacyKey);
    if (legacy === null) {
      this.#legacyChecked = true;
      return { slots, dropped: 0 };
    }
    const parsed = parseLegacy(legacy);
    for (const e of parsed ?? []) this.#secret(e.refreshToken);
    let result = { slots, dropped: 0 };
    if (parsed) {
      // Tokens already here (a migration cut short) are not added twice.
      const have = new Set((await this.#readSlots(slots, fence)).map((r) => r.entry?.refreshToken));
      const addedAt = this.#now();
      const entries = parsed
        .filter((e) => !have.has(e.refreshToken))
        .map((e): Entry => ({ refreshToken: e.refreshToken, ...(e.global ? { global: true } : {}), addedAt }));
      result = await this.#append(slots, entries, 'before', fence);
    }
    // Last: a migration cut short is done again, without doubles.
    await this.#remove(this.legacyKey, fence);
    this.#legacyChecked = true;
    return result;
  }

  /**
   * Puts `entries` (oldest first) after or before the indexed ones, drops the oldest past the cap,
   * and writes: dropped entries out, then the index (reserving the new slots), then the new entries.
   */
  async #append(
    slots: readonly number[],
    entries: readonly Entry[],
    where: 'before' | 'after',
    fence?: AbortSignal,
  ): Promise<{ slots: number[]; dropped: number }> {
    type Item = { slot: number } | { entry: Entry };
    const fresh: Item[] = entries.map((entry) => ({ entry }));
    const old: Item[] = slots.map((slot) => ({ slot }));
    const all = where === 'after' ? [...old, ...fresh] : [...fresh, ...old];
    const cut = Math.max(0, all.length - this.cap);
    const kept = all.slice(cut);
    const keptSlots = new Set(kept.flatMap((i) => ('slot' in i ? [i.slot] : [])));
    const dropped = all.slice(0, cut).flatMap((i) => ('slot' in i ? [i.slot] : []));
    const free = range(this.cap).filter((s) => !keptSlots.has(s));
    const placed = kept.map((i) => ('slot' in i ? { slot: i.slot } : { slot: free.shift() as number, entry: i.entry }));
    const reused = new Set(placed.filter((p) => 'entry' in p).map((p) => p.slot));
    // A dropped slot that gets a new entry is overwritten in place (the index keeps listing it).
    for (const slot of dropped) if (!reused.has(slot)) await this.#remove(this.slotKey(slot), fence);
    const index = placed.map((p) => p.slot);
    await this.#writeIndex(index, fence);
    for (const p of placed) if (p.entry) await this.#set(this.slotKey(p.slot), JSON.stringify(p.entry), fence);
    return { slots: index, dropped: cut };
  }

  /** A corrupt index: every slot of `0..cap-1` holding an entry, oldest first. */
  async #rebuild(fence?: AbortSignal): Promise<number[]> {
    const reads = await this.#readSlots(range(this.cap), fence);
    return reads
      .filter((r): r is { slot: number; entry: Entry } => r.entry !== null)
      .sort((a, b) => a.entry.addedAt - b.entry.addedAt || a.slot - b.slot)
      .map((r) => r.slot);
  }

  async #readSlots(slots: readonly number[], fence?: AbortSignal): Promise<Read[]> {
    return Promise.all(slots.map(async (slot) => ({ slot, entry: await this.#readSlot(slot, fence) })));
  }

  /** A slot's entry; an unreadable one is removed (it is ours, and useless). */
  async #readSlot(slot: number, fence?: AbortSignal): Promise<Entry | null> {
    const raw = await this.#get(this.slotKey(slot));
    if (raw === null) return null;
    const entry = parseEntry(raw);
    if (entry) this.#secret(entry.refreshToken);
    else await this.#remove(this.slotKey(slot), fence);
    return entry;
  }

  /** An empty outbox leaves no key. */
  #writeIndex(slots: readonly number[], fence?: AbortSignal): Promise<void> {
    return slots.length === 0
      ? this.#remove(this.indexKey, fence)
      : this.#set(this.indexKey, JSON.stringify(slots), fence);
  }

  #get(key: string): Promise<string | null> {
    return readKey(this.storage, key);
  }

  #set(key: string, value: string, fence?: AbortSignal): Promise<void> {
    return writeKey(this.storage, key, value, fence);
  }

  #remove(key: string, fence?: AbortSignal): Promise<void> {
    return removeKey(this.storage, key, fence);
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
