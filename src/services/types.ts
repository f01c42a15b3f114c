/** The injected side effects of authchart. Each is a small interface; adapters live beside it. */

/** Cognito user-pool tokens (JWTs; the refresh token is an opaque JWE). */
export interface Tokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
}

/**
 * How a password sign-in proves the password: SRP (never sent) or the password itself over TLS;
 * `USER_AUTH` sends it through Cognito's choice-based flow (`PASSWORD_SRP` first).
 */
export type AuthFlow = 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH' | 'USER_AUTH';

/** Username and password; `authFlow` overrides the service's default for this call. */
export interface PasswordCredentials {
  username: string;
  password: string;
  authFlow?: AuthFlow;
  session?: never;
  preferredChallenge?: never;
}

/**
 * The first factors of Cognito's choice-based sign-in (`USER_AUTH`): a password (sent, or by SRP),
 * a one-time code by e-mail or SMS, or a passkey.
 */
export type FirstFactor = 'PASSWORD' | 'PASSWORD_SRP' | 'EMAIL_OTP' | 'SMS_OTP' | 'WEB_AUTHN';

/**
 * A sign-in without a password (Cognito's `USER_AUTH`): Cognito starts `preferredChallenge` if
 * the pool allows it for this user, else answers with the factors to choose from
 * (`selectChallenge`). A password factor chosen then is asked for as the `password` challenge.
 */
export interface ChoiceCredentials {
  username: string;
  /** A password factor goes with the password: `{ username, password, authFlow: 'USER_AUTH' }`. */
  preferredChallenge?: Exclude<FirstFactor, 'PASSWORD' | 'PASSWORD_SRP'>;
  authFlow?: 'USER_AUTH';
  password?: never;
  session?: never;
}

/**
 * A sign-in that continues the `Session` Cognito answered a ConfirmSignUp with (`USER_AUTH`, no
 * password sent): `authchart/account`'s `autoSignIn` uses it. The session is a secret.
 */
export interface SessionCredentials {
  username: string;
  session: string;
  authFlow: 'USER_AUTH';
  password?: never;
  preferredChallenge?: never;
}

/**
 * What `signIn` takes: a password, no password (`USER_AUTH`: a code or a passkey), or Cognito's
 * continuation session.
 */
export type Credentials = PasswordCredentials | ChoiceCredentials | SessionCredentials;

/**
 * The challenges a sign-in may stop at, by what the app must ask the user for. `passkey` asks the
 * app nothing: the chart runs the WebAuthn ceremony itself (`createAuth({ passkeys })`).
 */
export type ChallengeKind =
  | 'newPassword'
  | 'totpCode'
  | 'smsCode'
  | 'emailCode'
  | 'selectMfa'
  | 'selectChallenge'
  | 'password'
  | 'passkey';

/**
 * A sign-in that needs one more answer from the user (Cognito `ChallengeName`). `session` is
 * Cognito's opaque continuation: a secret, valid for about 3 minutes.
 */
export interface SignInChallenge {
  challenge: ChallengeKind;
  /** Cognito's name: `NEW_PASSWORD_REQUIRED`, `SOFTWARE_TOKEN_MFA`, `SMS_MFA`, `EMAIL_OTP`, `SELECT_MFA_TYPE`. */
  challengeName: string;
  session: string;
  /** The username Cognito wants in the answer (`USERNAME` challenge parameter). */
  username: string;
  /** Where a code was sent (masked phone number or e-mail), for `smsCode` and `emailCode`. */
  destination?: string;
  /**
   * For `selectMfa`: the Cognito MFA names to choose from (`SMS_MFA`, `SOFTWARE_TOKEN_MFA`,
   * `EMAIL_OTP`); for `selectChallenge`: the first factors ({@link FirstFactor}).
   */
  options?: string[];
  /** For `passkey`: Cognito's `CREDENTIAL_REQUEST_OPTIONS`, WebAuthn Level 3's JSON form of the request. */
  passkeyRequest?: string;
}

/**
 * The WebAuthn ceremonies of passkeys (`authchart/passkeys`' `browserPasskeys()`, or the app's own
 * for a native platform). Requests and answers are WebAuthn Level 3's JSON forms, as Cognito sends
 * and takes them. A cancelled or refused prompt rejects `PasskeyCancelled`; no authenticator,
 * `PasskeyUnsupported`. Both honour `signal` (a sign-out during the prompt aborts it).
 */
export interface PasskeyAuthenticator {
  /** Signs in: `request` is `PublicKeyCredentialRequestOptionsJSON`; answers the assertion's JSON. */
  get(request: string, signal: AbortSignal): Promise<string>;
  /** Registers: `request` is `PublicKeyCredentialCreationOptionsJSON`; answers the new credential's JSON. */
  create(request: string, signal: AbortSignal): Promise<string>;
}

/** What a sign-in step answers: tokens, or one more challenge. */
export type SignInStep = Tokens | SignInChallenge;

