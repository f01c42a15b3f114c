import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  type Auth,
  AuthError,
  type AuthErrorCode,
  type AuthServices,
  createAuth,
  manualConnectivity,
  memoryStorage,
  type TokenStorage,
  type Tokens,
} from '../../src/index.js';
import { makeTokens } from '../helpers/tokens.js';
import { leaks, reachable } from './reachable.js';

/**
 * Services and storage that throw random shapes quoting the secrets they were given (passwords,
 * opaque refresh tokens, JWTs) in messages, fields, getters and causes, at every step. Nothing the
 * app can reach (results, rejections, events, console lines, inspection events) may contain one.
 */

const REMOTE_STEP_MS = 500;
const CLIENT_ID = 'client123';
const P = `authchart.${CLIENT_ID}.`;
const CODES: AuthErrorCode[] = ['Network', 'Timeout', 'NotAuthorized', 'Service', 'Throttled', 'RevocationUnsupported'];

const b64 = (text: string) => Buffer.from(text).toString('base64');
const html = (named: boolean) => (text: string) =>
  text.replace(/[&<>"' ]/g, (c) => (named && c === '&' ? '&amp;' : `&#x${c.charCodeAt(0).toString(16)};`));
const split = (text: string, by: string, every: number) => text.replace(new RegExp(`(.{${every}})`, 'g'), `$1${by}`);

/** Every form a secret is quoted in; the scrubber must find each (see docs/security.md, "What the scrubber covers"). */
const ENCODINGS: ((secret: string) => string)[] = [
  (x) => x,
  (x) => JSON.stringify(x).slice(1, -1),
  (x) => JSON.stringify(JSON.stringify(x)).slice(1, -1),
  (x) => [...x].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  encodeURIComponent,
  (x) =>
    encodeURIComponent(x)
      .replaceAll('.', '%2E')
      .replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  (x) => new URLSearchParams({ v: x }).toString().slice(2),
  html(true),
  html(false),
  b64,
  (x) => Buffer.from(x).toString('base64url'),
  (x) => b64(`x${x}`),
  (x) => Buffer.from(`xy${x}`).toString('base64url'),
  (x) => `Basic ${b64(`alice@example.com:${x}`)}`,
  (x) => split(b64(x), '\n', 76),
  (x) => split(x, '\n', 64),
  (x) => split(x, '\r\n', 5),
  (x) => split(x, ' ', 7),
  (x) => Buffer.from(x).toString('hex'),
];
const allForms = (secret: string) => [
  secret,
  JSON.stringify(secret).slice(1, -1),
  encodeURIComponent(secret),
  ...ENCODINGS.map((e) => e(secret)),
];

type Field = 'code' | 'name' | 'message' | 'cause' | 'errors';

/** A thrown shape; `s` picks the quoted secret from the step's pool, and the form it is quoted in. */
type Spec =
  | { kind: 'string'; s: number }
  | { kind: 'primitive'; value: null | undefined | number }
  | { kind: 'error'; s: number; field: number | null; cause: Spec | null }
  | { kind: 'object'; s: number; status: number | null; nameQuotes: boolean; cause: Spec | null }
  | { kind: 'aggregate'; s: number; errors: Spec[] }
  | { kind: 'getters'; s: number; throws: boolean }
  | { kind: 'cycle'; s: number }
  | { kind: 'authError'; code: AuthErrorCode; s: number; cause: Spec | null }
  | { kind: 'proxy'; s: number }
  /** A field whose getter throws (quoting a secret), or answers a secret only when read again. */
  | { kind: 'hostile'; s: number; field: Field; secondRead: boolean; authError: boolean }
  /** A Proxy whose every trap throws. */
  | { kind: 'traps'; s: number }
  /** A `code` that is a secret. */
  | { kind: 'secretCode'; s: number; authError: boolean };

const s = fc.nat(1000);
const { spec } = fc.letrec<{ spec: Spec }>((tie) => {
  const cause = fc.option(tie('spec'), { nil: null, depthSize: 'small' });
  return {
    spec: fc.oneof(
      { depthSize: 'small' },
      fc.record({ kind: fc.constant('string' as const), s }),
      fc.record({ kind: fc.constant('primitive' as const), value: fc.constantFrom(null, undefined, 42) }),
      fc.record({ kind: fc.constant('error' as const), s, field: fc.option(s, { nil: null }), cause }),
      fc.record({
        kind: fc.constant('object' as const),
        s,
        status: fc.option(fc.constantFrom(400, 500, 503), { nil: null }),
        nameQuotes: fc.boolean(),
        cause,
      }),
      fc.record({
        kind: fc.constant('aggregate' as const),
        s,
        errors: fc.array(tie('spec'), { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('getters' as const), s, throws: fc.boolean() }),
      fc.record({ kind: fc.constant('cycle' as const), s }),
      fc.record({ kind: fc.constant('authError' as const), code: fc.constantFrom(...CODES), s, cause }),
      fc.record({ kind: fc.constant('proxy' as const), s }),
      fc.record({
        kind: fc.constant('hostile' as const),
        s,
        field: fc.constantFrom<Field>('code', 'name', 'message', 'cause', 'errors'),
        secondRead: fc.boolean(),
        authError: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('traps' as const), s }),
      fc.record({ kind: fc.constant('secretCode' as const), s, authError: fc.boolean() }),
    ) as fc.Arbitrary<Spec>,
  };
});

function build(x: Spec, pool: readonly string[]): unknown {
  const q = (i: number) =>
    (ENCODINGS[Math.floor(i / 7) % ENCODINGS.length] as (x: string) => string)(pool[i % pool.length] ?? 'nothing');
  const inner = (c: Spec | null) => (c === null ? undefined : build(c, pool));
  switch (x.kind) {
    case 'string':
      return `upstream said ${q(x.s)}`;
    case 'primitive':
      return x.value;
    case 'error': {
      const e = new Error(`failed with ${q(x.s)}`, { cause: inner(x.cause) });
      return Object.assign(e, {
        requestBody: q(x.field ?? x.s),
        $response: { body: `{"token":"${q(x.s)}"}` },
      });
    }
    case 'object':
      return {
        name: x.nameQuotes ? `Exception${q(x.s)}` : 'InternalErrorException',
        message: `bad ${q(x.s)}`,
        code: `E_${q(x.s + 1)}`,
        token: q(x.s + 2),
        ...(x.status === null ? {} : { $metadata: { httpStatusCode: x.status, requestId: q(x.s) } }),
        cause: inner(x.cause),
      };
    case 'aggregate':
      return new AggregateError(
        x.errors.map((e) => build(e, pool)),
        `many ${q(x.s)}`,
      );
    case 'getters': {
      const o = {};
      for (const key of ['name', 'message', 'code', 'cause', 'status', 'errors', 'stack']) {
        Object.defineProperty(o, key, {
          enumerable: true,
          get: () => {
            if (x.throws) throw new Error(`getter ${q(x.s)}`);
            return key === 'status' ? 500 : `${key} ${q(x.s)}`;
          },
        });
      }
      return o;
    }
    case 'cycle': {
      const e = new Error(`cycle ${q(x.s)}`) as Error & { self?: unknown };
      e.cause = e;
      e.self = e;
      return new AggregateError([e, e], `loop ${q(x.s + 1)}`, { cause: e });
    }
    case 'authError':
      return new AuthError(x.code, `refused ${q(x.s)}`, { cause: inner(x.cause), serviceName: `Svc${q(x.s)}` });
    case 'proxy':
      return new Proxy(new Error(q(x.s)), {
        get: (target, key) => (key === 'message' ? `proxied ${q(x.s)}` : Reflect.get(target, key)),
        getPrototypeOf: () => {
          throw new Error(`trap ${q(x.s)}`);
        },
      });
    case 'hostile': {
      const e = x.authError ? new AuthError('Service', `refused ${q(x.s + 1)}`) : new Error(`refused ${q(x.s + 1)}`);
      let reads = 0;
      Object.defineProperty(e, x.field, {
        get: () => {
          if (!x.secondRead) throw new Error(`getter ${q(x.s)}`);
          return ++reads === 1 ? (x.field === 'errors' ? [] : 'Innocent') : q(x.s);
        },
      });
      return e;
    }
    case 'traps': {
      const trap = () => {
        throw new Error(`trap ${q(x.s)}`);
      };
      return new Proxy(new Error(q(x.s)), {
        get: trap,
        has: trap,
        ownKeys: trap,
        getOwnPropertyDescriptor: trap,
        getPrototypeOf: trap,
      });
    }
    case 'secretCode':
      return x.authError
        ? new AuthError(q(x.s) as AuthErrorCode, 'refused')
        : Object.assign(new Error('refused'), { code: q(x.s) });
  }
}

type StorageFault = { op: 'get' | 'set' | 'remove'; spec: Spec } | null;
type Command =
  | { type: 'signIn'; fault: Spec | null; storage: StorageFault }
  | { type: 'refreshDue'; fault: Spec | null; rotate: boolean; storage: StorageFault }
  | { type: 'signOut'; global: boolean; globalFault: Spec | null; revokeFault: Spec | null; storage: StorageFault }
  | { type: 'retryDeferred'; fault: Spec | null; storage: StorageFault }
  | { type: 'restart'; storage: StorageFault };

const fault = fc.option(spec, { nil: null, freq: 2 });
const storageFault: fc.Arbitrary<StorageFault> = fc.option(
  fc.record({ op: fc.constantFrom('get' as const, 'set' as const, 'remove' as const), spec }),
  { nil: null, freq: 2 },
);
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ type: fc.constant('signIn' as const), fault, storage: storageFault }),
  fc.record({ type: fc.constant('refreshDue' as const), fault, rotate: fc.boolean(), storage: storageFault }),
  fc.record({
    type: fc.constant('signOut' as const),
    global: fc.boolean(),
    globalFault: fault,
    revokeFault: fault,
    storage: storageFault,
  }),
  fc.record({ type: fc.constant('retryDeferred' as const), fault, storage: storageFault }),
  fc.record({ type: fc.constant('restart' as const), storage: storageFault }),
);
const password = fc
  .string({ unit: fc.constantFrom(...'abcXYZ019 "\\%&é+/'), minLength: 8, maxLength: 16 })
  .map((p) => `Pw~${p}`);

/** One run's world: services and storage whose faults the commands arm; every secret they ever handed out. */
function world(pw: string) {
  const secrets = new Set<string>([pw]);
  let serial = 0;
  /** New tokens, handed to the instance: from now on they are secrets it holds. */
  const mint = (opaque: boolean, rotate = true): Partial<Tokens> => {
    const t = makeTokens({ expiresIn: 600 });
    serial++;
    // Opaque refresh tokens are not JWT-shaped: only exact-value redaction can find them.
    const refreshToken = opaque ? `rt_${serial}_${(serial * 2654435761).toString(36)}x` : t.refreshToken;
    const minted = rotate ? { ...t, refreshToken } : { accessToken: t.accessToken, idToken: t.idToken };
    for (const v of Object.values(minted)) {
      secrets.add(v);
      held.add(v);
    }
    return minted;
  };
  const armed = { signIn: null as Spec | null, refresh: null as Spec | null, global: null as Spec | null };
  const armedRevoke = { fault: null as Spec | null, rotate: false };
  let storageFaultNow: StorageFault = null;
  // What the current instance holds: tokens handed to it, and the session it restored. A value
  // it never held (say, one in a storage it could not read) is beyond what it can scrub.
  let held = new Set<string>();
  const known = () => [...held];
  const services: AuthServices = {
    clientId: CLIENT_ID,
    async signIn(input) {
      if (armed.signIn) throw build(armed.signIn, [input.password, ...known()]);
      return mint(serial % 2 === 0) as Tokens;
    },
    async refresh(refreshToken) {
      if (armed.refresh) throw build(armed.refresh, [refreshToken, ...known()]);
      return mint(true, armedRevoke.rotate);
    },
    async globalSignOut(accessToken) {
      if (armed.global) throw build(armed.global, [accessToken, ...known()]);
    },
    async revokeToken(refreshToken) {
      if (armedRevoke.fault) throw build(armedRevoke.fault, [refreshToken, ...known()]);
    },
  };
  const inner = memoryStorage([['app.theme', 'dark']]);
  const check = (op: 'get' | 'set' | 'remove', key: string, value?: string) => {
    if (storageFaultNow?.op === op) throw build(storageFaultNow.spec, [value ?? key, key, ...known()]);
  };
  const storage: TokenStorage = {
    getItem(k) {
      check('get', k);
      return inner.getItem(k);
    },
    setItem(k, v) {
      check('set', k, v);
      inner.setItem(k, v);
    },
    removeItem(k) {
      check('remove', k);
      inner.removeItem(k);
    },
  };
  const seed = (tokens: Tokens) => {
    inner.setItem(`${P}lastAuthUser`, 'alice@example.com');
    for (const [k, v] of Object.entries(tokens)) inner.setItem(`${P}alice@example.com.${k}`, v);
  };
  /** A new instance starts, knowing nothing yet. */
  const restart = () => {
    held = new Set();
  };
  /** It restored the stored session: those tokens are now its own. */
  const restored = () => {
    const stored = inner.keys().map((k) => String(inner.getItem(k)));
    for (const v of secrets) if (stored.includes(v)) held.add(v);
  };
  return {
    restart,
    restored,
    secrets,
    mint,
    seed,
    services,
    storage,
    armed,
    armedRevoke,
    setStorageFault: (f: StorageFault) => {
      storageFaultNow = f;
    },
  };
}

async function settle<T>(promise: Promise<T>, maxMs: number): Promise<void> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let waited = 0; waited <= maxMs && !done; waited += 50) await vi.advanceTimersByTimeAsync(50);
}

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const numRuns = Number(process.env['FC_RUNS'] ?? 1000);
let runs = 0;
let checked = 0;
let errorsSeen = 0;

