/**
 * Two real BFF processes (examples/bff) sharing one redis-server and the run's cognito-local
 * (through a proxy that can hold RevokeToken). Prints the sign-out propagation time.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BffProcess, BrowserSession, type Reply, startBff } from '../../examples/bff/processes.js';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { isAuthError } from '../../src/index.js';
import { createUser } from '../../tools/cognito-admin.js';
import { adminClient } from '../../tools/embedded-cognito.js';
import { type EmbeddedRedis, hasRedis, startEmbeddedRedis } from '../../tools/embedded-redis.js';
import { type HoldingProxy, startHoldingProxy } from '../bff/holding-proxy.js';
import { freshPool } from './helpers.js';

type Pool = Awaited<ReturnType<typeof freshPool>>;

describe.skipIf(!hasRedis('two-process BFF'))('two BFF processes, one Redis, one cognito-local', () => {
  let redis: EmbeddedRedis;
  let proxy: HoldingProxy;
  let pool: Pool;
  let client: ReturnType<typeof createClient>;
  let a: BffProcess;
  let b: BffProcess;
  const replies: Reply[] = [];
  const secrets = new Set<string>();
  const bff = (name: string) =>
    startBff({
      REDIS_URL: redis.url,
      COGNITO_ENDPOINT: proxy.url,
      COGNITO_CLIENT_ID: pool.clientId,
      BFF_NAME: name,
      BFF_REVOCATION: 'always',
    });
  const call = async (s: BrowserSession, p: BffProcess, method: 'GET' | 'POST', path: string, body?: unknown) => {
    const r = await s.call(p.url, method, path, body);
    replies.push(r);
    return r;
  };
  const sidOf = (s: BrowserSession) => s.cookie?.split('=')[1] ?? '';
  /** The session's keys and values in Redis, and its refresh token. */
  async function stored(sid: string) {
    const keys = await client.keys(`bff:s:${sid}:*`);
    const values = await Promise.all(keys.map((k) => client.get(k)));
    let refreshToken = '';
    for (const [i, k] of keys.entries()) {
      secrets.add(k);
      if (!k.endsWith('.session')) continue;
      // The session record: its three tokens are secrets the logs must never show.
      const record = JSON.parse(values[i] ?? '{}') as Record<string, string>;
      for (const f of ['accessToken', 'idToken', 'refreshToken']) secrets.add(record[f] ?? '');
      refreshToken = record['refreshToken'] ?? '';
    }
    // A lock key and its section's hold key (a random token, no secret) are there while a section
    // runs: another process's may still be held a moment after the sign-out answered.
    return { keys: keys.filter((k) => !k.includes(':lock:') && !k.includes(':hold:')), refreshToken };
  }

  beforeAll(async () => {
    pool = await freshPool();
    redis = await startEmbeddedRedis();
    proxy = await startHoldingProxy(pool.endpoint);
    client = await createClient({ url: redis.url }).connect();
    [a, b] = await Promise.all([bff('A'), bff('B')]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    client?.destroy();
    await proxy?.close();
    await redis?.stop();
    // The session id only ever travels in the cookie itself.
    for (const r of replies) if (r.setCookie) expect(r.setCookie).toMatch(/^__Host-authchart-sid=[\w-]*;/);
    // Nothing secret in any answer or any log line of either process.
    const seen = [...replies.map((r) => JSON.stringify(r.body)), a?.output() ?? '', b?.output() ?? ''].join('\n');
    for (const s of secrets) if (s) expect(seen).not.toContain(s);
    expect(seen).not.toContain('bff:s:');
  });

  it('sign-out through A: B answers 401 for the same cookie', async () => {
    const browser = new BrowserSession();
    const login = await call(browser, a, 'POST', '/login', { username: pool.username, password: pool.password });
    expect(login).toMatchObject({ status: 200, body: { status: 'signedIn' } });
    expect(login.setCookie).toMatch(/^__Host-authchart-sid=[A-Za-z0-9_-]{43};/);
    for (const attr of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']) expect(login.setCookie).toContain(attr);
    const sid = sidOf(browser);
    secrets.add(sid);
    expect((await stored(sid)).keys.some((k) => k.endsWith('.session'))).toBe(true);

    expect(await call(browser, b, 'GET', '/me')).toMatchObject({ status: 200, body: { email: pool.username } });
    expect(await call(browser, b, 'GET', '/api/whoami')).toMatchObject({
      status: 200,
      body: { attributes: { email: pool.username } },
    });

    const cookie = browser.cookie;
    const t0 = Date.now();
    const logout = await call(browser, a, 'POST', '/logout', {});
    const answeredAt = Date.now();
    expect(logout).toMatchObject({ status: 200, body: { status: 'complete', steps: { revokeToken: 'done' } } });
    expect(logout.setCookie).toMatch(/Max-Age=0/);
    browser.cookie = cookie;
    const me = await call(browser, b, 'GET', '/me');
    const refusedAt = Date.now();
    expect(me).toMatchObject({ status: 401, body: { error: 'session_ended' } });
    // B's cached instance heard it through Redis pub/sub (and followed, without a Cognito call).
    const line = (p: BffProcess, event: string) => p.lines().find((l) => l['event'] === event);
    await expect.poll(() => line(b, 'sign_out_heard')).toBeTruthy();
    const propagation = Number(line(b, 'sign_out_heard')?.['at']) - Number(line(a, 'sign_out_published')?.['at']);
    console.info(
      `sign-out propagation A→B over Redis pub/sub: ${propagation.toFixed(2)} ms; A answered the logout after ` +
        `${answeredAt - t0} ms; B answered 401 for the same cookie ${refusedAt - answeredAt} ms after that`,
    );
    expect(propagation).toBeGreaterThanOrEqual(0);
    expect(propagation).toBeLessThan(1000);
    expect((await stored(sid)).keys).toEqual([`bff:s:${sid}:ended`]);

    // Replayed logout (on either), unknown id, malformed cookie, no cookie.
    expect(await call(browser, a, 'POST', '/logout', {})).toMatchObject({
      status: 401,
      body: { error: 'session_ended' },
    });
    browser.cookie = `__Host-authchart-sid=${'x'.repeat(43)}`;
    expect(await call(browser, b, 'GET', '/me')).toMatchObject({ status: 401, body: { error: 'unknown_session' } });
    expect(await call(browser, b, 'POST', '/logout', {})).toMatchObject({
      status: 401,
      body: { error: 'unknown_session' },
    });
    browser.cookie = '__Host-authchart-sid=../../etc';
    expect(await call(browser, a, 'GET', '/me')).toMatchObject({ status: 400, body: { error: 'bad_session_cookie' } });
    browser.cookie = null;
    expect(await call(browser, a, 'GET', '/api/whoami')).toMatchObject({ status: 401, body: { error: 'no_session' } });
    expect(await call(browser, a, 'POST', '/login', { username: pool.username })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    expect(
      await call(browser, a, 'POST', '/login', { username: pool.username, password: 'Wrong-Horse-9' }),
    ).toMatchObject({ status: 401, body: { error: 'invalid_credentials' } });
  });

  it('kill -9 of A during a sign-out: B finishes it from the journal, and the refresh token is refused', async () => {
    const browser = new BrowserSession();
    await call(browser, a, 'POST', '/login', { username: pool.username, password: pool.password });
    const sid = sidOf(browser);
    secrets.add(sid);
    expect(await call(browser, b, 'GET', '/me')).toMatchObject({ status: 200 });
    const { refreshToken } = await stored(sid);
    expect(refreshToken).not.toBe('');

    const { seen } = proxy.hold('RevokeToken');
    const dying = browser.call(a.url, 'POST', '/logout', {}).catch((e: unknown) => e);
    await seen;
    expect(await client.get(`bff:s:${sid}:authchart.${pool.clientId}.signOutJournal`)).toContain('"scope"');
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    proxy.release('drop');
    expect(await dying).toBeInstanceOf(Error);

    const services = cognitoServices({
      clientId: pool.clientId,
      region: 'local',
      endpoint: pool.endpoint,
      authFlow: 'USER_PASSWORD_AUTH',
    });
    const revokesBefore = proxy.forwarded.filter((op) => op === 'RevokeToken').length;
    const me = await call(browser, b, 'GET', '/me');
    expect(me).toMatchObject({ status: 401, body: { error: 'session_ended' } });
    expect(b.lines().some((l) => l['event'] === 'finished_interrupted_sign_out')).toBe(true);
    expect(proxy.forwarded.filter((op) => op === 'RevokeToken').length).toBe(revokesBefore + 1);
    const refresh = await services.refresh(refreshToken, AbortSignal.timeout(5000)).catch((e: unknown) => e);
    expect(isAuthError(refresh, 'NotAuthorized')).toBe(true);
    expect((await stored(sid)).keys).toEqual([`bff:s:${sid}:ended`]);

    // A restarted knows the session ended too.
    a = await bff('A');
    expect(await call(browser, a, 'GET', '/me')).toMatchObject({ status: 401, body: { error: 'session_ended' } });
  });

  it('a challenge is answered on the instance that started the sign-in; the session then works everywhere', async () => {
    const admin = adminClient(pool.endpoint);
    const user = await createUser(admin, pool.userPoolId, { password: 'Temp-Pass-1', temporary: true }).finally(() =>
      admin.destroy(),
    );
    const browser = new BrowserSession();
    const login = await call(browser, a, 'POST', '/login', { username: user.username, password: user.password });
    expect(login).toMatchObject({
      status: 200,
      body: { status: 'challenge', challenge: { challenge: 'newPassword' } },
    });
    expect(JSON.stringify(login.body)).not.toMatch(/session/i);
    secrets.add(sidOf(browser));
    expect(await call(browser, b, 'GET', '/me')).toMatchObject({ status: 401, body: { error: 'unknown_session' } });
    expect(await call(browser, b, 'POST', '/login/confirm', { answer: 'New-Pass-22' })).toMatchObject({
      status: 409,
      body: { error: 'no_pending_challenge' },
    });
    expect(await call(browser, a, 'POST', '/login/confirm', {})).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    expect(await call(browser, a, 'POST', '/login/confirm', { answer: 'New-Pass-22' })).toMatchObject({
      status: 200,
      body: { status: 'signedIn' },
    });
    await stored(sidOf(browser));
    expect(await call(browser, b, 'GET', '/me')).toMatchObject({ status: 200, body: { email: user.username } });
    expect(
      await call(browser, a, 'POST', '/login', { username: user.username, password: 'New-Pass-22' }),
    ).toMatchObject({ status: 409, body: { error: 'already_signed_in' } });
    const cookie = browser.cookie;
    // cognito-local answers GlobalSignOut "Unsupported", and refuses RevokeToken for tokens issued by
    // RespondToAuthChallenge (checked with createAuth alone): the result says so (partial); local is done.
    expect(await call(browser, b, 'POST', '/logout', { global: true })).toMatchObject({
      status: 200,
      body: { status: 'partial', scope: 'global', steps: { globalSignOut: 'failed', clearCache: 'done' } },
    });
    browser.cookie = cookie;
    expect(await call(browser, a, 'GET', '/me')).toMatchObject({ status: 401, body: { error: 'session_ended' } });
  });
});
