import { AuthError, toAuthError } from '../errors.js';
import type { Sealed } from '../session/sealed.js';
import type { Session } from '../session/session.js';
import { stepsNotRun, unstoredAtStop } from './auth.logic.js';
import type {
  AuthConfig,
  AuthContext,
  AuthDeps,
  AuthEmitted,
  AuthEvent,
  QueuedSignIn,
  RestoreOutput,
  SignOutProgress,
  SignOutReason,
  SignOutRequest,
  SignOutScope,
  SignOutSteps,
} from './auth.types.js';

/** Every slot below is filled through `.provide()` (by authchart's shared implementations, or by tests). */
export function notProvided(name: string) {
  return () => Promise.reject(new AuthError('InvalidConfig', `The "${name}" actor was not provided`));
}

/** Every invoked actor gets the instance's (sealed) services along with its own input. */
export type WithDeps<T = Record<never, never>> = T & { deps: Sealed<AuthDeps> | null };

/** A step's error, carried to an action as a parameter of its transition. */
export interface ErrorParams {
  error: AuthError;
}

export function requireSession(context: AuthContext): Session {
  if (!context.session) throw new AuthError('InvalidState', 'No session in this state');
  return context.session;
}

export function progress(context: AuthContext): SignOutProgress {
  if (!context.signOut) throw new AuthError('InvalidState', 'No sign-out in progress');
  return context.signOut;
}

export function newSignOut(context: AuthContext, scope: SignOutScope, reason: SignOutReason): SignOutProgress {
  const { session } = context;
  return {
    scope,
    reason,
    username: session?.username ?? null,
    sessionId: session?.sessionId ?? null,
    steps: stepsNotRun(),
  };
}

/**
 * The sign-out covers what storage holds (another context's newer sign-in): once a caller asked
 * for that, it stays so (a journal that could not read storage does not take it back).
 */
export const covering = (context: AuthContext, covers: boolean): SignOutProgress => ({
  ...progress(context),
  coversStored: covers || context.signOut?.coversStored === true,
});

/** The `signOut()` (or `deleteUser()`) call an event carries, if any. */
export const requestOf = (event: AuthEvent): SignOutRequest[] =>
  event.type === 'SIGN_OUT'
    ? [{ id: event.id, global: event.global }]
    : event.type === 'DELETE_USER'
      ? [{ id: event.id, global: false, deletes: true }]
      : [];

/** A `signOut()` with no session here (or one that cancelled a sign-in before it had tokens): it clears what storage holds. */
export const signsOutNothing = (context: AuthContext): boolean =>
  context.signOut?.coversStored === true ||
  (context.session === null &&
    (context.signOut?.reason === 'signOut' || context.signOut?.reason === 'signInCancelled'));

/** A global request joins a local sign-out that has not yet reached its remote steps. */
export function canUpgradeToGlobal(context: AuthContext, event: AuthEvent): boolean {
  const p = context.signOut;
  return (
    event.type === 'SIGN_OUT' &&
    event.global &&
    p?.scope === 'local' &&
    context.session !== null &&
    p.steps.revokeToken === 'notRun' &&
    (p.reason === 'signOut' || p.reason === 'interrupted')
  );
}

export const requestedScope = (context: AuthContext): SignOutScope =>
  context.signOutRequests.some((r) => r.global) ? 'global' : 'local';

const SIGN_IN_REFUSALS = {
  AlreadySignedIn: 'Already signed in; sign out first',
  Cancelled: 'Sign-in was cancelled by a sign-out',
  InvalidState: 'Another sign-in is running or waiting',
} as const;

export const signInError = (code: keyof typeof SIGN_IN_REFUSALS): AuthError =>
  new AuthError(code, SIGN_IN_REFUSALS[code]);

export const withStep = (p: SignOutProgress, step: keyof SignOutSteps, outcome: SignOutSteps[keyof SignOutSteps]) => ({
  ...p,
  steps: { ...p.steps, [step]: outcome },
});

/** The error a failed step carries, with what was being done. */
export const failed =
  (what: string) =>
  ({ event }: { event: { error?: unknown } }) => ({ error: toAuthError(event.error, what) });