afterAll(() => {
  console.info(
    `redaction: ${runs} runs, seed ${seed} (FC_SEED=${seed} to replay); ${checked} values walked, ${errorsSeen} errors among them`,
  );
});

const EVENTS = ['signedIn', 'signedOut', 'signOutFailed', 'tokensRefreshed', 'tokenRefreshFailed'] as const;
const CONSOLE = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

describe('redaction (fast-check)', () => {
  it('no secret is reachable from any result, rejection, event, inspection event or console line', async () => {
    await fc.assert(
      fc.asyncProperty(
        password,
        fc.boolean(),
        fc.boolean(),
        fc.array(command, { minLength: 1, maxLength: 7 }),
        async (pw, seeded, deferRevocation, commands) => {
          runs++;
          vi.useFakeTimers();
          vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
          const w = world(pw);
          if (seeded) w.seed(w.mint(true) as Tokens);
          const seen: unknown[] = [];
          const lines: unknown[][] = [];
          const spies = CONSOLE.map((m) =>
            vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args)),
          );
          const keep = (p: Promise<unknown>) =>
            p.then(
              (v) => seen.push(v),
              (e: unknown) => seen.push(e),
            );
          const connectivity = manualConnectivity(true);
          const make = () => {
            w.restart();
            const a = createAuth({
              services: w.services,
              storage: w.storage,
              connectivity,
              sync: null,
              deferRevocation,
              timeouts: { remoteStepMs: REMOTE_STEP_MS, refreshRetryMs: 1000 },
              inspect: (e) => {
                if (e.type === '@xstate.event') seen.push(e.event);
              },
            });
            for (const name of EVENTS) a.on(name, (p) => seen.push(p));
            a.on('signedIn', (p) => p.restored && w.restored());
            return a;
          };
          let auth: Auth = make();
          try {
            await settle(auth.ready, 2000);
            for (const c of commands) {
              w.setStorageFault(c.storage);
              switch (c.type) {
                case 'signIn':
                  w.armed.signIn = c.fault;
                  await settle(keep(auth.signIn({ username: 'alice@example.com', password: pw })), 4000);
                  break;
                case 'refreshDue':
                  w.armed.refresh = c.fault;
                  w.armedRevoke.rotate = c.rotate;
                  await vi.advanceTimersByTimeAsync(600_000);
                  break;
                case 'signOut':
                  w.armed.global = c.globalFault;
                  w.armedRevoke.fault = c.revokeFault;
                  await settle(keep(auth.signOut({ global: c.global })), 4000);
                  break;
                case 'retryDeferred':
                  w.armedRevoke.fault = c.fault;
                  await settle(keep(auth.retryDeferredRevocations()), 4000);
                  break;
                case 'restart':
                  auth.stop();
                  auth = make();
                  await settle(auth.ready, 2000);
                  break;
              }
              seen.push(auth.getSnapshot(), auth.getSession());
              w.setStorageFault(null);
              await vi.advanceTimersByTimeAsync(3 * REMOTE_STEP_MS);
            }
          } finally {
            auth.stop();
            for (const spy of spies) spy.mockRestore();
            vi.useRealTimers();
          }
          const values = [...seen, ...lines];
          checked += values.length;
          for (const v of values) {
            const found = leaks(reachable(v), w.secrets, allForms);
            if (found.length > 0) {
              throw new Error(
                `a secret is reachable (${found.join(', ')}) from ${reachable(v).join('\n').slice(0, 2000)}`,
              );
            }
          }
          errorsSeen += seen.filter((v) => v instanceof Error).length;
        },
      ),
      { numRuns, seed, verbose: 1 },
    );
    expect(runs).toBeGreaterThan(0);
  }, 900_000);
});
