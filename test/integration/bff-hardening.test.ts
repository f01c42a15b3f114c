/**
 * The BFF example (examples/bff) against cross-site requests, oversized bodies and password
 * guessing, over real HTTP: BFF processes on one redis-server, cognito-local behind a proxy that
 * records every operation it forwards (so a test can show Cognito was never called).
 */
import { request } from 'node:http';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BffEnv, type BffProcess, BrowserSession, startBff } from '../../examples/bff/processes.js';
import { createUser } from '../../tools/cognito-admin.js';
import { adminClient } from '../../tools/embedded-cognito.js';
import { type EmbeddedRedis, hasRedis, startEmbeddedRedis } from '../../tools/embedded-redis.js';
import { type HoldingProxy, startHoldingProxy } from '../bff/holding-proxy.js';
import { freshPool } from './helpers.js';

type Pool = Awaited<ReturnType<typeof freshPool>>;

interface Raw {
  status: number;
  body: Record<string, unknown>;
  setCookie: string | undefined;
  retryAfter: string | undefined;
}

/**
 * One request as a browser or a script would send it, with node:http so that a server answering
 * before the whole body arrived (413) is still heard. `chunked`: no Content-Length.
 */
function post(
  base: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const body = typeof opts.body === 'string' ? Buffer.from(opts.body) : (opts.body ?? Buffer.alloc(0));
    const headers: Record<string, string | number> = { ...opts.headers };
    if (!opts.chunked) headers['content-length'] = body.length;
    let answered = false;
    const req = request(`${base}${path}`, { method: 'POST', headers }, (res) => {
      answered = true;
      res.on('error', () => {});
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        const cookie = res.headers['set-cookie'];
        resolve({
          status: res.statusCode ?? 0,
          body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text },
          setCookie: cookie?.join('\n'),
          retryAfter: res.headers['retry-after'],
        });
      });
    });
    // The server may close the connection while a refused body is still being sent.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    req.on('socket', (socket) => socket.on('error', () => {}));
    if (!opts.chunked) return void req.end(body);
    let sent = 0;
    const pump = () => {
      while (sent < body.length && !answered) {
        const piece = body.subarray(sent, sent + 64 * 1024);
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe.skipIf(!hasRedis('BFF hardening'))('the BFF refuses cross-site, oversized and guessing requests', () => {
  let redis: EmbeddedRedis;
  let proxy: HoldingProxy;
  let pool: Pool;
  let client: ReturnType<typeof createClient>;
  /** A and B: one app on one Redis, three wrong passwords per username. */
  let a: BffProcess;
  let b: BffProcess;
  /** Behind one trusted proxy (client address from X-Forwarded-For), three failures per client. */
  let proxied: BffProcess;
  /** No proxy configured (X-Forwarded-For ignored), three failures per client. */
  let direct: BffProcess;
  const names = new Set<string>();
  const bff = (name: string, extra: Partial<BffEnv> = {}) =>
    startBff({
      REDIS_URL: redis.url,
      COGNITO_ENDPOINT: proxy.url,
      COGNITO_CLIENT_ID: pool.clientId,
      BFF_NAME: name,
      BFF_REVOCATION: 'always',
      ...extra,
    });
  const credentials = () => JSON.stringify({ username: pool.username, password: pool.password });
  // A lock key and its section's hold key (random tokens) are there while a section runs, which
  // may be a moment after a sign-out answered.
  const sessionKeys = async () =>
    (await client.keys('bff:s:*')).filter((k) => !k.includes(':lock:') && !k.includes(':hold:')).length;
  const initiated = () => proxy.forwarded.filter((op) => op === 'InitiateAuth').length;
  const stranger = () => {
    const name = `nobody-${Math.random().toString(36).slice(2)}@example.com`;
    names.add(name);
    return name;
  };

  beforeAll(async () => {
    pool = await freshPool();
    names.add(pool.username);
    redis = await startEmbeddedRedis();
    proxy = await startHoldingProxy(pool.endpoint);
    client = await createClient({ url: redis.url }).connect();
    const limits = { BFF_LOGIN_LIMIT_USERNAME: '3', BFF_LOGIN_LIMIT_CLIENT: '3' };
    [a, b, proxied, direct] = await Promise.all([
      bff('A', { BFF_LOGIN_LIMIT_USERNAME: '3' }),
      bff('B', { BFF_LOGIN_LIMIT_USERNAME: '3' }),
      bff('proxied', { ...limits, BFF_PROXY_HOPS: '1' }),
      bff('direct', limits),
    ]);
  }, 60_000);
  afterAll(async () => {
    const processes = [a, b, proxied, direct];
    await Promise.all(processes.map((p) => p?.stop()));
    client?.destroy();
    await proxy?.close();
    await redis?.stop();
    // No username (as sent or as counted), password or Redis key in any log line.
    const logs = processes.map((p) => p?.output() ?? '').join('\n');
    for (const name of names) {
      expect(logs).not.toContain(name);
      expect(logs.toLowerCase()).not.toContain(name.toLowerCase());
    }
    if (pool) expect(logs).not.toContain(pool.password);
    expect(logs).not.toContain('bff:');
  });

  it('a text/plain sign-in (a cross-site form) is refused with 415 and sets no cookie', async () => {
    const before = initiated();
    const r = await post(a.url, '/login', { headers: { 'content-type': 'text/plain' }, body: credentials() });
    expect(r).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
    expect(r.setCookie).toBeUndefined();
    const form = await post(a.url, '/login', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `username=${encodeURIComponent(pool.username)}&password=${encodeURIComponent(pool.password)}`,
    });
    expect(form).toMatchObject({ status: 415 });
    expect(form.setCookie).toBeUndefined();
    expect(initiated()).toBe(before);
  });

  it('a urlencoded, text/plain or untyped logout is refused with 415 and the session stays signed in', async () => {
    const browser = new BrowserSession();
    expect(await browser.call(a.url, 'POST', '/login', JSON.parse(credentials()))).toMatchObject({ status: 200 });
    const cookie = { cookie: browser.cookie ?? '' };
    const attempts: Record<string, string>[] = [
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'text/plain' },
      { 'content-type': 'multipart/form-data; boundary=x' },
      {},
    ];
    for (const headers of attempts) {
      const body = headers['content-type']?.startsWith('text') ? '{"global":true}' : 'global=true';
      const r = await post(a.url, '/logout', { headers: { ...headers, ...cookie }, body });
      expect(r).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
      expect(r.setCookie).toBeUndefined();
    }
    expect(proxy.forwarded).not.toContain('GlobalSignOut');
    expect(await browser.call(b.url, 'GET', '/me')).toMatchObject({ status: 200, body: { email: pool.username } });
    expect(await browser.call(a.url, 'POST', '/logout', {})).toMatchObject({ status: 200 });
  });

  it('a JSON request from another origin, or marked cross-site or same-site, is refused with 403', async () => {
    const browser = new BrowserSession();
    expect(await browser.call(a.url, 'POST', '/login', JSON.parse(credentials()))).toMatchObject({ status: 200 });
    const before = { initiated: initiated(), keys: await sessionKeys() };
    const foreign: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: a.url.replace('127.0.0.1', 'localhost') },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'none' },
      { origin: a.url, 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of foreign) {
      const login = await post(a.url, '/login', { headers: { ...JSON_TYPE, ...headers }, body: credentials() });
      expect(login, JSON.stringify(headers)).toMatchObject({ status: 403, body: { error: 'cross_site_request' } });
      expect(login.setCookie).toBeUndefined();
      const logout = await post(a.url, '/logout', {
        headers: { ...JSON_TYPE, ...headers, cookie: browser.cookie ?? '' },
        body: '{"global":true}',
      });
      expect(logout, JSON.stringify(headers)).toMatchObject({ status: 403, body: { error: 'cross_site_request' } });
    }
    expect(initiated()).toBe(before.initiated);
    expect(await sessionKeys()).toBe(before.keys);
    expect(await browser.call(a.url, 'GET', '/me')).toMatchObject({ status: 200 });
    expect(await browser.call(a.url, 'POST', '/logout', {})).toMatchObject({ status: 200 });
  });

  it('a same-origin JSON sign-in, as the app’s own page sends it, still signs in and out', async () => {
    const page = { ...JSON_TYPE, origin: a.url, 'sec-fetch-site': 'same-origin' };
    const login = await post(a.url, '/login', {
      headers: { ...page, 'content-type': 'application/json; charset=UTF-8' },
      body: credentials(),
    });
    expect(login).toMatchObject({ status: 200, body: { status: 'signedIn' } });
    const cookie = login.setCookie?.split(';')[0] ?? '';
    expect(cookie).toMatch(/^__Host-authchart-sid=[\w-]{43}$/);
    const logout = await post(a.url, '/logout', { headers: { ...page, cookie }, body: '{}' });
    expect(logout).toMatchObject({ status: 200, body: { status: 'complete' } });
  });

  it('an oversized body is refused with 413 before it is read: Cognito is never called, no session is made', async () => {
    const before = { initiated: initiated(), forwarded: proxy.forwarded.length, keys: await sessionKeys() };
    const huge = JSON.stringify({ username: pool.username, password: 'p'.repeat(16 * 1024 * 1024) });
    const declared = await post(a.url, '/login', { headers: JSON_TYPE, body: huge });
    expect(declared).toMatchObject({ status: 413, body: { error: 'body_too_large' } });
    expect(declared.setCookie).toBeUndefined();
    // Chunked: no Content-Length to refuse on, so the limit counts the bytes as they arrive.
    const chunked = await post(b.url, '/login', { headers: JSON_TYPE, body: huge, chunked: true });
    expect(chunked).toMatchObject({ status: 413, body: { error: 'body_too_large' } });
    expect(proxy.forwarded.length).toBe(before.forwarded);
    expect(initiated()).toBe(before.initiated);
    expect(await sessionKeys()).toBe(before.keys);
  });

  it('wrong passwords for one username are counted across two processes: 429 with Retry-After, then even the right password waits', async () => {
    const admin = adminClient(pool.endpoint);
    const user = await createUser(admin, pool.userPoolId, { password: 'Right-Horse-7' }).finally(() => admin.destroy());
    names.add(user.username);
    const login = (p: BffProcess, username: string, password: string) =>
      post(p.url, '/login', { headers: JSON_TYPE, body: JSON.stringify({ username, password }) });
    for (const p of [a, b, a]) {
      expect(await login(p, user.username, 'Wrong-Horse-1')).toMatchObject({
        status: 401,
        body: { error: 'invalid_credentials' },
      });
    }
    const before = initiated();
    // Another case is the same username.
    for (const [p, name, password] of [
      [b, user.username, 'Wrong-Horse-1'],
      [a, user.username.toUpperCase(), user.password],
      [b, user.username, user.password],
    ] as const) {
      const r = await login(p, name, password);
      expect(r).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(r.retryAfter)).toBeLessThanOrEqual(900);
      expect(r.setCookie).toBeUndefined();
    }
    expect(initiated()).toBe(before);
    // Other users are not held up; Redis keys carry no username.
    expect(await login(a, pool.username, pool.password)).toMatchObject({ status: 200 });
    for (const key of await client.keys('bff:login:*'))
      expect(key).toMatch(/^bff:login:(client|username):[0-9a-f]{64}$/);
  });

  it('failed sign-ins are counted per client address; X-Forwarded-For is used only when a proxy is configured', async () => {
    const login = (p: BffProcess, forwardedFor: string) =>
      post(p.url, '/login', {
        headers: { ...JSON_TYPE, 'x-forwarded-for': forwardedFor },
        body: JSON.stringify({ username: stranger(), password: 'Wrong-Horse-1' }),
      });
    for (let i = 0; i < 3; i++) expect(await login(proxied, `203.0.113.7`)).toMatchObject({ status: 401 });
    const limited = await login(proxied, '203.0.113.7');
    expect(limited).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(await login(proxied, '198.51.100.9')).toMatchObject({ status: 401 });

    // Without a configured proxy the socket address counts, whatever the header says.
    for (const key of await client.keys('bff:login:client:*')) await client.del(key);
    for (let i = 0; i < 3; i++) expect(await login(direct, `192.0.2.${i}`)).toMatchObject({ status: 401 });
    expect(await login(direct, '192.0.2.99')).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
  });
});
