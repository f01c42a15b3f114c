/**
 * P5 child (`node --expose-gc`, fresh process, authchart from dist/): heap per signed-in actor,
 * with distinct real-size tokens per actor. Heap is read after a full GC at three points:
 * before anything (H0), after creating the token sets (H1), after creating and signing in the
 * actors (H2); then the bench drops its own references to the tokens, so only the actors hold
 * them (H3). Tokens excluded = (H2 − H1) / N: the token strings already existed at H1, so what
 * grows is the actor's own memory (and any copy it makes of a token). With tokens = (H3 − H0) / N.
 */
import { loadDist } from './child.js';
import { QUICK } from './stats.js';
import { cognitoTokens, tokenChars } from './tokens.js';

const N = Number(process.env['P5_ACTORS'] ?? (QUICK ? 500 : 10_000));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const { core } = await loadDist();
const services = {
  clientId: 'benchclient',
  signIn: async () => {
    throw new Error('P5 adopts sessions');
  },
  refresh: async () => ({}),
  globalSignOut: async () => {},
  revokeToken: async () => {},
};
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const h0 = heap();
let tokens: ReturnType<typeof cognitoTokens>[] | null = Array.from({ length: N }, (_, i) =>
  cognitoTokens(`user${i}@example.com`),
);
const h1 = heap();
const all = [];
for (let i = 0; i < N; i++) all.push(core.createAuth({ services, storage: core.memoryStorage(), sync: null }));
await Promise.all(all.map((a, i) => a.adoptSession(tokens?.[i] as NonNullable<typeof tokens>[number])));
const h2 = heap();
const chars = tokens.reduce((n, t) => n + tokenChars(t), 0) / N;
tokens = null;
const h3 = heap();

const t0 = performance.now();
const results = await Promise.all(all.map((a) => a.signOut()));
const seconds = (performance.now() - t0) / 1000;
for (const a of all) a.stop();
const kb = (bytes: number) => Math.round((bytes / N / 1024) * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    actors: N,
    tokenCharsPerActor: Math.round(chars),
    tokenHeapPerActorKb: kb(h1 - h0),
    heapPerActorExclTokensKb: kb(h2 - h1),
    heapPerActorWithTokensKb: kb(h3 - h0),
    signOutsPerSecond: Math.round(N / seconds),
    allComplete: results.every((r) => r.status === 'complete'),
  })}\n`,
);
process.exit(0);
