/**
 * The outbox's stored forms (`outbox.ts`): an entry per slot, the index, the legacy key, and how
 * each is read back. Anything not in the expected shape reads as corrupt (`null`).
 */
import type { DeferredRevocation } from './outbox.js';

/** One stored entry, `<prefix>outbox.<slot>`. */
export interface Entry {
  refreshToken: string;
  global?: true;
  /** The session the token was issued to (entries written before this field have none). */
  sid?: string;
  addedAt: number;
  claim?: Claim;
}

/**
 * A drain's mark on an entry. `n` is new for every claim, so another context can tell the same claim
 * from a later one; `lease` is how long the claimant's timers let its drain last. No wall-clock time
 * is stored: contexts' clocks may disagree (by minutes), so each judges a claim on its own clock.
 */
export interface Claim {
  by: string;
  n: string;
  lease: number;
}

/** A slot read back: its entry, or nothing (never written, or unreadable and removed). */
export type Read = { slot: number; entry: Entry | null };

// A claim in the earlier form has no lease: it gets the longest a drain of one global entry has by
// default (2 storage steps of 10 s, 3 remote steps of 5 s).
const LEGACY_LEASE_MS = 2 * 10_000 + 3 * 5_000;

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The index: distinct slot numbers. Anything else is corrupt (`null`). */
export function parseIndex(raw: string): number[] | null {
  const parsed = parseJson(raw);
  if (!Array.isArray(parsed)) return null;
  const ok = parsed.every((s) => Number.isSafeInteger(s) && (s as number) >= 0);
  return ok && new Set(parsed).size === parsed.length ? (parsed as number[]) : null;
}

export function parseEntry(raw: string): Entry | null {
  const e = parseJson(raw) as Partial<Entry> | null | undefined;
  if (!e || typeof e !== 'object' || typeof e.refreshToken !== 'string' || e.refreshToken === '') return null;
  const entry: Entry = { refreshToken: e.refreshToken, addedAt: typeof e.addedAt === 'number' ? e.addedAt : 0 };
  if (e.global === true) entry.global = true;
  if (typeof e.sid === 'string') entry.sid = e.sid;
  const c = e.claim as Partial<Claim> & { until?: unknown };
  if (c && typeof c.by === 'string') {
    if (typeof c.n === 'string' && typeof c.lease === 'number') entry.claim = { by: c.by, n: c.n, lease: c.lease };
    // The earlier form (`until`, the claimant's wall clock): its `until` names the claim, and it
    // gets the longest lease a drain of one global entry has by default (2 storage + 3 remote steps).
    else if (typeof c.until === 'number') entry.claim = { by: c.by, n: `until:${c.until}`, lease: LEGACY_LEASE_MS };
  }
  return entry;
}

/**
 * The legacy key: a JSON array of refresh tokens (revoke only) and `{ refreshToken, global: true }`
 * entries. An element of neither shape is skipped, as the new layout skips a junk entry: the valid
 * tokens beside it are still migrated (and revoked), not dropped with it.
 */
export function parseLegacy(raw: string): DeferredRevocation[] | null {
  const parsed = parseJson(raw);
  if (!Array.isArray(parsed)) return null;
  const entries: DeferredRevocation[] = [];
  for (const e of parsed) {
    if (typeof e === 'string') entries.push({ refreshToken: e, global: false });
    else if (e && typeof e === 'object' && typeof (e as DeferredRevocation).refreshToken === 'string') {
      entries.push({
        refreshToken: (e as DeferredRevocation).refreshToken,
        global: (e as DeferredRevocation).global === true,
      });
    }
  }
  return entries;
}
