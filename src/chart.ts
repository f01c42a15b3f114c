/**
 * `authchart/chart`: the statechart itself and the types of its inside (context, events, the
 * session store and revocation outbox its actors use), for the Stately Inspector, model-based
 * tests and tools. Apps use `authchart`; these names follow the chart and may change with it.
 */
export type { AuthMachine } from './machines/auth.machine.js';
export { authMachine } from './machines/auth.machine.js';
export type { ErrorParams, WithDeps } from './machines/auth.support.js';
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
  OutboxDrained,
  OutboxEvent,
  RevocationOutcome,
} from './machines/outbox.machine.js';
export type { ClearNotes, ClearOutcome, JournalOutcome } from './session/clear-plan.js';
export type {
  ClaimedRevocation,
  ClaimOptions,
  DeferredRevocation,
  OutboxClaim,
  RevocationOutbox,
  RevocationOutboxOptions,
  SettleOutcome,
} from './session/outbox.js';
export type { SignOutJournal } from './session/records.js';
export type { Sealed } from './session/sealed.js';
export type { Session, SessionInfo, SignedInWith } from './session/session.js';
export type { LoadResult, RefreshWrite, SessionStore } from './session/store.js';
