/**
 * `authchart/hosted-ui`: Cognito's hosted (web) UI as a {@link HostedUI}: the authorization-code
 * flow with PKCE S256, `state` and `nonce`, and `/logout`.
 *
 * Written on WebCrypto and `fetch` (a few dozen lines) rather than oauth4webapi: the code exchange
 * with Cognito needs no discovery, DPoP or JAR, and the ID token comes straight from the token
 * endpoint over TLS, so its signature need not be checked (OIDC Core 3.1.3.7); see docs/hosted-ui.md.
 */
import { AuthError } from '../errors.js';
import type { AuthorizationOptions, HostedUI, OpenUrlPurpose, RedirectTransaction } from '../services/hosted-ui.js';
import type { AuthServices, Tokens } from '../services/types.js';
import { jwtClaims } from '../session/jwt.js';
import {
  abortError,
  checkEndpoint,
  type Endpoint,
  type HttpOptions,
  type IssuerOptions,
  oauthError,
  poolIssuer,
  postForm,
} from './http.js';

export type { AuthorizationOptions, HostedUI, OpenUrlPurpose, RedirectTransaction } from '../services/hosted-ui.js';
export type { HttpOptions, IssuerOptions } from './http.js';

/**
 * Opens a hosted-UI URL for the app (native in-app browser, system browser, a test driver). May
 * answer the URL the browser was redirected to; should reject with `AuthError('Cancelled', …)`
 * when the user closed it, and stop when `signal` fires.
 */
export type UrlOpener = (
  url: string,
  options: { purpose: OpenUrlPurpose; signal?: AbortSignal },
) => OpenerAnswer | Promise<OpenerAnswer>;
/** What an opener may answer: the redirect URL it caught, or nothing. */
// biome-ignore lint/suspicious/noConfusingVoidType: an opener that answers nothing returns void or Promise<void>
export type OpenerAnswer = string | undefined | void;

/** Options of {@link hostedUI}. */
export interface HostedUIOptions extends HttpOptions, IssuerOptions {
  /** The user pool domain: `auth.example.com`, `https://my-app.auth.eu-west-1.amazoncognito.com`, or an `http://127.0.0.1:…` test server. */
  domain: string;
  /** The app client id (a public client: no secret). */
  clientId: string;
  /** One of the app client's allowed callback URLs. */
  redirectUri: string;
  /** One of the app client's allowed sign-out URLs. */
  logoutUri: string;
  /** Default `openid email aws.cognito.signin.user.admin` (the last one lets the access token call GlobalSignOut). */
  scopes?: readonly string[];
  /** Default in a browser: `location.assign`. Required elsewhere. */
  openUrl?: UrlOpener;
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** How long a redirect transaction may wait for its redirect, in ms (default 10 minutes); older is `Expired`. */
  transactionMaxAgeMs?: number;
}

/** Cognito's default scopes for an app that also calls the user-pool API with the access token. */
export const DEFAULT_SCOPES: readonly string[] = ['openid', 'email', 'aws.cognito.signin.user.admin'];

