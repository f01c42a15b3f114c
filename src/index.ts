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
export type { AuthMachine, WithDeps } from './machines/auth.machine.js';
export { authMachine } from './machines/auth.machine.js';
export type { ErrorParams } from './machines/auth.support.js';
export type {
  AuthAnswerName,
  AuthConfig,
  AuthContext,
  AuthDeps,
  AuthEmitted,
  AuthEvent,
  AuthEventName,
  AuthEventPayload,
  AuthInput,
  ChallengeInfo,
  ExchangeOutcome,
  OldLayoutToken,
  PendingChallenge,
  QueuedSignIn,
  RedirectOutcome,
  RestoreOutput,
  RevocationPolicy,
  SignInOutcome,
  SignOutProgress,
  SignOutReason,
  SignOutRequest,
  SignOutResult,
  SignOutResultBase,
  SignOutScope,
  SignOutSteps,
  StepOutcome,
  TokenRequest,
} from './machines/auth.types.js';
export type {
  DeferredAttempt,
  DeferredTokens,
  Deps as OutboxDeps,
  OutboxContext,
  OutboxEvent,
  RevocationOutcome,
} from './machines/outbox.machine.js';
export { alwaysOnline, defaultConnectivity, manualConnectivity } from './services/connectivity.js';
export type { AuthorizationOptions, HostedUI, OpenUrlPurpose, RedirectTransaction } from './services/hosted-ui.js';
export type { WebStorageLike } from './services/storage.js';
export { memoryStorage, webStorage } from './services/storage.js';
export type { BroadcastChannelCtor, BroadcastChannelLike, StorageEventLike, WindowLike } from './services/sync.js';
export { broadcastChannelSync, combinedSync, defaultSync, memorySyncBus, storageEventSync } from './services/sync.js';
export type {
  AuthFlow,
  AuthServices,
  ChallengeKind,
  Clock,
  Connectivity,
  Credentials,
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
export type {
  ClaimedRevocation,
  ClaimOptions,
  OutboxClaim,
  RevocationOutbox,
  RevocationOutboxOptions,
  SettleOutcome,
} from './session/outbox.js';
export type { Sealed } from './session/sealed.js';
export type { Session, SessionInfo, SignedInWith } from './session/session.js';
export type {
  ClearNotes,
  ClearOutcome,
  DeferredRevocation,
  JournalOutcome,
  LoadResult,
  RefreshWrite,
  SessionStore,
  SignOutJournal,
} from './session/store.js';
