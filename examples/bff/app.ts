/**
 * The BFF's HTTP surface (Hono). The browser holds one cookie: an opaque random session id,
 * HttpOnly (no script can read it), Secure (never sent over plain HTTP; browsers treat
 * http://localhost as secure), SameSite=Lax (not sent on cross-site POSTs) and `__Host-` (no
 * Domain, Path=/: no subdomain can set or shadow it). SameSite alone does not stop login CSRF (the
 * attacker needs no cookie to sign a victim in) nor a sibling subdomain, so every non-GET request
 * must also be JSON from the app's own origin (guards.ts), fit in a small body, and sign-ins are
 * counted (attempts.ts). Tokens stay in Redis and in this process; no response and no log line
 * carries a token, the session id, a username or a Redis key.
 */

import type { Context } from 'hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type Auth, type AuthError, isAuthError, type SignInResult } from '../../src/index.js';
import type { SignInLimits } from './attempts.js';
import { getUser } from './cognito-user.js';
import { clientAddress, requestGuard } from './guards.js';
import { type LogEvent, type Lookup, SESSION_ID, type Sessions } from './sessions.js';

export const COOKIE = 'authchart-sid';

export interface BffOptions {
  sessions: Sessions;
  /** Cognito's endpoint, for GetUser in `/api/whoami`. */
  cognitoEndpoint: string;
  /** Counts wrong passwords per client address and per username (429 past the limit). */
  signInLimits: SignInLimits;
  /**
   * The origins (`https://app.example.com`) whose pages may send non-GET requests. Default: the
   * request's own origin as this server sees it (`http://<Host>`), right when the browser talks to
   * this server directly; behind a proxy that terminates TLS, list the public origin here.
   */
  origins?: readonly string[];
  /** The largest request body read, in bytes (413 past it, before any of it is parsed). Default 4096. */
  maxBodyBytes?: number;
  /**
   * How many proxies of yours stand in front of this server: the client address for the limits is
   * then taken from X-Forwarded-For, that many hops from the right. Default 0: the socket's peer
   * (X-Forwarded-For ignored, since any client can write it).
   */
  proxyHops?: number;
  log?: (entry: LogEvent) => void;
}

type Failure = { status: ContentfulStatusCode; error: string; message: string };
const fail = (status: ContentfulStatusCode, error: string, message: string): Failure => ({ status, error, message });

/** The session id of the request: absent (401) or malformed (400). */
function readSid(c: Context): string | Failure {
  const raw = getCookie(c, COOKIE, 'host');
  if (raw === undefined) return fail(401, 'no_session', 'No session cookie: sign in first.');
  if (!SESSION_ID.test(raw)) return fail(400, 'bad_session_cookie', 'The session cookie is malformed.');
  return raw;
}

/** Why a looked-up session cannot serve the request. */
function refusal(found: Exclude<Lookup, { kind: 'active' }>): Failure {
  if (found.kind === 'ended') return fail(401, 'session_ended', 'This session was signed out.');
  return fail(401, 'unknown_session', 'No such session (expired, or never signed in).');
}

const isFailure = (x: unknown): x is Failure => typeof x === 'object' && x !== null && 'error' in x;

/** Why a sign-in failed, for the client: a typed code, never Cognito's message. */
function signInFailure(error: unknown): Failure {
  const code = isAuthError(error) ? error.code : 'Service';
  if (['NotAuthorized', 'UserNotFound'].includes(code)) {
    return fail(401, 'invalid_credentials', 'Wrong username or password.');
  }
  if (['CodeMismatch', 'InvalidPassword', 'InvalidInput'].includes(code)) {
    return fail(400, 'challenge_rejected', `The answer was refused (${code}).`);
  }
  if (code === 'Expired') return fail(401, 'challenge_expired', 'The sign-in took too long: start again.');
  return fail(503, 'sign_in_failed', `Sign-in could not finish (${code}).`);
}

/**
 * @example
 * serve({ fetch: createBffApp({ sessions, cognitoEndpoint }).fetch, hostname: '127.0.0.1', port: 8080 });
 */
