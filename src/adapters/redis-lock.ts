/**
 * The lock behind `redisStorage().lock`: one Redis key per lock name, taken with
 * `SET key <random token> NX PX ttl`, renewed while held and let go with a compare-and-delete
 * script, so a holder never deletes or extends a lock that expired and was taken by another.
 * A dead holder's lock expires after its TTL; sooner on its own host: the value is
 * `host:pid:random`, and a holder of this host whose process is gone is replaced at once. The lock
 * is advisory: a holder stalled for longer than the TTL learns it lost the lock only when its
 * section ends, but redisStorage's writes in the section compare the lock key first
 * (`redis-fence.ts`), so they never land once it is lost.
 *
 * A section may also get a *hold key*: its token with `PX holdMs` (less 1 ms), set before the
 * section starts and never renewed. authchart lets go of a lock after `holdMs` even while a write is still on its
 * way; the lock key is still ours then (renewed, its release queued behind that write), but the
 * hold key has expired, and the fenced writes compare both.
 */
import { AuthError } from '../errors.js';
import { holderGone, thisHost } from './lock-owner.js';

/** The node-redis v5 client methods the lock uses; a `createClient()` result fits. */
export interface RedisLockClient {
  set(
    key: string,
    value: string,
    options: { condition: 'NX'; expiration: { type: 'PX'; value: number } },
  ): Promise<unknown>;
  /** node-redis v5: `client.eval(script, { keys, arguments })`. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  readonly isReady?: boolean;
}

export interface RedisLockTiming {
  /** The key's expiry; renewed every `ttlMs / 3` while held. */
  ttlMs: number;
  /** Longest wait for the lock. */
  timeoutMs: number;
}

/**
 * Deletes the hold key (KEYS[2], if any) and then the lock key, each only if it still holds our
 * token. `pcall`: a hold key of another type (not ours) must not keep the lock key from going.
 */
