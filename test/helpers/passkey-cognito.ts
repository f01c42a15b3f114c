/**
 * A test Cognito endpoint for the browser's passkeys: an HTTP server on 127.0.0.1 that answers the
 * calls cognito-local lacks with `userAuthEndpoint` (USER_AUTH and the passkey calls, whose WebAuthn
 * ceremonies `@simplewebauthn/server` verifies) and forwards every other request unchanged to
 * cognito-local (a password sign-in, refresh, RevokeToken, GetUser…). It sends CORS headers as
 * cognito-local does (`cors({ origin: '*' })`): the page calls it cross-origin.
 *
 * WebAuthn needs a secure context and a domain as RP ID (never an IP address): the page is opened
 * at `http://localhost:<port>` (Chromium treats localhost as secure), so `rpId` is `localhost` and
 * `origin` that URL.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { jwtClaims } from '../../src/session/jwt.js';
import { cognitoCall } from '../../src/testing/cognito-local.js';
import { userAuthEndpoint } from './user-auth-endpoint.js';

export interface PasskeyCognitoOptions {
  /** cognito-local's `http://127.0.0.1:<port>`. */
  cognitoEndpoint: string;
  clientId: string;
  /** The page's origin, e.g. `http://localhost:5173`: what the browser writes into clientDataJSON. */
  origin: string;
  /** Default `localhost`. */
  rpId?: string;
  /** The pool's users (e-mail usernames) and their passwords, as created in cognito-local. */
  users: Record<string, string>;
}

/** One call this server answered itself (not forwarded): what was asked and how it ended. */
export interface Answered {
  target: string;
  /** RespondToAuthChallenge's ChallengeName, InitiateAuth's PREFERRED_CHALLENGE. */
  challenge?: string;
  status: number;
  /** Cognito's exception name when refused. */
  error?: string;
}

export interface PasskeyCognito {
  /** `http://127.0.0.1:<port>`: the page's `endpoint`. */
  endpoint: string;
  /** The USER_AUTH and passkey endpoint behind it (its `passkeys`, `calls`). */
  userAuth: ReturnType<typeof userAuthEndpoint>;
  /** The calls answered here, oldest first. */
  answered: Answered[];
  /** How many requests went on to cognito-local. */
  forwarded(): number;
  stop(): Promise<void>;
}

const CORS = { 'access-control-allow-origin': '*' };

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** The `username` claim of a cognito-local access token (decoded only: cognito-local signed it). */
const usernameClaim = (token: string): string | null => {
  try {
    const claim = jwtClaims(token, 'access token')['username'];
    return typeof claim === 'string' ? claim : null;
  } catch {
    return null;
  }
};

/**
 * Starts the endpoint in front of cognito-local. Each user signs in once (USER_PASSWORD_AUTH) so
 * the endpoint learns the name cognito-local's tokens give it (its `sub`, the `username` claim).
 *
 * @example
 * ```ts
 * const server = await startPasskeyCognito({ cognitoEndpoint, clientId, origin, users: { [email]: password } });
 * // the page: ?endpoint=${server.endpoint}&clientId=${clientId}
 * await server.stop();
 * ```
 */
export async function startPasskeyCognito(opts: PasskeyCognitoOptions): Promise<PasskeyCognito> {
  const local = new URL(opts.cognitoEndpoint);
  const passwordSignIn = (username: string) =>
    cognitoCall(opts.cognitoEndpoint, 'InitiateAuth', {
      ClientId: opts.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: opts.users[username] ?? '' },
    }).then(
      (answer) => answer['AuthenticationResult'] as { AccessToken: string; IdToken: string; RefreshToken: string },
    );

  const users: Record<string, { password: string; userId: string }> = {};
  for (const [username, password] of Object.entries(opts.users)) {
    const userId = usernameClaim((await passwordSignIn(username)).AccessToken);
    if (!userId) throw new Error(`cognito-local's access token for ${username} has no username claim`);
    users[username] = { password, userId };
  }

  const userAuth = userAuthEndpoint({
    clientId: opts.clientId,
    // Only PASSWORD_SRP uses it, which the browser demo does not (cognito-local has no SRP).
    poolName: '',
    rpId: opts.rpId ?? 'localhost',
    origin: opts.origin,
    users,
    // The test endpoint's shortcut: userAuthEndpoint calls this only once the factor was verified
    // (for a passkey: the assertion checked by @simplewebauthn/server against the registered key),
    // and the genuine cognito-local tokens it needs come from a password sign-in with the test
    // user's known password. Refresh, GetUser and RevokeToken then work on them as on any other.
    issue: async (username) => {
      const { AccessToken, IdToken, RefreshToken } = await passwordSignIn(username);
      return { AccessToken, IdToken, RefreshToken };
    },
    userOfAccessToken(token) {
      const claim = usernameClaim(token);
      return Object.entries(users).find(([, u]) => u.userId === claim)?.[0] ?? null;
    },
  });

  const answered: Answered[] = [];
  /**
   * The Session values this endpoint handed out: their RespondToAuthChallenge is answered here (kept
   * after use: the endpoint itself refuses a spent one, or takes a code's retry on it).
   */
  const ours = new Set<string>();
  let forwardedCount = 0;

  /** Whether this call is the endpoint's (USER_AUTH, a challenge of its session, a passkey call). */
  const isOurs = (operation: string, body: Record<string, unknown>) => {
    if (!userAuth.answers(operation)) return false;
    if (operation === 'InitiateAuth') return body['AuthFlow'] === 'USER_AUTH';
    if (operation === 'RespondToAuthChallenge') return typeof body['Session'] === 'string' && ours.has(body['Session']);
    return true;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    forwardedCount++;
    const upstream = request(
      {
        host: local.hostname,
        port: local.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: local.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, CORS);
      res.end();
    });
    upstream.end(raw);
  };

  const server: Server = createServer(async (req, res) => {
    try {
      if (req.method === 'OPTIONS') {
        // A preflight, answered as the `cors` package answers cognito-local's.
        res.writeHead(204, {
          ...CORS,
          'access-control-allow-methods': 'GET,HEAD,PUT,PATCH,POST,DELETE',
          'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
          vary: 'Access-Control-Request-Headers',
          'content-length': '0',
        });
        res.end();
        return;
      }
      const raw = await readBody(req);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        // Not JSON: cognito-local says what it makes of it.
      }
      if (req.method !== 'POST' || !isOurs(operation, body)) {
        forward(req, res, raw);
        return;
      }
      const answer = await userAuth.handle(operation, body);
      const out = (answer.body ?? {}) as Record<string, unknown>;
      if (typeof out['Session'] === 'string') ours.add(out['Session']);
      const params = body['AuthParameters'] as Record<string, unknown> | undefined;
      const challenge = body['ChallengeName'] ?? params?.['PREFERRED_CHALLENGE'];
      answered.push({
        target: operation,
        ...(typeof challenge === 'string' ? { challenge } : {}),
        status: answer.status,
        ...(typeof out['__type'] === 'string' ? { error: out['__type'] } : {}),
      });
      res.writeHead(answer.status, { ...CORS, 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(out));
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { ...CORS, 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'InternalErrorException', message: String(error) }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    userAuth,
    answered,
    forwarded: () => forwardedCount,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