export const timedOut =
  (what: string, bound: 'remoteStepMs' | 'hostedUIMs') =>
  ({ context }: { context: { config: AuthConfig } }) => ({
    error: new AuthError('Timeout', `${what} did not answer within ${context.config[bound]} ms`),
  });
export const storageTimedOut =
  (what: string) =>
  ({ context }: { context: { config: AuthConfig } }) => ({
    error: new AuthError('StorageFailure', `${what}: storage did not answer within ${context.config.storageMs} ms`),
  });

/** GlobalSignOut ruled out up front: a web session without the admin scope. */
export function unsupportedGlobalSignOut(p: SignOutProgress): SignOutProgress {
  return {
    ...withStep(p, 'globalSignOut', 'skipped'),
    globalSignOutError: new AuthError(
      'GlobalSignOutUnsupported',
      'GlobalSignOut skipped: no aws.cognito.signin.user.admin scope',
    ),
  };
}

/** The hosted UI `/logout` cannot run offline: skipped, and the result says so. */
export function hostedUISkippedOffline(p: SignOutProgress): SignOutProgress {
  const error = new AuthError('Offline', 'The hosted UI sign-out was skipped: the device is offline');
  return { ...withStep(p, 'hostedUISignOut', 'skipped'), hostedUISignOutError: error };
}

export function globalSkipped(p: SignOutProgress, error: AuthError): SignOutProgress {
  return { ...withStep(p, 'globalSignOut', 'skipped'), globalSignOutError: error };
}

/** `confirmSignIn()` outside a challenge, or after it expired. */
export function confirmError(code: 'InvalidState' | 'Expired'): AuthError {
  return code === 'Expired'
    ? new AuthError('Expired', 'The sign-in challenge expired; sign in again')
    : new AuthError('InvalidState', 'No sign-in challenge is waiting');
}

/** A sign-in asked while restoring or signing out, kept to run once that ends. */
export function queuedFrom(event: AuthEvent): QueuedSignIn | null {
  if (event.type === 'SIGN_IN') return { id: event.id, credentials: event.credentials };
  if (event.type === 'ADOPT_SESSION') return { id: event.id, session: event.session };
  if (event.type === 'HANDLE_REDIRECT') return { id: event.id, redirectUrl: event.url };
  return null;
}

/** The queued sign-in becomes the one being served. */
export function takeQueued(context: AuthContext): Partial<AuthContext> {
  const q = context.queuedSignIn;
  if (!q) return {};
  if ('credentials' in q) return { queuedSignIn: null, signInRequest: { id: q.id, credentials: q.credentials } };
  if ('redirectUrl' in q) return { queuedSignIn: null, signInRequest: { id: q.id, redirectUrl: q.redirectUrl } };
  return { queuedSignIn: null, signInRequest: { id: q.id, adopted: true }, session: q.session };
}

/** `signInWithRedirect()` or `handleRedirect()` as the request being served. */
export function redirectRequestOf(event: AuthEvent): AuthContext['signInRequest'] {
  if (event.type === 'HANDLE_REDIRECT') return { id: event.id, redirectUrl: event.url };
  if (event.type !== 'REDIRECT_SIGN_IN') return null;
  const redirect: { provider?: string; customState?: string } = {};
  if (event.provider !== undefined) redirect.provider = event.provider;
  if (event.customState !== undefined) redirect.customState = event.customState;
  return { id: event.id, redirect };
}

/** The outbox child's report, as the answer to `retryDeferredRevocations()`. */
export function deferredAnswer(event: AuthEvent): Extract<AuthEmitted, { type: 'deferredRevocationsSettled' }> {
  if (event.type !== 'OUTBOX_DRAINED') return { type: 'deferredRevocationsSettled', ids: [], settled: 0, remaining: 0 };
  const { ids, settled, remaining, error } = event;
  return { type: 'deferredRevocationsSettled', ids, settled, remaining, error };
}

export type RemoteStep = 'hostedUISignOut' | 'globalSignOut' | 'revokeToken';

/** A state that answers every sign-in call (`signIn`, `adoptSession`, the redirect's) with one error code. */
export const rejectingSignIns = <const C extends 'AlreadySignedIn' | 'InvalidState'>(code: C) => {
  const reject = { actions: { type: 'rejectSignIn', params: { code } } } as const;
  return { SIGN_IN: reject, ADOPT_SESSION: reject, REDIRECT_SIGN_IN: reject, HANDLE_REDIRECT: reject } as const;
};

