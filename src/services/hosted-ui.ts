/**
 * The hosted (web) UI as the core sees it: an OAuth 2.0 authorization-code flow with PKCE, and
 * Cognito's `/logout`. Interface only; `authchart/hosted-ui` provides the implementation.
 */
import type { AuthServices, Tokens } from './types.js';

/**
 * What a redirect sign-in must remember between leaving for the hosted UI and coming back. Plain
 * JSON (strings and a number) so it can live in any `TokenStorage`. `codeVerifier` is a
 * secret until the code is exchanged: store it like a token, delete it after `exchangeCode`.
 */
export interface RedirectTransaction {
  /** The random `state` sent in the authorize URL; the redirect must bring it back unchanged. */
  state: string;
  /** The PKCE verifier; only its S256 hash was sent. */
  codeVerifier: string;
  /** The `nonce` the ID token must carry. */
  nonce: string;
  /** The `redirect_uri` of the authorize request (the code exchange must repeat it). */
  redirectUri: string;
  /** Milliseconds since the epoch, for expiring stale transactions. */
  createdAt: number;
  /** The app's own value, kept here (never sent to the hosted UI) and handed back after the exchange. */
  customState?: string;
}

/** Options of {@link HostedUI.createAuthorization}. */
export interface AuthorizationOptions {
  /** Cognito `identity_provider` (e.g. `Google`, `COGNITO`, a SAML name); omitted: the hosted UI lets the user choose. */
  provider?: string;
  customState?: string;
}

/**
 * Why `openUrl` is called: some openers differ (a native app may use an ephemeral browser session
 * for sign-out, or a different callback scheme).
 */
export type OpenUrlPurpose = 'signIn' | 'signOut';

/**
 * The hosted UI of one Cognito app client. Every method that talks to the network honours its
 * `signal` and reports failures as `AuthError` (`Network`, `Timeout`, `NotAuthorized`,
 * `StateMismatch`, `Cancelled`, `HostedUIError`, `InvalidToken`, `InvalidConfig`, `InvalidInput`).
 */
export interface HostedUI {
  readonly clientId: string;
  /** The user pool's issuer (as {@link AuthServices.issuer}): the redirect's tokens must carry it. */
  readonly issuer?: string;
  /**
   * `true` when {@link openUrl} and {@link signOut} navigate the current page away (the browser
   * default): whatever must finish locally has to finish before they are called, and their promise
   * settling says nothing about the hosted UI. `false` when the app injected its own opener.
   */
  readonly leavesPage: boolean;
  /** Builds the authorize URL (PKCE S256, state, nonce). The caller stores the transaction before opening the URL. */
  createAuthorization(options?: AuthorizationOptions): Promise<{ url: string; transaction: RedirectTransaction }>;
  /**
   * Navigates (browser) or hands the URL to the app's opener (Node, native). Answers the redirect
   * URL when the opener returns one (an in-app browser session that caught the callback), so the
   * caller can exchange it at once; `undefined` otherwise.
   */
  openUrl(url: string, purpose: OpenUrlPurpose, signal?: AbortSignal): Promise<string | undefined>;
  /** Checks the redirect URL against the transaction (state, error param), exchanges the code at /oauth2/token, checks the ID token nonce. */
  exchangeCode(
    redirectUrl: string,
    transaction: RedirectTransaction,
    signal: AbortSignal,
  ): Promise<{ tokens: Tokens; customState?: string }>;
  /** Cognito's `/logout?client_id=…&logout_uri=…`: ends the hosted-UI browser session (not the tokens). */
  signOut(signal: AbortSignal): Promise<void>;
}