const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** 32 random bytes, base64url: 43 characters (RFC 7636's verifier length, and plenty for state/nonce). */
const random = (): string => b64url(crypto.getRandomValues(new Uint8Array(32)));

/** The PKCE S256 challenge of a verifier (RFC 7636 §4.2). */
export async function pkceChallenge(verifier: string): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

function required(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new AuthError('InvalidConfig', `hostedUI needs ${name}`);
  return value;
}

function absolute(name: string, value: string): URL {
  try {
    return new URL(value);
  } catch (cause) {
    throw new AuthError('InvalidConfig', `hostedUI: ${name} is not an absolute URL`, { cause });
  }
}

/** Rejects when `signal` fires, so an opener that ignores it still cannot hold the caller. */
function raceSignal<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The shared part of {@link hostedUI} and {@link hostedUIServices}, checked when either is made. */
function endpointOf(who: string, options: HostedUIServicesOptions) {
  const clientId = required('a clientId', options?.clientId);
  const issuer = poolIssuer(who, options);
  const domain = required('a domain', options.domain);
  // `https://` added to a bare host; no trailing slash.
  const { url, max } = checkEndpoint(
    who,
    /^[a-z][a-z\d+.-]*:\/\//i.test(domain) ? domain : `https://${domain}`,
    options,
  );
  const endpoint: Endpoint = {
    origin: url.replace(/\/+$/, ''),
    doFetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    max,
  };
  return { clientId, endpoint, ...(issuer ? { issuer } : {}) };
}

/**
 * The hosted UI of one Cognito app client.
 *
 * @example
 * ```ts
 * import { hostedUI } from 'authchart/hosted-ui';
 *
 * const ui = hostedUI({
 *   domain: 'auth.example.com',
 *   clientId: '1example23456789',
 *   redirectUri: 'https://app.example.com/callback',
 *   logoutUri: 'https://app.example.com/',
 * });
 * const { url, transaction } = await ui.createAuthorization({ customState: '/orders' });
 * sessionStorage.setItem('oauth', JSON.stringify(transaction)); // before leaving the page
 * await ui.openUrl(url, 'signIn');
 * ```
 */
export function hostedUI(options: HostedUIOptions): HostedUI {
  const { clientId, endpoint, ...issuer } = endpointOf('hostedUI', options);
  const { origin } = endpoint;
  const maxAge = options.transactionMaxAgeMs ?? 600_000;
  const redirectUri = absolute('redirectUri', required('a redirectUri', options.redirectUri)).href;
  const logoutUri = absolute('logoutUri', required('a logoutUri', options.logoutUri)).href;
  const scope = (options.scopes ?? DEFAULT_SCOPES).join(' ');
  const injected = options.openUrl;

  async function open(url: string, purpose: OpenUrlPurpose, signal?: AbortSignal): Promise<string | undefined> {
    const what = purpose === 'signIn' ? 'The hosted-UI sign-in' : 'The hosted-UI sign-out';
    if (injected) {
      const opened = raceSignal(
        Promise.resolve().then(() => injected(url, signal ? { purpose, signal } : { purpose })),
        signal,
        what,
      );
      const answer = await opened.catch((cause: unknown) => {
        if (cause instanceof AuthError) throw cause;
        throw new AuthError('HostedUIError', `${what}: the app's openUrl failed`, { cause });
      });
      return typeof answer === 'string' ? answer : undefined;
    }
    const location = (globalThis as { location?: { assign?: (url: string) => void } }).location;
    if (typeof location?.assign !== 'function') {
      throw new AuthError('InvalidConfig', 'hostedUI needs an openUrl outside a browser');
    }
    if (signal?.aborted) throw abortError(signal, what);
    location.assign(url);
    return undefined;
  }

  return {
    clientId,
    ...issuer,
    leavesPage: injected === undefined,

    async createAuthorization(request: AuthorizationOptions = {}) {
      const transaction: RedirectTransaction = {
        state: random(),
        codeVerifier: random(),
        nonce: random(),
        redirectUri,
        createdAt: Date.now(),
        ...(request.customState === undefined ? {} : { customState: request.customState }),
      };
      const params = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        scope,
        state: transaction.state,
        nonce: transaction.nonce,
        code_challenge: await pkceChallenge(transaction.codeVerifier),
        code_challenge_method: 'S256',
      });
      if (request.provider) params.set('identity_provider', request.provider);
      return { url: `${origin}/oauth2/authorize?${params}`, transaction };
    },

    openUrl: open,

    async exchangeCode(redirectUrl, transaction, signal) {
      const what = 'The hosted-UI sign-in';
      let url: URL;
      try {
        url = new URL(redirectUrl);
      } catch (cause) {
        throw new AuthError('InvalidInput', `${what}: the redirect is not a URL`, { cause });
      }
      const expected = new URL(transaction.redirectUri);
      if (url.origin !== expected.origin || url.pathname !== expected.pathname) {
        throw new AuthError('InvalidInput', `${what}: the redirect did not come back to the redirect URI`);
      }
      // A verifier left waiting (a tab closed mid-sign-in, a stolen copy) is not used late; a
      // createdAt ahead of this clock by more than a minute was not written by it.
      const age = Date.now() - transaction.createdAt;
      if (!(age <= maxAge && age > -60_000)) {
        throw new AuthError('Expired', `${what}: the sign-in started too long ago; start it again`);
      }
      const params = url.searchParams;
      // A parameter given twice has no single meaning (a server and this app may read different ones).
      for (const name of ['state', 'code', 'error']) {
        if (params.getAll(name).length > 1)
          throw new AuthError('InvalidInput', `${what}: the redirect repeats ${name}`);
      }
      // State first: an error or a code that does not answer our request is not ours to act on.
      if (params.get('state') !== transaction.state) {
        throw new AuthError('StateMismatch', `${what}: the redirect's state is not the one this app sent`);
      }
      const error = params.get('error');
      if (error) {
        const { state, codeVerifier, nonce } = transaction;
        throw oauthError(what, error, params.get('error_description'), [state, codeVerifier, nonce]);
      }
      const code = params.get('code');
      if (!code) throw new AuthError('InvalidInput', `${what}: the redirect carries neither a code nor an error`);

      const json = await postForm(
        endpoint,
        '/oauth2/token',
        new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: clientId,
          code,
          redirect_uri: transaction.redirectUri,
          code_verifier: transaction.codeVerifier,
        }),
        signal,
        what,
      );
      const { access_token: accessToken, id_token: idToken, refresh_token: refreshToken } = json;
      if (typeof accessToken !== 'string' || typeof idToken !== 'string' || typeof refreshToken !== 'string') {
        throw new AuthError('InvalidToken', `${what}: the token endpoint did not answer all three tokens`);
      }
      let claims: Record<string, unknown>;
      try {
        claims = jwtClaims(idToken, 'ID token');
      } catch (cause) {
        throw new AuthError('InvalidToken', `${what}: the ID token is not a JWT`, { cause });
      }
      // Straight from the token endpoint over TLS: the signature need not be checked, but the ID token
      // must be for this client and this request (a replayed or injected code brings a foreign nonce).
      const audience = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
      if (!audience.includes(clientId)) {
        throw new AuthError('InvalidToken', `${what}: the ID token is for another client`);
      }
      if (claims['nonce'] !== transaction.nonce) {
        throw new AuthError('InvalidToken', `${what}: the ID token's nonce is not the one this app sent`);
      }
      const tokens: Tokens = { accessToken, idToken, refreshToken };
      return transaction.customState === undefined ? { tokens } : { tokens, customState: transaction.customState };
    },

    async signOut(signal) {
      const params = new URLSearchParams({ client_id: clientId, logout_uri: logoutUri });
      await open(`${origin}/logout?${params}`, 'signOut', signal);
    },
  };
}

