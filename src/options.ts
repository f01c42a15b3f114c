import type { InspectionEvent, Observer } from 'xstate';
import { AuthError } from './errors.js';
import type { AuthConfig, RevocationPolicy } from './machines/auth.types.js';
import type { HostedUI } from './services/hosted-ui.js';
import type {
  AuthServices,
  Clock,
  Connectivity,
  CredentialsProvider,
  PasskeyAuthenticator,
  SessionSyncFactory,
  TokenStorage,
  WakeSource,
} from './services/types.js';

/** Bounds and schedules, in milliseconds: each more than 0 and less than 2^31 (what a timer holds); else `InvalidConfig`. */
export interface AuthTimeouts {
  /** Bound on each remote call (sign-in, refresh, GlobalSignOut, RevokeToken). Default 5000. */
  remoteStepMs?: number;
  /**
   * Bound on each hosted-UI step that waits for the user's browser or an injected opener: the
   * redirect sign-in (when the opener answers) and the `/logout` step. Default 120000.
   */
  hostedUIMs?: number;
  /** @deprecated Use `hostedUIMs`: this bound was always the redirect sign-in's too. Read when `hostedUIMs` is absent. */
  hostedUISignOutMs?: number;
  /** Bound on each storage step (read, save, journal, clear). Default 10000. */
  storageMs?: number;
  /** How long a sign-in challenge waits for `confirmSignIn()`. Default 180000 (Cognito's 3 minutes). */
  challengeMs?: number;
  /** Refresh this long before the access token expires (at most half its lifetime). Default 60000. */
  refreshLeewayMs?: number;
  /** First wait before retrying a refresh that failed for a network reason; doubles up to 64×. Default 5000. */
  refreshRetryMs?: number;
}

/** Options of {@link createAuth}. Only `services` is required. */
export interface CreateAuthOptions {
  services: AuthServices;
  /** Where tokens are kept. Default: {@link memoryStorage}. */
  storage?: TokenStorage;
  /** Default: `navigator.onLine` where it exists, else always online. Coming back online checks the tokens (see `wake`). */
  connectivity?: Connectivity;
  /**
   * When to check whether the held tokens need a refresh, besides the timer: default, the page
   * becoming visible in browsers, nothing elsewhere; `null` turns it off. One refresh serves every trigger.
   */
  wake?: WakeSource | null;
  /** When to call RevokeToken on sign-out. Default `auto`. */
  revocation?: RevocationPolicy;
  timeouts?: AuthTimeouts;
  /** Compared with JWT `exp` to schedule refreshes. Default `Date`. */
  clock?: Clock;
  /**
   * How far a new token's `exp` may lie in the past by {@link clock} before the token is refused
   * (`InvalidToken`): device clocks drift. Default 300000 (5 minutes). See docs/security.md, "Token checks".
   */
  clockToleranceMs?: number;
  /**
   * Keep a refresh token that could not be revoked because the network failed (`Offline`,
   * `Network`, `Timeout`) in an outbox key, and retry RevokeToken when connectivity returns or at
   * the next start. Off by default: the outbox holds a refresh token in storage until then.
   */
  deferRevocation?: boolean;
  /**
   * The most refresh tokens the outbox keeps (default 100). Past it the oldest is dropped, and
   * `deferredRevocationsDropped` says how many.
   */
  maxDeferredRevocations?: number;
  /**
   * Cross-tab sync: when one tab signs out, the others follow without network calls; when one
   * signs in, the others restore. Default: BroadcastChannel (else the storage event) in browsers,
   * none elsewhere; `null` turns it off; `memorySyncBus().connect` links instances in one process.
   */
  sync?: SessionSyncFactory | null;
  /**
   * The hosted (web) UI, from `authchart/hosted-ui`: enables `signInWithRedirect()` and
   * `handleRedirect()`, and ends hosted-UI sessions through its `/logout`.
   */
  hostedUI?: HostedUI;
  /**
   * Passkeys (`authchart/passkeys`' `browserPasskeys()`): a sign-in that Cognito answers with a
   * WebAuthn challenge runs the ceremony through it. Without it that sign-in rejects `PasskeyUnsupported`.
   */
  passkeys?: PasskeyAuthenticator;
  /**
   * AWS credentials from a Cognito identity pool (`authchart/identity-pool`'s `identityPool()`):
   * enables `auth.fetchCredentials()`. Every way out of `signedIn` forgets them.
   */
  credentials?: CredentialsProvider;
  /** Receives XState inspection events (e.g. `createBrowserInspector().inspect`). Tokens are sealed: they serialise as `"[redacted]"`. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

const DEFAULTS = {
  revocation: 'auto',
  remoteStepMs: 5000,
  hostedUIMs: 120_000,
  storageMs: 10_000,
  challengeMs: 180_000,
  refreshLeewayMs: 60_000,
  refreshRetryMs: 5000,
  clockToleranceMs: 300_000,
} as const;

/** `clockToleranceMs`, checked: a finite number ≥ 0. */
export function clockTolerance(options: CreateAuthOptions): number {
  const value = options.clockToleranceMs ?? DEFAULTS.clockToleranceMs;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new AuthError('InvalidConfig', 'clockToleranceMs must be a finite number ≥ 0');
  }
  return value;
}

