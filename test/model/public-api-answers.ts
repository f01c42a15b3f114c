/** The vocabulary of the public-API model: commands, predicted answers, positions, and how a sign-out is answered. */

/**
 * fetch: `fetchTokens()`; fetchForce: `{ forceRefresh: true }`; fetchLong: `{ minValidityMs: 2 h }` (more than any token holds).
 * deleteUser and autoSignIn: `authchart/account`'s, on the instance. arm: `signUp(auth, { …, autoSignIn: true })`
 * then `confirmSignUp` (both answered at once by the fake), alone in its tick: what `autoSignIn` then signs in with.
 * credentials: `fetchCredentials()` from an identity pool that allows guests and answers at once (within the flush).
 */
export type Call =
  | 'signIn'
  | 'adopt'
  | 'signOut'
  | 'signOutGlobal'
  | 'fetch'
  | 'fetchForce'
  | 'fetchLong'
  | 'deleteUser'
  | 'autoSignIn'
  | 'arm'
  | 'credentials'
  | 'stop';
export const FETCH_OPTIONS = {
  fetch: {},
  fetchForce: { forceRefresh: true },
  fetchLong: { minValidityMs: 2 * 3600_000 },
} as const;
export const isFetch = (c: Call): c is keyof typeof FETCH_OPTIONS => c in FETCH_OPTIONS;
/**
 * ok/service/network/cancel/notAuthorized answer the open remote call; wait lets the pending step's
 * bound pass; failStorage makes every storage call reject until `release`.
 */
export type Env =
  | 'ok'
  | 'service'
  | 'network'
  | 'cancel'
  | 'notAuthorized'
  | 'wait'
  | 'release'
  | 'hangStorage'
  | 'failStorage'
  | 'offline'
  | 'online';
export type Command = { tick: Call[] } | { env: Env };
export interface Config {
  /** A password session is in storage at start. */
  stored: boolean;
  /** Storage answers nothing until `release` (restore pending). */
  held: boolean;
  /** Calls made in the same tick as `createAuth`. */
  atStart: Call[];
  /**
   * The stored access token: `fresh` (1 h left), `near` (45 s left: under fetchTokens' default 60 s),
   * `expired` (2 s left: GlobalSignOut would refuse it). Default fresh.
   */
  tokens?: StoredTokens;
}
export type StoredTokens = 'fresh' | 'near' | 'expired';
/** Seconds the stored access token has left at T0. */
export const STORED_LEFT_S: Record<StoredTokens, number> = { fresh: 3600, near: 45, expired: 2 };
/**
 * Bounds of the instance under test (each distinct, so a wrong bound shows). A 1 s refresh leeway and
 * a 10 min retry keep the refresh timers out of a run, except where the model says so.
 */
export const BOUNDS = {
  remoteStepMs: 1000,
  hostedUIMs: 1500,
  storageMs: 100,
  refreshLeewayMs: 1000,
  refreshRetryMs: 600_000,
} as const;
/** Every token the fakes hand out lives this long (s). */
export const LIFETIME_S = 3600;

type Step = 'done' | 'failed' | 'skipped' | 'notRun' | 'deferred';
export interface Steps {
  hostedUISignOut: Step;
  globalSignOut: Step;
  revokeToken: Step;
  clearCache: Step;
}
/** A sign-out's answer (also the `result` a `deleteUser` answer carries). */
export interface SignOutAnswer {
  kind: 'signOut';
  status: 'complete' | 'partial' | 'failed';
  scope: 'local' | 'global';
  steps: Steps;
  codes: { error?: string; hostedUI?: string; global?: string; revoke?: string };
}
export type Answer =
  /** A fetchTokens answer: the tokens by label (stored, hosted, signIn, refreshN), or the error. */
  | { kind: 'tokens'; ok: true; label: string }
  | { kind: 'tokens'; ok: false; code: string; tokenExpiresAt?: number }
  | { kind: 'signIn'; ok: true }
  | { kind: 'signIn'; ok: false; code: string }
  | SignOutAnswer
  /** `deleteUser`: Cognito deleted the user (the clear's outcome, the sign-out's result), or the error. */
  | { kind: 'deleteUser'; ok: true; cleared: boolean; clearError?: string; result: SignOutAnswer }
  | { kind: 'deleteUser'; ok: false; code: string }
  /** `arm`: the `nextStep.signUpStep` of `signUp`, then of `confirmSignUp`; or why `signUp` rejected. */
  | { kind: 'signUp'; ok: true; steps: string[] }
  | { kind: 'signUp'; ok: false; code: string }
  /** `fetchCredentials()`: whose credentials came (the fake identity pool knows each identity's owner), or the error. */
  | { kind: 'credentials'; ok: true; holder: 'user' | 'guest' }
  | { kind: 'credentials'; ok: false; code: string };

export type Pos =
  | 'restoring'
  | 'signedOut'
  | 'signingIn.auth'
  | 'signingIn.save'
  | 'signedIn'
  | 'signedIn.refresh'
  | 'signedIn.store'
  | 'signedIn.retry'
  | 'signedIn.retryStore'
  | 'signedIn.recheck'
  | 'signedIn.unconfirmed'
  | 'signedIn.checkStorage'
  | 'signingOut.deleting'
  | 'signingOut.hosted'
  | 'signingOut.journal'
  | 'signingOut.refreshGlobal'
  | 'signingOut.global'
  | 'signingOut.revoke'
  | 'signingOut.clear';

