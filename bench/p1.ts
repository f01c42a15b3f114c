/**
 * P1: sign-out wall time against the Cognito stub, each library next to a floor measured in the
 * same rounds over the same HTTP stack. The floor is a bare function sending the same request the
 * sign-out sends (RevokeToken for local, GlobalSignOut for global, after an untimed InitiateAuth
 * like the sign-in before each sign-out): over the AWS SDK's own NodeHttpHandler for authchart's
 * SDK transport, over global `fetch` (undici) for Amplify and authchart's fetch transport.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { Amplify } from 'aws-amplify';
import { signIn as amplifySignIn, signOut as amplifySignOut } from 'aws-amplify/auth';
import { loadDist } from './child.js';
import type { CognitoStub } from './cognito-stub.js';
import { type Figure, figure, QUICK, ROUNDS, rotation, round, type Summary, summarize, unavailable } from './stats.js';

const USER = { username: 'bench@example.com', password: 'Bench-Passw0rd' };
const TARGET = 'AWSCognitoIdentityProviderService.';
type Scope = 'local' | 'global';
/** Sign in (untimed), then sign out (timed, ms). */
type Participant = { name: string; signOutMs: (scope: Scope) => Promise<number> };

export function configureAmplify(stub: CognitoStub): void {
  Amplify.configure({
    Auth: { Cognito: { userPoolId: 'eu-west-1_bench', userPoolClientId: 'benchclient', userPoolEndpoint: stub.url } },
  });
}

const timed = async (run: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
};

/** The request a sign-out of this scope sends, as JSON 1.1. */
function signOutRequest(scope: Scope, tokens: { AccessToken: string; RefreshToken: string }) {
  return scope === 'global'
    ? { target: `${TARGET}GlobalSignOut`, body: JSON.stringify({ AccessToken: tokens.AccessToken }) }
    : { target: `${TARGET}RevokeToken`, body: JSON.stringify({ Token: tokens.RefreshToken, ClientId: 'benchclient' }) };
}
const signInBody = JSON.stringify({
  AuthFlow: 'USER_PASSWORD_AUTH',
  ClientId: 'benchclient',
  AuthParameters: { USERNAME: USER.username, PASSWORD: USER.password },
});
type AuthResult = { AuthenticationResult: { AccessToken: string; RefreshToken: string } };

/** Floor over global fetch, with the headers Amplify sends. */
function fetchFloor(stub: CognitoStub): Participant {
  const post = async (target: string, body: string) => {
    const res = await fetch(stub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, 'cache-control': 'no-store' },
      body,
    });
    return res.text();
  };
  return {
    name: 'floor (fetch)',
    async signOutMs(scope) {
      const signedIn = JSON.parse(await post(`${TARGET}InitiateAuth`, signInBody)) as AuthResult;
      const req = signOutRequest(scope, signedIn.AuthenticationResult);
      return timed(() => post(req.target, req.body));
    },
  };
}

/** Floor over the AWS SDK's HTTP handler (node:http, its keep-alive agent), with no SDK middleware. */
function sdkFloor(stub: CognitoStub): Participant {
  const client = new CognitoIdentityProviderClient({ region: 'eu-west-1', endpoint: stub.url });
  const handler = client.config.requestHandler as unknown as {
    handle(req: object): Promise<{ response: { body: AsyncIterable<Buffer> } }>;
  };
  const url = new URL(stub.url);
  const post = async (target: string, body: string) => {
    const { response } = await handler.handle({
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      method: 'POST',
      path: '/',
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
      body,
    });
    let text = '';
    for await (const chunk of response.body) text += chunk.toString();
    return text;
  };
  return {
    name: 'floor (SDK http handler)',
    async signOutMs(scope) {
      const signedIn = JSON.parse(await post(`${TARGET}InitiateAuth`, signInBody)) as AuthResult;
      const req = signOutRequest(scope, signedIn.AuthenticationResult);
      return timed(() => post(req.target, req.body));
    },
  };
}

