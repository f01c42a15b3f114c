/**
 * The chart graph's vocabulary for the model test: what of a snapshot the model predicts (its
 * serialised state), and the names of every state and transition, for coverage.
 */
import type { AnyMachineSnapshot, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import type { AuthContext } from '../../src/machines/auth.types.js';
import { NOW_S } from './fixtures.js';

/** The features of a snapshot the model predicts: state value and what the context means. */
export function serializeModelState(snapshot: AnyMachineSnapshot): string {
  const c = snapshot.context as AuthContext;
  const top = typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value)[0];
  // Features that no transition of the current state reads are left out, to keep the graph finite and small.
  return JSON.stringify({
    value: snapshot.value,
    session: c.session && {
      u: c.session.username,
      r: c.session.revocable,
      w: c.session.signedInWith,
      a: c.session.adminScope,
      x: c.session.accessTokenExpiresAt < NOW_S * 1000,
    },
    signOut: c.signOut && {
      scope: c.signOut.scope,
      reason: c.signOut.reason,
      steps: c.signOut.steps,
      g: c.signOut.globalSignOutError?.code,
      k: c.signOut.revokeTokenError?.code,
      h: c.signOut.hostedUISignOutError?.code,
      e: c.signOut.error?.code,
    },
    signingIn: c.signInRequest !== null,
    fetching: [...new Set(c.tokenRequests.map((r) => (r.forceRefresh ? 'force' : 'fresh')))].sort().join(','),
    challenge: c.challenge?.info.challenge ?? null,
    expired: top === 'signedOut' ? c.challengeExpired : undefined,
    queued:
      c.queuedSignIn &&
      ('credentials' in c.queuedSignIn
        ? 'signIn'
        : 'redirectUrl' in c.queuedSignIn
          ? 'redirect'
          : `adopt:${c.queuedSignIn.session.adminScope ? 'a' : 'web'}:${c.queuedSignIn.session.accessTokenExpiresAt < NOW_S * 1000 ? 'x' : ''}`),
    asked:
      top === 'signingOut'
        ? undefined
        : [...new Set(c.signOutRequests.map((r) => (r.global ? 'g' : 'l')))].sort().join(''),
    refreshFailing: top === 'signedIn' ? c.refreshFailures > 0 : undefined,
    forOtherTab: c.restoringForOtherTab,
    unstored: top === 'signedIn' ? c.unstoredTokens : undefined,
    unread: top === 'signedOut' ? c.storageUnread : undefined,
    late: top === 'signingOut' ? c.lateSignOutRequests.length > 0 : undefined,
    // Read by a failed DeleteUser: a signOut() that joined it still runs.
    joined: snapshot.matches({ signingOut: 'deletingUser' }) ? c.signOutRequests.some((r) => !r.deletes) : undefined,
  });
}

/** A stable name for a transition of the chart: source, event, and its place among that event's transitions. */
export function transitionKey(t: AnyTransitionDefinition): string {
  const source = t.source as AnyStateNode;
  const list = source.transitions.get(t.eventType) ?? [];
  let index = list.indexOf(t);
  let event = t.eventType;
  if (index < 0) {
    index = (source.always ?? []).indexOf(t);
    event = 'always';
  }
  return `${source.id} —${event}#${index}→ ${(t.target ?? []).map((n) => (n as AnyStateNode).id).join(',') || '(self)'}`;
}

export function allTransitionKeys(root: AnyStateNode): string[] {
  const keys: string[] = [];
  const walk = (node: AnyStateNode) => {
    for (const defs of node.transitions.values()) for (const d of defs) keys.push(transitionKey(d));
    for (const d of node.always ?? []) keys.push(transitionKey(d));
    for (const child of Object.values(node.states) as AnyStateNode[]) walk(child);
  };
  walk(root);
  return keys;
}

export function leafStateIds(root: AnyStateNode): string[] {
  const ids: string[] = [];
  const walk = (node: AnyStateNode) => {
    const children = Object.values(node.states) as AnyStateNode[];
    if (children.length === 0) ids.push(node.id);
    for (const c of children) walk(c);
  };
  walk(root);
  return ids;
}
