import { identityPool } from '../../src/adapters/identity-pool.js';
import { type AuthError, createAuth } from '../../src/index.js';
import { ALICE, alice, instances } from './credentials-world.js';
import { fakeServices } from './fakes.js';
import { POOL_ID } from './identity-pool-endpoint.js';

export { ALICE, alice, BOB, bob, instances } from './credentials-world.js';

// AWS-shaped secrets: a secret key and a session token carry `/`, `+` and `=`.
export const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
export const SESSION = `IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJHMEUCIQD+${'AbCdEfGh0123456789/+'.repeat(30)}==`;

export type Reply = {
  status?: number;
  body?: unknown;
  raw?: string | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
};
/** An endpoint answering as `reply(target, n, body)` says, or by default (`undefined`); `'hang'`: never, deaf to the abort. */
export function hostile(
  reply: (target: string, n: number, body: Record<string, unknown>) => Reply | undefined | 'hang',
) {
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const target = new Headers(init?.headers).get('x-amz-target')?.split('.')[1] ?? '';
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    calls.push({ target, body });
    const r = reply(target, calls.length, body);
    if (r === 'hang') return new Promise(() => {});
    const fallback: Reply =
      target === 'GetId'
        ? { body: { IdentityId: 'eu-west-1:ident-1' } }
        : {
            body: {
              IdentityId: body['IdentityId'],
              Credentials: {
                AccessKeyId: 'ASIA1',
                SecretKey: SECRET,
                SessionToken: SESSION,
                Expiration: Date.now() / 1000 + 3600,
              },
            },
          };
    const { status = 200, body: json, raw, headers = {} } = r ?? fallback;
    return new Response(raw ?? JSON.stringify(json), { status, headers });
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

export async function signedIn(
  fetch: typeof globalThis.fetch,
  extra: { remoteStepMs?: number; inspect?: (e: unknown) => void } = {},
) {
  const services = fakeServices(alice);
  const auth = createAuth({
    services,
    sync: null,
    ...(extra.remoteStepMs ? { timeouts: { remoteStepMs: extra.remoteStepMs } } : {}),
    ...(extra.inspect ? { inspect: extra.inspect } : {}),
    credentials: identityPool({ identityPoolId: POOL_ID, endpoint: 'http://127.0.0.1:1/', fetch, retryDelayMs: 1 }),
  });
  instances.push(auth);
  await auth.ready;
  await auth.signIn(ALICE);
  return { auth, services };
}

export const failure = (p: Promise<unknown>) =>
  p.then(
    (v) => ({ resolved: v }) as { resolved: unknown; code?: undefined; message?: undefined; error?: undefined },
    (e: AuthError) => ({ code: e.code, message: String(e.message), error: e as unknown, resolved: undefined }),
  );
/** No 12-character run of either secret anywhere in `text`. */
export const leaks = (text: string) =>
  [SECRET, SESSION].some((s) => {
    for (let i = 0; i + 12 <= s.length; i++) if (text.includes(s.slice(i, i + 12))) return true;
    return false;
  });