const RELEASE = `if KEYS[2] and redis.pcall('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Sets the hold key to our token for ARGV[2] ms, over any a previous holder left (we hold the lock). */
const HOLD = "return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])";
/** Extends the key only if it still holds our token. */
const RENEW =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

/** Replaces the key with our token only if it still holds the dead holder's: atomic, so two takers cannot both win. */
const TAKE_OVER =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end return 0";
/**
 * The holder's value; a lock key without an expiry (no holder of ours sets one so: garbage, or a key
 * of the wrong type) gets `ARGV[1]` ms, so it frees like a dead holder's instead of never.
 */
const GET = `if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return redis.call('GET', KEYS[1])`;

/** Backoff between two SET NX tries: full jitter, doubling from 5 ms up to 100 ms. */
const FIRST_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 100;

/**
 * Runs `critical` holding the Redis lock `key` (named `name` in errors: the key holds the prefix,
 * which may name a session). Errors are `StorageFailure` and never hold the token.
 *
 * @example
 * const n = await withRedisLock(client, 'app:lock:x', 'x', { ttlMs: 5000, timeoutMs: 8000 }, async () => 1);
 */
export async function withRedisLock<T>(
  client: RedisLockClient,
  key: string,
  name: string,
  timing: RedisLockTiming,
  /** Gets the lock key and the value it holds while this holder has it: writes can check it (fencing). */
  critical: (held: { key: string; value: string; hold: string[] }) => Promise<T>,
  /** The hold key (see the module's comment); none (or no `holdMs`): the writes check the lock key only. */
  holdKey?: string,
  /** The longest authchart holds the lock, counted from when `critical` starts. */
  holdMs = 0,
): Promise<T> {
  const token = `${thisHost()}:${process.pid}:${globalThis.crypto.randomUUID()}`;
  const hold = holdKey && holdMs > 0 && holdMs < Infinity ? [holdKey] : [];
  await take(client, key, token, name, timing);
  const renewal = keepRenewed(client, key, token, timing.ttlMs);
  const keys = [key, ...hold];
  // Resolves 1 if the key still held our token (and is now gone), 0 if not; rejects if unknown.
  const release = () => {
    renewal.stop();
    return within(client.eval(RELEASE, { keys, arguments: [token] }), timing.ttlMs);
  };
  let result: T;
  try {
    // Answered before `critical` starts, and authchart counts `holdMs` from that start: in Redis's
    // clock the hold key expires no later than authchart lets go.
    if (hold[0]) {
      // Whole ms for PX, and 1 less: Redis and Node's timers both count whole ms, so a key set with
      // PX n can live up to 1 ms past n while authchart's let-go can come up to 1 ms before n.
      const ms = Math.max(Math.floor(holdMs) - 1, 1);
      // A SET that lands after a timeout needs no undo: it names no other holder, and expires.
      await within(client.eval(HOLD, { keys: hold, arguments: [token, String(ms)] }), ms).catch((cause) => {
        throw new AuthError('StorageFailure', `Could not set the hold key of the Redis lock '${name}'`, { cause });
      });
    }
    result = await critical({ key, value: token, hold });
  } catch (error) {
    await release().catch(() => undefined); // if this fails, the lock expires after its TTL
    throw error;
  }
  const released = await release().catch(() => null);
  const lost = renewal.lost() ?? (released === 0 ? new Error('the lock key no longer held this holder’s token') : null);
  if (lost) {
    throw new AuthError(
      'StorageFailure',
      `The Redis lock '${name}' expired while held (not renewed within ${timing.ttlMs} ms); another process may have changed the data meanwhile`,
      { cause: lost },
    );
  }
  return result;
}

async function take(client: RedisLockClient, key: string, token: string, name: string, timing: RedisLockTiming) {
  const deadline = Date.now() + timing.timeoutMs;
  const timedOut = () =>
    new AuthError(
      'StorageFailure',
      `Could not take the Redis lock '${name}' within ${timing.timeoutMs} ms: another process holds it. ` +
        `A holder that died lets it go within ${timing.ttlMs} ms.`,
    );
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    if (client.isReady === false) {
      throw new AuthError('StorageFailure', `Could not take the Redis lock '${name}': Redis is not connected`);
    }
    const set = client.set(key, token, { condition: 'NX', expiration: { type: 'PX', value: timing.ttlMs } });
    let reply: unknown;
    try {
      reply = await within(set, Math.max(deadline - Date.now(), 1));
    } catch (error) {
      if (error === TIMED_OUT) {
        // A SET that lands after we gave up must not keep the lock for a whole TTL.
        void set
          .then((late) => (late === 'OK' ? client.eval(RELEASE, { keys: [key], arguments: [token] }) : undefined))
          .catch(() => undefined);
        throw timedOut();
      }
      throw new AuthError('StorageFailure', `Could not take the Redis lock '${name}': the SET failed`, {
        cause: error,
      });
    }
    if (reply === 'OK') return;
    if (await tookOverFromDeadHolder(client, key, token, timing)) return;
    const left = deadline - Date.now();
    if (left <= 0) throw timedOut();
    await sleep(Math.min(left, 1 + Math.random() * backoff));
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/** The holder's value names a process of this host that is gone: take its lock at once, not after its TTL. */
async function tookOverFromDeadHolder(
  client: RedisLockClient,
  key: string,
  token: string,
  timing: RedisLockTiming,
): Promise<boolean> {
  try {
    const held = await within(client.eval(GET, { keys: [key], arguments: [String(timing.ttlMs)] }), timing.ttlMs);
    // `host:pid:random`, parsed from the right (the random part and the pid hold no `:`).
    const match = typeof held === 'string' ? /^(.*):(\d+):[^:]+$/.exec(held) : null;
    if (!match || !holderGone(match[1] ?? '', Number(match[2]))) return false;
    const reply = await within(
      client.eval(TAKE_OVER, { keys: [key], arguments: [held as string, token, String(timing.ttlMs)] }),
      timing.ttlMs,
    );
    return reply === 'OK';
  } catch {
    return false; // the usual wait (and the TTL) still applies
  }
}

/** Renews the lock every `ttlMs / 3`; `lost()` tells whether it expired or was taken by another. */
function keepRenewed(client: RedisLockClient, key: string, token: string, ttlMs: number) {
  let lost: Error | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let renewedAt = Date.now();
  const tick = async () => {
    try {
      const reply = await within(client.eval(RENEW, { keys: [key], arguments: [token, String(ttlMs)] }), ttlMs);
      if (stopped) return;
      if (reply === 1) renewedAt = Date.now();
      else lost = new Error('the lock key no longer holds this holder’s token');
    } catch (error) {
      // A failed renewal is retried; past the TTL the key may be gone.
      if (!stopped && Date.now() - renewedAt >= ttlMs)
        lost = new Error('the lock was not renewed in time', { cause: error });
    }
    schedule();
  };
  const schedule = () => {
    if (stopped || lost) return;
    timer = setTimeout(() => void tick(), ttlMs / 3);
    (timer as { unref?: () => void }).unref?.();
  };
  schedule();
  return {
    lost: () => lost,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

const TIMED_OUT = Symbol('timed out');

/** `promise`, or a rejection with {@link TIMED_OUT} after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
