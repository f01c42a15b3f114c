/**
 * Fencing for `redisStorage` (docs/storage.md, "A write that outlives its lock does not land"): a
 * write given a `lock()` section's fence commits only if the lock key still holds that section's value,
 * checked in the same script as the SET or DEL, so no holder that lost the lock (expired, or let go
 * by authchart after `timeouts.storageMs`) can land a write over the next holder's. KEYS[1] is the
 * lock key, KEYS[2] the data key and KEYS[3], when authchart said how long it holds the lock, the
 * section's hold key (`redis-lock.ts`): it expires when authchart lets go, even while the lock key
 * is still the section's (renewed, its release queued behind a write sent to a stalled Redis), so a
 * write that reaches Redis after that is refused too. In Redis Cluster all of them must hash to one
 * slot, so give the prefix a hash tag (`{bff:session:<id>}:`).
 */

/** The lock section a write was made in: the lock key, the value it holds while held, its name (for errors). */
export interface Section {
  key: string;
  value: string;
  name: string;
  /** The section's hold key, if it has one (else empty): it holds `value` until authchart lets go. */
  hold: string[];
}

/**
 * ARGV: the lock value, the value to store, the expiry in seconds ('' for none). Answers 1 if written,
 * 0 if the lock key (or the hold key, if given) no longer holds the lock value.
 */
export const FENCED_SET = `if redis.call('GET', KEYS[1]) ~= ARGV[1] or KEYS[3] and redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then redis.call('SET', KEYS[2], ARGV[2]) else redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
return 1`;

/** ARGV: the lock value. Answers 1 if the lock was still held (the key is gone, or was absent). */
export const FENCED_DEL = `if redis.call('GET', KEYS[1]) ~= ARGV[1] or KEYS[3] and redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
return 1`;