function amplify(): Participant {
  return {
    name: 'Amplify',
    async signOutMs(scope) {
      await amplifySignIn({ ...USER, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
      return timed(() => amplifySignOut({ global: scope === 'global' }));
    },
  };
}

type Auth = ReturnType<Awaited<ReturnType<typeof loadDist>>['core']['createAuth']>;
function authchart(name: string, auth: Auth): Participant {
  return {
    name,
    async signOutMs(scope) {
      await auth.signIn(USER);
      let status = '';
      const ms = await timed(async () => {
        status = (await auth.signOut({ global: scope === 'global' })).status;
      });
      if (status !== 'complete') throw new Error(`${name} sign-out was ${status}`);
      return ms;
    },
  };
}

/** Runs `inner` sign-outs per participant per round, in rotating order; returns ms per sign-out, per round. */
async function rounds(stub: CognitoStub, who: Participant[], scope: Scope, inner: number, count: number) {
  const out = new Map<string, number[]>(who.map((p) => [p.name, []]));
  const calls = new Map<string, Record<string, number>>();
  for (let r = 0; r < count; r++) {
    for (const p of rotation(who, r)) {
      const before = { ...stub.calls };
      let total = 0;
      for (let i = 0; i < inner; i++) total += await p.signOutMs(scope);
      out.get(p.name)?.push(total / inner);
      const delta: Record<string, number> = {};
      for (const [k, v] of Object.entries(stub.calls)) {
        const d = v - (before[k] ?? 0);
        if (d > 0 && k !== 'InitiateAuth') delta[k] = d / inner;
      }
      calls.set(p.name, delta);
    }
  }
  return { times: out, calls: Object.fromEntries(calls) };
}

const pairs = (a: number[], b: number[], f: (x: number, y: number) => number) => a.map((x, i) => f(x, b[i] as number));

export async function p1(stub: CognitoStub): Promise<Figure[]> {
  const { core, sdk, fetch: fetchTransport } = await loadDist();
  configureAmplify(stub);
  if (!sdk) throw new Error('no SDK transport in dist/');
  const make = (services: ReturnType<typeof sdk.cognitoServices>) =>
    core.createAuth({ services, storage: core.memoryStorage(), sync: null });
  const options = {
    clientId: 'benchclient',
    region: 'eu-west-1',
    endpoint: stub.url,
    authFlow: 'USER_PASSWORD_AUTH' as const,
  };
  const ours = make(sdk.cognitoServices(options));
  const oursFetch = fetchTransport ? make(fetchTransport.cognitoServices(options)) : null;
  await Promise.all([ours.ready, oursFetch?.ready]);

  const who = [sdkFloor(stub), authchart('authchart (SDK)', ours), fetchFloor(stub), amplify()];
  if (oursFetch) who.push(authchart('authchart (fetch)', oursFetch));
  const floorOf: Record<string, string> = {
    'authchart (SDK)': 'floor (SDK http handler)',
    'authchart (fetch)': 'floor (fetch)',
    Amplify: 'floor (fetch)',
  };
  const figures: Figure[] = [];
  const how = (what: string) =>
    `${ROUNDS} rounds after a warm-up; each round signs in (untimed) and times the sign-out of every side in rotating order, with its floor (the same request, bare, over the same HTTP stack) in the same round. ${what}`;

  for (const latency of [0, 20, 100]) {
    stub.latencyMs = latency;
    const inner = QUICK ? 1 : latency === 0 ? 10 : latency === 20 ? 2 : 1;
    for (const scope of ['local', 'global'] as const) {
      await rounds(stub, who, scope, QUICK ? 1 : 3, 1); // warm-up
      const { times, calls } = await rounds(stub, who, scope, inner, ROUNDS);
      const t = (name: string) => times.get(name) ?? [];
      const rel = (name: string, f: (x: number, y: number) => number) => pairs(t(name), t(floorOf[name] ?? ''), f);
      const wall = Object.fromEntries(who.map((p) => [p.name, summarize(t(p.name), 3)]));
      const sides = who.filter((p) => floorOf[p.name]).map((p) => p.name);
      if (latency === 0) {
        const over: Record<string, Summary> = {};
        for (const s of sides)
          over[s] = summarize(
            rel(s, (x, y) => x - y),
            3,
          );
        const amplifyOver = over['Amplify'] as Summary;
        for (const s of ['authchart (SDK)', 'authchart (fetch)']) {
          const base = {
            id: `P1.overhead0.${s.includes('fetch') ? 'fetch' : 'sdk'}.${scope}`,
            title: `${s} ${scope} sign-out: overhead over its floor at 0 ms`,
            unit: 'ms',
            goal: {
              text: `≤ Amplify's overhead over its floor (${amplifyOver.median} ms)`,
              threshold: amplifyOver.median,
              op: '<=' as const,
            },
            how: how('Overhead = sign-out − floor, paired per round; median (min–max) over rounds.'),
          };
          const mine = over[s];
          figures.push(
            mine
              ? figure({
                  ...base,
                  value: mine.median,
                  detail: { overheadMs: over, wallMs: wall, callsPerSignOut: calls },
                })
              : unavailable(base, 'the fetch transport (src/adapters/cognito/index.ts) is not in this checkout'),
          );
        }
      } else {
        const ratio: Record<string, Summary> = {};
        for (const s of sides)
          ratio[s] = summarize(
            rel(s, (x, y) => x / y),
            3,
          );
        const amplifyRatio = (ratio['Amplify'] as Summary).median;
        figures.push(
          figure({
            id: `P1.ratio${latency}.${scope}`,
            title: `authchart (SDK) ${scope} sign-out at ${latency} ms latency, ÷ its floor`,
            unit: '×',
            value: (ratio['authchart (SDK)'] as Summary).median,
            goal: {
              text: `parity: ≤ Amplify's ratio (${amplifyRatio}) + 0.02`,
              threshold: round(amplifyRatio + 0.02, 3),
              op: '<=',
            },
            how: how('Ratio = sign-out ÷ floor, paired per round.'),
            detail: { ratio, wallMs: wall, callsPerSignOut: calls },
          }),
        );
      }
    }
  }
  stub.latencyMs = 0;
  ours.stop();
  oursFetch?.stop();
  return figures;
}
