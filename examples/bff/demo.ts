/**
 * `npm run demo:bff`: redis-server, cognito-local and two BFF processes (A and B) sharing them.
 * A scripted browser signs in on A, reads /me on B, signs out on A, and reads /me on B again (401).
 */
import { createPoolWithUser, startEmbeddedCognito } from '../../tools/embedded-cognito.js';
import { startEmbeddedRedis } from '../../tools/embedded-redis.js';
import { type BffProcess, BrowserSession, type Reply, startBff } from './processes.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const show = (step: string, r: Reply) => say(`${step.padEnd(28)} → ${r.status} ${JSON.stringify(r.body)}`);

const redis = await startEmbeddedRedis();
say(`redis-server       ${redis.url}`);
const cognito = await startEmbeddedCognito();
say(`cognito-local      ${cognito.endpoint}`);
const bffs: BffProcess[] = [];
try {
  const pool = await createPoolWithUser(cognito);
  say(`user pool          ${pool.userPoolId}, user ${pool.username}`);
  const env = {
    REDIS_URL: redis.url,
    COGNITO_ENDPOINT: cognito.endpoint,
    COGNITO_CLIENT_ID: pool.clientId,
    BFF_REVOCATION: 'always',
  };
  const [a, b] = await Promise.all([startBff({ ...env, BFF_NAME: 'A' }), startBff({ ...env, BFF_NAME: 'B' })]);
  bffs.push(a, b);
  say(`BFF A              ${a.url}`);
  say(`BFF B              ${b.url}\n`);

  const browser = new BrowserSession();
  const login = await browser.call(a.url, 'POST', '/login', { username: pool.username, password: pool.password });
  show('POST /login on A', login);
  say(`  cookie attributes: ${login.setCookie?.split(';').slice(1).join(';').trim()}`);
  show('GET /me on B', await browser.call(b.url, 'GET', '/me'));
  show('GET /api/whoami on B', await browser.call(b.url, 'GET', '/api/whoami'));
  const cookie = browser.cookie;
  const t0 = performance.now();
  show('POST /logout on A', await browser.call(a.url, 'POST', '/logout', {}));
  browser.cookie = cookie; // the same cookie, replayed (as a stolen or stale one would be)
  const after = await browser.call(b.url, 'GET', '/me');
  show('GET /me on B (same cookie)', after);
  say(`  B refused the session ${(performance.now() - t0).toFixed(1)} ms after the logout request started`);
  browser.cookie = cookie;
  show('POST /logout on B (replay)', await browser.call(b.url, 'POST', '/logout', {}));
  browser.cookie = '__Host-authchart-sid=not-a-session-id';
  show('GET /me (bad cookie)', await browser.call(b.url, 'GET', '/me'));
  const heard = b.lines().find((l) => l['event'] === 'sign_out_heard');
  const published = a.lines().find((l) => l['event'] === 'sign_out_published');
  say(
    heard && published
      ? `\nB's cached instance heard the sign-out over Redis pub/sub ${(Number(heard['at']) - Number(published['at'])).toFixed(2)} ms after A published it, and followed with no Cognito call`
      : "\nB's cached instance did not hear the sign-out (the per-request Redis check refused the cookie anyway)",
  );
  say(`Redis keys left: ${(await redisKeys(redis.url)).join(', ') || '(none)'}`);
  if (after.status !== 401) process.exitCode = 1;
} finally {
  await Promise.all(bffs.map((b) => b.stop()));
  await cognito.stop();
  await redis.stop();
}

async function redisKeys(url: string): Promise<string[]> {
  const { createClient } = await import('redis');
  const c = await createClient({ url }).connect();
  try {
    // Key names only, session ids masked.
    return (await c.keys('*')).map((k) => k.replace(/:s:[^:]+:/, ':s:<id>:'));
  } finally {
    c.destroy();
  }
}