/** A remote step failed: its outcome and error are recorded (the chart's `recordStepError`). */
export const recordFailed = <S extends RemoteStep>(step: S, what: string) =>
  ({
    type: 'recordStepError',
    params: ({ event }: { event: { error?: unknown } }) => ({ step, ...failed(what)({ event }) }),
  }) as const;

/** A remote step did not answer within `remoteStepMs`. */
export const recordTimedOut = <S extends RemoteStep>(step: S, what: string) =>
  ({
    type: 'recordStepError',
    params: ({ context }: { context: { config: AuthConfig } }) => ({
      step,
      ...timedOut(what, 'remoteStepMs')({ context }),
    }),
  }) as const;

/** The invoke that reads what storage holds (restore, and the re-checks while signed in). */
export const readStored = <const I extends string>(id: I) =>
  ({ id, src: 'readSession', input: ({ context }: { context: AuthContext }) => ({ deps: context.deps }) }) as const;

/** A storage read's answer, as the restore guards and actions take it. */
export const restored = ({ event }: { event: { output: RestoreOutput } }) => ({ output: event.output });

/**
 * Storage holds a session: this context takes it and says so (`signedIn`, `restored: true`), with
 * `between` run after the session is assigned.
 */
export const takeRestored = <T extends string, A extends readonly unknown[]>(target: T, ...between: A) =>
  ({
    guard: { type: 'restoredSession', params: restored },
    target,
    actions: [
      { type: 'assignRestoredSession', params: restored },
      ...between,
      { type: 'emitSignedIn', params: { restored: true } },
    ],
  }) as const;

/** A remote step answered: it is marked done and the sign-out goes on to `target`. */
export const stepDone = <S extends RemoteStep, T extends string>(step: S, target: T) =>
  ({ target, actions: { type: 'markStepDone', params: { step } } }) as const;

/** No answer came back: the remote steps still planned are skipped, with why. */
export const SKIP_THE_REST = { type: 'skipRemainingRemoteSteps', params: { reason: 'Network' } } as const;

/** A journal was found at start: finish that sign-out, with the session if its tokens are still there. */
/** `out` is the record of the user `deleteUser()` deleted here, left by a failed clear (row 32). */
export const deletedHere = (context: AuthContext, out: RestoreOutput): boolean =>
  out.status === 'found' && out.session.sessionId === context.deletedSessionId;

export function resumed(context: AuthContext, out: RestoreOutput): Partial<AuthContext> {
  const session = out.status === 'found' ? out.session : null;
  // A deleted user's clear (its journal says so, or this instance deleted it) stays one: no
  // RevokeToken and no GlobalSignOut (Cognito invalidated the tokens), `userDeleted` to the app.
  const deleted = out.journal?.deleted || deletedHere(context, out);
  const journalScope = out.journal?.scope ?? 'local';
  const scope = !deleted && (journalScope === 'global' || requestedScope(context) === 'global') ? 'global' : 'local';
  const signOut = newSignOut({ ...context, session }, scope, deleted ? 'userDeleted' : 'interrupted');
  // Its tokens may be half gone (pointer removed, a token key left): the journal names whose keys to clear.
  const username = signOut.username ?? out.journal?.username ?? null;
  return { session, signOut: { ...signOut, username, sessionId: signOut.sessionId ?? out.journal?.sessionId ?? null } };
}

/** What `stop()` tells the app of a refresh token no storage holds (see unstoredAtStop). */
export const stopReport =
  (writing: boolean) =>
  ({ context }: { context: AuthContext }) => ({
    error: unstoredAtStop(context, writing)?.error ?? new AuthError('Cancelled', 'stop(): tokens not stored'),
  });

/** `assign`'s `spawn`, as the outbox is started with it. */
type SpawnOutbox = (src: 'outbox', options: { id: 'outbox'; input: Pick<AuthContext, 'deps' | 'config'> }) => unknown;

/** Starts the outbox child (at start, and again when asked after it was stopped): it owes no answer yet. */
export function outboxStarted(context: AuthContext, spawn: SpawnOutbox): number {
  spawn('outbox', { id: 'outbox', input: { deps: context.deps, config: context.config } });
  return 0;
}
