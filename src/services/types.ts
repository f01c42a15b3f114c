/** The injected side effects of authchart. Each is a small interface; adapters live beside it. */

/** Cognito user-pool tokens (JWTs; the refresh token is an opaque JWE). */
export interface Tokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
}

/** Username and password for USER_PASSWORD_AUTH. */
export interface Credentials {
  username: string;
  password: string;
}

/**
 * The remote calls. Implementations honour `signal` (abort the request when it fires) and
 * report failures by throwing `AuthError`; anything else thrown is reported as `Service`.
 * `authchart/cognito` provides one built on the AWS SDK.
 */
export interface AuthServices {
  /** The app client id: namespaces every storage key authchart writes. */
  readonly clientId: string;
  signIn(input: Credentials, signal: AbortSignal): Promise<Tokens>;
  /** A missing `refreshToken` in the answer means "keep the current one". */
  refresh(refreshToken: string, signal: AbortSignal): Promise<Partial<Tokens>>;
  globalSignOut(accessToken: string, signal: AbortSignal): Promise<void>;
  revokeToken(refreshToken: string, signal: AbortSignal): Promise<void>;
  /** The hosted UI `/logout` step (a redirect or popup); only sessions adopted with `signedInWith: 'hostedUI'` use it. */
  hostedUISignOut?(signal: AbortSignal): Promise<void>;
}

/**
 * Web-Storage-like key/value store. Methods may be sync (localStorage, sessionStorage) or async
 * (React Native AsyncStorage, IndexedDB wrappers, files).
 */
export interface TokenStorage {
  getItem(key: string): string | null | undefined | Promise<string | null | undefined>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** Tells whether the device is online. Only `false` skips remote steps; `true` is never trusted blindly (steps are bounded). */
export interface Connectivity {
  isOnline(): boolean;
  /** Called with the new status on every change; returns an unsubscribe function. */
  subscribe?(listener: (online: boolean) => void): () => void;
}

/** The wall clock, injectable for tests. */
export interface Clock {
  /** Milliseconds since the epoch (compared with JWT `exp`). */
  now(): number;
}

/** What one tab tells the others. No token: they read the shared storage themselves. */
export type SyncMessage = { type: 'signedIn' } | { type: 'signedOut' };

/** A channel between the tabs (or contexts) of one origin and app client. */
export interface SessionSync {
  publish(message: SyncMessage): void;
  /** Messages from the other participants (never one's own); returns an unsubscribe function. */
  subscribe(listener: (message: SyncMessage) => void): () => void;
  close?(): void;
}

/** Opens a {@link SessionSync} on a channel named for the app client (`authchart.<clientId>`). */
export type SessionSyncFactory = (channel: string) => SessionSync;
