/**
 * An embedded OAuth 2.0 / OpenID Connect server shaped like Cognito's hosted UI, for tests and the
 * demo: `oidc-provider` (OpenID certified) on 127.0.0.1, on a free port, state in memory.
 *
 * Cognito's paths (`/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`, `/logout`), a public
 * client with PKCE S256 required, refresh tokens without rotation (Cognito's default), access tokens
 * as JWTs with Cognito's claims, and a login page with one known user.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KoaContext, TokenLike } from 'oidc-provider';

/** The one user of the embedded hosted UI. */
export interface EmbeddedUser {
  sub: string;
  username: string;
  password: string;
  email: string;
}

export interface EmbeddedOAuthOptions {
  clientId?: string;
  /** Default `http://127.0.0.1:<port>/callback` on the server itself (tests never follow it). */
  redirectUri?: string;
  /** Default `http://127.0.0.1:<port>/signed-out`. */
  logoutUri?: string;
  /** The scopes the app client may get (Cognito's "allowed OAuth scopes"). Default: openid, email, profile, aws.cognito.signin.user.admin. */
  allowedScopes?: readonly string[];
  user?: Partial<EmbeddedUser>;
  /** Seconds; default 3600 (Cognito's default). */
  accessTokenTtl?: number;
}

export interface EmbeddedOAuth {
  /** `http://127.0.0.1:<port>`: the issuer and the hosted-UI domain. */
  domain: string;
  issuer: string;
  clientId: string;
  redirectUri: string;
  logoutUri: string;
  allowedScopes: readonly string[];
  user: EmbeddedUser;
  /** Every `/logout` the server accepted, in order. */
  logouts: Array<{ clientId: string; logoutUri: string }>;
  stop(): Promise<void>;
}

const OIDC_SCOPES = ['openid', 'email', 'profile', 'phone'];
const DEFAULT_ALLOWED = ['openid', 'email', 'profile', 'aws.cognito.signin.user.admin'];
/**
 * The one resource server; its JWT access tokens play Cognito's. They carry `aud` (this URN), which
 * Cognito's do not: oidc-provider refuses a JWT access token without one.
 */
const USER_POOL_RESOURCE = 'urn:authchart:user-pool';

// oidc-provider warns on import (it asks for Node 22; it runs on 20) and about its in-memory
// store, which is what a test server wants. Those two only; anything else it says is shown.
const EXPECTED_WARNINGS = /Unsupported runtime|in-memory adapter/;
async function quietly<T>(run: () => T | Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!EXPECTED_WARNINGS.test(String(args[0]))) warn(...args);
  };
  try {
    return await run();
  } finally {
    console.warn = warn;
  }
}

const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, error?: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in</h1>${error ? `<p role="alert">${html(error)}</p>` : ''}
<form id="login" method="post" action="/interaction/${html(uid)}/login">
<label>Username <input name="username" autocomplete="username" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form>
<form id="cancel" method="post" action="/interaction/${html(uid)}/abort"><button type="submit">Cancel</button></form>
</body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 10_000) break;
  }
  return new URLSearchParams(body);
}

/**
 * Starts the server; `stop()` closes it.
 *
 * @example
 * ```ts
 * const oauth = await startEmbeddedOAuth({ allowedScopes: ['openid', 'email'] });
 * const ui = hostedUI({ domain: oauth.domain, clientId: oauth.clientId, redirectUri: oauth.redirectUri, logoutUri: oauth.logoutUri, openUrl });
 * await oauth.stop();
 * ```
 */