/** Options of {@link hostedUIServices}: the ones of {@link hostedUI} that name its endpoints and the pool. */
export type HostedUIServicesOptions = Pick<
  HostedUIOptions,
  'domain' | 'clientId' | 'fetch' | 'allowInsecureHttp' | 'maxResponseBytes' | 'userPoolId' | 'region' | 'issuer'
>;

/**
 * `AuthServices` over the hosted UI's OAuth endpoints, for an app that signs in only through the
 * hosted UI: `refresh` posts `grant_type=refresh_token` to `/oauth2/token` and `revokeToken` posts to
 * `/oauth2/revoke` (on Cognito these do what REFRESH_TOKEN_AUTH and RevokeToken do). `signIn` is
 * `InvalidConfig` (use `signInWithRedirect`), and `globalSignOut` is `GlobalSignOutUnsupported`:
 * the OAuth endpoints have no global sign-out, so a global sign-out revokes this refresh token instead.
 *
 * @example
 * ```ts
 * import { createAuth } from 'authchart';
 * import { hostedUI, hostedUIServices } from 'authchart/hosted-ui';
 *
 * const options = {
 *   domain: 'auth.example.com',
 *   clientId: '1example23456789',
 *   redirectUri: 'https://app.example.com/callback',
 *   logoutUri: 'https://app.example.com/',
 * };
 * const auth = createAuth({ services: hostedUIServices(options), hostedUI: hostedUI(options) });
 * ```
 */
export function hostedUIServices(options: HostedUIServicesOptions): AuthServices {
  const { clientId, endpoint, ...issuer } = endpointOf('hostedUIServices', options);
  return {
    clientId,
    ...issuer,
    signIn: () =>
      Promise.reject(
        new AuthError('InvalidConfig', 'hostedUIServices has no password sign-in: use signInWithRedirect'),
      ),
    async refresh(refreshToken, signal) {
      const what = 'The token refresh';
      const json = await postForm(
        endpoint,
        '/oauth2/token',
        new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }),
        signal,
        what,
      );
      if (typeof json['access_token'] !== 'string') {
        throw new AuthError('InvalidToken', `${what}: the token endpoint answered no access token`);
      }
      // Cognito answers no refresh token unless it rotates them: an absent one keeps the current one.
      const fresh: Partial<Tokens> = { accessToken: json['access_token'] };
      if (typeof json['id_token'] === 'string') fresh.idToken = json['id_token'];
      if (typeof json['refresh_token'] === 'string') fresh.refreshToken = json['refresh_token'];
      return fresh;
    },
    async revokeToken(refreshToken, signal) {
      const what = 'RevokeToken';
      try {
        await postForm(
          endpoint,
          '/oauth2/revoke',
          new URLSearchParams({ token: refreshToken, client_id: clientId }),
          signal,
          what,
        );
      } catch (error) {
        // Cognito's /oauth2/revoke: `invalid_request` when the token is missing (never, here) or
        // revocation is disabled for the app client.
        if (error instanceof AuthError && error.serviceName === 'invalid_request') {
          throw new AuthError('RevocationUnsupported', error.message, { cause: error, serviceName: 'invalid_request' });
        }
        throw error;
      }
    },
    globalSignOut: () =>
      Promise.reject(
        new AuthError(
          'GlobalSignOutUnsupported',
          'hostedUIServices cannot call GlobalSignOut (no OAuth endpoint does): the refresh token is revoked instead',
        ),
      ),
  };
}
