import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { identityPool } from '../../src/adapters/identity-pool.js';
import {
  type Auth,
  type AuthServices,
  createAuth,
  manualConnectivity,
  memoryStorage,
  type TokenStorage,
  type Tokens,
} from '../../src/index.js';
import { makeTokens } from '../helpers/tokens.js';
import { leaks, reachable } from './reachable.js';
import { allForms, build, type Spec, spec } from './thrown-shapes.js';

/**
 * Services and storage that throw random shapes quoting the secrets they were given (passwords,
 * opaque refresh tokens, JWTs, an identity pool's secret keys and session tokens) in messages,
 * fields, getters and causes, at every step. Nothing the app can reach (results, rejections, events,
 * console lines, inspection events) may contain one; the credentials `fetchCredentials()` resolves
 * with are the app's own, so only its rejections are walked.
 */

const REMOTE_STEP_MS = 500;
const CLIENT_ID = 'client123';
const P = `authchart.${CLIENT_ID}.`;

type StorageFault = { op: 'get' | 'set' | 'remove'; spec: Spec } | null;
type Command =
  | { type: 'signIn'; fault: Spec | null; storage: StorageFault }
  | { type: 'refreshDue'; fault: Spec | null; rotate: boolean; storage: StorageFault }
  | { type: 'signOut'; global: boolean; globalFault: Spec | null; revokeFault: Spec | null; storage: StorageFault }
  | { type: 'retryDeferred'; fault: Spec | null; storage: StorageFault }
  | { type: 'fetchCredentials'; fault: Spec | null; force: boolean; storage: StorageFault }
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
/** …and `fetchCredentials()` (the found case below replays the commands as they were before it). */
const withCredentials: fc.Arbitrary<Command> = fc.oneof(
  command,
  fc.record({ type: fc.constant('fetchCredentials' as const), fault, force: fc.boolean(), storage: storageFault }),
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
  const armed = {
    signIn: null as Spec | null,
    refresh: null as Spec | null,
    global: null as Spec | null,
    credentials: null as Spec | null,
  };
  const armedRevoke = { fault: null as Spec | null, rotate: false };
  let storageFaultNow: StorageFault = null;
  // What the current instance holds: tokens handed to it, and the session it restored. A value
  // it never held (say, one in a storage it could not read) is beyond what it can scrub.
  let held = new Set<string>();
  const known = () => [...held];
  const services: AuthServices = {
    clientId: CLIENT_ID,
    async signIn(input) {
      if (armed.signIn) throw build(armed.signIn, [input.session ?? input.password ?? '', ...known()]);
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
  // An identity pool on fetch: each answer's secret key and session token are secrets from then on.
  // Armed, its transport throws a shape quoting the ID token sent and every secret held, or (a
  // string shape) the pool refuses with a message quoting them.
  const credentials = identityPool({
    identityPoolId: 'eu-west-1:00000000-1111-2222-3333-444444444444',
    allowGuest: true,
    maxAttempts: 1,
    fetch: async (_url, init) => {
      const body = JSON.parse(String(init?.body)) as { Logins?: Record<string, string>; IdentityId?: string };
      const quoted = [...Object.values(body.Logins ?? {}), ...known()];
      const json = (status: number, answer: unknown) => new Response(JSON.stringify(answer), { status });
      if (armed.credentials?.kind === 'string') {
        return json(400, { __type: 'NotAuthorizedException', message: String(build(armed.credentials, quoted)) });
      }
      if (armed.credentials) throw build(armed.credentials, quoted);
      serial++;
      if (!body.IdentityId) return json(200, { IdentityId: `eu-west-1:id-${serial}` });
      const SecretKey = `wJalr${serial}/K7MDENG+bPxRfiCY${(serial * 2654435761).toString(36)}`;
      const SessionToken = `IQoJb3JpZ2luX2VjE${serial}${(serial * 40503).toString(36)}Jr//////////`;
      for (const v of [SecretKey, SessionToken]) {
        secrets.add(v);
        held.add(v);
      }
      const Expiration = Math.floor(Date.now() / 1000) + 3600;
      const Credentials = { AccessKeyId: `ASIA${serial}`, SecretKey, SessionToken, Expiration };
      return json(200, { IdentityId: body.IdentityId, Credentials });
    },
  });
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
    credentials,
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

// CI replays one fixed seed, so a red run is the code's doing, never the draw's (as the
// multi-context model does). FC_SEED=random explores; each case it finds is replayed below.
const seedEnv = process.env['FC_SEED'] ?? '20261206';
const seed = seedEnv === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(seedEnv);
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

/** Every command run, then every value the app could see walked for a secret. */
const redaction = (commands: fc.Arbitrary<Command> = withCredentials) =>
  fc.asyncProperty(
    password,
    fc.boolean(),
    fc.boolean(),
    fc.array(commands, { minLength: 1, maxLength: 7 }),
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
          credentials: w.credentials,
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
            case 'fetchCredentials':
              w.armed.credentials = c.fault;
              await settle(
                auth.fetchCredentials({ forceRefresh: c.force }).then(
                  () => undefined,
                  (e: unknown) => seen.push(e),
                ),
                4000,
              );
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
          throw new Error(`a secret is reachable (${found.join(', ')}) from ${reachable(v).join('\n').slice(0, 2000)}`);
        }
      }
      errorsSeen += seen.filter((v) => v instanceof Error).length;
    },
  );

describe('redaction (fast-check)', () => {
  it('no secret is reachable from any result, rejection, event, inspection event or console line', async () => {
    await fc.assert(redaction(), { numRuns, seed, verbose: 1 });
    expect(runs).toBeGreaterThan(0);
  }, 900_000);

  it('a storage write whose thrown string quotes the outbox entry it wrote: the token read from the outbox is scrubbed (found by seed 203856283)', async () => {
    await fc.assert(redaction(command), {
      seed: 203856283,
      path: '300:0:0:0:0:0:0:0:0:0:4:2:3:5:4:4:4:4:7:6:6:8:11:10:10:10',
      numRuns: 1,
    });
  }, 120_000);
});