/** A bound with a default (`hostedUISignOutMs` is `hostedUIMs`'s old name). */
type Bound = Exclude<keyof AuthTimeouts, 'hostedUISignOutMs'>;

const BOUNDS: readonly Bound[] = [
  'remoteStepMs',
  'hostedUIMs',
  'storageMs',
  'challengeMs',
  'refreshLeewayMs',
  'refreshRetryMs',
];

function positive(name: keyof AuthTimeouts, value: number | undefined, bound: Bound = name as Bound): number {
  if (value === undefined) return DEFAULTS[bound];
  // Timers take at most 2^31 - 1 ms: a longer one fires at once (Node, browsers), every bound with it.
  if (typeof value !== 'number' || !(value > 0 && value < 2 ** 31)) {
    throw new AuthError('InvalidConfig', `timeouts.${name} must be a number of ms in (0, 2^31)`);
  }
  return value;
}

/** Names the methods `value` lacks, e.g. `storage needs getItem, setItem`. */
function requireMethods(what: string, value: unknown, methods: readonly string[]): void {
  if (typeof value !== 'object' || value === null) {
    throw new AuthError('InvalidConfig', `options.${what} must be an object with ${methods.join(', ')}`);
  }
  const missing = methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) {
    throw new AuthError('InvalidConfig', `options.${what} needs ${missing.join(', ')} (missing or not a function)`);
  }
}

/** Checks every option up front: a bad one is `InvalidConfig` naming what is wrong, never a later failure. */
export function validateOptions(options: CreateAuthOptions): AuthConfig {
  if (!options || typeof options !== 'object')
    throw new AuthError('InvalidConfig', 'createAuth needs an options object');
  requireMethods('services', options.services, ['signIn', 'refresh', 'globalSignOut', 'revokeToken']);
  if (typeof options.services.clientId !== 'string' || options.services.clientId.length === 0) {
    throw new AuthError('InvalidConfig', 'options.services.clientId must be a non-empty string');
  }
  if (options.storage !== undefined) requireMethods('storage', options.storage, ['getItem', 'setItem', 'removeItem']);
  if (options.connectivity !== undefined) requireMethods('connectivity', options.connectivity, ['isOnline']);
  if (options.clock !== undefined) requireMethods('clock', options.clock, ['now']);
  if (options.hostedUI !== undefined) {
    requireMethods('hostedUI', options.hostedUI, ['createAuthorization', 'openUrl', 'exchangeCode', 'signOut']);
  }
  if (options.passkeys !== undefined) requireMethods('passkeys', options.passkeys, ['get', 'create']);
  if (options.credentials !== undefined)
    requireMethods('credentials', options.credentials, ['fetchCredentials', 'clear']);
  if (options.sync !== undefined && options.sync !== null && typeof options.sync !== 'function') {
    throw new AuthError('InvalidConfig', 'options.sync must be a function or null');
  }
  const revocation = options.revocation ?? DEFAULTS.revocation;
  if (!['auto', 'always', 'never'].includes(revocation)) {
    throw new AuthError('InvalidConfig', 'revocation must be "auto", "always" or "never"');
  }
  clockTolerance(options);
  const t = options.timeouts ?? {};
  const config = { revocation } as AuthConfig;
  for (const bound of BOUNDS) {
    // `hostedUISignOutMs` is read only when `hostedUIMs` is not given.
    const name = bound === 'hostedUIMs' && t.hostedUIMs === undefined ? 'hostedUISignOutMs' : bound;
    config[bound] = positive(name, t[name], bound);
  }
  config.deferRevocation = options.deferRevocation === true;
  return config;
}