export function createBffApp(options: BffOptions): Hono {
  const { sessions } = options;
  const log = options.log ?? (() => {});
  const app = new Hono();

  app.use(async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.use(requestGuard(options.origins));
  // Cognito caps a username at 128 characters and a password at 256: 4 KiB holds any honest body,
  // even \u-escaped. A longer one is refused on its Content-Length, or once that much of a chunked
  // body arrived, before the JSON parser or Cognito sees any of it.
  app.use(
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 4096,
      onError: (c) => c.json({ error: 'body_too_large', message: 'The request body is too large.' }, 413),
    }),
  );
  app.onError((error, c) => {
    // Only the error's class and code: a foreign message might quote a key.
    log({ event: 'error', name: error.name, code: (error as Partial<AuthError>).code ?? null });
    if (isAuthError(error, 'StorageFailure')) {
      return c.json({ error: 'storage_unavailable', message: 'Sessions are unavailable; retry shortly.' }, 503);
    }
    return c.json({ error: 'internal', message: 'Something went wrong.' }, 500);
  });

  const send = (c: Context, f: Failure) => c.json({ error: f.error, message: f.message }, f.status);
  const setSid = (c: Context, sid: string) =>
    setCookie(c, COOKIE, sid, {
      prefix: 'host',
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: sessions.ttlSeconds,
    });

  /** The signed-in instance of the request's session, or why there is none. */
  async function active(c: Context): Promise<Auth | Failure> {
    const sid = readSid(c);
    if (isFailure(sid)) return sid;
    const found = await sessions.lookup(sid);
    return found.kind === 'active' ? found.auth : refusal(found);
  }

  async function answer(c: Context, sid: string, run: () => Promise<SignInResult>) {
    try {
      const result = await run();
      setSid(c, sid);
      if (result.status === 'challenge') {
        const { status, ...challenge } = result;
        log({ event: 'login', outcome: 'challenge', challenge: challenge.challenge });
        return c.json({ status, challenge });
      }
      log({ event: 'login', outcome: 'signedIn' });
      return c.json({ status: 'signedIn' });
    } catch (error) {
      const f = signInFailure(error);
      log({ event: 'login', outcome: f.error });
      return send(c, f);
    }
  }

  app.post('/login', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { username?: unknown; password?: unknown } | null;
    if (typeof body?.username !== 'string' || typeof body.password !== 'string' || !body.username) {
      return send(c, fail(400, 'invalid_request', 'Send JSON { "username": string, "password": string }.'));
    }
    const { username, password } = body;
    const admission = await options.signInLimits.take(clientAddress(c, options.proxyHops ?? 0), username);
    if (!admission.ok) {
      // Which limit, never whose: no username or address in the log.
      log({ event: 'login', outcome: 'too_many_attempts', limit: admission.scope });
      c.header('Retry-After', String(admission.retryAfterSeconds));
      return send(c, fail(429, 'too_many_attempts', 'Too many failed sign-ins: wait and try again.'));
    }
    let wrongPassword = false;
    try {
      const current = readSid(c);
      if (!isFailure(current) && (await sessions.lookup(current)).kind === 'active') {
        return send(c, fail(409, 'already_signed_in', 'Sign out first.'));
      }
      // Always a new id: a session id is never carried over a sign-in (no fixation).
      const { sid, auth } = sessions.create();
      await auth.ready;
      const response = await answer(c, sid, () => auth.signIn({ username, password }));
      if (response.status !== 200) sessions.discard(sid);
      wrongPassword = response.status === 401;
      return response;
    } finally {
      // Only a wrong password (or unknown user: the same answer) keeps its count.
      if (!wrongPassword) await admission.refund();
    }
  });

  app.post('/login/confirm', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { answer?: unknown } | null;
    if (typeof body?.answer !== 'string' || body.answer === '') {
      return send(c, fail(400, 'invalid_request', 'Send JSON { "answer": string }.'));
    }
    const sid = readSid(c);
    if (isFailure(sid)) return send(c, sid);
    const found = await sessions.lookup(sid);
    if (found.kind !== 'challenged') {
      return send(c, fail(409, 'no_pending_challenge', 'No sign-in waits for an answer on this session.'));
    }
    const { answer: code } = body;
    return answer(c, sid, () => found.auth.confirmSignIn(code));
  });

  app.post('/logout', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { global?: unknown } | null;
    if (body?.global !== undefined && typeof body.global !== 'boolean') {
      return send(c, fail(400, 'invalid_request', '"global" must be a boolean.'));
    }
    const sid = readSid(c);
    if (isFailure(sid)) return send(c, sid);
    const found = await sessions.lookup(sid);
    if (found.kind !== 'active') {
      deleteCookie(c, COOKIE, { prefix: 'host', path: '/', secure: true });
      // A sign-out of this session that failed (or whose process died) was finished just now: the retry worked.
      if (found.kind === 'ended' && found.finished) {
        const { status, scope, steps } = found.finished;
        return c.json({ status, scope, steps, finishedEarlierSignOut: true });
      }
      return send(c, refusal(found));
    }
    const result = await found.auth.signOut({ global: body?.global === true });
    log({ event: 'logout', status: result.status, scope: result.scope, steps: result.steps });
    if (!result.signedOutLocally) {
      const code = result.error.code;
      return send(c, fail(503, 'sign_out_failed', `Still signed in: the sign-out failed (${code}); retry.`));
    }
    await sessions.end(sid);
    deleteCookie(c, COOKIE, { prefix: 'host', path: '/', secure: true });
    return c.json({ status: result.status, scope: result.scope, steps: result.steps });
  });

  app.get('/me', async (c) => {
    const auth = await active(c);
    if (isFailure(auth)) return send(c, auth);
    const s = auth.getSession();
    if (!s) return send(c, fail(401, 'session_ended', 'This session was signed out.'));
    return c.json({ username: s.username, email: s.email ?? null, accessTokenExpiresAt: s.accessTokenExpiresAt });
  });

  // Uses the access token server-side: Cognito's GetUser answers only for a live token.
  app.get('/api/whoami', async (c) => {
    const auth = await active(c);
    if (isFailure(auth)) return send(c, auth);
    const tokens = auth.getTokens();
    if (!tokens) return send(c, fail(401, 'session_ended', 'This session was signed out.'));
    const user = await getUser(options.cognitoEndpoint, tokens.accessToken, AbortSignal.timeout(5000));
    if (user.ok) return c.json(user.value);
    log({ event: 'whoami', outcome: user.error });
    if (user.error === 'NotAuthorizedException') {
      return send(c, fail(401, 'token_rejected', 'Cognito refused the access token (signed out everywhere?).'));
    }
    return send(c, fail(502, 'upstream_failed', 'Cognito did not answer.'));
  });

  return app;
}
