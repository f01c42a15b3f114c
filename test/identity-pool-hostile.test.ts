import { describe, expect, it, vi } from 'vitest';
import type { AuthError } from '../src/index.js';
import { sleep } from './helpers/async.js';
import {
  BOB,
  bob,
  failure,
  hostile,
  leaks,
  type Reply,
  SECRET,
  SESSION,
  signedIn,
} from './helpers/hostile-identity-pool.js';

/**
 * `auth.fetchCredentials()` against a hostile identity-pool endpoint (rule 3) and for the
 * secrets it hands out (rule 4).
 */
describe('a hostile identity-pool endpoint', () => {
  it('a huge body: Service, never read whole', async () => {
    const { fetch } = hostile(() => ({ raw: `{"IdentityId":"${'x'.repeat(2 << 20)}"}` }));
    const { auth } = await signedIn(fetch);
    expect((await failure(auth.fetchCredentials())).code).toBe('Service');
  });

  it('non-JSON (200 and 500): Service, and 500 is retried once', async () => {
    const a = hostile(() => ({ raw: '<html>oops</html>' }));
    expect((await failure((await signedIn(a.fetch)).auth.fetchCredentials())).code).toBe('Service');
    const b = hostile(() => ({ status: 500, raw: '<html>oops</html>' }));
    expect((await failure((await signedIn(b.fetch)).auth.fetchCredentials())).code).toBe('Service');
    expect(b.calls).toHaveLength(2);
  });

  it('a redirect: Service, Location never followed', async () => {
    const { fetch, calls } = hostile(() => ({ status: 307, headers: { location: 'https://evil.example/' } }));
    const { auth } = await signedIn(fetch);
    expect((await failure(auth.fetchCredentials())).code).toBe('Service');
    expect(calls).toHaveLength(1);
  });

  it('500 then success: one retry, the credentials', async () => {
    const { fetch, calls } = hostile((_t, n) => (n === 1 ? { status: 500, body: {} } : undefined));
    const { auth } = await signedIn(fetch);
    expect((await auth.fetchCredentials()).secretAccessKey).toBe(SECRET);
    expect(calls.map((c) => c.target)).toEqual(['GetId', 'GetId', 'GetCredentialsForIdentity']);
  });

  it('throttling on every answer: Throttled after one retry', async () => {
    const { fetch, calls } = hostile(() => ({
      status: 400,
      body: { __type: 'TooManyRequestsException', message: 'slow' },
    }));
    const { auth } = await signedIn(fetch);
    expect((await failure(auth.fetchCredentials())).code).toBe('Throttled');
    expect(calls).toHaveLength(2);
  });

  const credsWith = (fields: Record<string, unknown>) =>
    hostile((t, _n, body) =>
      t === 'GetCredentialsForIdentity'
        ? {
            body: {
              IdentityId: body['IdentityId'],
              Credentials: { AccessKeyId: 'ASIA1', SecretKey: SECRET, SessionToken: SESSION, ...fields },
            },
          }
        : undefined,
    );

  it('Expiration a string, missing, or SecretKey missing: Service, naming the field but no secret', async () => {
    for (const fields of [
      { Expiration: '2030-01-01' },
      {},
      { Expiration: Date.now() / 1000 + 3600, SecretKey: undefined },
    ]) {
      const { auth } = await signedIn(credsWith(fields).fetch);
      const f = await failure(auth.fetchCredentials());
      expect(f.code).toBe('Service');
      expect(leaks(f.message ?? '')).toBe(false);
    }
  });

  it('Expiration in the past: not held (the next call asks again)', async () => {
    const { fetch, calls } = credsWith({ Expiration: Date.now() / 1000 - 60 });
    const { auth } = await signedIn(fetch);
    await failure(auth.fetchCredentials());
    const before = calls.length;
    await failure(auth.fetchCredentials());
    expect(calls.length).toBeGreaterThan(before);
  });

  // An Expiration already past (a device clock far ahead of AWS): handed over, never held, so the
  // next call asks the pool again rather than serving keys this clock thinks dead.
  it('Expiration in the past: handed over, never held (the next call asks the pool again)', async () => {
    const endpoint = credsWith({ Expiration: Date.now() / 1000 - 60 });
    const { auth } = await signedIn(endpoint.fetch);
    const first = await auth.fetchCredentials();
    expect(first.expiration.getTime()).toBeLessThan(Date.now());
    const asked = () => endpoint.calls.filter((c) => c.target === 'GetCredentialsForIdentity').length;
    const before = asked();
    await auth.fetchCredentials();
    expect(asked()).toBe(before + 1);
  });

  // An Expiration no Date can hold is no answer: an Invalid Date reads as never expiring to an SDK.
  it('Expiration far past the Date range: rejected Service, never an Invalid Date', async () => {
    const { auth } = await signedIn(credsWith({ Expiration: 1e13 }).fetch);
    const f = await failure(auth.fetchCredentials());
    expect(f.code).toBe('Service');
  });

  it('Expiration far in the future (year 2100): held, with a valid Date', async () => {
    const { fetch, calls } = credsWith({ Expiration: 4_102_444_800 });
    const { auth } = await signedIn(fetch);
    const c = await auth.fetchCredentials();
    expect(c.expiration.getTime()).toBe(4_102_444_800_000);
    await auth.fetchCredentials();
    expect(calls).toHaveLength(2);
  });

  it("an IdentityId other than the one asked (a merge): the answer's is kept for the user, and asked for next time", async () => {
    const { fetch, calls } = hostile((t) =>
      t === 'GetCredentialsForIdentity'
        ? {
            body: {
              IdentityId: 'eu-west-1:merged',
              Credentials: {
                AccessKeyId: 'A',
                SecretKey: SECRET,
                SessionToken: SESSION,
                Expiration: Date.now() / 1000 + 3600,
              },
            },
          }
        : undefined,
    );
    const { auth } = await signedIn(fetch);
    expect((await auth.fetchCredentials()).identityId).toBe('eu-west-1:merged');
    await auth.fetchCredentials({ forceRefresh: true });
    expect(calls.at(-1)?.body['IdentityId']).toBe('eu-west-1:merged');
  });

  it("a credentials answer naming another user's identity: after the sign-out bob never gets it sent for him", async () => {
    let n = 0;
    const { fetch, calls } = hostile((t) =>
      t === 'GetCredentialsForIdentity' && n++ === 0
        ? {
            body: {
              IdentityId: 'eu-west-1:bobs',
              Credentials: {
                AccessKeyId: 'A',
                SecretKey: SECRET,
                SessionToken: SESSION,
                Expiration: Date.now() / 1000 + 3600,
              },
            },
          }
        : t === 'GetId'
          ? { body: { IdentityId: `eu-west-1:of-${calls.length}` } }
          : undefined,
    );
    const { auth, services } = await signedIn(fetch);
    await auth.fetchCredentials();
    await auth.signOut();
    services.script.signIn = { ok: bob };
    await auth.signIn(BOB);
    const before = calls.length;
    await auth.fetchCredentials();
    expect(calls[before]?.target).toBe('GetId');
  });

  it('a fetch that never answers: Timeout within remoteStepMs, and the next call asks again', async () => {
    let hang = true;
    const { fetch } = hostile(() => (hang ? 'hang' : undefined));
    // The hanging request is still aborted through its signal: a real fetch rejects then.
    const tied: typeof globalThis.fetch = (url, init) =>
      Promise.race([
        fetch(url, init),
        new Promise<Response>((_, rej) => init?.signal?.addEventListener('abort', () => rej(init.signal?.reason))),
      ]);
    const { auth } = await signedIn(tied, { remoteStepMs: 50 });
    expect((await failure(auth.fetchCredentials())).code).toBe('Timeout');
    hang = false;
    expect((await auth.fetchCredentials()).secretAccessKey).toBe(SECRET);
  });

  // The bound and the sign-out hold even over a transport deaf to its abort signal: the holder races
  // the call against it (src/adapters/identity-pool-holder.ts).
  it('a transport deaf to the abort that never answers: Timeout within remoteStepMs, Cancelled at signOut()', async () => {
    const { fetch } = hostile(() => 'hang');
    const { auth } = await signedIn(fetch, { remoteStepMs: 50 });
    const first = failure(auth.fetchCredentials());
    const settled = await Promise.race([first, sleep(500).then(() => 'pending' as const)]);
    expect(settled).not.toBe('pending');
    const second = failure(auth.fetchCredentials());
    await auth.signOut();
    expect(await Promise.race([second, sleep(200).then(() => 'pending' as const)])).toMatchObject({
      code: 'Cancelled',
    });
  });
});