export async function startEmbeddedOAuth(options: EmbeddedOAuthOptions = {}): Promise<EmbeddedOAuth> {
  const { Provider } = await quietly(() => import('oidc-provider'));
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const domain = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const clientId = options.clientId ?? `hosted-ui-${randomUUID().slice(0, 8)}`;
  const redirectUri = options.redirectUri ?? `${domain}/callback`;
  const logoutUri = options.logoutUri ?? `${domain}/signed-out`;
  const allowedScopes = options.allowedScopes ?? DEFAULT_ALLOWED;
  const user: EmbeddedUser = {
    sub: randomUUID(),
    username: 'alice',
    password: 'Correct-Horse-9',
    email: 'alice@example.com',
    ...options.user,
  };
  const logouts: EmbeddedOAuth['logouts'] = [];
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

  const provider = await quietly(
    () =>
      new Provider(domain, {
        clients: [
          {
            client_id: clientId,
            token_endpoint_auth_method: 'none',
            application_type: 'web',
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            redirect_uris: [redirectUri],
            post_logout_redirect_uris: [logoutUri],
            scope: allowedScopes.join(' '),
          },
        ],
        routes: {
          authorization: '/oauth2/authorize',
          token: '/oauth2/token',
          revocation: '/oauth2/revoke',
          userinfo: '/oauth2/userInfo',
          jwks: '/.well-known/jwks.json',
          // Cognito's /logout is served below; oidc-provider's own logout stays out of its way.
          end_session: '/oidc/session/end',
        },
        scopes: [...new Set([...OIDC_SCOPES, ...allowedScopes])],
        claims: {
          openid: ['sub', 'cognito:username', 'token_use'],
          email: ['email', 'email_verified'],
        },
        // Cognito puts the user's claims in the ID token of the code flow too.
        conformIdTokenClaims: false,
        async findAccount(_ctx: unknown, sub: string) {
          if (sub !== user.sub) return undefined;
          return {
            accountId: sub,
            claims: async () => ({
              sub,
              'cognito:username': user.username,
              email: user.email,
              email_verified: true,
              token_use: 'id',
            }),
          };
        },
        // A first-party client: no consent page; the grant is exactly the requested (allowed) scopes.
        async loadExistingGrant(ctx: KoaContext) {
          const { client, session, params } = ctx.oidc;
          if (!client || !session?.accountId) return undefined;
          const requested = String(params?.['scope'] ?? '').split(' ');
          const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
          // Every configured scope counts as an OIDC scope here (the consent check looks there), and the
          // same scopes go to the user-pool resource, so they reach the access token.
          grant.addOIDCScope(requested.join(' '));
          grant.addResourceScope(USER_POOL_RESOURCE, requested.join(' '));
          await grant.save();
          return grant;
        },
        features: {
          devInteractions: { enabled: false },
          // Cognito revokes a refresh token only for the client it was issued to.
          revocation: {
            enabled: true,
            allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) =>
              token.clientId === client.clientId,
          },
          userinfo: { enabled: true },
          resourceIndicators: {
            enabled: true,
            defaultResource: () => USER_POOL_RESOURCE,
            useGrantedResource: () => true,
            getResourceServerInfo: () => ({
              // Every allowed scope, OIDC ones included, so the access token's `scope` reads like Cognito's.
              scope: allowedScopes.join(' '),
              accessTokenFormat: 'jwt',
              accessTokenTTL: options.accessTokenTtl ?? 3600,
              jwt: { sign: { alg: 'RS256' } },
            }),
          },
        },
        extraTokenClaims: async (_ctx: unknown, token: TokenLike) =>
          token.kind === 'AccessToken'
            ? { token_use: 'access', username: user.username, origin_jti: token.grantId, event_id: randomUUID() }
            : undefined,
        pkce: { required: () => true },
        // Cognito issues a refresh token with every code grant and does not rotate it by default.
        issueRefreshToken: async () => true,
        rotateRefreshToken: false,
        ttl: {
          AccessToken: options.accessTokenTtl ?? 3600,
          IdToken: 3600,
          RefreshToken: 30 * 24 * 3600,
          AuthorizationCode: 300,
          Grant: 30 * 24 * 3600,
          Interaction: 600,
          Session: 24 * 3600,
        },
        interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
        cookies: { keys: [randomBytes(32).toString('base64url')] },
        jwks: { keys: [{ ...signingKey, kid: 'embedded-1', use: 'sig', alg: 'RS256' }] },
        clientBasedCORS: () => true,
        async renderError(ctx: KoaContext, out: Record<string, unknown>) {
          ctx.type = 'json';
          ctx.body = out;
        },
      }),
  );

  // A 500 of the embedded server is a bug in this file: say what it was.
  provider.on('server_error', (_ctx, error) => console.error('embedded OAuth server error:', error));

  provider.use(async (ctx, next) => {
    const interaction = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(ctx.path);
    if (ctx.path === '/logout' && ctx.method === 'GET') return cognitoLogout(ctx);
    if (!interaction) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET' && !interaction[2]) {
      ctx.type = 'html';
      ctx.body = loginPage(details.uid);
      return;
    }
    if (ctx.method !== 'POST' || !interaction[2]) return next();
    if (interaction[2] === '/abort') {
      // What a user's cancel looks like to the app: the redirect carries error=access_denied.
      const to = await provider.interactionResult(ctx.req, ctx.res, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      });
      ctx.status = 303;
      ctx.redirect(to);
      return;
    }
    const form = await readForm(ctx.req);
    if (form.get('username') !== user.username || form.get('password') !== user.password) {
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, 'Incorrect username or password.');
      return;
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: user.sub } });
    ctx.status = 303;
    ctx.redirect(to);
  });

  /** Cognito's `/logout`: ends the browser session (tokens stay valid) and redirects to a registered logout_uri. */
  async function cognitoLogout(ctx: KoaContext): Promise<void> {
    const id = ctx.query['client_id'];
    const to = ctx.query['logout_uri'];
    const client = typeof id === 'string' ? await provider.Client.find(id) : undefined;
    if (!client || typeof to !== 'string' || !client.postLogoutRedirectUris.includes(to)) {
      ctx.status = 400;
      ctx.type = 'json';
      ctx.body = { error: client ? 'invalid_request' : 'invalid_client', error_description: 'logout refused' };
      return;
    }
    const session = await provider.Session.get(ctx);
    if (session.exp !== undefined) await session.destroy();
    ctx.cookies.set(provider.cookieName('session'), null);
    logouts.push({ clientId: client.clientId, logoutUri: to });
    ctx.status = 302;
    ctx.redirect(to);
  }

  handler = provider.callback();
  return {
    domain,
    issuer: domain,
    clientId,
    redirectUri,
    logoutUri,
    allowedScopes,
    user,
    logouts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
