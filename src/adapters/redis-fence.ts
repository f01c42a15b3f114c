/**
 * Fencing for `redisStorage` (docs/storage.md, "A write that outlives its lock does not land"): a
 * write made in a `lock()` section commits only if the lock key still holds that section's value,
 * checked in the same script as the SET or DEL, so no holder that lost the lock (expired, or let go
 * by authchart after `timeouts.storageMs`) can land a write over the next holder's. KEYS[1] is the
 * lock key, KEYS[2] the data key: in Redis Cluster both must hash to one slot, so give the prefix a
 * hash tag (`{bff:session:<id>}:`).
 */

/** The lock section a write was made in: the lock key, the value it holds while held, its name (for errors). */
export interface Section {
  key: string;
  value: string;
  name: string;
}

/** ARGV: the lock value, the value to store, the expiry in seconds ('' for none). Answers 1 if written. */
export const FENCED_SET = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then redis.call('SET', KEYS[2], ARGV[2]) else redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
return 1`;

/** ARGV: the lock value. Answers 1 if the lock was still held (the key is gone, or was absent). */
export const FENCED_DEL = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
return 1`;