describe('the credentials stay secrets', () => {
  /** First call: the credentials; every later GetCredentialsForIdentity refused, echoing them. */
  const echoing = (error: (n: number) => Reply) =>
    hostile((t, n) => (t === 'GetCredentialsForIdentity' && n > 2 ? error(n) : undefined));

  it('an error message echoing the secret key and session token: scrubbed in the message, the cause, the console and inspection', async () => {
    const logs: string[] = [];
    for (const m of ['log', 'warn', 'error', 'info', 'debug'] as const) {
      vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void logs.push(a.map(String).join(' ')));
    }
    const inspected: string[] = [];
    const { fetch } = echoing(() => ({
      status: 400,
      body: { __type: 'NotAuthorizedException', message: `bad ${SECRET} and ${SESSION}` },
    }));
    const { auth } = await signedIn(fetch, {
      inspect: (e) => {
        try {
          inspected.push(JSON.stringify(e, (_k, v: unknown) => (typeof v === 'function' ? undefined : v)));
        } catch {
          inspected.push(String(e));
        }
      },
    });
    const events: string[] = [];
    auth.subscribe((s) => events.push(JSON.stringify(s)));
    expect((await auth.fetchCredentials()).secretAccessKey).toBe(SECRET);
    const f = await failure(auth.fetchCredentials({ forceRefresh: true }));
    expect(f.code).toBe('NotAuthorized');
    expect(leaks(f.message ?? '')).toBe(false);
    expect(leaks(JSON.stringify(f.error))).toBe(false);
    expect(leaks(String((f.error as Error).stack))).toBe(false);
    expect(leaks(String((f.error as Error).cause))).toBe(false);
    expect(leaks(logs.join('\n'))).toBe(false);
    expect(leaks(inspected.join('\n'))).toBe(false);
    expect(leaks(events.join('\n'))).toBe(false);
  });

  // A foreign error name is kept only as it came (src/adapters/http.ts, safeName): never a filtered
  // or cut copy, which could carry a fragment of a secret past the scrubber that knows it whole.
  it('an error name (__type) echoing the secret key or session token: no run of either in message or serviceName', async () => {
    for (const secret of [SECRET, SESSION]) {
      const { fetch } = echoing(() => ({ status: 400, body: { __type: `com.amazon#${secret}` } }));
      const { auth } = await signedIn(fetch);
      await auth.fetchCredentials();
      const f = await failure(auth.fetchCredentials({ forceRefresh: true }));
      expect(leaks(`${f.message} ${(f.error as AuthError).serviceName}`)).toBe(false);
    }
  });

  // Each key and session token stays a secret of the instance until it expires, held on its own
  // (not in the registry's ring of 256 kept values, which a run of fetches would turn over).
  it('a secret key handed out 130 forced fetches ago, still valid and echoed in an error: scrubbed', async () => {
    let k = 0;
    let echo = '';
    const keyOf = (i: number) => `wJalrXUtnFEMI/K7MDENG/${String(i).padStart(6, '0')}EXAMPLEKEY`;
    const { fetch } = hostile((t, _n, body) =>
      t !== 'GetCredentialsForIdentity'
        ? undefined
        : echo
          ? { status: 400, body: { __type: 'NotAuthorizedException', message: `bad key ${echo}` } }
          : {
              body: {
                IdentityId: body['IdentityId'],
                Credentials: {
                  AccessKeyId: 'A',
                  SecretKey: keyOf(++k),
                  SessionToken: `${SESSION}${k}`,
                  Expiration: Date.now() / 1000 + 3600,
                },
              },
            },
    );
    const { auth } = await signedIn(fetch);
    const first = await auth.fetchCredentials();
    for (let i = 0; i < 130; i++) await auth.fetchCredentials({ forceRefresh: true });
    echo = first.secretAccessKey;
    const f = await failure(auth.fetchCredentials({ forceRefresh: true }));
    expect(f.code).toBe('NotAuthorized');
    expect(f.message).not.toContain(first.secretAccessKey);
  });

  it('a secret key handed out 10 forced fetches ago, echoed in an error: scrubbed', async () => {
    let k = 0;
    let echo = '';
    const { fetch } = hostile((t, _n, body) =>
      t !== 'GetCredentialsForIdentity'
        ? undefined
        : echo
          ? { status: 400, body: { __type: 'NotAuthorizedException', message: `bad key ${echo}` } }
          : {
              body: {
                IdentityId: body['IdentityId'],
                Credentials: {
                  AccessKeyId: 'A',
                  SecretKey: `${SECRET}${++k}`,
                  SessionToken: `${SESSION}${k}`,
                  Expiration: Date.now() / 1000 + 3600,
                },
              },
            },
    );
    const { auth } = await signedIn(fetch);
    const first = await auth.fetchCredentials();
    for (let i = 0; i < 10; i++) await auth.fetchCredentials({ forceRefresh: true });
    echo = first.secretAccessKey;
    const f = await failure(auth.fetchCredentials({ forceRefresh: true }));
    expect(f.message).not.toContain(first.secretAccessKey);
    expect(f.message).toContain('[redacted]');
  });

  it('an error cut at 200 characters across the secret: no run of it left in the message', async () => {
    const { fetch } = echoing(() => ({
      status: 400,
      body: { __type: 'NotAuthorizedException', message: `${'x'.repeat(180)}:${SECRET}` },
    }));
    const { auth } = await signedIn(fetch);
    await auth.fetchCredentials();
    expect(leaks((await failure(auth.fetchCredentials({ forceRefresh: true }))).message ?? '')).toBe(false);
  });
});
