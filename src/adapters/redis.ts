/**
 * `authchart/redis`: token storage and cross-process session sync on Redis, for servers
 * (backend-for-frontend) that run several processes or machines.
 *
 * Written against node-redis v5 (`redis` on npm, an optional peer dependency), but typed
 * structurally: only the few methods used are required, so the module itself imports nothing.
 */
import { AuthError } from '../errors.js';
import type { SessionSync, SessionSyncFactory, SyncMessage, TokenStorage } from '../services/types.js';
import { FENCED_DEL, FENCED_SET, type Section } from './redis-fence.js';
import { withRedisLock } from './redis-lock.js';

/** The node-redis v5 client methods {@link redisStorage} uses; a `createClient()` result fits. */
export interface RedisStorageClient {
  get(key: string): Promise<unknown>;
  set(
    key: string,
    value: string,
    options?:
      | { expiration: { type: 'EX'; value: number } }
      | { condition: 'NX'; expiration: { type: 'PX'; value: number } },
  ): Promise<unknown>;
  del(keys: string[]): Promise<unknown>;
  /** For the lock's compare-and-delete (node-redis v5: `eval(script, { keys, arguments })`). */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** node-redis: `false` while disconnected or reconnecting. Read to fail fast instead of queueing. */
  readonly isReady?: boolean;
}

/** Options of {@link redisStorage}. */
export interface RedisStorageOptions {
  /** Put before every key, e.g. `bff:session:<id>:`. One prefix per session (user, cookie) on a shared Redis. */
  prefix: string;
  /**
   * Expire every key this long after it was last written (SET … EX). An absolute session lifetime:
   * a sign-in writes every key; later writes (refreshes) extend only what they write. Default: no expiry.
   */
  ttlSeconds?: number;
  /**
   * Expiry of the lock key (`<prefix>lock:<name>`) that {@link TokenStorage.lock} sets. Default
   * 5000 ms, at least 100: far longer than one Redis command, and renewed every `lockTtlMs / 3`
   * while the section runs, so a long section keeps it. A holder that died lets it go after this.
   */
  lockTtlMs?: number;
  /**
   * Longest wait for the lock before `lock()` fails with `StorageFailure`. Default 8000 ms: above
   * `lockTtlMs`, so a dead holder's lock is taken within one call, and below `createAuth`'s
   * `storageMs` (10000).
   */
  lockTimeoutMs?: number;
}

function lockMs(name: 'lockTtlMs' | 'lockTimeoutMs', value: number | undefined, fallback: number, min: number) {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) && value >= min)) {
    throw new TypeError(`redisStorage: ${name} must be an integer number of milliseconds, at least ${min}`);
  }
  return value;
}

/** Rejects at once: the client is not connected, so a command would sit in the offline queue. */
function notReady(): Promise<never> {
  return Promise.reject(new Error('Redis client is not connected'));
}

/**
 * A {@link TokenStorage} on Redis strings: GET, SET and DEL under `prefix`. The sign-out journal
 * is one of its keys, so a sign-out interrupted by a crash is finished by whichever process
 * restores that session next.
 *
 * Create the client with `disableOfflineQueue: true`: then a command sent while Redis is
 * unreachable rejects at once (authchart reports `StorageFailure`) instead of waiting for a
 * reconnect. This adapter also checks `client.isReady` before each command, for the same reason.
 *
 * `lock(name, critical)` is a cross-process lock on the key `<prefix>lock:<name>`: taken with
 * `SET … NX PX lockTtlMs` (retried with jittered backoff for up to `lockTimeoutMs`), renewed while
 * held, and deleted by a script only if it still holds this holder's random token. authchart
 * takes it around each compare-then-write of the session, so processes never interleave them.
 * Given a section (`{ holdMs, fence }`, as authchart passes it), it also sets `<prefix>hold:<name>`
 * to its token, expiring by the time authchart lets go. A write given that fence is one script
 * checking both keys, wherever it is made (sections of several lock names may run at once), so one
 * that reaches a stalled Redis after authchart let go is refused (in Redis Cluster, give the prefix
 * a hash tag). A write whose fence has aborted is refused before it is sent; one with no fence, or
 * a fence of no section, is a plain SET or DEL.
 *
 * @example
 * import { createClient } from 'redis';
 * import { createAuth } from 'authchart';
 * import { redisStorage, redisSync } from 'authchart/redis';
 *
 * const redis = await createClient({ url: 'redis://127.0.0.1:6379', disableOfflineQueue: true }).connect();
 * const prefix = `bff:session:${sessionId}:`;
 * const auth = createAuth({ services, storage: redisStorage(redis, { prefix }), sync: redisSync(redis, { prefix }) });
 */
