export type {
  Auth,
  AuthSnapshot,
  AuthStateValue,
  AuthTimeouts,
  CreateAuthOptions,
  SessionView,
  SignInResult,
} from './auth.js';
export { createAuth } from './auth.js';
export type { AuthErrorCode, AuthErrorOptions } from './errors.js';
export { AuthError, isAuthError, NETWORK_CODES, scrubSecrets } from './errors.js';
/** The type of `auth.actor`'s machine, for `useSelector(auth.actor, …)` and `SnapshotFrom`. */
export type { AuthMachine } from './machines/auth.machine.js';
export type {
  AuthEventName,
  AuthEventPayload,
  ChallengeInfo,
  OldLayoutToken,
  RevocationPolicy,
  SignOutReason,
  SignOutResult,
  SignOutResultBase,
  SignOutScope,
  SignOutSteps,
  StepOutcome,
} from './machines/auth.types.js';
export { alwaysOnline, defaultConnectivity, manualConnectivity } from './services/connectivity.js';
export type { AuthorizationOptions, HostedUI, OpenUrlPurpose, RedirectTransaction } from './services/hosted-ui.js';
export type { WebStorageLike } from './services/storage.js';
export { memoryStorage, webStorage } from './services/storage.js';
export type { BroadcastChannelCtor, BroadcastChannelLike, StorageEventLike, WindowLike } from './services/sync.js';
export { broadcastChannelSync, combinedSync, defaultSync, memorySyncBus, storageEventSync } from './services/sync.js';
export type {
  AccountOperation,
  AuthFlow,
  AuthServices,
  AwsCredentials,
  ChallengeKind,
  ChoiceCredentials,
  Clock,
  Connectivity,
  Credentials,
  CredentialsProvider,
  DeviceRecords,
  DeviceRecordView,
  FirstFactor,
  PasskeyAuthenticator,
  PasswordCredentials,
  SessionCredentials,
  SessionSync,
  SessionSyncFactory,
  SignInChallenge,
  SignInStep,
  StorageWriteOptions,
  SyncMessage,
  TokenStorage,
  Tokens,
  WakeSource,
} from './services/types.js';
export { defaultWake } from './services/wake.js';
export type { SessionInfo, SignedInWith } from './session/session.js';
