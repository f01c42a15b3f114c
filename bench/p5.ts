/**
 * P5: 10 000 signed-in auth actors in one process (run with --expose-gc): heap per actor, and
 * how many sign-outs per second they get through when all sign out at once.
 */
import { type AuthServices, createAuth, memoryStorage } from '../src/index.js';
import { makeTokens } from '../test/helpers/tokens.js';

const N = 10_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const tokens = makeTokens({ revocable: true });
const services: AuthServices = {
  clientId: 'benchclient',
  signIn: async () => tokens,
  refresh: async () => ({}),
  globalSignOut: async () => {},
  revokeToken: async () => {},
};

gc();
const before = process.memoryUsage().heapUsed;
const all = [];
for (let i = 0; i < N; i++) all.push(createAuth({ services, storage: memoryStorage(), sync: null }));
await Promise.all(all.map((a) => a.adoptSession(tokens)));
gc();
const after = process.memoryUsage().heapUsed;

const t0 = performance.now();
const results = await Promise.all(all.map((a) => a.signOut()));
const seconds = (performance.now() - t0) / 1000;
const complete = results.filter((r) => r.status === 'complete').length;
for (const a of all) a.stop();
process.stdout.write(
  `${JSON.stringify({
    actors: N,
    heapPerSignedInActorKb: Math.round(((after - before) / N / 1024) * 10) / 10,
    signOutsPerSecond: Math.round(N / seconds),
    allComplete: complete === N,
  })}\n`,
);
