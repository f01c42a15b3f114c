export { createAuth, provideServices } from './auth.js';
export type { Auth, AuthStateValue, AuthTimeouts, CreateAuthOptions, SessionView } from './auth.js';
export { AuthError, isAuthError, NETWORK_CODES } from './errors.js';
export type { AuthErrorCode, AuthErrorOptions } from './errors.js';
export { authMachine } from './machines/auth.machine.js';
export type { AuthMachine } from './machines/auth.machine.js';
export type {
  AuthConfig,
  AuthContext,
  AuthEmitted,
  AuthEvent,
  AuthEventName,
  AuthEventPayload,
  RevocationPolicy,
  SignOutReason,
  SignOutResult,
  SignOutScope,
  SignOutSteps,
  StepOutcome,
} from './machines/auth.types.js';
export type { Sealed } from './session/sealed.js';
export type { SessionInfo, SignedInWith } from './session/session.js';
export { alwaysOnline, defaultConnectivity, manualConnectivity } from './services/connectivity.js';
export { memoryStorage, webStorage } from './services/storage.js';
export type { WebStorageLike } from './services/storage.js';
export type { AuthServices, Clock, Connectivity, Credentials, TokenStorage, Tokens } from './services/types.js';