/**
 * The remote calls. Implementations honour `signal` (abort the request when it fires) and
 * report failures by throwing `AuthError`; anything else thrown is reported as `Service`.
 * `authchart/cognito` provides one built on the AWS SDK.
 */
export interface AuthServices {
  /** The app client id: namespaces every storage key authchart writes. */
  readonly clientId: string;
  /**
   * The user pool's issuer, `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`: every token
   * taken must carry it as `iss`. Unset, authchart still requires one `iss` shared by the ID and
   * access tokens and kept across refreshes. See docs/security.md, "Token checks".
   */
  readonly issuer?: string;
  signIn(input: Credentials, signal: AbortSignal): Promise<SignInStep>;
  /**
   * Answers a challenge: a new password, a code, or (for `selectMfa`) one of `options`. Needed only
   * when `signIn` can answer with a challenge.
   */
  respondToChallenge?(input: { challenge: SignInChallenge; answer: string }, signal: AbortSignal): Promise<SignInStep>;
  /** A missing `refreshToken` in the answer means "keep the current one". */
  /**
   * `accessToken`, the session's current one (possibly expired), is only decoded: its `device_key`
   * and `username` claims (Cognito wants DEVICE_KEY for a device's tokens, SECRET_HASH the username).
   */
  refresh(refreshToken: string, signal: AbortSignal, accessToken?: string): Promise<Partial<Tokens>>;
  globalSignOut(accessToken: string, signal: AbortSignal): Promise<void>;
  revokeToken(refreshToken: string, signal: AbortSignal): Promise<void>;
  /** The hosted UI `/logout` step (a redirect or popup); only sessions adopted with `signedInWith: 'hostedUI'` use it. */
  hostedUISignOut?(signal: AbortSignal): Promise<void>;
  /**
   * Sends one more user-pool call (`SignUp`, `ForgotPassword`, …) the way the calls above are sent
   * (endpoint, retry, errors): `authchart/account` uses it. Both Cognito transports have it.
   */
  cognitoCall?(
    operation: AccountOperation,
    body: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
  /** Cognito's SECRET_HASH for `username` when the app client has a secret, else `undefined`. */
  secretHash?(username: string): Promise<string | undefined>;
  /**
   * This device's record for a user (`cognitoServices({ devices })`): `authchart/account`'s
   * `rememberDevice`, `forgetDevice` and `fetchDevices` read and change it. Never the device password.
   */
  readonly devices?: DeviceRecords;
}

/** What {@link AuthServices.devices} tells of this device for a user. */
export interface DeviceRecordView {
  /** Cognito's `DeviceKey`. */
  deviceKey: string;
  /** Remembered: a sign-in from here skips MFA (UpdateDeviceStatus `remembered`, or a pool that always remembers). */
  remembered: boolean;
}

/** This device's records, one per user, kept apart from the session record (a sign-out keeps them). */
export interface DeviceRecords {
  current(username: string): Promise<DeviceRecordView | undefined>;
  /** Removes the user's record (under every name it was stored under). Rejects if the storage does. */
  forget(username: string): Promise<void>;
  markRemembered(username: string): Promise<void>;
}

/** The user-pool calls `authchart/account` makes through {@link AuthServices.cognitoCall}. */
export type AccountOperation =
  | 'SignUp'
  | 'ConfirmSignUp'
  | 'ResendConfirmationCode'
  | 'ForgotPassword'
  | 'ConfirmForgotPassword'
  | 'ChangePassword'
  | 'GetUser'
  | 'UpdateUserAttributes'
  | 'VerifyUserAttribute'
  | 'GetUserAttributeVerificationCode'
  | 'DeleteUserAttributes'
  | 'AssociateSoftwareToken'
  | 'VerifySoftwareToken'
  | 'SetUserMFAPreference'
  | 'DeleteUser'
  | 'StartWebAuthnRegistration'
  | 'CompleteWebAuthnRegistration'
  | 'ListWebAuthnCredentials'
  | 'DeleteWebAuthnCredential'
  | 'ConfirmDevice'
  | 'UpdateDeviceStatus'
  | 'ForgetDevice'
  | 'ListDevices';

/**
 * Web-Storage-like key/value store. Methods may be sync (localStorage, sessionStorage) or async
 * (React Native AsyncStorage, IndexedDB wrappers, files).
 */
export interface TokenStorage {
  getItem(key: string): string | null | undefined | Promise<string | null | undefined>;
  /** `options.fence`: see {@link StorageWriteOptions}; a storage may ignore it. */
  setItem(key: string, value: string, options?: StorageWriteOptions): void | Promise<void>;
  removeItem(key: string, options?: StorageWriteOptions): void | Promise<void>;
  /**
   * Optional: `true` if this storage checks `options.fence` at its commit point (the rename, the
   * Redis command) and then rejects instead of committing, so a write that outlives authchart's
   * lock never lands. Without it, authchart checks the fence after the write and undoes a late
   * one (docs/storage.md, "A write that outlives its lock").
   */
  readonly fencedWrites?: boolean;
  /**
   * Optional: runs `critical` while holding a lock named `name` that every context sharing this
   * storage respects (other processes too). authchart takes it around each read-modify-write of
   * its keys (compare the stored session, then clear; claim outbox entries). Without it, authchart
   * uses `navigator.locks` where it exists, else a lock shared by the instances of this process.
   *
   * `section` (authchart always passes it; a storage may ignore it):
   * - `holdMs`: the longest authchart holds the lock, counted from when `critical` starts.
   *   `critical` settles by then: authchart lets go even if its own work still runs, and aborts
   *   the section's fence. A storage fencing its writes at commit can use it to refuse a write that
   *   arrives later than that, e.g. with a key set to expire within `holdMs` before it calls `critical`.
   * - `fence`: the fence authchart passes to every write it makes in this section (see
   *   {@link StorageWriteOptions}): aborted when the hold ends. A storage that fences at commit can
   *   tell a write's section by it (no write without it belongs to a section of authchart's).
   */
  lock?<T>(name: string, critical: () => Promise<T>, section?: { holdMs: number; fence: AbortSignal }): Promise<T>;
}

/** What authchart passes to each write it makes holding the storage's lock. */
export interface StorageWriteOptions {
  /**
   * Aborts when authchart's hold on the lock ends (let go after `timeouts.storageMs`, or the
   * section finished). A write whose fence has aborted must not commit: it would land after, and
   * over, the next holder's writes. A storage that checks it right before committing, and rejects
   * then, says so with {@link TokenStorage.fencedWrites}.
   */
  fence?: AbortSignal;
}

/** Tells whether the device is online. Only `false` skips remote steps; `true` is never trusted blindly (steps are bounded). */
export interface Connectivity {
  isOnline(): boolean;
  /** Called with the new status on every change; returns an unsubscribe function. */
  subscribe?(listener: (online: boolean) => void): () => void;
}

/**
 * Tells authchart that held tokens may have gone stale while nothing ran: the page became visible
 * again, the device woke. On each call the chart checks the access token's expiry by the clock and
 * refreshes if due (the timer's own path). Connectivity coming back does the same.
 */
export interface WakeSource {
  subscribe(listener: () => void): () => void;
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

/**
 * Temporary AWS credentials from a Cognito identity pool, in the shape the AWS SDK v3 takes
 * (`AwsCredentialIdentity`), with the identity they belong to. `secretAccessKey` and `sessionToken`
 * are secrets: authchart scrubs them from every message it makes.
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** When they expire (the identity pool's `Expiration`). */
  expiration: Date;
  /** The identity pool's id of the user (or of the guest) they belong to. */
  identityId: string;
}

/**
 * @internal What `auth.fetchCredentials()` hands the provider: the way to the chart's tokens, and
 * the instance's bounds. The provider holds the credentials; the core only forwards, clears and rejects.
 */
export interface CredentialsRequest {
  /** The signed-in user's tokens, through the chart (`auth.fetchTokens()`): rejects `NotSignedIn` when signed out. */
  tokens(): Promise<Tokens>;
  /** Fetch new credentials even if those held are fresh. */
  forceRefresh: boolean;
  /** Aborted by `auth.stop()`. */
  stopped: AbortSignal;
  /** `timeouts.remoteStepMs`: the bound on one fetch. */
  remoteStepMs: number;
  /**
   * Makes a value a secret of the instance (scrubbed from every error, event and console line) until
   * the returned function is called: the provider lets go of each key once it has expired.
   */
  hold(secret: string): () => void;
}

/**
 * An identity pool (`authchart/identity-pool`'s `identityPool()`), for `createAuth({ credentials })`:
 * AWS credentials for a user's ID token, or for a guest. Honours `signal`; failures are `AuthError`s
 * (`NotAuthorized`, `Throttled`, `Network`, `Timeout`, `Service`).
 */
export interface CredentialsProvider {
  /** Guests (no ID token) get unauthenticated credentials; else `fetchCredentials()` signed out is `NotSignedIn`. */
  readonly allowGuest: boolean;
  /**
   * `idToken` null: a guest's. `identityId`: an identity to use instead of asking GetId (a guest's, which
   * Cognito links to the user whose ID token comes with it, as Amplify does at sign-in).
   */
  getCredentials(input: { idToken: string | null; identityId?: string }, signal: AbortSignal): Promise<AwsCredentials>;
  /** @internal `auth.fetchCredentials()`: the credentials held for whoever is signed in, or one fetch for every caller. */
  fetchCredentials(request: CredentialsRequest): Promise<AwsCredentials>;
  /**
   * @internal Forgets every credential and identity id held; a fetch under way is aborted and its
   * answer never lands. The chart calls it on its way out of `signedIn` (docs/sign-out.md row 36), and `stop()`.
   */
  clear(): void;
}