export function redisStorage(client: RedisStorageClient, options: RedisStorageOptions): TokenStorage {
  const prefix = options?.prefix;
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError('redisStorage needs a non-empty prefix');
  const ttl = options.ttlSeconds;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) {
    throw new TypeError('redisStorage: ttlSeconds must be a positive integer');
  }
  const timing = {
    ttlMs: lockMs('lockTtlMs', options.lockTtlMs, 5000, 100),
    timeoutMs: lockMs('lockTimeoutMs', options.lockTimeoutMs, 8000, 1),
  };
  const ready = () => client.isReady !== false;
  /**
   * The `lock()` sections by the fence authchart gave each: a write given one of these fences is
   * fenced with that section's keys, wherever and whenever it is made (sections of two lock names
   * may run at once; a let-go section's work may still write). Gone with the fence.
   */
  const sections = new WeakMap<AbortSignal, Section>();
  /**
   * SET or DEL `key`: with the section of `fence`, one script that first checks its lock and hold
   * keys (a compare-and-set); without one, plain. An aborted fence is refused before anything is sent.
   */
  const write = async (
    script: string,
    key: string,
    args: string[],
    plain: () => Promise<unknown>,
    fence?: AbortSignal,
  ) => {
    const at = fence && sections.get(fence);
    if (!fence?.aborted) {
      if (!ready()) return notReady();
      if (!at) return void (await plain());
      if (
        (await client.eval(script, { keys: [at.key, prefix + key, ...at.hold], arguments: [at.value, ...args] })) === 1
      )
        return;
    }
    // Named, never the key: the prefix may name a session.
    throw new AuthError(
      'StorageFailure',
      `The Redis lock${at ? ` '${at.name}'` : ''} was let go before this write committed`,
    );
  };
  return {
    // Writes given a `lock()` section's fence are compare-and-set on its lock key and, given
    // `holdMs`, its hold key, which expires when authchart lets go (`redis-fence.ts`).
    fencedWrites: true,
    lock: (name, critical, section) =>
      // `hold:`, not a suffix of the lock key: that could be the lock key of another name.
      withRedisLock(
        client,
        `${prefix}lock:${name}`,
        name,
        timing,
        (held) => {
          if (section) sections.set(section.fence, { ...held, name });
          return critical();
        },
        `${prefix}hold:${name}`,
        section?.holdMs,
      ),
    async getItem(key) {
      if (!ready()) return notReady();
      const value = await client.get(prefix + key);
      return typeof value === 'string' ? value : null;
    },
    setItem: (key, value, options) =>
      write(
        FENCED_SET,
        key,
        [value, ttl === undefined ? '' : String(ttl)],
        () =>
          ttl === undefined
            ? client.set(prefix + key, value)
            : client.set(prefix + key, value, { expiration: { type: 'EX', value: ttl } }),
        options?.fence,
      ),
    removeItem: (key, options) => write(FENCED_DEL, key, [], () => client.del([prefix + key]), options?.fence),
  };
}

/** A pub/sub message listener, as node-redis calls it. */
export type RedisMessageListener = (message: string, channel: string) => unknown;

/** The subscriber connection: what `client.duplicate()` returns in node-redis v5. */
export interface RedisSubscriberClient {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: RedisMessageListener): Promise<unknown>;
  unsubscribe(channel: string, listener: RedisMessageListener): Promise<unknown>;
  close(): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/** The node-redis v5 client methods {@link redisSync} uses. */
export interface RedisSyncClient {
  publish(channel: string, message: string): Promise<unknown>;
  /** A second connection: a connection in subscriber mode can send no other command. */
  duplicate(): RedisSubscriberClient;
  readonly isReady?: boolean;
}

/** Options of {@link redisSync}. */
export interface RedisSyncOptions {
  /** Put before the channel name: use the storage's prefix, so only instances of one session hear each other. */
  prefix?: string;
  /** Errors of the subscriber connection and failed publishes (default: ignored; storage stays the truth). */
  onError?: (error: unknown) => void;
}

/** A {@link SessionSync} whose subscriptions are live once `whenSubscribed()` resolves. */
export interface RedisSessionSync extends SessionSync {
  /** Resolves when every subscription made so far is active on the server (or failed: see `onError`). */
  whenSubscribed(): Promise<void>;
}