/** The chart's deepest state for each model position. */
export const STATE_OF: Record<Pos, string> = {
  restoring: 'restoring.readingStoredSession',
  signedOut: 'signedOut',
  'signingIn.auth': 'signingIn.authenticating',
  'signingIn.save': 'signingIn.savingSession',
  signedIn: 'signedIn.waitingToRefresh',
  'signedIn.refresh': 'signedIn.refreshingTokens',
  'signedIn.store': 'signedIn.storingRefreshedTokens',
  'signedIn.retry': 'signedIn.waitingToRetryRefresh',
  'signedIn.retryStore': 'signedIn.waitingToRetryStore',
  'signedIn.recheck': 'signedIn.checkingRefusedSession',
  'signedIn.unconfirmed': 'signedIn.waitingToRecheck',
  'signedIn.checkStorage': 'signedIn.checkingStorage',
  'signingOut.deleting': 'signingOut.deletingUser',
  'signingOut.hosted': 'signingOut.signingOutOfHostedUI',
  'signingOut.journal': 'signingOut.writingJournal',
  'signingOut.refreshGlobal': 'signingOut.refreshingForGlobalSignOut',
  'signingOut.global': 'signingOut.signingOutGlobally',
  'signingOut.revoke': 'signingOut.revokingRefreshToken',
  'signingOut.clear': 'signingOut.clearingCache',
};
export const GATE: Partial<Record<Pos, string>> = {
  'signingIn.auth': 'signIn',
  'signedIn.refresh': 'refresh',
  'signingOut.refreshGlobal': 'refresh',
  'signingOut.deleting': 'deleteUser',
  'signingOut.hosted': 'hostedUISignOut',
  'signingOut.global': 'globalSignOut',
  'signingOut.revoke': 'revokeToken',
};
export const STORAGE_STEPS: Pos[] = [
  'restoring',
  'signingIn.save',
  'signedIn.store',
  'signedIn.recheck',
  'signedIn.checkStorage',
  'signingOut.journal',
  'signingOut.clear',
];
export const ERR: Record<'service' | 'network' | 'cancel' | 'notAuthorized' | 'wait', string> = {
  service: 'Service',
  notAuthorized: 'NotAuthorized',
  network: 'Network',
  cancel: 'Cancelled',
  wait: 'Timeout',
};

export interface Progress {
  scope: 'local' | 'global';
  reason: 'signOut' | 'signInCancelled' | 'refreshRejected' | 'userDeleted';
  hasUser: boolean;
  /** An adopted session that could not be saved: its tokens are the app's, never revoked (row 25). */
  appsTokens?: boolean;
  steps: Steps;
  codes: { error?: string; hostedUI?: string; global?: string; revoke?: string };
}
export const notRun = (): Steps => ({
  hostedUISignOut: 'notRun',
  globalSignOut: 'notRun',
  revokeToken: 'notRun',
  clearCache: 'notRun',
});

/**
 * An auto sign-in's failures after which what `signUp` armed is still held (docs/account.md, "What
 * drops it"): no answer, or another sign-in running. Every other answer drops it.
 */
export const AUTO_RETRYABLE = new Set([
  'Offline',
  'Network',
  'Timeout',
  'Throttled',
  'UserNotConfirmed',
  'InvalidState',
]);

export function rejected(code: string): Answer {
  return { kind: 'signIn', ok: false, code };
}

export function tokensRejected(code: string, tokenExpiresAt?: number): Answer {
  return tokenExpiresAt === undefined
    ? { kind: 'tokens', ok: false, code }
    : { kind: 'tokens', ok: false, code, tokenExpiresAt };
}

export function cancelledSignOut(global: boolean): Answer {
  return {
    kind: 'signOut',
    status: 'failed',
    scope: global ? 'global' : 'local',
    steps: notRun(),
    codes: { error: 'Cancelled' },
  };
}

export function deleteRejected(code: string): Answer {
  return { kind: 'deleteUser', ok: false, code };
}

/** A `deleteUser` caller's answer once Cognito deleted the user: the sign-out's result, and whether the clear worked. */
export function deletionAnswer(p: Progress): Answer {
  const result = answerFor(p, false);
  if (result.status !== 'failed') return { kind: 'deleteUser', ok: true, cleared: true, result };
  return { kind: 'deleteUser', ok: true, cleared: false, clearError: p.codes.error as string, result };
}

/** A caller's answer: the sign-out's result; a global caller of a local sign-out is told GlobalSignOut did not run. */
export function answerFor(p: Progress, global: boolean): SignOutAnswer {
  const steps = { ...p.steps };
  const codes = { ...p.codes };
  let status: 'complete' | 'partial' | 'failed' = codes.error
    ? 'failed'
    : Object.values(steps).every((s) => s === 'done' || s === 'notRun')
      ? 'complete'
      : 'partial';
  let scope = p.scope;
  if (global && p.scope === 'local' && p.hasUser) {
    steps.globalSignOut = 'skipped';
    codes.global = 'GlobalSignOutNotRun';
    scope = 'global';
    if (status !== 'failed') status = 'partial';
  }
  return { kind: 'signOut', status, scope, steps, codes };
}
