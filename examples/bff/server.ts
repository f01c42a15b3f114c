/**
 * One BFF process: `tsx examples/bff/server.ts`. Configured by environment variables:
 *
 * - `REDIS_URL` (default `redis://127.0.0.1:6379`)
 * - `COGNITO_CLIENT_ID` (required), `COGNITO_REGION` (default `local`), `COGNITO_ENDPOINT`
 *   (default: the region's public endpoint; cognito-local's URL in the demo and the tests)
 * - `BFF_PORT` (default 0: a free port), `BFF_NAME` (in log lines), `BFF_REVOCATION`
 *   (`auto` | `always` | `never`; `always` for cognito-local, whose tokens lack `origin_jti`)
 * - `BFF_ORIGINS`: comma-separated origins whose pages may POST (default: the request's own,
 *   `http://<Host>`; set the public `https://…` origin behind a TLS-terminating proxy)
 * - `BFF_PROXY_HOPS` (default 0): proxies in front whose X-Forwarded-For is trusted
 * - `BFF_LOGIN_LIMIT_USERNAME` (default 10), `BFF_LOGIN_LIMIT_CLIENT` (default 100),
 *   `BFF_LOGIN_WINDOW_SECONDS` (default 900): wrong passwords allowed per window
 *
 * Prints one JSON object per line; the first is `{"event":"listening","url":…}`.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createClient } from 'redis';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import type { RevocationPolicy } from '../../src/index.js';
import { createBffApp } from './app.js';
import { SignInLimits } from './attempts.js';
import { type LogEvent, Sessions } from './sessions.js';

const env = process.env;
const name = env['BFF_NAME'] ?? `bff-${process.pid}`;
const log = (entry: LogEvent) => process.stdout.write(`${JSON.stringify({ ...entry, bff: name, t: Date.now() })}\n`);

const clientId = env['COGNITO_CLIENT_ID'];
if (!clientId) throw new Error('COGNITO_CLIENT_ID is required');
const region = env['COGNITO_REGION'] ?? 'local';
/** A non-negative integer setting, or its default; anything else stops the start. */
function count(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a non-negative integer`);
  return Number(raw);
}
const cognitoEndpoint = env['COGNITO_ENDPOINT'] ?? `https://cognito-idp.${region}.amazonaws.com/`;

// disableOfflineQueue: while Redis is unreachable a command fails at once (a typed StorageFailure
// for the request) instead of waiting in memory for a reconnect that may never come.
const redis = createClient({ url: env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', disableOfflineQueue: true });
let redisDown = false;
redis.on('error', (error: Error) => {
  if (!redisDown) log({ event: 'redis_unavailable', name: error.name });
  redisDown = true;
});
redis.on('ready', () => {
  if (redisDown) log({ event: 'redis_back' });
  redisDown = false;
});
await redis.connect();

const services = cognitoServices({
  clientId,
  region,
  endpoint: cognitoEndpoint,
  authFlow: 'USER_PASSWORD_AUTH',
  maxAttempts: 1,
});
const sessions = new Sessions({
  redis,
  services,
  revocation: (env['BFF_REVOCATION'] as RevocationPolicy | undefined) ?? 'auto',
  log,
});
const signInLimits = new SignInLimits({
  redis,
  perUsername: count('BFF_LOGIN_LIMIT_USERNAME', 10),
  perClient: count('BFF_LOGIN_LIMIT_CLIENT', 100),
  windowSeconds: count('BFF_LOGIN_WINDOW_SECONDS', 900),
});
const origins = env['BFF_ORIGINS']
  ?.split(',')
  .map((o) => o.trim())
  .filter(Boolean);
const app = createBffApp({
  sessions,
  cognitoEndpoint,
  signInLimits,
  proxyHops: count('BFF_PROXY_HOPS', 0),
  log,
  ...(origins?.length ? { origins } : {}),
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(env['BFF_PORT'] ?? 0) }, (info) => {
  log({ event: 'listening', url: `http://127.0.0.1:${(info as AddressInfo).port}` });
});

function shutdown() {
  sessions.close();
  server.close(() => {
    redis.destroy();
    process.exit(0);
  });
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