/** One subscriber connection per base client, shared by every channel, closed with its last user. */
interface SharedSubscriber {
  connection: Promise<RedisSubscriberClient>;
  users: number;
}
const subscribers = new WeakMap<RedisSyncClient, SharedSubscriber>();

function acquire(client: RedisSyncClient, onError: (error: unknown) => void): SharedSubscriber {
  let shared = subscribers.get(client);
  if (!shared) {
    const sub = client.duplicate();
    // node-redis emits 'error' on every failed reconnect: an unheard one would crash the process.
    sub.on('error', (error) => onError(error));
    const connection = sub.connect().then(() => sub);
    const entry: SharedSubscriber = { connection, users: 0 };
    // A connection that never came up is not kept: the next participant tries again.
    connection.catch(() => {
      if (subscribers.get(client) === entry) subscribers.delete(client);
    });
    shared = entry;
    subscribers.set(client, shared);
  }
  shared.users += 1;
  return shared;
}

function release(client: RedisSyncClient, shared: SharedSubscriber, onError: (error: unknown) => void): void {
  shared.users -= 1;
  if (shared.users > 0 || subscribers.get(client) !== shared) return;
  subscribers.delete(client);
  shared.connection.then((sub) => sub.close()).catch(onError);
}

interface Envelope {
  type: SyncMessage['type'];
  /** The sending participant: a participant never hears itself. */
  from: string;
}

function parse(raw: string): Envelope | null {
  try {
    const e = JSON.parse(raw) as Partial<Envelope>;
    if ((e.type === 'signedIn' || e.type === 'signedOut') && typeof e.from === 'string') {
      return { type: e.type, from: e.from };
    }
  } catch {
    // Not ours.
  }
  return null;
}

/**
 * A {@link SessionSyncFactory} over Redis pub/sub: when one process signs a session out, every
 * other process holding it follows with no Cognito call; when one signs in, the others restore
 * from storage. Messages carry no token, only the event and a random participant id (so a
 * participant never receives its own). The channel is `prefix` + authchart's channel name.
 *
 * Pub/sub is fire-and-forget: a process that was disconnected misses messages. Storage stays the
 * truth (a restore reads it), so a server should also re-check storage on each request.
 *
 * @example
 * import { createClient } from 'redis';
 * import { createAuth } from 'authchart';
 * import { redisStorage, redisSync } from 'authchart/redis';
 *
 * const redis = await createClient({ disableOfflineQueue: true }).connect();
 * const prefix = `bff:session:${sessionId}:`;
 * const auth = createAuth({ services, storage: redisStorage(redis, { prefix }), sync: redisSync(redis, { prefix }) });
 */
export function redisSync(
  client: RedisSyncClient,
  options: RedisSyncOptions = {},
): (channel: string) => RedisSessionSync {
  const prefix = options.prefix ?? '';
  const onError = options.onError ?? (() => {});
  return (name) => {
    const channel = prefix + name;
    const self = globalThis.crypto.randomUUID();
    const listeners = new Set<RedisMessageListener>();
    const pending = new Set<Promise<void>>();
    let shared: SharedSubscriber | null = null;
    let closed = false;

    const drop = (listener: RedisMessageListener) => {
      if (!listeners.delete(listener) || !shared) return;
      const s = shared;
      s.connection.then((sub) => sub.unsubscribe(channel, listener)).catch(onError);
      if (listeners.size === 0) {
        release(client, s, onError);
        shared = null;
      }
    };

    return {
      publish(message) {
        if (closed || client.isReady === false) return;
        const body = JSON.stringify({ type: message.type, from: self } satisfies Envelope);
        client.publish(channel, body).catch(onError);
      },
      subscribe(listener) {
        if (closed) return () => {};
        const deliver: RedisMessageListener = (raw) => {
          const envelope = parse(raw);
          if (envelope && envelope.from !== self && listeners.has(deliver)) listener({ type: envelope.type });
        };
        listeners.add(deliver);
        shared ??= acquire(client, onError);
        const done = shared.connection
          .then((sub) => sub.subscribe(channel, deliver))
          .then(
            () => undefined,
            (error: unknown) => onError(error),
          );
        pending.add(done);
        done.finally(() => pending.delete(done));
        return () => drop(deliver);
      },
      whenSubscribed: async () => {
        await Promise.all(pending);
      },
      close() {
        closed = true;
        for (const l of [...listeners]) drop(l);
      },
    } satisfies RedisSessionSync;
  };
}
