/**
 * P6 child (`node --expose-gc --import tsx`, a fresh process): heap per session held by one BFF
 * process (examples/bff/sessions.ts: an authchart instance per session, redisStorage and redisSync
 * on one shared node-redis client). Heap after a full GC before anything (H0), then N sessions
 * are created and signed in with `adoptSession` (tokens written to Redis, one pub/sub channel
 * each); the bench drops its own token references (H1). Per session = (H1 − H0) / N, tokens
 * included: on a server they are part of what a session costs.
 */
import { createClient } from 'redis';
import { Sessions } from '../examples/bff/sessions.js';
import { QUICK } from './stats.js';
import { cognitoTokens, tokenChars } from './tokens.js';

const N = Number(process.env['P6_SESSIONS'] ?? (QUICK ? 300 : 3000));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const services = {
  clientId: 'benchclient',
  signIn: async () => {
    throw new Error('P6 adopts sessions');
  },
  refresh: async () => ({}),
  globalSignOut: async () => {},
  revokeToken: async () => {},
};

const redis = createClient({ url: process.env['REDIS_URL'] ?? '', disableOfflineQueue: true });
await redis.connect();
const sessions = new Sessions({ redis, services, keyPrefix: 'p6heap:' });
// Warm up: the first session pays for code and shared structures (subscriber connection).
const warm = sessions.create().auth;
await warm.adoptSession(cognitoTokens('warm@example.com'));
await new Promise((r) => setTimeout(r, 200));

const h0 = heap();
let tokens: ReturnType<typeof cognitoTokens>[] | null = Array.from({ length: N }, (_, i) =>
  cognitoTokens(`user${i}@example.com`),
);
const chars = tokenChars(tokens[0] ?? cognitoTokens('x'));
for (let i = 0; i < N; i += 100) {
  await Promise.all(
    tokens.slice(i, i + 100).map(async (t) => {
      const { auth } = sessions.create();
      await auth.ready;
      await auth.adoptSession(t);
    }),
  );
}
tokens = null;
// Let the SUBSCRIBE commands land.
await new Promise((r) => setTimeout(r, 500));
const h1 = heap();
const signedIn = sessions.size - 1;
const perSessionKb = (h1 - h0) / N / 1024;
process.stdout.write(
  `${JSON.stringify({ sessions: N, signedIn, tokenCharsPerSession: chars, heapPerSessionKb: Math.round(perSessionKb * 100) / 100 })}\n`,
);
sessions.close();
redis.destroy();
process.exit(0);
