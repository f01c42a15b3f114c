/**
 * Sign-in attempt limits, counted in the Redis the sessions use, so every BFF process sees one
 * count. Two fixed-window counters per attempt: one for the client address, one for the username.
 *
 * - **Fixed window**: the first attempt of a window sets the key's expiry; the count resets when
 *   the key expires. Simple and one key per counter; at a window edge a client may get up to twice
 *   the limit in a short burst, which is still far from a useful guessing rate.
 * - **Reserve, then settle**: an attempt takes one unit from both counters *before* Cognito is
 *   called (one Lua script: check both, then increment both, atomically), so a burst of parallel
 *   requests cannot all slip past the check. A wrong password keeps its unit; any other outcome
 *   (signed in, a challenge, Cognito unavailable) gives it back. A success never resets a counter:
 *   a reset would let an attacker clear the per-client count between guesses by signing in to an
 *   account of his own.
 * - **Keys hold no username or address**: `<prefix>login:<scope>:<sha256>`. Usernames are
 *   normalised first (NFKC, trimmed, lower case), so `Bob` and `bob ` share one count.
 */
import { createHash } from 'node:crypto';
import { AuthError } from '../../src/index.js';
import type { RedisClient } from './sessions.js';

export interface SignInLimitsOptions {
  redis: RedisClient;
  /** Same prefix as the sessions'. Default `bff:`. */
  keyPrefix?: string;
  /** Wrong passwords per username per window. Default 10. */
  perUsername?: number;
  /** Wrong passwords per client address per window (many users may share one NAT). Default 100. */
  perClient?: number;
  /** The window. Default 900 (15 minutes). */
  windowSeconds?: number;
}

/** What a sign-in attempt may do. */
export type Admission =
  | {
      ok: true;
      /** The attempt was not a wrong password: give its unit back. Never rejects. */
      refund(): Promise<void>;
    }
  | { ok: false; scope: 'username' | 'client'; retryAfterSeconds: number };

// KEYS: client counter, username counter. ARGV: client limit, username limit, window (ms).
// Answers {0, 0} when admitted (both incremented), else {1 or 2, ms until that window ends}.
const TAKE = `
local limits = { tonumber(ARGV[1]), tonumber(ARGV[2]) }
local window = tonumber(ARGV[3])
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= limits[i] then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then redis.call('PEXPIRE', key, window); ttl = window end
    return { i, ttl }
  end
end
for _, key in ipairs(KEYS) do
  redis.call('INCR', key)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
end
return { 0, 0 }
`;

const REFUND = `
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0
`;

/**
 * The form a username is counted under.
 *
 * @example
 * normaliseUsername(' Bob@Example.COM'); // 'bob@example.com'
 */
export const normaliseUsername = (username: string): string => username.normalize('NFKC').trim().toLowerCase();

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * @example
 * const limits = new SignInLimits({ redis, perUsername: 10 });
 * const admission = await limits.take('203.0.113.7', 'bob@example.com');
 * if (!admission.ok) return tooMany(admission.retryAfterSeconds);
 */
export class SignInLimits {
  readonly #o: Required<SignInLimitsOptions>;

  constructor(options: SignInLimitsOptions) {
    this.#o = { keyPrefix: 'bff:', perUsername: 10, perClient: 100, windowSeconds: 900, ...options };
    for (const name of ['perUsername', 'perClient', 'windowSeconds'] as const) {
      const n = this.#o[name];
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`SignInLimits: ${name} must be a positive integer`);
    }
  }

  #keys(client: string, username: string): string[] {
    const p = `${this.#o.keyPrefix}login:`;
    return [`${p}client:${digest(client)}`, `${p}username:${digest(normaliseUsername(username))}`];
  }

  /** Reserves one attempt for `client` and `username`, or says which limit is reached. Rejects `StorageFailure`. */
  async take(client: string, username: string): Promise<Admission> {
    const keys = this.#keys(client, username);
    const { perClient, perUsername, windowSeconds } = this.#o;
    const reply = await this.#o.redis
      .eval(TAKE, { keys, arguments: [String(perClient), String(perUsername), String(windowSeconds * 1000)] })
      .catch((cause: unknown) => {
        throw new AuthError('StorageFailure', 'Could not count the sign-in attempt in Redis', { cause });
      });
    const [which, ttl] = (reply as [number, number]).map(Number) as [number, number];
    if (which === 0) {
      return {
        ok: true,
        // A refund lost to a Redis error leaves the count one too high until the window ends: fail closed.
        refund: () =>
          this.#o.redis.eval(REFUND, { keys }).then(
            () => {},
            () => {},
          ),
      };
    }
    return {
      ok: false,
      scope: which === 1 ? 'client' : 'username',
      retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)),
    };
  }
}
