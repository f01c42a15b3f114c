/**
 * P6: the BFF on Redis (examples/bff). Heap per session held by one process (bench/p6-child.ts),
 * sign-outs per second across two BFF processes, and the time until the other process hears a
 * sign-out (Redis pub/sub), against the bench's Cognito stub and an embedded redis-server.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BffProcess, BrowserSession, startBff } from '../examples/bff/processes.js';
import { findRedisServer, startEmbeddedRedis } from '../tools/embedded-redis.js';
import type { CognitoStub } from './cognito-stub.js';
import { type Figure, figure, QUICK, round, summarize, unavailable } from './stats.js';

const CHILD = fileURLToPath(new URL('./p6-child.ts', import.meta.url));
const SESSIONS = QUICK ? 60 : 400;
const SEQUENTIAL = QUICK ? 40 : 300;
const CONCURRENCY = 16;

const GOALS = {
  heap: { text: '≤ 32 KB per session, tokens included (≥ 32,000 sessions per GiB of heap)', threshold: 32 },
  rate: { text: '≥ 100 sign-outs/s across 2 processes', threshold: 100 },
  p50: { text: '≤ 10 ms', threshold: 10 },
  p99: { text: '≤ 100 ms', threshold: 100 },
} as const;

/** Runs `work` on every item with at most `n` at a time. */
async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

async function heapPerSession(redisUrl: string): Promise<{ heapPerSessionKb: number } & Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD], {
    env: { ...process.env, REDIS_URL: redisUrl },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
}

async function signIn(a: BffProcess, b: BffProcess, n: number): Promise<BrowserSession[]> {
  const browsers = Array.from({ length: n }, () => new BrowserSession());
  await pool(browsers, CONCURRENCY, async (s) => {
    const login = await s.call(a.url, 'POST', '/login', { username: 'bench@example.com', password: 'pw' });
    if (login.status !== 200) throw new Error(`P6: login answered ${login.status}`);
    // B holds the session too: its instance must follow the sign-out.
    if ((await s.call(b.url, 'GET', '/me')).status !== 200) throw new Error('P6: B did not see the session');
  });
  return browsers;
}

export async function p6(stub: CognitoStub): Promise<Figure[]> {
  const ids = {
    heap: { id: 'P6.heapPerSession', title: 'Heap per session held by one BFF process', unit: 'KB' },
    rate: { id: 'P6.signOutsPerSecond', title: 'Sign-outs per second across 2 BFF processes', unit: '/s' },
    p50: { id: 'P6.propagationP50', title: 'Time until the other process hears a sign-out, p50', unit: 'ms' },
    p99: { id: 'P6.propagationP99', title: 'Time until the other process hears a sign-out, p99', unit: 'ms' },
  };
  const goal = (k: keyof typeof GOALS) => ({
    text: GOALS[k].text,
    threshold: GOALS[k].threshold,
    op: k === 'rate' ? ('>=' as const) : ('<=' as const),
  });
  if (!findRedisServer()) {
    const reason = 'redis-server is not installed (apt-get install redis-server)';
    return (Object.keys(ids) as (keyof typeof ids)[]).map((k) =>
      unavailable({ ...ids[k], goal: goal(k), how: 'needs Redis' }, reason),
    );
  }
  const redis = await startEmbeddedRedis();
  const bffs: BffProcess[] = [];
  try {
    const heap = await heapPerSession(redis.url);
    // One user signs in 16 at a time: in-flight sign-ins hold a unit of the per-username limit (10).
    const env = {
      REDIS_URL: redis.url,
      COGNITO_ENDPOINT: stub.url,
      COGNITO_CLIENT_ID: 'benchclient',
      BFF_LOGIN_LIMIT_USERNAME: '1000',
      BFF_LOGIN_LIMIT_CLIENT: '1000',
    };
    const [a, b] = await Promise.all([startBff({ ...env, BFF_NAME: 'A' }), startBff({ ...env, BFF_NAME: 'B' })]);
    bffs.push(a, b);

    // Throughput: every session signed out, half through A and half through B, 16 at a time.
    const rates: number[] = [];
    for (let r = 0; r < (QUICK ? 1 : 3); r++) {
      const browsers = await signIn(a, b, SESSIONS);
      const started = performance.now();
      await pool([...browsers.entries()], CONCURRENCY, async ([i, s]) => {
        const out = await s.call((i % 2 ? b : a).url, 'POST', '/logout', {});
        if (out.status !== 200) throw new Error(`P6: logout answered ${out.status}`);
      });
      rates.push(SESSIONS / ((performance.now() - started) / 1000));
    }

    // Propagation: one sign-out at a time through A; B's "heard" minus A's "published" (log clocks).
    const lines = (p: BffProcess, event: string) => p.lines().filter((l) => l['event'] === event);
    const delays: number[] = [];
    for (const s of await signIn(a, b, SEQUENTIAL)) {
      const heardBefore = lines(b, 'sign_out_heard').length;
      if ((await s.call(a.url, 'POST', '/logout', {})).status !== 200) throw new Error('P6: logout failed');
      const deadline = Date.now() + 2000;
      while (lines(b, 'sign_out_heard').length === heardBefore && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1));
      }
      const heard = lines(b, 'sign_out_heard').at(-1)?.['at'];
      const published = lines(a, 'sign_out_published').at(-1)?.['at'];
      delays.push(lines(b, 'sign_out_heard').length > heardBefore ? Number(heard) - Number(published) : 2000);
    }
    const rate = summarize(rates, 0);
    const how = (what: string) =>
      `Two BFF processes (examples/bff/server.ts under tsx, src/ not dist/) on one embedded redis-server and the bench's Cognito stub; ${what}`;
    const delaySummary = summarize(delays, 2);
    return [
      figure({
        ...ids.heap,
        value: heap.heapPerSessionKb,
        goal: goal('heap'),
        how: `${heap['sessions']} sessions in one fresh \`node --expose-gc\` process (bench/p6-child.ts): an authchart instance per session with redisStorage and redisSync on one shared node-redis client, signed in with \`adoptSession\` (real-size tokens, ${heap['tokenCharsPerSession']} characters a set); heapUsed growth after a full GC, tokens included.`,
        detail: { ...heap, sessionsPerGiB: Math.floor((1024 * 1024) / heap.heapPerSessionKb) },
      }),
      figure({
        ...ids.rate,
        value: rate.median,
        goal: goal('rate'),
        how: how(
          `${SESSIONS} sessions signed in on A and read once on B (so both hold them), then all signed out (half through A, half through B, ${CONCURRENCY} requests at a time): HTTP POST /logout with journal, RevokeToken, clearing Redis, pub/sub and tombstone. Median of ${rates.length} rounds.`,
        ),
        detail: { signOutsPerSecond: rate, sessionsPerRound: SESSIONS, concurrency: CONCURRENCY },
      }),
      ...(['p50', 'p99'] as const).map((k) =>
        figure({
          ...ids[k],
          value: round(percentile(delays, k === 'p50' ? 50 : 99), 2),
          goal: goal(k),
          how: how(
            `${SEQUENTIAL} sign-outs through A, one at a time, each of a session B holds; from A publishing "signedOut" (after clearing Redis) to B's listener receiving it, by the two processes' wall clocks (performance.timeOrigin + now).`,
          ),
          detail: { delayMs: delaySummary, p50: percentile(delays, 50), p99: percentile(delays, 99) },
        }),
      ),
    ];
  } finally {
    await Promise.all(bffs.map((b) => b.stop()));
    await redis.stop();
  }
}
