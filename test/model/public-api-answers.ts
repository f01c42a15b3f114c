/** The vocabulary of the public-API model: commands, predicted answers, positions, and how a sign-out is answered. */

export type Call = 'signIn' | 'adopt' | 'signOut' | 'signOutGlobal' | 'stop';
/** ok/service/network/cancel answer the open remote call; wait lets the pending step's bound pass. */
export type Env = 'ok' | 'service' | 'network' | 'cancel' | 'wait' | 'release' | 'hangStorage' | 'offline' | 'online';
export type Command = { tick: Call[] } | { env: Env };
export interface Config {
  /** A password session is in storage at start. */
  stored: boolean;
  /** Storage answers nothing until `release` (restore pending). */
  held: boolean;
  /** Calls made in the same tick as `createAuth`. */
  atStart: Call[];
}

type Step = 'done' | 'failed' | 'skipped' | 'notRun' | 'deferred';
export interface Steps {
  hostedUISignOut: Step;
  globalSignOut: Step;
  revokeToken: Step;
  clearCache: Step;
}
export type Answer =
  | { kind: 'signIn'; ok: true }
  | { kind: 'signIn'; ok: false; code: string }
  | {
      kind: 'signOut';
      status: 'complete' | 'partial' | 'failed';
      scope: 'local' | 'global';
      steps: Steps;
      codes: { error?: string; hostedUI?: string; global?: string; revoke?: string };
    };

export type Pos =
  | 'restoring'
  | 'signedOut'
  | 'signingIn.auth'
  | 'signingIn.save'
  | 'signingIn.undo'
  | 'signedIn'
  | 'signingOut.hosted'
  | 'signingOut.journal'
  | 'signingOut.global'
  | 'signingOut.revoke'
  | 'signingOut.clear';

/** The chart's deepest state for each model position. */
export const STATE_OF: Record<Pos, string> = {
  restoring: 'restoring.readingStoredSession',
  signedOut: 'signedOut',
  'signingIn.auth': 'signingIn.authenticating',
  'signingIn.save': 'signingIn.savingSession',
  'signingIn.undo': 'signingIn.undoingPartialSave',
  signedIn: 'signedIn.waitingToRefresh',
  'signingOut.hosted': 'signingOut.signingOutOfHostedUI',
  'signingOut.journal': 'signingOut.writingJournal',
  'signingOut.global': 'signingOut.signingOutGlobally',
  'signingOut.revoke': 'signingOut.revokingRefreshToken',
  'signingOut.clear': 'signingOut.clearingCache',
};
export const GATE: Partial<Record<Pos, string>> = {
  'signingIn.auth': 'signIn',
  'signingOut.hosted': 'hostedUISignOut',
  'signingOut.global': 'globalSignOut',
  'signingOut.revoke': 'revokeToken',
};
export const STORAGE_STEPS: Pos[] = [
  'restoring',
  'signingIn.save',
  'signingIn.undo',
  'signingOut.journal',
  'signingOut.clear',
];
export const ERR: Record<'service' | 'network' | 'cancel' | 'wait', string> = {
  service: 'Service',
  network: 'Network',
  cancel: 'Cancelled',
  wait: 'Timeout',
};

export interface Progress {
  scope: 'local' | 'global';
  reason: 'signOut' | 'signInCancelled';
  hasUser: boolean;
  steps: Steps;
  codes: { error?: string; hostedUI?: string; global?: string; revoke?: string };
}
export const notRun = (): Steps => ({
  hostedUISignOut: 'notRun',
  globalSignOut: 'notRun',
  revokeToken: 'notRun',
  clearCache: 'notRun',
});

export function rejected(code: string): Answer {
  return { kind: 'signIn', ok: false, code };
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

/** A caller's answer: the sign-out's result; a global caller of a local sign-out is told GlobalSignOut did not run. */
export function answerFor(p: Progress, global: boolean): Answer {
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
